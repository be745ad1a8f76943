"""Seeded initial parameters: W[l] of shape (n[l], n[l-1]) and b[l] of shape (n[l], 1), b[l] = 0.

Schemes (n[l-1] is the layer's fan-in, n[l] its fan-out):
    "he"              W[l] ~ N(0, 2 / n[l-1])                  for ReLU-family layers
    "xavier"          W[l] ~ N(0, 1 / n[l-1])                  the course's Xavier, for tanh layers
    "glorot"          W[l] ~ N(0, 2 / (n[l-1] + n[l]))         Glorot and Bengio's normal form
    "normal"          W[l] ~ 0.01 N(0, 1)                      the course's small random start
    "zeros"           W[l] = 0                                 every unit stays identical: a warning says so
    "he_uniform"      W[l] ~ U(-r, r), r = sqrt(6 / n[l-1])    the uniform law of He's variance, 2 / n[l-1]
    "glorot_uniform"  W[l] ~ U(-r, r), r = sqrt(6 / (n[l-1] + n[l]))   Keras's Dense default (glorot_uniform)
    "torch_default"   W[l] ~ U(-r, r), r = 1 / sqrt(n[l-1])    PyTorch's nn.Linear default: kaiming_uniform_
                      with a = sqrt(5), gain sqrt(2 / (1 + a^2)) = sqrt(1/3), r = gain sqrt(3 / n[l-1]);
                      and b[l] ~ U(-1 / sqrt(n[l-1]), 1 / sqrt(n[l-1])), PyTorch's bias default

A uniform law on (-r, r) has variance r^2 / 3, so "he_uniform" has He's variance and "glorot_uniform"
Glorot's; "torch_default" has variance 1 / (3 n[l-1]), a sixth of He's.

Values are drawn in float64 from ``numpy.random.default_rng(seed)`` and then rounded to ``dtype``, so the
float32 and float64 networks of one seed start from the same numbers (to float32 rounding).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._validate import FLOAT_DTYPES


@dataclass(frozen=True)
class Scheme:
    """One initialisation law: W[l] = scale(n[l-1], n[l]) times a standard normal draw, or a uniform draw on
    (-scale, scale); ``bias`` the bound of a uniform b[l] (None: b[l] = 0)."""

    distribution: str  # "normal" or "uniform"
    scale: Callable[[int, int], float]  # the normal's standard deviation, or the uniform's bound r
    bias: Callable[[int, int], float] | None = None


SCHEMES: dict[str, Scheme] = {
    "he": Scheme("normal", lambda n_prev, n: np.sqrt(2 / n_prev)),
    "xavier": Scheme("normal", lambda n_prev, n: np.sqrt(1 / n_prev)),
    "glorot": Scheme("normal", lambda n_prev, n: np.sqrt(2 / (n_prev + n))),
    "normal": Scheme("normal", lambda n_prev, n: 0.01),
    "zeros": Scheme("normal", lambda n_prev, n: 0.0),
    "he_uniform": Scheme("uniform", lambda n_prev, n: np.sqrt(6 / n_prev)),
    "glorot_uniform": Scheme("uniform", lambda n_prev, n: np.sqrt(6 / (n_prev + n))),
    "torch_default": Scheme("uniform", lambda n_prev, n: 1 / np.sqrt(n_prev),
                            bias=lambda n_prev, n: 1 / np.sqrt(n_prev)),
}


def variance(scheme: str, n_prev: int, n: int) -> float:
    """The variance of each W[l] entry under ``scheme``: scale^2 for a normal law, r^2 / 3 for U(-r, r)."""
    law = SCHEMES[scheme]
    scale = float(law.scale(n_prev, n))
    return scale**2 if law.distribution == "normal" else scale**2 / 3


def init_params(layer_dims, scheme: str = "he", seed: int = 0, dtype="float64") -> dict[str, np.ndarray]:
    """Parameters {"W1", "b1", ..., "WL", "bL"} for ``layer_dims = [n_x, n[1], ..., n[L]]``."""
    layer_dims = _check_layer_dims(layer_dims)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialisation scheme {scheme!r}; valid names: {', '.join(SCHEMES)}")
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if scheme == "zeros":
        warnings.warn(
            "zero initial weights make every unit of a layer compute the same thing and receive the same "
            "gradient, so they never differ (symmetry is never broken); use 'he' or 'xavier' to train",
            UserWarning,
            stacklevel=2,
        )
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(layer_dims)):
        n_prev, n = layer_dims[l - 1], layer_dims[l]
        law = SCHEMES[scheme]
        if law.distribution == "normal":
            W = rng.standard_normal((n, n_prev)) * law.scale(n_prev, n)
        else:
            r = law.scale(n_prev, n)
            W = rng.uniform(-r, r, (n, n_prev))
        params[f"W{l}"] = W.astype(dtype)
        if law.bias is None:
            params[f"b{l}"] = np.zeros((n, 1), dtype=dtype)
        else:
            r = law.bias(n_prev, n)
            params[f"b{l}"] = rng.uniform(-r, r, (n, 1)).astype(dtype)
    return params


def _check_layer_dims(layer_dims) -> list[int]:
    try:
        dims = list(layer_dims)
    except TypeError:
        raise TypeError(f"layer_dims must be a list of layer sizes, got {type(layer_dims).__name__}") from None
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least 2 sizes (inputs and one layer), got {dims}")
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"layer_dims[{l}] must be an integer, got {type(n).__name__} {n!r}")
        if n <= 0:
            raise ValueError(f"layer_dims[{l}] must be positive, got {n} in {dims}")
    return [int(n) for n in dims]
