"""Gradient checking: backpropagation against central finite differences, framework-free.

For every parameter element theta (each entry of each W[l] and b[l]):
    g_num = (J(theta + eps) - J(theta - eps)) / (2 eps)
and the check returns the relative error of the two stacked gradient vectors,
    ||g - g_num|| / (||g|| + ||g_num||),
with g the backpropagated dW[l], db[l]. Everything runs in float64 (a float32 difference quotient has only
about 3 significant digits). The default eps = 1e-5 balances the two errors of a central difference: the
truncation error, O(eps^2) ~ 1e-10, and the rounding error of J, ~ 1e-16 / eps ~ 1e-11 (the course's 1e-7
makes the rounding term ~ 1e-9 and the check's own noise ~ 3e-8, too close to the 1e-7 pass mark). A correct
network then scores ~ 1e-9 or less; above 1e-7 something is wrong, unless a ReLU kink lies within eps of a Z.
"""

from __future__ import annotations

import numpy as np

from reference.losses import cost
from reference.network import backward, check_network, forward


def _cost_at(params, X, Y, activations, loss) -> float:
    AL, _ = forward(params, X, activations)
    return cost(AL, Y, loss)


def numerical_gradients(params: dict, X, Y, activations, loss: str, epsilon: float = 1e-5) -> dict[str, np.ndarray]:
    """{"dW1": ..., "db1": ...} by central differences, in float64."""
    params = {name: np.array(P, dtype=np.float64) for name, P in params.items()}
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    check_network(params, X, activations)
    numerical = {}
    for name, P in params.items():
        g = np.zeros_like(P)
        for index in np.ndindex(P.shape):
            saved = P[index]
            P[index] = saved + epsilon
            J_plus = _cost_at(params, X, Y, activations, loss)
            P[index] = saved - epsilon
            J_minus = _cost_at(params, X, Y, activations, loss)
            P[index] = saved
            g[index] = (J_plus - J_minus) / (2 * epsilon)
        numerical[f"d{name}"] = g
    return numerical


def gradient_check(params: dict, X, Y, activations, loss: str, epsilon: float = 1e-5) -> float:
    """||g - g_num|| / (||g|| + ||g_num||) over every parameter; below 1e-7 is a pass."""
    params64 = {name: np.asarray(P, dtype=np.float64) for name, P in params.items()}
    X64, Y64 = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    AL, caches = forward(params64, X64, activations)
    grads = backward(AL, Y64, caches, activations, loss)
    numerical = numerical_gradients(params64, X64, Y64, activations, loss, epsilon)
    keys = [f"d{name}" for name in params64]
    g = np.concatenate([grads[key].ravel() for key in keys])
    g_num = np.concatenate([numerical[key].ravel() for key in keys])
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(g - g_num) / denominator)
