"""``python -m parity check my_network.py``: a learner's own network checked against the reference, quantity
by quantity, from identical weights, with a diagnosis of the first quantity that goes wrong.

The learner's module declares, in the course's style (samples as columns, params keyed W1, b1, ...):

    LAYERS = [784, 10, 10]                    # n_x, n[1], ..., n[L]
    ACTIVATIONS = ["relu", "softmax"]         # one per layer
    LOSS = "categorical_crossentropy"         # or "binary_crossentropy", "mse"
    def forward_prop(params, X): ...          # -> cache with keys Z1, A1, ..., ZL, AL (or A<L>)
    def backward_prop(params, cache, X, Y): ... # -> grads with dW1, db1, ... (optionally dZl, dAl)
    def update_params(params, grads, learning_rate): ...  # -> new params
    def compute_cost(AL, Y): ...              # optional -> J

The checker supplies the weights (unit 1 of layer 1 starts with Z exactly 0, so ReLU'(0) matters) and the
data (Y one-hot for categorical losses), runs a few gradient-descent steps, and compares every quantity with
the reference, which it also certifies against PyTorch and Keras on the same network. The learner's functions
receive copies, so changing arguments in place cannot spoil the comparison.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import reference
from parity.case import Case, batch
from parity.compare import Result, compare, first_divergence, measure
from parity.conventions import TEXTBOOK
from parity.harness import reference_trace
from parity.tolerance import parity_ulps
from parity.trace import Key, Trace

REQUIRED = ("LAYERS", "ACTIVATIONS", "LOSS", "forward_prop", "backward_prop", "update_params")


class LearnerError(ValueError):
    """The learner's module cannot be checked as it is (missing names, an exception, wrong keys)."""


@dataclass
class Diagnosis:
    mistake: str
    explanation: str
    fix: str


@dataclass
class CheckResult:
    module: str
    case: Case
    results: list[Result]
    first: Result | None
    diagnosis: Diagnosis | None
    certification: dict[str, str]  # framework -> "pass" / "explained" / "fail" / "skipped: reason"

    @property
    def passed(self) -> bool:
        return self.first is None


def load_learner(path) -> object:
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"no such file: {str(path)!r}")
    spec = importlib.util.spec_from_file_location(f"learner_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # as when the file is run as a script: its neighbours can be imported
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise LearnerError(f"{path.name} line {error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # the learner's own import-time code failed
        raise LearnerError(f"importing {path.name} raised {_where(error, path)}") from None
    finally:
        sys.path.remove(folder)
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise LearnerError(f"{path.name} does not define {', '.join(missing)}; a module to check defines "
                           f"{', '.join(REQUIRED)} (and optionally compute_cost)")
    for name in ("forward_prop", "backward_prop", "update_params"):
        if not callable(getattr(module, name)):
            raise LearnerError(f"{path.name}: {name} must be a function")
    return module


def _where(error: BaseException, path: Path) -> str:
    """``ValueError: message (my_network.py line 12: the line)``, pointing into the learner's file."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    place = f" ({path.name} line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(error).__name__}: {error}{place}"


def learner_case(module, path: Path, learning_rate: float, steps: int, m: int) -> Case:
    layers, activations, loss = module.LAYERS, module.ACTIVATIONS, module.LOSS
    if not isinstance(layers, (list, tuple)) or len(layers) < 2 or not all(
            isinstance(n, int) and n > 0 for n in layers):
        raise LearnerError(f"{path.name}: LAYERS must be a list of at least 2 positive integers, got {layers!r}")
    if not isinstance(activations, (list, tuple)) or len(activations) != len(layers) - 1:
        raise LearnerError(f"{path.name}: ACTIVATIONS must name one activation per layer ({len(layers) - 1} for "
                           f"LAYERS {list(layers)}), got {activations!r}")
    try:
        return Case(f"check-{path.stem}", tuple(layers), tuple(activations), loss, learning_rate=learning_rate,
                    steps=steps, m=m, edge="zero_preactivation", init="he")
    except ValueError as error:
        raise LearnerError(f"{path.name}: {error}") from None


def _call(path: Path, name: str, function, *args):
    """The learner's function on copies of the arguments. Its numpy warnings (log 0 in a broken softmax, say)
    are silenced: their consequences show up in the comparison, where they are located and explained."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*copy.deepcopy(args))
    except Exception as error:  # the learner's code failed: say where, in their file
        raise LearnerError(f"{name} raised {_where(error, path)}") from None


def _as_array(path: Path, where: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise LearnerError(f"{path.name}: {where} is not an array of numbers ({type(value).__name__})") from None


def _get(path: Path, mapping, key: str, what: str, alternatives=()):
    if not isinstance(mapping, dict):
        raise LearnerError(f"{path.name}: {what} must return a dict, got {type(mapping).__name__}")
    for candidate in (key, *alternatives):
        if candidate in mapping:
            return _as_array(path, f"{what}[{candidate!r}]", mapping[candidate])
    raise LearnerError(f"{path.name}: {what} returned no {key!r}"
                       + (f" (or {', '.join(map(repr, alternatives))})" if alternatives else "")
                       + f"; its keys are {sorted(mapping)}")


def learner_trace(module, path: Path, case: Case, starts) -> Trace:
    """The learner's functions run step-locally: step s from ``starts[s]``, the reference's parameters after step
    s - 1, so a mistake that shows only late is named at the step where it starts."""
    X, Y = batch(case)
    L = case.L
    trace = Trace("learner", X=X, Y=Y, starts=list(starts))
    for s in range(case.steps):
        params = {name: value.copy() for name, value in starts[s].params.items()}  # the learner may write in place
        cache = _call(path, "forward_prop", module.forward_prop, params, X)
        for l in range(1, L + 1):
            trace.record(s, "forward", l, "Z", _get(path, cache, f"Z{l}", "forward_prop"))
            trace.record(s, "forward", l, "A", _get(path, cache, f"A{l}", "forward_prop", ("AL",) if l == L else ()))
        AL = trace.values[Key(s, "forward", L, "A")]
        if callable(getattr(module, "compute_cost", None)):
            J = _call(path, "compute_cost", module.compute_cost, AL, Y)
            trace.record(s, "cost", None, "J", _as_array(path, "compute_cost's result", J).reshape(()))
        grads = _call(path, "backward_prop", module.backward_prop, params, cache, X, Y)
        for l in range(L, 0, -1):
            for q in ("dA", "dZ"):
                if isinstance(grads, dict) and f"{q}{l}" in grads:
                    trace.record(s, "backward", l, q, _as_array(path, f"grads['{q}{l}']", grads[f"{q}{l}"]))
            for q in ("dW", "db"):
                trace.record(s, "backward", l, q, _get(path, grads, f"{q}{l}", "backward_prop"))
        new = _call(path, "update_params", module.update_params, params, grads, case.learning_rate)
        for l in range(1, L + 1):
            for q in ("W", "b"):
                trace.record(s, "update", l, q, _get(path, new, f"{q}{l}", "update_params"))
    return trace


# ---------------------------------------------------------------------------------------------------------------
# The catalogue of classic mistakes, each recognised by its fingerprint: the value the learner's quantity takes
# when that mistake is made on otherwise correct inputs (the reference's, which agree up to this point).

MISTAKES = {
    "db_all_axes": Diagnosis(
        "db summed over all axes instead of per unit",
        "db[l] should hold one number per unit, the mean of that unit's dZ over the samples; summing every element "
        "of dZ gives all units the same total.",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)"),
    "missing_one_over_m": Diagnosis(
        "1/m missing",
        "The cost is a mean over the m samples, so its gradient carries a factor 1/m: your value is m times too large.",
        "dW = (1/m) * dZ @ A_prev.T  and  db = (1/m) * np.sum(dZ, axis=1, keepdims=True)"),
    "one_over_m_twice": Diagnosis(
        "1/m applied twice",
        "Your value is m times too small: the 1/m is applied once in dZ (or dA) and again in dW/db. In the course's "
        "convention dZ is per example and the 1/m appears only in dW and db.",
        "keep dZ = dA * g'(Z) (or A - Y at the output) without 1/m; put 1/m only in dW and db"),
    "missing_transpose": Diagnosis(
        "missing transpose of W in the backward pass",
        "The gradient flowing to the previous layer is W[l]^T dZ[l]; with W[l] instead of its transpose the shapes "
        "only fit when W[l] is square, so the mistake can be silent.",
        "dA_prev = W.T @ dZ"),
    "dW_transposed": Diagnosis(
        "dW transposed",
        "dW[l] must have W[l]'s shape (n[l], n[l-1]): it is dZ[l] A[l-1]^T / m, not A[l-1] dZ[l]^T / m.",
        "dW = (1/m) * dZ @ A_prev.T"),
    "relu_prime_at_zero": Diagnosis(
        "ReLU'(0) taken as 1",
        "At Z exactly 0 the ReLU derivative is taken as 0 by PyTorch, TensorFlow and JAX; (Z >= 0) passes the "
        "gradient through units sitting exactly at 0 (the checker makes one such unit on purpose).",
        "dZ = dA * (Z > 0)"),
    "tanh_prime_of_Z": Diagnosis(
        "tanh' applied to Z instead of A",
        "tanh'(z) = 1 - tanh(z)^2 = 1 - A^2; 1 - Z^2 is a different function.",
        "dZ = dA * (1 - A**2)  with A = np.tanh(Z)"),
    "sigmoid_prime_of_Z": Diagnosis(
        "sigmoid' applied to Z instead of A",
        "sigmoid'(z) = A (1 - A) with A = sigmoid(z); Z (1 - Z) is a different function.",
        "dZ = dA * A * (1 - A)  with A = sigmoid(Z)"),
    "softmax_wrong_axis": Diagnosis(
        "softmax over the wrong axis",
        "With samples as columns, each column is one sample's class scores: softmax must normalise over axis 0 "
        "(the classes), not axis 1 (the samples).",
        "A = np.exp(Z - Z.max(axis=0)) / np.sum(np.exp(Z - Z.max(axis=0)), axis=0)"),
    "wrong_sign": Diagnosis(
        "learning rate applied with the wrong sign",
        "Gradient descent steps against the gradient: your update adds learning_rate * dW and climbs the cost.",
        "W = W - learning_rate * dW  and  b = b - learning_rate * db"),
}


def _params_before(case: Case, textbook: Trace, step: int) -> dict:
    return textbook.starts[step].params


def _dZ_candidates(case: Case, textbook: Trace, step: int, l: int) -> dict[str, np.ndarray]:
    """Per-example dZ[l] as each mistake would compute it from correct inputs."""
    v = textbook.values
    Z, dZ = v[Key(step, "forward", l, "Z")], v[Key(step, "backward", l, "dZ")]
    out = {"one_over_m_twice": dZ / case.m}
    if l == case.L:
        return out
    dA = v[Key(step, "backward", l, "dA")]
    name = reference.get_activation(case.activations[l - 1]).name
    if name == "relu":
        out["relu_prime_at_zero"] = np.where(Z >= 0, dA, 0.0)
    elif name == "tanh":
        out["tanh_prime_of_Z"] = dA * (1 - Z * Z)
    elif name == "sigmoid":
        out["sigmoid_prime_of_Z"] = dA * Z * (1 - Z)
    W_next = _params_before(case, textbook, step)[f"W{l + 1}"]
    if W_next.shape[0] == W_next.shape[1]:
        g = reference.get_activation(case.activations[l - 1])
        out["missing_transpose"] = g.backward(W_next @ v[Key(step, "backward", l + 1, "dZ")], Z)
    return out


def _candidates(case: Case, textbook: Trace, key: Key) -> dict[str, np.ndarray]:
    """What the learner's ``key`` would be under each mistake that can show first there."""
    v, s, l, m = textbook.values, key.step, key.layer, case.m
    if key.stage == "forward":
        if key.quantity == "A" and reference.get_activation(case.activations[l - 1]).name == "softmax":
            Z = v[Key(s, "forward", l, "Z")]
            e = np.exp(Z - Z.max(axis=1, keepdims=True))
            return {"softmax_wrong_axis": e / e.sum(axis=1, keepdims=True)}
        return {}
    if key.stage == "update":
        before = _params_before(case, textbook, s)[f"{key.quantity}{l}"]
        return {"wrong_sign": before + case.learning_rate * v[Key(s, "backward", l, f"d{key.quantity}")]}
    if key.stage != "backward":
        return {}
    A_prev = v[Key(s, "forward", l - 1, "A")] if l > 1 else batch(case)[0]
    reference_value = v[key]
    out = {}
    if key.quantity in ("dW", "db"):
        out["missing_one_over_m"] = reference_value * m
        out["one_over_m_twice"] = reference_value / m
    if key.quantity == "dW":
        out["dW_transposed"] = reference_value.T
    if key.quantity == "db":
        dZ = v[Key(s, "backward", l, "dZ")]
        out["db_all_axes"] = np.full_like(reference_value, dZ.sum() / m)
    for mistake, dZ in _dZ_candidates(case, textbook, s, l).items():
        derived = {"dZ": dZ, "dW": dZ @ A_prev.T / m, "db": dZ.sum(axis=1, keepdims=True) / m}
        if key.quantity in derived:
            out.setdefault(mistake, derived[key.quantity])
    if key.quantity == "dA" and l < case.L:
        W_next = _params_before(case, textbook, s)[f"W{l + 1}"]
        if W_next.shape[0] == W_next.shape[1]:
            out["missing_transpose"] = W_next @ v[Key(s, "backward", l + 1, "dZ")]
    return out


def diagnose(case: Case, textbook: Trace, textbook_E: dict, learner: Trace, first: Result) -> Diagnosis | None:
    """The mistake whose fingerprint the learner's first diverging quantity matches, if any."""
    key = first.key
    actual = np.asarray(learner.values[key], dtype=np.float64)
    budget = parity_ulps(case.dtype)
    for mistake, candidate in _candidates(case, textbook, key).items():
        shaped = actual
        if actual.shape != candidate.shape and actual.size == 1:
            shaped = np.full(candidate.shape, actual.item())  # e.g. db as one number: np.sum(dZ) / m
        # one error scale for the whole quantity: candidates differ from the truth by factors like m or a sign
        scale = np.full(candidate.shape, float(np.max(textbook_E[key])))
        if measure(shaped, candidate, scale, case.dtype).ulps <= budget:
            return MISTAKES[mistake]
    return None


def check(path, learning_rate: float = 0.1, steps: int = 3, m: int = 32, frameworks=("torch", "keras")) -> CheckResult:
    path = Path(path)
    module = load_learner(path)
    case = learner_case(module, path, learning_rate, steps, m)
    textbook, textbook_E = reference_trace(case, TEXTBOOK)
    learner = learner_trace(module, path, case, textbook.starts)
    results = compare(case, "learner", learner, textbook, textbook_E, TEXTBOOK)
    first = first_divergence(results)
    diagnosis = diagnose(case, textbook, textbook_E, learner, first) if first else None
    certification = {}
    if frameworks:
        from parity.harness import run_case

        outcome = run_case(case, list(frameworks), drift=False)
        for framework in frameworks:
            if framework in outcome.skipped:
                certification[framework] = f"skipped: {outcome.skipped[framework]}"
            else:
                certification[framework] = outcome.verdict(framework)
    return CheckResult(str(path), case, results, first, diagnosis, certification)


def describe_quantity(result: Result) -> str:
    """``db2 at step 0`` in the learner's key names."""
    name = result.quantity if result.layer is None else f"{result.quantity}{result.layer}"
    return f"{name} at step {result.step}"


def human(outcome: CheckResult) -> str:
    case = outcome.case
    lines = [f"Checking {outcome.module}: {'-'.join(map(str, case.layer_dims))} network "
             f"({', '.join(case.activations)}), {case.loss}, {case.steps} steps of gradient descent "
             f"(learning rate {case.learning_rate}), m = {case.m}, float64, from the checker's weights."]
    if outcome.certification:
        shown = ", ".join(f"{fw}: {status}" for fw, status in outcome.certification.items())
        lines.append(f"The reference itself, on this network, against the frameworks: {shown}.")
    compared = len(outcome.results)
    if outcome.passed:
        lines.append(f"PASS: all {compared} quantities match the reference at every step "
                     f"(worst {max((r.ulps for r in outcome.results), default=0):.3g} ulps of the error scale).")
        return "\n".join(lines)
    first = outcome.first
    lines.append(f"FAIL: first divergence: {describe_quantity(first)} ({first.stage}, layer {first.layer})"
                 if first.layer is not None else f"FAIL: first divergence: {describe_quantity(first)}")
    if first.note:
        lines.append(f"  {first.note}")
    else:
        lines.append(f"  max abs error {first.max_abs:.3g} at index {tuple(first.worst_index)}, max rel "
                     f"{first.max_rel:.3g} ({first.ulps:.3g} ulps of the error scale; tolerance "
                     f"{first.budget_ulps:g})")
    if outcome.diagnosis:
        d = outcome.diagnosis
        lines += [f"  diagnosis: {d.mistake}. {d.explanation}", f"  fix: {d.fix}"]
    else:
        lines.append("  no known mistake matches this difference; compare your formula for this quantity with the "
                     "equation in the README")
    later = [r for r in outcome.results if r.status == "fail" and r is not first]
    if later:
        lines.append(f"  {len(later)} later quantities differ too, as they would once this one is wrong.")
    return "\n".join(lines)


def as_json(outcome: CheckResult) -> dict:
    first = None
    if outcome.first:
        r = outcome.first
        first = {"step": r.step, "stage": r.stage, "layer": r.layer, "quantity": r.quantity,
                 "name": describe_quantity(r), "max_abs": r.max_abs, "max_rel": r.max_rel,
                 "ulps": r.ulps, "note": r.note,
                 "diagnosis": None if outcome.diagnosis is None else {
                     "mistake": outcome.diagnosis.mistake, "explanation": outcome.diagnosis.explanation,
                     "fix": outcome.diagnosis.fix}}
    from parity.report.document import json_safe

    return json_safe({"schema": "nn-parity/check/v1", "module": outcome.module, "passed": outcome.passed,
                    "network": {"layers": list(outcome.case.layer_dims),
                                "activations": list(outcome.case.activations), "loss": outcome.case.loss,
                                "steps": outcome.case.steps, "m": outcome.case.m,
                                "learning_rate": outcome.case.learning_rate},
                    "comparisons": len(outcome.results), "reference_vs_frameworks": outcome.certification,
                    "first_divergence": first})


def run(args) -> int:
    import json

    outcome = check(args.module, args.learning_rate, args.steps, args.m,
                    () if args.frameworks == ["none"] else tuple(args.frameworks))
    if args.format == "json":
        print(json.dumps(as_json(outcome), indent=1, allow_nan=False))
    else:
        print(human(outcome))
    sys.stdout.flush()
    return 0 if outcome.passed else 1
