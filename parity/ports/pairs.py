"""A port check: two framework models of the same network (``parity check torch_model.py keras_model.py``).

Both start from the same weights (the first model's; the second's are set to them where they differ, and the
check says so) and each is judged against the reference of what it was read to be (``checker.judge``). Every
difference between the two is then attributed:

    a setting       the two were read with different architectures or hyper-parameters (``settings``): a leaky
                    ReLU slope or an epsilon each framework defaults differently, a learning rate typed twice
    a convention    a quantity one side computes by its framework's documented formula (explained) where the other
                    agrees with the textbook: the convention's id, its remedy
    a bug           a quantity one side gets wrong (fail): its named cause, or "unexplained"

so that the port is faithful when both pass (conventions allowed, each named) and nothing differs in settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parity.conventions import with_defaults
from parity.frameworks import REGISTRY
from parity.harness import runtime_defaults
from parity.ports import checker, render
from parity.ports.diagnoses import PortError
from parity.tolerance import PORT_SETTING_RTOL

# The settings of a read model that a port must carry over, as Case fields, and why each may differ
FIELDS = ("layer_dims", "activations", "loss", "optimizer", "learning_rate", "beta", "beta1", "beta2", "epsilon",
          "lambd", "weight_decay", "keep_prob", "dtype")
_DECAY = ("coupled weight decay (wd W added to the gradient: torch's SGD, Adam and RMSprop weight_decay, Keras's "
          "kernel_regularizer L2) against decoupled (W <- W - lr wd W beside the step: torch's AdamW, Keras's "
          "optimizers' weight_decay): the same map for plain SGD, a different update for Adam and RMSprop")
DEFAULTS = {  # what a framework gives a setting nobody typed, for the attribution of a difference: each library's
    # value as installed ({torch[...]}: ``runtime_defaults``, filled in by ``conventions.with_defaults``)
    "leaky_relu": "leaky ReLU's default slope differs between frameworks (leaky-relu-default-slope): torch's "
                  "nn.LeakyReLU {torch[leaky_relu_slope]}, Keras's LeakyReLU layer {keras[leaky_relu_slope]}, its "
                  "leaky_relu activation 0.2; give it explicitly",
    "epsilon": "the optimizers' default epsilon differs: torch {torch[adam_epsilon]} (Adam; RMSprop "
               "{torch[rmsprop_epsilon]}), Keras {keras[adam_epsilon]} (RMSprop {keras[rmsprop_epsilon]}); give it "
               "explicitly (and for Adam, Keras's epsilon is epsilon-hat: keras-adam-epsilon-hat)",
    "beta2": "RMSprop's decay defaults differ: torch's alpha {torch[rmsprop_alpha]}, Keras's rho "
             "{keras[rmsprop_rho]}; give it explicitly",
    "lambd": _DECAY,
    "weight_decay": _DECAY,
    "learning_rate": "the learning rates differ (Keras holds its rate as a float32: a rounding of at most 6e-8 "
                     "relative is the keras-float32-hyperparameters convention, anything larger was typed differently)",
}


@dataclass
class PairCheck:
    first: checker.PortCheck
    second: checker.PortCheck
    copied: bool  # the second model's weights were set to the first's
    initializers: tuple[str, str] = ("", "")  # how each drew its weights, where they started apart
    settings: list[dict] = field(default_factory=list)  # {setting, first, second, why}
    attribution: dict = field(default_factory=dict)  # "convention of <side>: <id>" / "bug of <side>: <id>" -> n

    @property
    def faithful(self) -> bool:
        return self.first.passed and self.second.passed and not self.settings


def _float32_rounding(a, b) -> bool:
    """Whether two float settings are one value, one side holding it as a float32 (``PORT_SETTING_RTOL``)."""
    return isinstance(a, float) and isinstance(b, float) and a != 0 and abs(a - b) <= PORT_SETTING_RTOL * abs(a)


def settings(first, second, defaults: dict) -> list[dict]:
    """The differences between the two cases' settings, each with why it may differ; ``defaults``: {family:
    runtime defaults} of the two sides' frameworks."""
    out = []
    for name in FIELDS:
        a, b = getattr(first, name), getattr(second, name)
        if a == b or _float32_rounding(a, b):
            continue
        why = DEFAULTS.get(name, "the two models were written with different settings: a port bug unless intended")
        if name == "activations":
            layers = [l for l, (x, y) in enumerate(zip(a, b, strict=True), 1) if x != y]
            leaky = all(str(a[l - 1]).startswith("leaky_relu") and str(b[l - 1]).startswith("leaky_relu")
                        for l in layers)
            why = DEFAULTS["leaky_relu"] if leaky else why
        out.append({"setting": name, "first": a, "second": b, "why": with_defaults(why, defaults)})
    return out


def _attribute(side: str, outcome: checker.PortCheck, counts: dict) -> None:
    causes = [s.bug.id for s in outcome.causes] or ["unexplained"]
    for r in outcome.results:
        if r.status == "explained":
            for id_ in r.conventions:
                key = f"convention of {side}: {id_}"
                counts[key] = counts.get(key, 0) + 1
        elif r.status in ("fail", "missing"):
            key = f"bug of {side}: {', '.join(causes)}"
            counts[key] = counts.get(key, 0) + 1


def check_pair(first_path, second_path, *, steps: int = 3, m: int = 8, names: dict | None = None,
               timeout: float = 60.0) -> PairCheck:
    """Check both models from the first's weights and attribute their differences (see the module docstring)."""
    first_path, second_path = Path(first_path), Path(second_path)
    source_a, port_a, reader_a = checker.load(first_path, names)
    source_b, port_b, reader_b = checker.load(second_path, names)
    if port_a.layer_dims != port_b.layer_dims:
        raise PortError(f"{first_path.name} is {'-'.join(map(str, port_a.layer_dims))} and {second_path.name} "
                        f"{'-'.join(map(str, port_b.layer_dims))}: a port has the same layer sizes")
    params_a, params_b = port_a.params(), port_b.params()
    copied = any(not np.array_equal(params_a[k].astype(np.float64), params_b[k].astype(np.float64)) for k in params_a)
    if copied:
        port_b.set_params(params_a)
    a = checker.judge(first_path, source_a, port_a, reader_a, steps, m, timeout)
    b = checker.judge(second_path, source_b, port_b, reader_b, steps, m, timeout)
    counts: dict = {}
    _attribute(first_path.name, a, counts)
    _attribute(second_path.name, b, counts)
    defaults = {REGISTRY[side.framework].family: runtime_defaults(side.framework) for side in (a, b)}
    return PairCheck(a, b, copied, (port_a.initializer(), port_b.initializer()), settings(a.case, b.case, defaults),
                     counts)


def human(pair: PairCheck) -> str:
    a, b = pair.first, pair.second
    lines = [render.human(a), "", render.human(b), ""]
    start = (f"{b.path.name} was set to {a.path.name}'s initial weights: it started elsewhere, drawn by "
             f"{pair.initializers[1]} where {a.path.name} used {pair.initializers[0]}" if pair.copied
             else "both started from the same weights")
    verdict = "FAITHFUL" if pair.faithful else "DIFFERS"
    lines.append(f"Port {a.path.name} -> {b.path.name}: {verdict} ({start}).")
    for s in pair.settings:
        lines.append(f"  setting: {s['setting']} is {s['first']} in {a.path.name} and {s['second']} in "
                     f"{b.path.name}: {s['why']}.")
    for key, n in sorted(pair.attribution.items()):
        lines.append(f"  {key}: {n} quantities")
    if pair.faithful and not pair.attribution:
        lines.append("  every quantity of both agrees with the reference, so with each other, to rounding")
    return "\n".join(lines)


def as_json(pair: PairCheck) -> dict:
    return {"schema": "nn-parity/check-port/v1", "faithful": pair.faithful, "copied_weights": pair.copied,
            "initializers": list(pair.initializers),
            "settings": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()} for s in pair.settings],
            "attribution": pair.attribution, "first": render.as_json(pair.first),
            "second": render.as_json(pair.second)}
