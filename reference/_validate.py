"""Checks run at the API boundary, so that bad input fails with the user's names and shapes.

Every public function calls these before doing any arithmetic: a mistake is reported as
``ValueError``/``TypeError`` naming the argument, never as a numpy broadcasting error three calls deep.
"""

from __future__ import annotations

import math

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
