"""The rounding scale of each computation: what an implementation's error is measured against.

A float result's rounding error is not proportional to the result but to the *terms* that produced it: the
sum 0.3 - 0.2999 carries an error of about eps * 0.3, not eps * 1e-4; and errors that flow in from earlier
results are scaled by how sensitive this result is to them. So every quantity Q of the reference trace gets
an error coefficient E(Q): first-order forward error analysis (Higham, "Accuracy and Stability of Numerical
Algorithms", ch. 3) with one rounding per operation, so that a correct implementation's Q is within a small
multiple of eps * E(Q) of the reference's, elementwise, whatever the cancellation. Written with |.| elementwise
and the reference's values (E(X) = E(Y) = E(W0) = 0, since every implementation loads the same numbers):

    forward   E(Z[l]) = |W| E(A[l-1]) + E(W) |A[l-1]| + E(b) + |W| |A[l-1]| + |b|
              E(A[l]) = |g'(Z)| E(Z) + |A|                          (softmax: A E(Z) + A (A^T E(Z)) + A)
    cost      E(J)    = (1/m) sum |dZ[L]| E(Z[L]) + |J|
    backward  E(dZ[L]) = c (E(A[L]) + |A[L]| + |Y|)                 output pairs whose dZ[L] is c (A[L] - Y)
              E(dZ[l]) = |g'(Z)| E(dA) + |dA| |g''(Z)| E(Z) + |dA| M_g'(A)   (M_g': the size of evaluating g')
              E(dW) = (1/m) (E(dZ) |A_prev|^T + |dZ| E(A_prev)^T + |dZ| |A_prev|^T)
              E(db) = (1/m) sum_columns (E(dZ) + |dZ|)
              E(dA_prev) = |W|^T E(dZ) + E(W)^T |dZ| + |W|^T |dZ|
    update    E(W') = E(W) + lr E(v) + |W'|, with v the step direction: dW (SGD), the momentum buffer
              (E(v) <- beta E(v) + E(dW) + |v|), or Adam's u = m_hat / (sqrt(v_hat) + eps), with
              E(u) = sum_k |du/dg_k| E(g_k) over the past gradients, per element: where a gradient is near 0,
              Adam's step is ill-conditioned, and only that element is judged loosely.
"""

from __future__ import annotations

import numpy as np

from parity.case import Case, batch, initial_params
from parity.conventions import Variant
from parity.trace import Key, Trace


def _g_prime(name: str, Z, A):
    """|g'(Z)| for elementwise activations."""
    if name == "sigmoid":
        return A * (1 - A)
    if name == "tanh":
        return 1 - A * A
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name.startswith("leaky_relu"):
        slope = float(name[len("leaky_relu("):-1]) if "(" in name else 0.01
        return np.where(Z > 0, 1.0, abs(slope))
    return np.ones_like(Z)


def _derivative_magnitude(name: str, Z, A):
    """M_g': the magnitude of evaluating g'(Z) as the reference does."""
    if name == "sigmoid":
        return A * (1 + A)
    if name == "tanh":
        return 1 + A * A
    return _g_prime(name, Z, A)


def _g_second(name: str, A):
    """|g''(Z)|: how an error in Z moves g'(Z) (zero for the piecewise-linear activations)."""
    if name == "sigmoid":
        return np.abs(A * (1 - A) * (1 - 2 * A))
    if name == "tanh":
        return np.abs(2 * A * (1 - A * A))
    return 0.0


def _activation_forward(name: str, Z, A, E_Z):
    if name == "softmax":
        return A * E_Z + A * (A * E_Z).sum(axis=0, keepdims=True) + A
    return _g_prime(name, Z, A) * E_Z + np.abs(A)


def _activation_backward(name: str, Z, A, dA, E_dA, E_Z):
    if name == "softmax":
        return A * E_dA + A * (A * E_dA).sum(axis=0, keepdims=True) + np.abs(dA) * A * (1 + E_Z)
    return (_g_prime(name, Z, A) * E_dA + np.abs(dA) * _g_second(name, A) * E_Z
            + np.abs(dA) * _derivative_magnitude(name, Z, A))


def _loss_gradient_error(loss: str, A, Y, E_A):
    """E(dA[L]) for the unfused, per-example loss gradient."""
    n = A.shape[0]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if loss == "mse":
            return 2 * (E_A + np.abs(A) + np.abs(Y)) / n
        if loss == "categorical_crossentropy":
            return np.abs(Y) / A * (1 + E_A / A)
        D = A * (1 - A)
        return ((E_A + np.abs(A) + np.abs(Y)) / D + np.abs(A - Y) * (1 + 2 * A) * E_A / (D * D)) / n


# Output pairs whose dZ[L] is c (A[L] - Y), however it is computed (fused, or through a guarded dA[L]).
_FUSED_LIKE = {("sigmoid", "binary_crossentropy"), ("softmax", "categorical_crossentropy"), ("linear", "mse")}
_FUSED_SCALE = {"binary_crossentropy": lambda n: 1 / n, "categorical_crossentropy": lambda n: 1.0,
                "mse": lambda n: 2 / n}


def magnitudes(case: Case, variant: Variant, trace: Trace, activations: list[str]) -> dict[Key, np.ndarray]:
    """E(Q) for every quantity Q of ``trace`` (the reference run of ``case`` in ``variant``), in float64."""
    X, Y = (np.asarray(v, dtype=np.float64) for v in batch(case))
    P = {k: np.abs(v.astype(np.float64)) for k, v in initial_params(case).items()}  # |W|, |b| now
    E_P = {k: np.zeros_like(v) for k, v in P.items()}
    L, m = case.L, case.m
    V = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in trace.values.items()}  # |value| of each Q
    state: dict[str, dict] = {}
    E: dict[Key, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for s in range(case.steps):
            A_abs, E_A = {0: np.abs(X)}, {0: np.zeros_like(X)}
            for l in range(1, L + 1):
                Z, A = trace.values[Key(s, "forward", l, "Z")], trace.values[Key(s, "forward", l, "A")]
                W, b, E_W, E_b = P[f"W{l}"], P[f"b{l}"], E_P[f"W{l}"], E_P[f"b{l}"]
                E_Z = W @ E_A[l - 1] + E_W @ A_abs[l - 1] + E_b + W @ A_abs[l - 1] + b
                E[Key(s, "forward", l, "Z")] = E_Z
                A_abs[l] = np.abs(np.asarray(A, dtype=np.float64))
                E[Key(s, "forward", l, "A")] = E_A[l] = _activation_forward(
                    activations[l - 1], np.asarray(Z, np.float64), A_abs[l], E_Z)
            dZ_L = V[Key(s, "backward", L, "dZ")]
            E[Key(s, "cost", None, "J")] = (dZ_L * E[Key(s, "forward", L, "Z")]).sum() / m + V[
                Key(s, "cost", None, "J")]
            E_dA = _loss_gradient_error(case.loss, A_abs[L], np.abs(Y), E_A[L])
            for l in range(L, 0, -1):
                Z, A = np.asarray(trace.values[Key(s, "forward", l, "Z")], np.float64), A_abs[l]
                E[Key(s, "backward", l, "dA")] = E_dA
                dZ = V[Key(s, "backward", l, "dZ")]
                if l == L and (activations[-1], case.loss) in _FUSED_LIKE:
                    E_dZ = (E_A[L] + A + np.abs(Y)) * _FUSED_SCALE[case.loss](Y.shape[0])
                else:
                    dA = V[Key(s, "backward", l, "dA")]
                    E_dZ = _activation_backward(activations[l - 1], Z, A, dA, E_dA, E[Key(s, "forward", l, "Z")])
                E[Key(s, "backward", l, "dZ")] = E_dZ
                E[Key(s, "backward", l, "dW")] = (E_dZ @ A_abs[l - 1].T + dZ @ E_A[l - 1].T
                                                  + dZ @ A_abs[l - 1].T) / m
                E[Key(s, "backward", l, "db")] = (E_dZ + dZ).sum(axis=1, keepdims=True) / m
                W, E_W = P[f"W{l}"], E_P[f"W{l}"]
                E_dA = W.T @ E_dZ + E_W.T @ dZ + W.T @ dZ
            for l in range(1, L + 1):
                for name in ("W", "b"):
                    key, grad = Key(s, "update", l, name), Key(s, "backward", l, f"d{name}")
                    E_P[f"{name}{l}"] = _update(case, variant, state.setdefault(f"{name}{l}", {}), E_P[f"{name}{l}"],
                                                trace.values[grad], E[grad], V[key])
                    P[f"{name}{l}"] = V[key]
                    E[key] = E_P[f"{name}{l}"]
    return E


def _update(case: Case, variant: Variant, state: dict, E_P, g, E_g, P_new_abs):
    """E(P') for one parameter after one step, from E(P) and the gradient g with its E(g)."""
    lr = case.learning_rate
    g = np.asarray(g, dtype=np.float64)
    if case.optimizer == "sgd":
        return E_P + lr * (E_g + np.abs(g)) + P_new_abs
    if case.optimizer == "momentum":
        state["v"] = variant.momentum_beta * state.get("v", 0.0) + g
        state["E_v"] = variant.momentum_beta * state.get("E_v", 0.0) + E_g + np.abs(state["v"])
        return E_P + lr * state["E_v"] + P_new_abs
    # Adam's step u = m_hat / (sqrt(v_hat) + eps) depends on every past gradient g_k through m and v; its
    # first-order sensitivity du/dg_k keeps the sign that makes the m and v terms cancel (at t = 1,
    # du/dg = eps / (|g| + eps)^2: tiny for |g| >> eps, large only where g is near 0).
    b1, b2, eps = 0.9, 0.999, variant.adam_epsilon
    t = state["t"] = state.get("t", 0) + 1
    state.setdefault("g", []).append(g)
    state.setdefault("E_g", []).append(E_g)
    state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    m_hat, root = state["m"] / bc1, np.sqrt(state["v"] / bc2)
    E_step = np.abs(m_hat) / (root + eps)
    for k, (g_k, E_k) in enumerate(zip(state["g"], state["E_g"], strict=True), start=1):
        d_m = (1 - b1) * b1 ** (t - k) / bc1 / (root + eps)
        d_v = np.where(root > 0, m_hat * (1 - b2) * b2 ** (t - k) * g_k / bc2 / (root * (root + eps) ** 2), 0.0)
        E_step = E_step + np.abs(d_m - d_v) * E_k + (np.abs(d_m) + np.abs(d_v)) * np.abs(g_k)
    return E_P + lr * E_step + P_new_abs
