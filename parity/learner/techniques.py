"""The course's regularisation functions, checked one by one against the reference's own.

The course's second part has the learner write four functions for a 3-layer network (ReLU, ReLU, sigmoid, with
binary cross-entropy), each with a fixed signature; a file that defines any of them gets each checked:

    compute_cost_with_regularization(A3, Y, parameters, lambd)          J + (lambd / 2m) sum ||W[l]||^2
    backward_propagation_with_regularization(X, Y, cache, lambd)        dW[l] gains (lambd / m) W[l]
    forward_propagation_with_dropout(X, parameters, keep_prob)          A[l] = g(Z[l]) * D[l] / keep_prob, l = 1, 2
    backward_propagation_with_dropout(X, Y, cache, keep_prob)           dA[l] = dA[l] * D[l] / keep_prob

with the course's caches: (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3), and with dropout (Z1, D1, A1, W1, b1,
Z2, D2, A2, W2, b2, Z3, A3, W3, b3). The forward pass draws its own masks, so they are read from its cache (the
mask is data: the reference applies the same one); the backward pass is given the reference's masks.

Each function is checked on its own inputs (stage-local: a wrong forward pass never makes the backward pass look
wrong), quantity by quantity in computation order, with the normwise relative error ``TECHNIQUE_NORMWISE``
(reason in ``parity.tolerance``). A wrong quantity is matched against the classic slips (``SLIPS``): the mask not
reapplied in the backward pass, a missing 1/keep_prob, an L2 gradient or cost without its 1/m.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import reference
from parity.compare import measure
from parity.learner.results import LearnerCrash
from parity.tolerance import BINOMIAL_TIE_RTOL, DROPOUT_KEEP_RATE_P, TECHNIQUE_NORMWISE

LAYERS = (4, 5, 3, 1)  # the network every technique is checked on (the course's is 2-20-3-1; any works)
ACTIVATIONS = ("relu", "relu", "sigmoid")
M, LAMBD, KEEP_PROB, SEED = 8, 0.7, 0.8, 3
CACHE = ("Z1", "A1", "W1", "b1", "Z2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")
DROPOUT_CACHE = ("Z1", "D1", "A1", "W1", "b1", "Z2", "D2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")
GRADIENTS = ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")


@dataclass
class Quantity:
    name: str
    error: float  # normwise relative error: max |learner - reference| / max |reference|
    status: str  # "pass" or "fail"
    learner_value: float  # at the largest difference
    reference_value: float


@dataclass
class TechniqueResult:
    function: str
    quantities: list[Quantity] = field(default_factory=list)
    diagnosis: str | None = None  # the slip the first wrong quantity matches, with its fix
    crash: str | None = None

    @property
    def passed(self) -> bool:
        return self.crash is None and all(q.status == "pass" for q in self.quantities)

    @property
    def first(self) -> Quantity | None:
        return next((q for q in self.quantities if q.status == "fail"), None)


def normwise(actual, expected) -> tuple[float, float, float]:
    """(max |a - e| / max |e|, a and e at the largest difference): ``parity.compare.measure``'s max_rel (with a
    unit error scale, its worst element is the largest difference); inf for a wrong shape or a non-finite value."""
    expected = np.asarray(expected, dtype=np.float64)
    m = measure(actual, expected, np.ones_like(expected), "float64")
    if m.shape_error:
        return float("inf"), float("nan"), float("nan")
    at = tuple(m.worst_index)
    return m.max_rel, float(np.asarray(actual, dtype=np.float64)[at]), float(expected[at])


def _inputs():
    rng = np.random.default_rng(SEED)
    params = reference.init_params(list(LAYERS), "he", seed=SEED)
    for l in range(1, len(LAYERS)):
        params[f"b{l}"] = rng.standard_normal(params[f"b{l}"].shape) * 0.1
    X = rng.standard_normal((LAYERS[0], M))
    Y = (rng.random((1, M)) > 0.5).astype(np.float64)
    return params, X, Y


def _forward(params, X, masks=None, slip=None):
    """The course's forward pass in the reference's parts; with ``masks`` {1: D1, 2: D2}, inverted dropout
    (``slip``: one of the classic mistakes, for diagnosis)."""
    values, A = {}, X
    for l, name in enumerate(ACTIVATIONS, start=1):
        A, Z = reference.layer_forward(A, params[f"W{l}"], params[f"b{l}"], name)
        if masks and l in masks:
            values[f"D{l}"] = D = masks[l]
            if slip == "no 1/keep_prob":
                A = A * D
            elif slip == "mask not applied":
                A = A / KEEP_PROB
            else:
                A = reference.dropout_forward(A, D, KEEP_PROB)
        values |= {f"Z{l}": Z, f"A{l}": A, f"W{l}": params[f"W{l}"], f"b{l}": params[f"b{l}"]}
    return values


def _backward(values, X, Y, lambd=0.0, masks=None, slip=None):
    """The course's gradients in the reference's parts (``slip``: one of the classic mistakes, for diagnosis)."""
    m = X.shape[1]
    grads, dZ = {}, values["A3"] - Y  # the fused sigmoid + cross-entropy output gradient, per example
    for l in (3, 2, 1):
        A_prev = X if l == 1 else values[f"A{l - 1}"]
        if l < 3:
            dA = grads[f"dA{l}"]
            if masks and l in masks:
                D = masks[l]
                if slip == "mask not reapplied":
                    dA = dA / KEEP_PROB
                elif slip == "no 1/keep_prob":
                    dA = dA * D
                elif slip != "neither":
                    dA = reference.dropout_backward(dA, D, KEEP_PROB)
                grads[f"dA{l}"] = dA
            dZ = reference.get_activation("relu").backward(dA, values[f"Z{l}"])
        dA_prev, dW, db = reference.linear_backward(dZ, A_prev, values[f"W{l}"] if l > 1 else None)
        term = {"no 1/m": lambd * values[f"W{l}"], "no L2 term": 0.0}.get(slip, lambd / m * values[f"W{l}"])
        grads |= {f"dZ{l}": dZ, f"dW{l}": dW + term, f"db{l}": db}
        if dA_prev is not None:
            grads[f"dA{l - 1}"] = dA_prev
    return grads


def _cost(values, Y, params, lambd, slip=None):
    m = Y.shape[1]
    squares = sum(float(np.sum(np.square(params[f"W{l}"]))) for l in range(1, len(LAYERS)))
    biases = sum(float(np.sum(np.square(params[f"b{l}"]))) for l in range(1, len(LAYERS)))
    term = {"no 1/m": lambd / 2 * squares, "no 1/2": lambd / m * squares, "no L2 term": 0.0,
            "biases in the L2 term": lambd / (2 * m) * (squares + biases)}.get(slip, lambd / (2 * m) * squares)
    return reference.cost(values["A3"], Y, "binary_crossentropy") + term


@dataclass(frozen=True)
class Slip:
    name: str  # the key the reference's own functions take to compute it (``slip=``)
    mistake: str
    fix: str


SLIPS: dict[str, tuple[Slip, ...]] = {
    "compute_cost_with_regularization": (
        Slip("no 1/m", "the L2 term lacks its 1/m: (lambd / 2) sum ||W||^2",
             "L2_regularization_cost = lambd / (2 * m) * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + ...)"),
        Slip("no 1/2", "the L2 term lacks its 1/2: (lambd / m) sum ||W||^2",
             "divide by 2 m: lambd / (2 * m) * (sum of the squared weights)"),
        Slip("no L2 term", "the L2 term is missing: this is the plain cross-entropy",
             "add lambd / (2 * m) * (np.sum(np.square(W1)) + ...) to the cross-entropy cost"),
        Slip("biases in the L2 term", "the biases are in the L2 term", "sum the squares of W1, W2, W3 only"),
    ),
    "backward_propagation_with_regularization": (
        Slip("no 1/m", "the L2 gradient lacks its 1/m: dW gains lambd W instead of (lambd / m) W",
             "dW = 1. / m * np.dot(dZ, A_prev.T) + (lambd / m) * W"),
        Slip("no L2 term", "dW lacks the L2 gradient (lambd / m) W", "add (lambd / m) * W to each dW"),
    ),
    "backward_propagation_with_dropout": (
        Slip("mask not reapplied", "the dropout mask is not reapplied to dA in the backward pass",
             "dA2 = dA2 * D2 (and dA1 = dA1 * D1) before dividing by keep_prob: a dropped unit gets no gradient"),
        Slip("no 1/keep_prob", "dA is not divided by keep_prob in the backward pass",
             "dA2 = dA2 * D2 / keep_prob: the backward pass scales as the forward pass did"),
        Slip("neither", "dropout is left out of the backward pass (no mask, no 1/keep_prob)",
             "dA2 = dA2 * D2 / keep_prob and dA1 = dA1 * D1 / keep_prob"),
    ),
    "forward_propagation_with_dropout": (
        Slip("no 1/keep_prob", "A is not divided by keep_prob after the mask (dropout not inverted)",
             "A1 = A1 * D1 / keep_prob: inverted dropout keeps each activation's expected value"),
        Slip("mask not applied", "the mask is not applied to A (only the 1/keep_prob)", "A1 = A1 * D1 / keep_prob"),
    ),
}


def _judge(result: TechniqueResult, learner: dict, expected: dict, order, variants: dict[str, dict]) -> None:
    for name in order:
        if name not in learner:
            result.crash = f"{result.function} returned no {name!r} (it returned {sorted(learner)})"
            return
        error, got, want = normwise(learner[name], expected[name])
        result.quantities.append(Quantity(name, error, "pass" if error <= TECHNIQUE_NORMWISE else "fail", got, want))
    first = result.first
    if first is None:
        return
    for slip in SLIPS[result.function]:
        variant = variants.get(slip.name)
        if variant is not None and first.name in variant and \
                normwise(learner[first.name], variant[first.name])[0] <= TECHNIQUE_NORMWISE:
            result.diagnosis = f"{slip.mistake}. Fix: {slip.fix}"
            return


def _as_dict(value, names, function: str) -> dict:
    if isinstance(value, dict):
        return value
    value = tuple(value)
    if len(value) != len(names):
        raise ValueError(f"{function}'s cache has {len(value)} entries; the course's has {len(names)}: "
                         f"({', '.join(names)})")
    return dict(zip(names, value, strict=True))


def _check_cost(call, function: Callable, name: str) -> TechniqueResult:
    params, X, Y = _inputs()
    values = _forward(params, X)
    result = TechniqueResult(name)
    J = call("cost", function, values["A3"], Y, params, LAMBD)
    variants = {slip.name: {"J": _cost(values, Y, params, LAMBD, slip.name)} for slip in SLIPS[result.function]}
    _judge(result, {"J": np.asarray(J, dtype=np.float64).reshape(())}, {"J": _cost(values, Y, params, LAMBD)},
           ["J"], variants)
    return result


def _check_l2_backward(call, function: Callable, name: str) -> TechniqueResult:
    params, X, Y = _inputs()
    values = _forward(params, X)
    result = TechniqueResult(name)
    grads = call("backward", function, X, Y, tuple(values[k] for k in CACHE), LAMBD)
    variants = {slip.name: _backward(values, X, Y, LAMBD, slip=slip.name) for slip in SLIPS[result.function]}
    _judge(result, grads, _backward(values, X, Y, LAMBD), GRADIENTS, variants)
    return result


def _masks(shape_from: dict) -> dict:
    return {l: reference.dropout_mask(shape_from[f"A{l}"].shape, KEEP_PROB, seed=SEED + l) for l in (1, 2)}


def _check_dropout_forward(call, function: Callable, name: str) -> TechniqueResult:
    params, X, Y = _inputs()
    result = TechniqueResult(name)
    A3, cache = call("forward", function, X, params, KEEP_PROB)
    learner = _as_dict(cache, DROPOUT_CACHE, result.function) | {"A3": A3}
    masks = {}
    for l in (1, 2):
        D = np.asarray(learner[f"D{l}"])
        if not np.isin(D, (0, 1)).all() or D.shape != (LAYERS[l], M):
            result.crash = (f"{result.function}'s mask D{l} must be 0/1 of shape {(LAYERS[l], M)} (the shape of A{l}), "
                            f"got shape {D.shape}")
            return result
        masks[l] = D.astype(np.float64)
    if _judge_keep_rate(result, masks):
        return result
    variants = {slip.name: _forward(params, X, masks, slip.name) for slip in SLIPS[result.function]}
    _judge(result, learner, _forward(params, X, masks), ["Z1", "A1", "Z2", "A2", "Z3", "A3"], variants)
    return result


def binomial_two_sided(k: int, n: int, p: float) -> float:
    """P(a Binomial(n, p) count at most as likely as k): the exact two-sided test's p-value."""
    pmf = [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(q for q in pmf if q <= pmf[k] * (1 + BINOMIAL_TIE_RTOL)))


def _judge_keep_rate(result: TechniqueResult, masks: dict) -> bool:
    """Whether the masks keep units at a rate no Binomial(n, keep_prob) draw plausibly gives
    (``tolerance.DROPOUT_KEEP_RATE_P``); if so a failed quantity "keep rate" and the fix. The masks are otherwise
    taken as data (the reference applies the same ones), so only their rate can show a wrong comparison."""
    kept = int(sum(D.sum() for D in masks.values()))
    n = sum(D.size for D in masks.values())
    if binomial_two_sided(kept, n, KEEP_PROB) >= DROPOUT_KEEP_RATE_P:
        return False
    rate = kept / n
    result.quantities.append(Quantity("keep rate of D1, D2", abs(rate - KEEP_PROB) / KEEP_PROB, "fail", rate,
                                      KEEP_PROB))
    flipped = abs(rate - (1 - KEEP_PROB)) < abs(rate - KEEP_PROB)
    result.diagnosis = (f"the masks keep {kept} of {n} units ({rate:.0%}) where keep_prob = {KEEP_PROB} keeps "
                        f"{KEEP_PROB:.0%} on average" + (": the comparison is the wrong way round, keeping a unit with "
                                                          "probability 1 - keep_prob" if flipped else "")
                        + ". Fix: D1 = (np.random.rand(*A1.shape) < keep_prob).astype(int), and so for D2")
    return True


def _check_dropout_backward(call, function: Callable, name: str) -> TechniqueResult:
    params, X, Y = _inputs()
    masks = _masks(_forward(params, X))
    values = _forward(params, X, masks)
    result = TechniqueResult(name)
    grads = call("backward", function, X, Y, tuple(values[k] for k in DROPOUT_CACHE), KEEP_PROB)
    variants = {slip.name: _backward(values, X, Y, masks=masks, slip=slip.name) for slip in SLIPS[result.function]}
    _judge(result, grads, _backward(values, X, Y, masks=masks), GRADIENTS, variants)
    return result


TECHNIQUES: dict[str, Callable] = {
    "compute_cost_with_regularization": _check_cost,
    "backward_propagation_with_regularization": _check_l2_backward,
    "forward_propagation_with_dropout": _check_dropout_forward,
    "backward_propagation_with_dropout": _check_dropout_backward,
}


def present(namespace: dict) -> list[str]:
    """The course's regularisation functions that ``namespace`` defines, in the order above."""
    return [name for name in TECHNIQUES if callable(namespace.get(name))]


def check(namespace: dict, call) -> list[TechniqueResult]:
    """Each regularisation function of ``namespace`` checked (``call`` runs the learner's code and turns its
    exceptions into ``LearnerCrash``, naming their file and line)."""
    results = []
    for name in present(namespace):
        try:
            results.append(TECHNIQUES[name](call, namespace[name], name))
        except (LearnerCrash, ValueError, TypeError) as error:
            results.append(TechniqueResult(name, crash=str(error)))
    return results


def human(results: list[TechniqueResult]) -> str:
    lines = ["The course's regularisation functions (each on the reference's own inputs: lambd = "
             f"{LAMBD}, keep_prob = {KEEP_PROB}, a {'-'.join(map(str, LAYERS))} network, m = {M}):"]
    for r in results:
        if r.crash:
            lines.append(f"  {r.function}: CRASH: {r.crash}")
            continue
        if r.passed:
            worst = max((q.error for q in r.quantities), default=0.0)
            count = f"{len(r.quantities)} quantit{'y' if len(r.quantities) == 1 else 'ies'}"
            lines.append(f"  {r.function}: pass ({count}, worst normwise error {worst:.1e}, "
                         f"tolerance {TECHNIQUE_NORMWISE:g})")
            continue
        q = r.first
        lines.append(f"  {r.function}: FAIL at {q.name}: normwise error {q.error:.3g} (tolerance "
                     f"{TECHNIQUE_NORMWISE:g}); yours {q.learner_value:.6g}, the reference's {q.reference_value:.6g}")
        if r.diagnosis:
            lines.append(f"    diagnosis: {r.diagnosis}")
    return "\n".join(lines)


def as_json(results: list[TechniqueResult]) -> list[dict]:
    return [{"function": r.function, "passed": r.passed, "crash": r.crash, "diagnosis": r.diagnosis,
             "first_wrong": r.first.name if r.first else None,
             "quantities": [{"name": q.name, "error": q.error if np.isfinite(q.error) else "inf", "status": q.status}
                            for q in r.quantities]} for r in results]
