"""The framework registry: every witness of the reference is one row here plus one adapter module.

Everything that lists frameworks reads this table: the harness, the CLI's ``--framework`` choices, the grid tests
and their pytest markers, the bench, the side-by-side trainer, the report's tables, plot styles and teaching
columns, and the environment section. Unknown names raise, with the valid ones.

An adapter module (``parity.implementations.<module>``) provides, for each framework row that names it:

- ``runtime_defaults(framework) -> dict``: the documented defaults the comparison relies on, read from the
  installed library (its ``version`` included); raises ImportError (with the missing package's ``name``) when
  the library is not installed, which the harness turns into a skip with that reason;
- ``run(case, framework, starts) -> Trace``: the case's steps, step s loaded from ``starts[s]`` (parameters and
  optimizer state, into the framework's own objects), every quantity recorded in the reference layout through
  ``parity.layout``; with ``starts=None``, free-running from ``initial_params(case)``;
- ``iterate(case, params, X, Y, framework)``: endless free training, yielding (J, A[L], a params getter);
- ``stepper(case, params, X, Y, framework, compiled=False)``: for the bench (rows with ``bench`` names), a function
  of no arguments taking one training step (forward, loss, backward, update) from ``params`` on (X, Y), built
  outside the timing; ``compiled``: the adapter's compiled form (raises where it has none);
- ``COVERAGE``: a name-keyed table of the reference's vocabulary (activations, losses, optimizers) mapped to the
  framework's own parts, or to ``NotApplicable(reason)``; ``tests/test_registry.py`` fails when a name is missing.

Adding a framework: write the adapter, add a row below (and, if it is a new family, its ``column``, a teaching
entry in ``parity/report/teaching.py`` and a pytest marker in ``pyproject.toml``). Conventions it documents go in
``parity.conventions``, keyed by the row's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no import of NumPy at run time: parity.environment reads the registry before configuring it
    from parity.case import Case


@dataclass(frozen=True)
class NotApplicable:
    """A registry name an adapter does not implement, and why."""

    reason: str


@dataclass(frozen=True)
class Absence:
    """A quantity of the reference's trace that a witness legitimately does not produce, when, and why.

    ``parity.compare`` records a declared absence (once per reason in the report's coverage) instead of a result;
    any other quantity the reference has and the witness lacks is ``missing``, which fails the case."""

    quantity: str  # "dA"
    layer: str  # "L": the output layer only; "every": each layer
    when: Callable[[Case], bool]
    reason: str

    def covers(self, case: Case, key) -> bool:
        return (key.quantity == self.quantity and (self.layer == "every" or key.layer == case.L)
                and self.when(case))


@dataclass(frozen=True)
class Framework:
    name: str  # the registry key: CLI choices, report columns, trace names
    label: str  # how a reader knows it: "Keras 3 (JAX backend)"
    family: str  # the parameter layout and teaching column (parity.layout): "torch", "keras" or "jax"
    module: str  # the adapter, parity.implementations.<module>
    marker: str  # the pytest marker of its tests
    packages: tuple[str, ...]  # what must be installed (the environment section reports their versions)
    keras_backend: str | None = None  # the KERAS_BACKEND its process needs; None: any process
    applies: Callable[[Case], bool] = field(default=lambda case: True)
    applies_text: str = "every case"
    style: tuple = ("#7f7f7f", "-", "circle")  # its lines in figures: (colour, dashes, marker)
    absent: tuple[Absence, ...] = ()  # what the reference's trace has and this witness cannot produce, and why
    column: str = ""  # its family's teaching column (parity.report.teaching), on the family's first row only
    kernel: bool = True  # its family stores W as a kernel W^T (parity.layout); False: as W itself (nn.Linear)
    bench: tuple[str, ...] = ()  # what parity.bench times: its own name, and "<name>-function" for a compiled step
    default_witness: bool = False  # among the witnesses ``parity check`` runs when none is named
    # the Keras backends of the workers that run it, case by case in turn, when a run spreads its work
    # (``harness.run_cases(spread=True)``, the report): the three processes then share the cores instead of the
    # main one (Keras on TensorFlow, the reference, every comparison) holding the rest up; each such worker has the
    # library loaded already (the same library and threads: the same numbers). Tests run it in their own process,
    # where a planted bug (a monkeypatch) reaches it. (): never spread
    spread: tuple[str, ...] = ()


def _bce_on_sigmoid(case: Case) -> bool:
    return case.loss == "binary_crossentropy" and case.activations[-1] == "sigmoid"


def _optax_losses(case: Case) -> bool:
    output = case.activations[-1]
    return {"binary_crossentropy": output == "sigmoid", "categorical_crossentropy": output == "softmax"}.get(
        case.loss, True)


def _torch_decay(case: Case) -> bool:
    """torch.optim has decoupled weight decay for Adam (AdamW) and, being the same map, plain SGD; for no other
    optimizer (SGD with momentum and RMSprop put their weight_decay into the gradient, coupled)."""
    return not case.weight_decay or case.optimizer in ("sgd", "adam")


_TORCH_TEXT = "every case but decoupled weight decay with an optimizer other than SGD and Adam (torch.optim has none)"

_CROSS_ENTROPIES = ("binary_crossentropy", "categorical_crossentropy")
NO_DA_CROSS_ENTROPY_TORCH = Absence(
    "dA", "L", lambda case: case.loss == "categorical_crossentropy",
    "torch.nn.CrossEntropyLoss takes the logits Z[L] and applies log-softmax itself, so A[L] = softmax(Z[L]) is not "
    "on the gradient's path: there is no dA[L] (dZ[L] is compared)")
NO_DA_BCE_WITH_LOGITS = Absence(
    "dA", "L", lambda case: case.loss == "binary_crossentropy",
    "torch.nn.BCEWithLogitsLoss takes the logits Z[L] (sigmoid and log fused), so A[L] is not on the gradient's "
    "path: there is no dA[L] (dZ[L] is compared)")
NO_DA_KERAS_LOGITS = Absence(
    "dA", "L", lambda case: case.loss in _CROSS_ENTROPIES and case.activations[-1] in ("sigmoid", "softmax"),
    "Keras's TensorFlow backend marks a sigmoid or softmax output with its logits (_keras_logits) and its "
    "cross-entropies compute from those logits, so A[L] is not on the gradient's path: there is no dA[L] "
    "(dZ[L] is compared)")
NO_DA_OPTAX = Absence(
    "dA", "L", lambda case: case.loss in _CROSS_ENTROPIES,
    "optax's cross-entropies take the logits Z[L] (sigmoid_binary_cross_entropy, softmax_cross_entropy), so A[L] "
    "is not on the gradient's path: there is no dA[L] (dZ[L] is compared)")

REGISTRY: dict[str, Framework] = {f.name: f for f in (
    Framework("torch", "PyTorch", "torch", "torch", "torch", ("torch",), applies=_torch_decay,
              applies_text=_TORCH_TEXT, style=("#ff7f0e", "--", "square"), absent=(NO_DA_CROSS_ENTROPY_TORCH,),
              column="PyTorch", kernel=False, bench=("torch",), default_witness=True, spread=("torch",)),
    Framework("torch-logits", "PyTorch (BCEWithLogitsLoss)", "torch", "torch", "torch", ("torch",),
              applies=lambda case: _bce_on_sigmoid(case) and _torch_decay(case),
              applies_text=f"a sigmoid output trained with binary cross-entropy; {_TORCH_TEXT}",
              style=("#d62728", ":", "triangle"), absent=(NO_DA_BCE_WITH_LOGITS,), kernel=False,
              spread=("torch",)),
    Framework("keras", "Keras 3 (TensorFlow backend)", "keras", "keras", "keras", ("keras", "tensorflow"),
              keras_backend="tensorflow", style=("#1f77b4", "-.", "cross"), absent=(NO_DA_KERAS_LOGITS,),
              column="Keras 3 (TensorFlow, JAX and torch backends)", bench=("keras", "keras-function"),
              default_witness=True),
    Framework("keras-jax", "Keras 3 (JAX backend)", "keras", "keras", "keras", ("keras", "jax"),
              keras_backend="jax", style=("#17becf", "4 1.5", "triangle")),
    Framework("keras-torch", "Keras 3 (PyTorch backend)", "keras", "keras", "keras", ("keras", "torch"),
              keras_backend="torch", style=("#9467bd", "1.5 1.5", "square")),
    Framework("jax", "JAX (with optax)", "jax", "jax", "jax", ("jax", "jaxlib", "optax"),
              applies=_optax_losses, applies_text="cross-entropy with its matching output (optax takes logits)",
              style=("#2ca02c", "7 1.5 1.5 1.5", "diamond"), absent=(NO_DA_OPTAX,), column="JAX with optax",
              bench=("jax",), spread=("jax",)),
)}

FRAMEWORKS: tuple[str, ...] = tuple(REGISTRY)
# the witnesses ``parity check`` (and the bench's overhead of a check) runs when none is named
DEFAULT_WITNESSES: tuple[str, ...] = tuple(name for name, row in REGISTRY.items() if row.default_witness)


def get(name: str) -> Framework:
    """The registry row of ``name``; unknown names raise with the valid ones."""
    if name not in REGISTRY:
        raise ValueError(f"unknown framework {name!r}; valid names: {', '.join(FRAMEWORKS)}")
    return REGISTRY[name]


def family(name: str) -> tuple[Framework, ...]:
    """The rows of parameter-layout family ``name`` ("keras": keras, keras-jax, keras-torch), in registry order;
    an unknown family raises with the valid ones."""
    rows = tuple(row for row in REGISTRY.values() if row.family == name)
    if not rows:
        valid = ", ".join(dict.fromkeys(row.family for row in REGISTRY.values()))
        raise ValueError(f"unknown framework family {name!r}; valid families: {valid}")
    return rows


def absence(name: str, case: Case, key) -> str | None:
    """Why ``name`` legitimately lacks quantity ``key`` of ``case`` (its row's declared absences), or None."""
    return next((a.reason for a in get(name).absent if a.covers(case, key)), None)


def framework_applies(case: Case, name: str) -> bool:
    """Whether ``name`` can run ``case`` at all (torch-logits needs a sigmoid BCE output, optax's cross-entropies
    take logits); see each row's ``applies_text``."""
    return get(name).applies(case)


def in_process(name: str) -> bool:
    """Whether the main process can run ``name`` itself (it runs Keras on TensorFlow); the others run in a
    ``parity.worker`` process, which answers whole runs, not a stream of training steps."""
    return get(name).keras_backend in (None, "tensorflow")


def check_names(names) -> list[str]:
    """``names`` as a list, each checked against the registry."""
    return [get(name).name for name in names]


def lookup(table: dict, name: str, what: str, framework: str):
    """``table[name]`` from an adapter's COVERAGE: an unknown name, or one the framework declares it does not
    implement, raises with the valid names or the reason."""
    if name not in table:
        raise ValueError(f"{framework} has no {what} {name!r}; valid names: {', '.join(sorted(table))}")
    entry = table[name]
    if isinstance(entry, NotApplicable):
        raise ValueError(f"{framework} does not implement the {what} {name!r}: {entry.reason}")
    return entry


@dataclass(frozen=True)
class Optimizer:
    """One framework's optimizer for a reference optimizer record (``reference.optimizers.OPTIMIZERS``): how it is
    built from a case, and where it keeps each of the record's state slots, so the adapter loads and reads the
    state from this row alone. ``tests/test_registry.py`` checks ``state``'s keys against the record's ``slots``.

    ``state``: the record's slot ("v", "s") -> the framework's name for it (torch's ``optimizer.state[p]`` key,
    the Keras optimizer's attribute listing one variable per parameter, optax's state field);
    ``holder``: optax's state class that holds those fields (``ScaleByAdamState``), found wherever a chain nests it;
    ``counter``: torch's per-parameter count of updates taken (``"step"``), set on load where torch keeps one;
    ``velocity``: the slots hold Keras's velocity, -lr times the reference's buffer (``parity.layout``);
    ``decoupled``: where the framework builds decoupled weight decay as another object (optax's ``adamw``, or a
    chain), that builder, ``decoupled(module, case, mask)``."""

    build: Callable
    decoupled: Callable | None = None
    state: dict = field(default_factory=dict)
    holder: str | None = None
    counter: str | None = None
    velocity: bool = False


def split_activation(name: str) -> tuple[str, float | None]:
    """("leaky_relu", 0.2) for "leaky_relu(0.2)"; (name, None) for a bare registry name."""
    if name.startswith("leaky_relu("):
        return "leaky_relu", float(name[len("leaky_relu("):-1])
    return name, None
