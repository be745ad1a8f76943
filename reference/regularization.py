"""L2 regularisation ("weight decay" in the cost), in the course's notation.

The regularised cost adds the squared Frobenius norm of every weight matrix (never the biases):

    J_reg = J + (lambd / (2 m)) sum_l ||W[l]||_F^2,      ||W||_F^2 = sum_ij W_ij^2

so each weight gradient gains its derivative, and nothing else changes:

    dW[l] = (1/m) dZ[l] A[l-1]^T + (lambd / m) W[l]       db[l], dZ[l], dA[l-1] unchanged

Hand-worked example, one layer, W = [[1, -2]], lambd = 0.5, m = 4: the term is 0.5 / 8 * (1 + 4) = 0.3125, and
dW gains 0.5 / 4 * W = [[0.125, -0.25]].

``lambd`` (the course's spelling: ``lambda`` is a Python keyword) must be finite and >= 0; m is the batch size
the cost averages over.
"""

from __future__ import annotations

import math
import re

import numpy as np


def _check(lambd, m) -> None:
    if isinstance(lambd, bool) or not isinstance(lambd, (int, float, np.floating, np.integer)) or not (
            math.isfinite(lambd) and lambd >= 0):
        raise ValueError(f"lambd must be a finite number >= 0, got {lambd!r}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be a positive integer (the batch size), got {m!r}")


def _weights(params: dict) -> list[str]:
    names = sorted((key for key in params if re.fullmatch(r"W[1-9][0-9]*", key)), key=lambda key: int(key[1:]))
    if not names:
        raise KeyError(f"params has no weights: expected keys 'W1', 'W2', ...; got {sorted(params)}")
    return names


def l2_cost(params: dict, lambd: float, m: int) -> float:
    """(lambd / (2 m)) sum_l ||W[l]||_F^2: the term the regularised cost adds to J (biases excluded)."""
    _check(lambd, m)
    total = sum(float(np.sum(np.square(np.asarray(params[name], dtype=np.float64)))) for name in _weights(params))
    return lambd / (2 * m) * total


def l2_gradients(grads: dict, params: dict, lambd: float, m: int) -> dict:
    """``grads`` with (lambd / m) W[l] added to each dW[l] (a new dict; the inputs are not changed). Every other
    gradient (db, dZ, dA) is passed through unchanged: the L2 term depends on the weights only."""
    _check(lambd, m)
    out = dict(grads)
    for name in _weights(params):
        key = f"d{name}"
        if key not in grads:
            raise KeyError(f"grads has no {key!r} for the weight {name!r}")
        W = np.asarray(params[name])
        if np.shape(grads[key]) != W.shape:
            raise ValueError(f"{key} has shape {np.shape(grads[key])} but {name} has shape {W.shape}")
        out[key] = grads[key] + (lambd / m) * W
    return out


def decoupled_weight_decay(before: dict, after: dict, weight_decay: float, learning_rate: float) -> dict:
    """Decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"; AdamW): beside the
    optimizer's own step, each weight shrinks by its learning-rate-scaled share of itself,

        W[l] <- W[l]_stepped - learning_rate * weight_decay * W[l]_before       biases untouched

    so the decay never enters the gradient, the momentum or Adam's moments. ``before`` holds the parameters the
    step started from, ``after`` the optimizer's result; a new dict is returned. For plain SGD this is the coupled
    L2 update W - lr (dW + wd W) exactly (wd = lambd / m is the course's L2); with momentum or Adam it is not.

    Hand-worked example: W = [[2.0]] stepped to [[1.9]], lr = 0.1, wd = 0.5: 1.9 - 0.1 * 0.5 * 2.0 = [[1.8]].
    """
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float, np.floating)) or not (
            math.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
    out = dict(after)
    for name in _weights(before):
        out[name] = after[name] - (learning_rate * weight_decay) * before[name]
    return out
