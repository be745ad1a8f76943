"""Losses J(AL, Y) and their gradients, with the reductions PyTorch and Keras use by default.

Shapes: AL and Y are (n[L], m), samples as columns. The cost is J = (1/m) sum_i L_i, the mean of per-example
losses L_i, and the gradients here are *per example*: ``loss_gradient`` returns dAL = dL_i/dAL[:, i], so that
the 1/m appears once, in dW and db. An autograd framework differentiates J itself, so its ``AL.grad`` equals
dAL / m and its ``ZL.grad`` equals dZL / m: multiply a framework gradient by m to compare it with these.

- binary_crossentropy: J = -(1/(n[L] m)) sum_{k,i} [Y log AL + (1 - Y) log(1 - AL)], the mean over all
  n[L] m elements (torch ``BCELoss(reduction='mean')``, Keras ``sum_over_batch_size``). Soft labels in [0, 1]
  are allowed. Per example, dAL = (AL - Y) / (n[L] AL (1 - AL)).
- categorical_crossentropy: J = -(1/m) sum_i sum_k Y[k, i] log AL[k, i]: summed over classes, mean over m
  (torch ``CrossEntropyLoss`` on logits with probability targets, Keras ``CategoricalCrossentropy``).
  Per example, dAL = -Y / AL.
- mse: J = (1/(n[L] m)) sum_{k,i} (AL - Y)^2, the mean over all elements (torch ``MSELoss``, Keras
  ``MeanSquaredError``; not the course's 1/(2m)). Per example, dAL = 2 (AL - Y) / n[L].

The reference never clips: a probability of exactly 0 on a true label gives J = inf. The frameworks guard
(torch clamps each log at -100, Keras clips probabilities to [1e-7, 1 - 1e-7]); see parity's conventions.

Domain checks: a cross-entropy refuses an AL outside [0, 1], BCE labels outside [0, 1] and CCE targets that are
not probability vectors. Inside ``reference.domain_checks(False)`` (``reference._validate``) these formulas are
evaluated as given instead, as the course's unit tests do (AL = 1.2, a label 2); where one has no finite value
there, it raises a ValueError naming itself and the first offending element.

Fused output gradients (``output_gradient``) skip the division by AL (1 - AL) or by AL, exact even where the
unfused path would divide 0 by 0:
    sigmoid + binary_crossentropy:      dZL = (AL - Y) / n[L]   (= AL - Y for the usual single output unit)
    softmax + categorical_crossentropy: dZL = AL - Y            (Y columns sum to 1; AL sum_k Y[k] - Y if not)

Hand-worked example, one output unit, m = 2, AL = [[0.5, 0.8]], Y = [[1, 1]]:
    BCE J = -(log 0.5 + log 0.8) / 2 = (0.693147 + 0.223144) / 2 = 0.458145
    dAL = (AL - Y) / (AL (1 - AL)) = [[-0.5/0.25, -0.2/0.16]] = [[-2, -1.25]]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._validate import FLOAT_DTYPES, as_array, domain_checks_enabled, outside_domain, same_shape

# A column of CCE targets must sum to 1. Summing n float values each exact to within half an ulp gives an
# error of at most about n ulps; 8x that leaves room for targets produced by a prior float computation
# (label smoothing, averaging) while still refusing labels that are not distributions.
_TARGET_SUM_ULPS = 8


def _xlogy(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Y log P, with 0 log P = 0 (so soft and hard labels both work) and log 0 = -inf without a warning.

    The log is taken only where Y != 0 (``where=``) and multiplied by Y in place: two passes over an (n[L], m)
    array instead of five, the same numbers."""
    out = np.zeros(np.broadcast_shapes(np.shape(Y), np.shape(P)), np.result_type(Y, P))
    with np.errstate(divide="ignore"):
        np.log(P, out=out, where=Y != 0)
    out *= Y
    return out


def _as_given(loss: str, quantity: str, terms: Callable | None = None, outside: Callable | None = None):
    """Decorate a formula of ``loss`` so that, inside ``domain_checks(False)``, it is evaluated as given.

    With the checks on (or input inside the domain) the formula runs untouched. Outside the domain it runs with
    numpy's floating-point warnings silenced (as ``outside`` instead, where the formula relies on the domain), and
    a non-finite result raises a ValueError that names the formula and the first element where it is undefined:
    ``terms(AL, Y)`` are a cost's elementwise terms (a gradient is elementwise already). This lives in the
    formulas themselves, not in ``cost``/``loss_gradient``, so that ``backward`` and ``train`` get it too.
    """

    def decorate(formula: Callable) -> Callable:
        @functools.wraps(formula)
        def evaluate(AL: np.ndarray, Y: np.ndarray):
            if domain_checks_enabled() or _domain_problem(AL, Y, loss) is None:
                return formula(AL, Y)
            with np.errstate(all="ignore"):
                result = (formula if outside is None else outside)(AL, Y)
                if np.isfinite(result).all():
                    return result
                elementwise = np.asarray(result if terms is None else terms(AL, Y))
            raise ValueError(_not_defined(formula.__name__, quantity, AL, Y, elementwise, result))

        return evaluate

    return decorate


def _not_defined(function: str, quantity: str, AL, Y, elementwise: np.ndarray, result) -> str:
    """The message for a formula with no finite value at input outside its domain (domain checks off).

    The argument named is AL where AL is 0, 1 or outside [0, 1] there (a log of 0 or of a negative, a division
    by 0: every singularity of these formulas is in AL), and Y otherwise (a huge label overflowing).
    """
    value = "nan" if np.isnan(result).any() else "inf"
    why = "domain checks are off (reference.domain_checks(False)), so AL and Y are used as given"
    bad = np.argwhere(~np.isfinite(elementwise))
    if not bad.size:  # every term finite, their sum is not: the reduction overflowed
        return f"{function} is not defined for this AL and Y: {quantity} overflows to {value}. The {why}"
    index = tuple(int(i) for i in bad[0])
    at = ", ".join(map(str, index))
    singular = not 0 < AL[index] < 1
    (name, array), (other, other_array) = (("AL", AL), ("Y", Y)) if singular else (("Y", Y), ("AL", AL))
    return (
        f"{function} is not defined at {name}[{at}] = {array[index]} (with {other}[{at}] = {other_array[index]}): "
        f"{quantity} is {value} there. The {why}, but this formula has no finite value at that input"
    )


def _bce_terms(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return -(_xlogy(Y, AL) + _xlogy(1 - Y, 1 - AL))


def _cce_terms(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return -_xlogy(Y, AL)


@_as_given("binary_crossentropy", "the cost J = -mean[Y log AL + (1 - Y) log(1 - AL)]", _bce_terms)
def binary_crossentropy(AL: np.ndarray, Y: np.ndarray) -> float:
    return float(-(_xlogy(Y, AL) + _xlogy(1 - Y, 1 - AL)).mean())


@_as_given("binary_crossentropy", "dAL = (AL - Y) / (n[L] AL (1 - AL))")
def binary_crossentropy_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return (AL - Y) / (AL * (1 - AL)) / AL.shape[0]


@_as_given("categorical_crossentropy", "the cost J = -(1/m) sum Y log AL", _cce_terms)
def categorical_crossentropy(AL: np.ndarray, Y: np.ndarray) -> float:
    return float(-_xlogy(Y, AL).sum(axis=0).mean())


@_as_given("categorical_crossentropy", "dAL = -Y / AL")
def categorical_crossentropy_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return -Y / AL


def mse(AL: np.ndarray, Y: np.ndarray) -> float:
    return float(np.square(AL - Y).mean())


def mse_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return 2 * (AL - Y) / AL.shape[0]


@_as_given("binary_crossentropy", "the fused dZL = (AL - Y) / n[L]")
def sigmoid_binary_crossentropy_output_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return (AL - Y) / AL.shape[0]


def _softmax_cce_any_targets(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dZL = AL sum_k Y[k] - Y per column: the softmax backward of dAL = -Y / AL for targets of any sum."""
    return AL * Y.sum(axis=0, keepdims=True) - Y


@_as_given("categorical_crossentropy", "the fused dZL = AL sum_k Y[k] - Y", outside=_softmax_cce_any_targets)
def softmax_categorical_crossentropy_output_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dZL = AL - Y, which needs Y's columns to sum to 1; outside the domain, AL sum_k Y[k] - Y."""
    return AL - Y


# What an error model needs of each loss (first-order, one rounding per operation, in units of eps; parity's
# error_scale.py). Each gives, for the reference's A = A[L], Y, Z = Z[L] as magnitudes in float64:
#   gradient_error(A, Y, E_A, floor): E(dA[L]) of the unfused per-example gradient (``floor``: a constant a
#       framework puts under BCE's A (1 - A), torch's 1e-12, where no error flows through the denominator);
#   terms(A, Y, Z, tiny): the sum over samples of the size of the terms the per-sample loss is computed from,
#       beyond what flows in through Z[L]: a probability's rounding carried through its log (|Y|, and |1 - Y| A /
#       (1 - A) for log(1 - A), which cancels as A nears 1), the absolute error a probability may carry at
#       underflow (``tiny``, the smallest normal in eps) through its log (|Y| tiny / A: a framework's 0 where the
#       reference has a subnormal 1e-41 is a log clamped at -100 against -94), a logits loss's terms of the size
#       of the logits (log-softmax, log1p(exp(-|z|))); MSE squares A - Y, a difference of |A| + |Y|;
#   logit_size(Z): |z|, or |z - max z| per column for softmax: the size of the logits a logits loss's
#       log-sum-exp adds; differentiated by autodiff, dZ[L] = exp(z - logsumexp(z)) carries the absolute rounding
#       of a number that size (measured: JAX's dZ[L] of a sigmoid unit at z = -32 is 17 eps off (A - Y) / n).

def _bce_gradient_error(A, Y, E_A, floor: float = 0.0):
    n = A.shape[0]
    D = A * (1 - A)
    through_D = np.where(D >= floor, np.abs(A - Y) * (1 + 2 * A) * E_A / (D * D), 0.0)
    return ((E_A + np.abs(A) + np.abs(Y)) / np.maximum(D, floor) + through_D) / n


def _bce_rounding_terms(A, Y, Z, tiny: float) -> float:
    near_zero = np.where(Y == 0, 0.0, Y * tiny / A)  # inf where A underflowed to 0 and Y > 0
    through_log_q = np.where(Y == 1, 0.0, np.abs(1 - Y) * (A + tiny) / (1 - A))  # inf where A rounded to 1
    return float(((Y + np.abs(1 - Y)) * (1 + np.abs(Z)) + through_log_q + near_zero).sum() / A.shape[0])


def _cce_rounding_terms(A, Y, Z, tiny: float) -> float:
    near_zero = np.where(Y == 0, 0.0, Y * tiny / A)
    return float((Y * (1 + np.abs(Z - Z.max(axis=0, keepdims=True))) + near_zero).sum())


@dataclass(frozen=True)
class Loss:
    """One loss: J and the per-example dA[L] (``cost``, ``gradient``), the output activation it pairs with so
    that dZ[L] = scale(n[L]) (A[L] - Y) (``fused_with``, ``scale``), whether its targets are one distribution per
    column (``distribution``: categorical), and its error-model terms (see above)."""

    name: str
    cost: Callable
    gradient: Callable
    fused_with: str
    scale: Callable[[int], float]
    gradient_error: Callable
    terms: Callable
    logit_size: Callable
    distribution: bool = False


LOSSES: dict[str, Loss] = {
    "binary_crossentropy": Loss(
        "binary_crossentropy", binary_crossentropy, binary_crossentropy_gradient, "sigmoid", lambda n: 1 / n,
        _bce_gradient_error, _bce_rounding_terms, np.abs),
    "categorical_crossentropy": Loss(
        "categorical_crossentropy", categorical_crossentropy, categorical_crossentropy_gradient, "softmax",
        lambda n: 1.0, lambda A, Y, E_A, floor=0.0: np.abs(Y) / A * (1 + E_A / A), _cce_rounding_terms,
        lambda Z: np.abs(Z - Z.max(axis=0, keepdims=True)), distribution=True),
    "mse": Loss(
        "mse", mse, mse_gradient, "linear", lambda n: 2 / n,
        lambda A, Y, E_A, floor=0.0: 2 * (E_A + np.abs(A) + np.abs(Y)) / A.shape[0],
        lambda A, Y, Z, tiny: float((2 * np.abs(A - Y) * (A + Y)).sum() / A.shape[0]), lambda Z: 0.0),
}

FUSED_OUTPUT_GRADIENTS: dict[tuple[str, str], Callable] = {
    ("sigmoid", "binary_crossentropy"): sigmoid_binary_crossentropy_output_gradient,
    ("softmax", "categorical_crossentropy"): softmax_categorical_crossentropy_output_gradient,
}


def get_loss(name: str) -> Loss:
    """The loss named ``name``; unknown names list the valid ones."""
    check_loss_name(name)
    return LOSSES[name]


def check_loss_name(loss: str) -> None:
    if loss not in LOSSES:
        valid = ", ".join(sorted(LOSSES))
        raise ValueError(f"unknown loss {loss!r}; valid names: {valid}")


def validate(AL: np.ndarray, Y, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Check the loss name, Y's shape against AL, and that Y (and AL) are valid for this loss.

    The last two are domain checks, relaxed inside ``reference.domain_checks(False)``; the rest always run."""
    check_loss_name(loss)
    AL = np.asarray(AL)
    if AL.dtype not in FLOAT_DTYPES:
        raise TypeError(f"AL must be a float32 or float64 array, got {AL.dtype}")
    Y = np.asarray(Y)
    same_shape("Y", Y, "AL", AL)
    Y = validate_targets(Y, loss, AL.dtype)
    check_outputs(AL, loss)
    return AL, Y


def validate_targets(Y, loss: str, dtype) -> np.ndarray:
    """Y as a ``dtype`` array, checked: finite, 2-D, and valid targets for ``loss`` (a domain check, relaxed
    inside ``domain_checks(False)``)."""
    Y = as_array("Y", Y, np.dtype(dtype))
    outside_domain(_target_problem(Y, loss))
    return Y


def check_outputs(AL: np.ndarray, loss: str) -> None:
    """Cross-entropies need probabilities: refuse an AL outside [0, 1] (a wrong output activation), a domain
    check relaxed inside ``domain_checks(False)``."""
    outside_domain(_output_problem(AL, loss))


def _domain_problem(AL: np.ndarray, Y: np.ndarray, loss: str) -> str | None:
    """The first domain check that AL and Y fail for ``loss`` (its message), or None."""
    return _target_problem(Y, loss) or _output_problem(AL, loss)


def _target_problem(Y: np.ndarray, loss: str) -> str | None:
    """Why Y are not valid targets for ``loss`` (labels in [0, 1], probability-vector columns), or None."""
    if loss == "binary_crossentropy":
        if Y.min() < 0 or Y.max() > 1:
            return f"binary_crossentropy labels must lie in [0, 1], got values from {Y.min()} to {Y.max()}"
    elif loss == "categorical_crossentropy":
        sums = Y.sum(axis=0)
        eps = np.finfo(Y.dtype if Y.dtype.kind == "f" else np.float64).eps
        tolerance = _TARGET_SUM_ULPS * Y.shape[0] * eps
        bad = np.flatnonzero((np.abs(sums - 1) > tolerance) | (Y < 0).any(axis=0))
        if bad.size:
            i = int(bad[0])
            return (
                f"categorical_crossentropy targets must be probability vectors (columns >= 0 summing to 1, "
                f"e.g. one-hot); {bad.size} of {Y.shape[1]} columns are not, first column {i} "
                f"sums to {sums[i]} with minimum {Y[:, i].min()}"
            )
    return None


def _output_problem(AL: np.ndarray, loss: str) -> str | None:
    """Why AL is not a valid output for ``loss`` (a cross-entropy needs probabilities), or None."""
    if loss == "binary_crossentropy":
        return _probability_problem(AL, loss, "a sigmoid output layer")
    if loss == "categorical_crossentropy":
        return _probability_problem(AL, loss, "a softmax output layer")
    return None


def _probability_problem(AL: np.ndarray, loss: str, remedy: str) -> str | None:
    if AL.min() < 0 or AL.max() > 1:
        return f"{loss} needs probabilities, but AL has values from {AL.min()} to {AL.max()}; use {remedy}"
    return None


def cost(AL: np.ndarray, Y, loss: str) -> float:
    """J(AL, Y) for the named loss, reduced as the module docstring says."""
    AL, Y = validate(AL, Y, loss)
    return LOSSES[loss].cost(AL, Y)


def loss_gradient(AL: np.ndarray, Y, loss: str) -> np.ndarray:
    """dAL, the per-example gradient of the loss (autograd's ``AL.grad`` times m)."""
    AL, Y = validate(AL, Y, loss)
    return LOSSES[loss].gradient(AL, Y)


def output_gradient(AL: np.ndarray, Y, loss: str, activation: str) -> np.ndarray | None:
    """The fused dZL for sigmoid + BCE and softmax + CCE; None for a pair that has no fused form."""
    AL, Y = validate(AL, Y, loss)
    fused = FUSED_OUTPUT_GRADIENTS.get((activation, loss))
    return None if fused is None else fused(AL, Y)
