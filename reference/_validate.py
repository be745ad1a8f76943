"""Checks run at the API boundary, so that bad input fails with the user's names and shapes.

Every public function calls these before doing any arithmetic: a mistake is reported as
``ValueError``/``TypeError`` naming the argument, never as a numpy broadcasting error three calls deep.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype_of(params: dict) -> np.dtype:
    """The one float dtype shared by every array in ``params`` (W1, b1, ...)."""
    dtypes = {name: np.asarray(value).dtype for name, value in params.items()}
    found = set(dtypes.values())
    if len(found) != 1:
        listing = ", ".join(f"{name}: {dtype}" for name, dtype in sorted(dtypes.items()))
        raise TypeError(f"all parameters must share one float dtype, got {listing}")
    dtype = found.pop()
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"parameters must be float32 or float64 arrays, got {dtype}")
    return dtype


def as_array(name: str, value, dtype: np.dtype) -> np.ndarray:
    """``value`` as a 2-D array of ``dtype``.

    Integers and booleans (labels, pixel counts) are converted; a *different float* dtype is refused,
    because silently upcasting float32 work to float64 (or the reverse) changes every number downstream.
    """
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        array = array.astype(dtype)
    elif array.dtype.kind != "f":
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    elif array.dtype != dtype:
        raise TypeError(
            f"{name} is {array.dtype} but the parameters are {dtype}; "
            f"convert one of them, e.g. {name}.astype(np.{dtype})"
        )
    if array.ndim != 2:
        hint = " (samples are columns: reshape a label vector with .reshape(1, -1))" if array.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D with samples as columns, got shape {array.shape}{hint}")
    if array.shape[1] == 0:
        raise ValueError(f"empty batch: {name} has shape {array.shape}, with no samples (columns)")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or inf, first at index {tuple(int(i) for i in bad)} "
            f"(value {array[tuple(bad)]})"
        )
    return array


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Refuse ``a`` and ``b`` of different shapes, naming the 1-D label trap when it is the cause."""
    if a.shape == b.shape:
        return
    hint = ""
    if a.ndim == 1 or b.ndim == 1:
        hint = "; a 1-D label vector of shape (m,) must be given as a row: Y.reshape(1, -1)"
    elif a.shape == b.shape[::-1]:
        hint = f"; {name_a} looks transposed: samples are columns, so both are (n[L], m)"
    raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}{hint}")


def positive_finite(name: str, value) -> float:
    """A hyper-parameter that must be a finite number > 0 (a learning rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return float(value)


def in_unit_interval(name: str, value) -> float:
    """A decay rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and 0 <= value < 1):
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


# ---- Domain checks: the one switch every probability/label range check consults ---------------------------------

# True (the default): input outside a formula's probability domain is refused. A ContextVar, so the setting is
# per thread and per asyncio task: a new thread starts with the checks on, whatever another thread has set.
_DOMAIN_CHECKS: ContextVar[bool] = ContextVar("reference.domain_checks", default=True)


def domain_checks(enabled: bool):
    """Context manager: ``with reference.domain_checks(False):`` evaluates the formulas outside their domain.

    Why: the reference refuses a cross-entropy's AL outside [0, 1] and labels that are not probabilities, because
    in a real network that is a mistake (a linear output layer under a cross-entropy, class indices instead of
    one-hot columns) and a clear error beats a silently meaningless cost. But the course's published unit tests
    feed formula-level functions exactly such values (AL above 1 in the backward pass, labels like 2 in the
    cost), and their expected outputs are the plain formulas evaluated there. Inside this block the reference
    computes those formulas as given, so a learner can reproduce the published numbers with it:

        with reference.domain_checks(False):
            reference.loss_gradient(np.array([[1.2, 0.4]]), np.array([[1, 2]]), "binary_crossentropy")

    Only the domain checks are relaxed: the BCE label range, the CCE probability-vector targets and the
    cross-entropies' AL in [0, 1]. Shape, dtype and NaN/inf input checks and unknown names still raise. Where a
    formula has no finite value at the given input (the log of a negative, a division by 0), the call raises a
    ValueError naming the function, the argument and the first offending index and value instead of returning
    nan or inf. Input inside the domain gives exactly what it gives with the checks on.

    On leaving the block, by an exception too, the previous setting comes back, so nested blocks restore the
    outer one. ``enabled`` must be a bool (True re-enables the checks inside an outer ``domain_checks(False)``).
    The setting is per thread (a ``contextvars.ContextVar``): other threads keep their own.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"domain_checks takes True or False, got {type(enabled).__name__} {enabled!r}")
    return _domain_checks_set_to(enabled)


@contextmanager
def _domain_checks_set_to(enabled: bool) -> Iterator[None]:
    token = _DOMAIN_CHECKS.set(enabled)
    try:
        yield
    finally:
        _DOMAIN_CHECKS.reset(token)


def domain_checks_enabled() -> bool:
    """Whether domain checks are on here (they are, unless inside ``domain_checks(False)``)."""
    return _DOMAIN_CHECKS.get()


def outside_domain(problem: str | None) -> bool:
    """Every domain check ends here. ``problem`` is the check's message, or None when the input is in the domain.

    With the checks on, a problem raises ``ValueError(problem)``, the text unchanged; inside
    ``domain_checks(False)`` it returns True instead (the input is used as given), and False when there is none.
    """
    if problem is None:
        return False
    if _DOMAIN_CHECKS.get():
        raise ValueError(problem)
    return True
