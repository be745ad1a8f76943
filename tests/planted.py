"""Classic backpropagation mistakes, planted into the reference to prove the harness catches and locates them.

Each is a drop-in replacement for a reference function (``reference.network.linear_backward`` or an activation's
backward) with the same signature, wrong in exactly one way.
"""

import numpy as np

import reference.network

_correct_linear_backward = reference.network.linear_backward


def db_summed_over_all_axes(dZ, A_prev, W):
    """db = (1/m) sum over *every* element of dZ, broadcast to every unit (right only when n[l] = 1)."""
    dA_prev, dW, db = _correct_linear_backward(dZ, A_prev, W)
    return dA_prev, dW, np.full_like(db, dZ.sum() / A_prev.shape[1])


def missing_one_over_m(dZ, A_prev, W):
    """dW = dZ A_prev^T without the 1/m."""
    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True) / A_prev.shape[1]


def W_instead_of_its_transpose(dZ, A_prev, W):
    """dA_prev = W dZ: shape-correct, and so silent, only when W is square."""
    m = A_prev.shape[1]
    return W @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m


def tanh_prime_of_Z(dA, Z):
    """tanh'(Z) written as 1 - Z^2 instead of 1 - A^2."""
    return dA * (1 - Z * Z)


def relu_prime_one_at_zero(dA, Z):
    """ReLU'(0) taken as 1 (Z >= 0 instead of Z > 0)."""
    return np.where(Z >= 0, dA, 0)


def caught(case, framework: str):
    """(the first divergence, (step, stage, layer, quantity)) of ``case`` in ``framework`` with a bug planted;
    fails when the bug went unnoticed, skips when the framework is not installed."""
    import pytest

    from parity.harness import run_case

    pytest.importorskip({"jax": "jax", "keras": "keras"}.get(framework, "torch"))
    outcome = run_case(case, [framework])
    assert not outcome.passed, "the planted bug went unnoticed"
    d = outcome.first_divergence
    return d, (d.step, d.stage, d.layer, d.quantity)
