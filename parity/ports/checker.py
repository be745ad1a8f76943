"""``python -m parity check model.py`` for a framework model: read it, run it step by step with the user's own
objects from the reference's state, compare every quantity, and say where it first diverges and why.

    your model's weights -> the reference's free run (textbook) -> starts[s]
    starts[s] -> your objects take step s (your training step, or the textbook loop) -> every quantity recorded
    compare (parity.compare, the error model of parity.error_scale, the conventions of the framework's registry
    row) -> the first divergence -> its cause (parity.ports.diagnoses): a bug named where it was built, or a
    documented convention with the setting that removes it
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parity import conventions, frameworks
from parity.case import Case
from parity.compare import Result, compare, first_divergence, verdict
from parity.conventions import TEXTBOOK
from parity.harness import reference_trace, runtime_defaults
from parity.learner.source import LearnerError, Skipped
from parity.ports import diagnoses, keras_model, loading, torch_model
from parity.ports.diagnoses import PortError, Suspect
from parity.trace import Key

WITNESS = "your model"  # the name the comparisons carry (not a registry row: nothing is declared missing for it)
READERS = {"torch": torch_model, "keras": keras_model}  # a framework's reader: read(source, ...), run(port, ...)


def _seed(framework: str) -> None:
    """Seed what draws a file's initial weights, so an unseeded file is checked the same way each time: torch's
    generator; for Keras, Python's and NumPy's global generators (Keras draws its default seeds from Python's
    ``random``), without importing Keras before the file chooses its backend."""
    import random


    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the global generator is what an unseeded file's helpers draw from
    if framework == "torch":
        torch_model._torch().manual_seed(0)


@dataclass
class PortCheck:
    path: Path
    framework: str  # the registry row whose conventions applied
    summary: str  # the model in one line, as read
    case: Case
    names: dict  # role -> the user's name for it ("step": None for the textbook loop)
    results: list[Result]
    first: Result | None
    causes: list[Suspect] = field(default_factory=list)  # what explains the first divergence
    suspects: list[Suspect] = field(default_factory=list)  # bugs found that the first divergence is not (yet) at
    conventions: list[dict] = field(default_factory=list)  # the conventions met: id, title, remedy, counts, sizes
    absent: dict = field(default_factory=dict)  # quantity -> why the user's model does not compute it
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the framework warned about, while the model ran

    @property
    def verdict(self) -> str:
        """The worst status of its results (``compare.verdict``, as a grid case's framework): an uninformative
        comparison is no pass here either."""
        return verdict(self.results)

    @property
    def passed(self) -> bool:
        return self.verdict in ("pass", "explained")

    def counts(self) -> dict:
        return dict(Counter(r.status for r in self.results))


def load(path, names: dict | None = None):
    """(source, port, reader): the file loaded (``loading``) and its model read by its framework's reader."""
    path = Path(path)
    framework = loading.framework_of(path)
    if framework not in READERS:
        raise PortError(f"{path.name}: the checker reads PyTorch and Keras models (a file that imports torch or "
                        f"keras); no framework import found")
    reader = READERS[framework]
    _seed(framework)
    with reader.loading():  # as in a fresh process running the file (Keras's floatx float32)
        try:
            source = loading.load_model_file(path)
        except LearnerError as error:
            raise PortError(str(error)) from None
        with source.importable():
            return source, reader.read(source, path.name, names), reader


def check(path, *, steps: int = 3, m: int = 8, names: dict | None = None,
          timeout: float = torch_model.STEP_TIMEOUT) -> PortCheck:
    """Check the framework model in ``path`` (see the module docstring); ``names``: the user's variable names for
    {"model", "loss", "optimizer", "step"} where they cannot be found by kind and name."""
    return judge(Path(path), *load(path, names), steps=steps, m=m, timeout=timeout)


def judge(path: Path, source, port, reader, steps: int = 3, m: int = 8,
          timeout: float = torch_model.STEP_TIMEOUT) -> PortCheck:
    """Run a read model against the reference from its own weights and judge every quantity."""
    hyper = dict(port.hyper)
    if "l2_per_sample" in hyper:  # a penalty per sample (wd W in each gradient, l2 W^2 in Keras's loss): lambd / m
        hyper["lambd"] = hyper.pop("l2_per_sample") * m
    case = Case(f"port-{path.stem}", port.layer_dims, tuple(port.activations), port.loss,
                optimizer=port.optimizer_name, learning_rate=port.learning_rate, dtype=port.dtype, steps=steps, m=m,
                keep_prob=getattr(port, "keep_prob", 1.0), **hyper)
    with source.importable(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # the framework's warnings about the user's model are findings, said once
        textbook, textbook_E = reference_trace(case, TEXTBOOK, params=port.params())
        actual = reader.run(port, case, textbook.starts, source, path.name, timeout)
    variant = conventions.variant_for(case, port.framework, runtime_defaults(port.framework))
    variant_trace = variant_E = None
    if variant.conventions:
        variant_trace, variant_E = reference_trace(case, variant, textbook.starts)
    absent = {f"{q}[{case.L}]": why for q, why in port.absent.items()}
    results = compare(case, WITNESS, actual, textbook, textbook_E, variant, variant_trace, variant_E,
                      absence=functools.partial(_absence, case, port, absent))
    first = first_divergence(results)
    suspects = port.suspects + _dynamic_suspects(port, source, case, actual, textbook, first)
    causes = [s for s in suspects if s.explains(first)]
    return PortCheck(path, port.framework, _summary(port), case, dict(port.names), results, first, causes,
                     [s for s in suspects if s not in causes], _conventions_met(results), absent,
                     list(source.skipped),
                     list(dict.fromkeys(str(w.message).strip().splitlines()[0] for w in caught
                                        if issubclass(w.category, UserWarning))))


def _absence(case: Case, port, absent: dict, key: Key) -> str | None:
    """Why the user's model lacks ``key``: its own declaration (``port.absent``: a logits loss leaves no A[L]), or
    its framework's registry row's (Keras on TensorFlow has no dA[L] under a cross-entropy), added to ``absent``
    to be listed; None where nothing declares it, which makes it a missing result: a quantity nobody computed is
    no pass."""
    if key.layer == case.L and key.quantity in port.absent:
        return port.absent[key.quantity]
    reason = frameworks.absence(port.framework, case, key)
    if reason is not None:
        absent.setdefault(f"{key.quantity}[{key.layer}]" if key.layer is not None else key.quantity, reason)
    return reason


def _step_line(port) -> str:
    """"line N" of the user's training step (in a notebook "cell C, line N"), "" where it cannot be told."""
    if port.step is None:
        return ""
    try:
        line = inspect.getsourcelines(port.step)[1]
    except (OSError, TypeError):
        return ""
    cell = re.search(r"\(cell (\d+)\)$", port.step.__code__.co_filename)
    return f"cell {cell.group(1)}, line {line}" if cell else f"line {line}"


def _dynamic_suspects(port, source, case: Case, actual, textbook, first: Result | None) -> list[Suspect]:
    """Bugs read from the numbers at the first divergence: gradients summed over steps (no ``zero_grad()``),
    parameters that never moved (no ``optimizer.step()``)."""
    if first is None or port.step is None:
        return []
    function, line = port.names["step"], _step_line(port)
    where = source.path.name
    if first.quantity in ("dW", "db") and first.step >= 1:
        key = Key(first.step, first.stage, first.layer, first.quantity)
        previous = Key(first.step - 1, first.stage, first.layer, first.quantity)
        if diagnoses.accumulated_gradients(actual, textbook, key, previous, case.dtype):
            return [diagnoses.suspect("zero_grad_missing", where, line, step=first.step, previous=first.step - 1,
                                      function=function)]
    if first.stage == "update" and first.quantity in ("W", "b"):
        key = Key(first.step, first.stage, first.layer, first.quantity)
        name = f"{first.quantity}{first.layer}"
        start = textbook.starts[first.step].params.get(name)
        if start is not None and key in actual.values and (actual.values[key] == start).all():
            return [diagnoses.suspect("step_never_called", where, line, function=function)]
    return []


def _conventions_met(results: list[Result]) -> list[dict]:
    met: dict[str, dict] = {}
    for r in results:
        if r.status != "explained":
            continue
        for id_ in r.conventions:
            entry = met.setdefault(id_, {"id": id_, "title": conventions.get(id_).title,
                                         "remedy": conventions.get(id_).remedy, "quantities": 0,
                                         "worst_predicted": 0.0, "worst_measured": 0.0})
            entry["quantities"] += 1
            entry["worst_predicted"] = max(entry["worst_predicted"], r.predicted_max_abs or 0.0)
            entry["worst_measured"] = max(entry["worst_measured"], r.max_abs)
    return list(met.values())


def _summary(port) -> str:
    model = port.model
    if port.framework.startswith("torch"):
        torch = torch_model._torch()
        kind = "nn.Sequential" if isinstance(model, torch.nn.Sequential) else f"nn.Module {type(model).__name__}"
    else:
        kind = f"Keras {type(model).__name__} on {keras_model._keras().backend.backend()}"
    sizes = "-".join(str(n) for n in port.layer_dims)
    hyper = ", ".join(f"{k}={v:g}" for k, v in {"lr": port.learning_rate, **port.hyper}.items())
    if getattr(port, "keep_prob", 1.0) < 1:
        hyper += f"; dropout keep_prob {port.keep_prob:g} on the hidden layers, the shared masks in nn.Dropout's form"
    return (f"{kind} {port.names['model']!r}, {sizes} ({', '.join(port.activations)}), "
            f"{type(port.loss_fn).__name__}, {type(port.optimizer).__name__} ({port.optimizer_name}: {hyper}), "
            f"{port.dtype}")
