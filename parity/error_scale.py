"""The rounding scale of each computation: what an implementation's error is measured against.

A float result's rounding error is not proportional to the result but to the *terms* that produced it: the
sum 0.3 - 0.2999 carries an error of about eps * 0.3, not eps * 1e-4; and errors that flow in from earlier
results are scaled by how sensitive this result is to them. So every quantity Q of the reference trace gets
an error coefficient E(Q): first-order forward error analysis (Higham, "Accuracy and Stability of Numerical
Algorithms", ch. 3) with one rounding per operation, so that a correct implementation's Q is within a small
multiple of eps * E(Q) of the reference's, elementwise, whatever the cancellation.

Every step is judged on its own (step-local): each implementation starts step s from the same numbers, the
reference's parameters and optimizer state after step s - 1, so E(X) = E(Y) = E(W) = E(b) = 0 at the start of
every step and nothing is carried from one step to the next. Written with |.| elementwise and the reference's
values:

    forward   E(Z[l]) = |W| E(A[l-1]) + E(W) |A[l-1]| + E(b) + |W| |A[l-1]| + |b|
              E(A[l]) = |g'(Z)| E(Z) + |A|                          (softmax: A E(Z) + A (A^T E(Z)) + A)
    cost      E(J)    = (1/m) sum |dZ[L]| E(Z[L]) + |J| + (1/m) sum T, T the size of the loss's own terms
              (``_loss_terms``: a probability's rounding through its log, the logits of a logits loss)
    backward  E(dZ[L]) = c (E(A[L]) + |A[L]| + |Y|) + |dZ[L]| |z|     output pairs whose dZ[L] is c (A[L] - Y); |z|
              the logits' size (``_logit_size``: autodiff through log-sum-exp rounds there)
              E(dZ[l]) = |g'(Z)| E(dA) + |dA| |g''(Z)| E(Z) + |dA| M_g'(A)   (M_g': the size of evaluating g')
              E(dW) = (1/m) (E(dZ) |A_prev|^T + |dZ| E(A_prev)^T + |dZ| |A_prev|^T)
              E(db) = (1/m) sum_columns (E(dZ) + |dZ|)
              E(dA_prev) = |W|^T E(dZ) + E(W)^T |dZ| + |W|^T |dZ|
    update    E(W') = lr (E(d) + |d|) + |W'|, with d the step direction: g = dW (SGD); the momentum buffer
              v' = beta v + g, E(v') = 2 beta |v| + E(g) + |v'| (the loaded v may take one rounding: Keras holds
              -lr v); Adam's u = m_hat / (sqrt(v_hat) + eps), with m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
              E(m') = (1 - b1) E(g) + b1 |m| + |m'|,  E(v') = 2 (1 - b2) |g| E(g) + b2 |v| + |v'|,
              E(u) = |du/dg| E(g) + D_m (b1 |m| + |m'|) + D_v (b2 |v| + |v'|) + 4 |u|, where du/dg keeps its sign
              (the m and v terms cancel: at t = 1, u = g / (|g| + eps) and du/dg = eps / (|g| + eps)^2),
              D_m = 1 / (bc1 (sqrt(v_hat) + eps)) and D_v = |m_hat| / (2 sqrt(v_hat) bc2 (sqrt(v_hat) + eps)^2);
              where g's own uncertainty is as large as g, |du/dg| E(g) gives way to u evaluated at g +- budget eps E(g).
              The state is compared too: E(v_dW) is E(v') for momentum and E(m') for Adam, E(s_dW) is E(v'), and
              t is an exact count, E(t) = 0.
    dropout   a hidden layer's A = g(Z) D / keep_prob: E(A) = (D / keep_prob) (E of g(Z), as above) + |A|; its
              backward pushes dA D / keep_prob through g', with E = (D / keep_prob) E(dA) + |dA D / keep_prob|
    batch norm a hidden layer's Z_tilde = gamma Z_norm + beta and its backward pass: ``_batchnorm_forward`` and
              ``_batchnorm_backward`` (the same rules, one rounding per operation, means over the batch); g and g'
              then read Z_tilde where they read Z; the running statistics: ``_running``
    decay     decoupled weight decay, W' = (the optimizer's step) - lr wd W: E(W') += lr wd |W| + |W'|
    L2        the course's term in the cost: E(J) += (lambd/m) sum_l sum W[l]^2 (twice the term: its squares' and
              its sum's roundings), E(dW) += (lambd/m) |W| + |dW| (the term, and the addition's rounding); as
              coupled weight decay, J and dW have no L2 part and the step is taken with g = dW + (lambd/m) W,
              E(g) = E(dW) + (lambd/m) |W| + |g|.
"""

from __future__ import annotations

import numpy as np

import reference
from parity import conventions
from parity.case import Case, dropout_masks
from parity.conventions import Variant
from parity.tolerance import parity_ulps, underflow_floor
from parity.trace import PARAMETERS, Key, Trace


def _g_prime(name: str, Z, A, at_zero: float | None = None):
    """|g'(Z)| for elementwise activations (``at_zero``: leaky ReLU's derivative at exactly 0, if not its slope)."""
    if name == "sigmoid":
        return A * (1 - A)
    if name == "tanh":
        return 1 - A * A
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name.startswith("leaky_relu"):
        slope = float(name[len("leaky_relu("):-1]) if "(" in name else 0.01
        return np.where(Z > 0, 1.0, np.where(Z == 0, abs(slope if at_zero is None else at_zero), abs(slope)))
    if name == "linear":
        return np.ones_like(Z)
    raise ValueError(f"no error model for the activation {name!r} (softmax is not elementwise)")


def _derivative_magnitude(name: str, Z, A, at_zero: float | None = None):
    """M_g': the magnitude of evaluating g'(Z) as the reference does."""
    if name == "sigmoid":
        return A * (1 + A)
    if name == "tanh":
        return 1 + A * A
    return _g_prime(name, Z, A, at_zero)


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


def _activation_backward(name: str, Z, A, dA, E_dA, E_Z, at_zero: float | None = None):
    if name == "softmax":
        return A * E_dA + A * (A * E_dA).sum(axis=0, keepdims=True) + np.abs(dA) * A * (1 + E_Z)
    return (_g_prime(name, Z, A, at_zero) * E_dA + np.abs(dA) * _g_second(name, A) * E_Z
            + np.abs(dA) * _derivative_magnitude(name, Z, A, at_zero))


def _loss_gradient_error(loss: str, A, Y, E_A, bce_floor: float = 0.0):
    """E(dA[L]) for the unfused, per-example loss gradient; ``bce_floor``: the floor torch's BCELoss puts under
    A (1 - A), where the denominator is a constant and no error flows through it."""
    n = A.shape[0]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if loss == "mse":
            return 2 * (E_A + np.abs(A) + np.abs(Y)) / n
        if loss == "categorical_crossentropy":
            return np.abs(Y) / A * (1 + E_A / A)
        if loss != "binary_crossentropy":
            raise ValueError(f"no error model for the loss {loss!r}")
        D = A * (1 - A)
        through_D = np.where(D >= bce_floor, np.abs(A - Y) * (1 + 2 * A) * E_A / (D * D), 0.0)
        return ((E_A + np.abs(A) + np.abs(Y)) / np.maximum(D, bce_floor) + through_D) / n


def _loss_terms(loss: str, A, Y, Z, tiny: float) -> float:
    """The sum, over samples, of the size of the terms a per-sample loss is computed from, beyond what flows
    in through Z[L]: one rounding of each probability carried through its log (|Y|, and |1 - Y| A / (1 - A) for
    the log of 1 - A, which cancels as A nears 1), and the absolute error a probability may carry at underflow,
    the smallest normal number (``tiny``, in units of eps), carried through its log (|Y| tiny / A: a framework's
    0 where the reference has a subnormal 1e-41 is a log clamped at -100 against -94); a
    logits loss (log-softmax, log1p(exp(-|z|))) adds terms of the size of the logits, which cancel when the loss
    is small; MSE squares A - Y, a difference of |A| + |Y|."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if loss == "mse":
            return float((2 * np.abs(A - Y) * (A + Y)).sum() / A.shape[0])
        near_zero = np.where(Y == 0, 0.0, Y * tiny / A)  # inf where A underflowed to 0 and Y > 0
        if loss == "categorical_crossentropy":
            return float((Y * (1 + np.abs(Z - Z.max(axis=0, keepdims=True))) + near_zero).sum())
        if loss != "binary_crossentropy":
            raise ValueError(f"no error model for the loss {loss!r}")
        through_log_q = np.where(Y == 1, 0.0, np.abs(1 - Y) * (A + tiny) / (1 - A))  # inf where A rounded to 1
        return float(((Y + np.abs(1 - Y)) * (1 + np.abs(Z)) + through_log_q + near_zero).sum() / A.shape[0])


def _logit_size(loss: str, Z):
    """|z|, or |z - max z| per column for softmax: how far from 0 the logits a logits loss's log-sum-exp adds are.
    Differentiated by autodiff (optax's log_sigmoid, log_softmax), dZ[L] is exp(z - logsumexp(z)) or its binary
    form, and the difference z - logsumexp(z) carries the absolute rounding of a number of that size: relative
    error eps |z| in dZ[L] (measured: JAX's dZ[L] of a sigmoid unit at z = -32 is 17 eps off (A - Y) / n,
    found by the fuzzer). A closed-form gradient (torch's BCEWithLogitsLoss) does better; the scale admits both."""
    if loss == "categorical_crossentropy":
        return np.abs(Z - Z.max(axis=0, keepdims=True))
    return np.abs(Z)


def _clipped(loss: str, A, epsilon: float):
    """|p|, the probabilities Keras's JAX and torch backends take the log of (``conventions.keras_clipped_cost``)."""
    if loss == "categorical_crossentropy":
        A = A / A.sum(axis=0, keepdims=True)
    return np.clip(A, epsilon, 1 - epsilon)


def _clipped_gradient_error(loss: str, A, Y, E_A, E_dA, dA):
    """E(dA[L]) of ``conventions.keras_clipped_gradient``: the unclipped form's where the gradient is not 0 (a
    clipped unit's exact 0 carries none); a categorical one adds the normalisation's sum(Y A / p) / S^2, about
    1 / S, computed from n[L] terms (each about one rounding, plus their inputs' E(A)) and a division."""
    if loss == "categorical_crossentropy":
        S = A.sum(axis=0, keepdims=True)
        n = A.shape[0]
        E_dA = E_dA + (Y.sum(axis=0, keepdims=True) * (n + 2 + E_A.sum(axis=0, keepdims=True) / S)) / S
    return np.where(dA == 0, 0.0, E_dA)


# Output pairs whose dZ[L] is c (A[L] - Y), however it is computed (fused, or through a guarded dA[L]).
_FUSED_LIKE = {("sigmoid", "binary_crossentropy"), ("softmax", "categorical_crossentropy"), ("linear", "mse")}
_FUSED_SCALE = {"binary_crossentropy": lambda n: 1 / n, "categorical_crossentropy": lambda n: 1.0,
                "mse": lambda n: 2 / n}


def error_scales(case: Case, variant: Variant, trace: Trace, activations: list[str]) -> dict[Key, np.ndarray]:
    """E(Q) for every quantity Q of ``trace`` (the reference run of ``case`` in ``variant``), in float64, each step
    from the state ``trace.starts`` says it started from."""
    X, Y = np.asarray(trace.X, dtype=np.float64), np.asarray(trace.Y, dtype=np.float64)
    L, m = case.L, case.m
    # an activation (or g'(Z)) at the underflow floor carries that much absolute error (parity.tolerance), which
    # the backward pass multiplies by dA: in units of eps, like every E
    underflow = underflow_floor(case.dtype) / np.finfo(np.dtype(case.dtype)).eps
    tiny = np.finfo(np.dtype(case.dtype)).tiny / np.finfo(np.dtype(case.dtype)).eps  # Higham's eta, in eps
    V = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in trace.values.items()}  # |value| of each Q
    E: dict[Key, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for s, start in enumerate(trace.starts):
            P = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in start.params.items()}  # |W|, |b| now
            A_abs, E_A = {0: np.abs(X)}, {0: np.zeros_like(X)}
            G_abs = {}  # |g(Z[l])|: A[l] before dropout (A[l] itself where nothing is dropped)
            scales = {l: D / case.keep_prob for l, D in dropout_masks(case, s).items()}  # D[l] / keep_prob
            pre, E_pre, bn = {}, {}, {}  # what g[l] is applied to (Z, or Z_tilde), its E; batch norm's terms
            for l in range(1, L + 1):
                Z, A = trace.values[Key(s, "forward", l, "Z")], trace.values[Key(s, "forward", l, "A")]
                E_Z = P[f"W{l}"] @ E_A[l - 1] + P[f"W{l}"] @ A_abs[l - 1] + P[f"b{l}"]
                E[Key(s, "forward", l, "Z")] = E_Z
                pre[l], E_pre[l] = np.asarray(Z, np.float64), E_Z
                if l in case.batchnorm_layers:
                    bn[l] = _batchnorm_forward(pre[l], E_Z, start.params[f"gamma{l}"], case.bn_epsilon)
                    pre[l] = np.asarray(trace.values[Key(s, "forward", l, "Z_tilde")], np.float64)
                    E[Key(s, "forward", l, "Z_tilde")] = E_pre[l] = bn[l]["E_Zt"] + np.abs(pre[l])
                A_abs[l] = np.abs(np.asarray(A, dtype=np.float64))
                G_abs[l] = np.abs(reference.get_activation(activations[l - 1]).forward(pre[l])) if l in scales \
                    else A_abs[l]
                E_A[l] = _activation_forward(activations[l - 1], pre[l], G_abs[l], E_pre[l]) + underflow
                if l in scales:  # dropout: g(Z) D / keep_prob, scaled errors and one rounding of the scaling
                    E_A[l] = scales[l] * E_A[l] + A_abs[l]
                E[Key(s, "forward", l, "A")] = E_A[l]
            dZ_L = V[Key(s, "backward", L, "dZ")]
            Z_L = np.asarray(trace.values[Key(s, "forward", L, "Z")])
            clip = variant.probability_clip
            A_loss = A_abs[L] if clip is None else _clipped(case.loss, A_abs[L], clip)  # what the logs see
            E[Key(s, "cost", None, "J")] = ((dZ_L * E[Key(s, "forward", L, "Z")]).sum() / m
                                            + V[Key(s, "cost", None, "J")]
                                            + _loss_terms(case.loss, A_loss, np.abs(Y), Z_L, tiny) / m)
            l2_in_cost = case.lambd > 0 and variant.l2 == "cost"
            if l2_in_cost:  # its term (lambd / 2m) sum W^2, twice: the squares' and the sum's roundings
                E[Key(s, "cost", None, "J")] += case.lambd / m * sum((P[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
            floor = conventions.TORCH_BCE_GRAD_FLOOR if variant.bce_guard == "torch" else 0.0
            E_dA = _loss_gradient_error(case.loss, A_abs[L], np.abs(Y), E_A[L], floor)
            if clip is not None:
                dA_L = V[Key(s, "backward", L, "dA")]
                E_dA = _clipped_gradient_error(case.loss, A_abs[L], np.abs(Y), E_A[L], E_dA, dA_L)
            chained = floor > 0 or clip is not None  # dZ[L] = dA[L] g'(Z[L]), not the fused c (A - Y)
            for l in range(L, 0, -1):
                Z, A = pre[l], G_abs[l]
                E[Key(s, "backward", l, "dA")] = E_dA
                dZ = V[Key(s, "backward", l, "dZ")]
                if l < L or (activations[-1], case.loss) not in _FUSED_LIKE or chained:
                    dA, E_dA_g = V[Key(s, "backward", l, "dA")], E_dA
                    if l in scales:  # dropout: dA D / keep_prob reaches g', with one rounding of the scaling
                        dA = scales[l] * dA
                        E_dA_g = scales[l] * E_dA + dA
                    E_dZ = _activation_backward(activations[l - 1], Z, A, dA, E_dA_g, E_pre[l],
                                                variant.leaky_prime_at_zero)
                    E_dZ = E_dZ + np.abs(dA) * underflow  # g'(Z) near underflow, scaled by dA
                    if l in bn:  # that was dZ_tilde; dZ, dgamma and dbeta come through the normalisation
                        E[Key(s, "backward", l, "dZ_tilde")] = E_dZ
                        dZ_tilde = np.asarray(trace.values[Key(s, "backward", l, "dZ_tilde")], np.float64)
                        E_dZ, E[Key(s, "backward", l, "dgamma")], E[Key(s, "backward", l, "dbeta")] = \
                            _batchnorm_backward(bn[l], dZ_tilde, E_dZ, V[Key(s, "backward", l, "dZ")])
                if l == L and (activations[-1], case.loss) in _FUSED_LIKE and clip is None:
                    fused = (E_A[L] + A + np.abs(Y)) * _FUSED_SCALE[case.loss](Y.shape[0])
                    if case.loss != "mse":  # autodiff through log-sum-exp: each logit's size, in the gradient
                        fused = fused + dZ * _logit_size(case.loss, Z)
                    # past torch's floor, dZ[L] is no longer c (A - Y): there it is the guarded dA[L] times g'
                    E_dZ = np.where(A * (1 - A) >= floor, fused, E_dZ) if floor > 0 else fused
                E[Key(s, "backward", l, "dZ")] = E_dZ
                E[Key(s, "backward", l, "dW")] = (E_dZ @ A_abs[l - 1].T + dZ @ E_A[l - 1].T
                                                  + dZ @ A_abs[l - 1].T) / m
                if l2_in_cost:  # + (lambd / m) W: the term's rounding and the sum's
                    E[Key(s, "backward", l, "dW")] += case.lambd / m * P[f"W{l}"] + V[Key(s, "backward", l, "dW")]
                E[Key(s, "backward", l, "db")] = (E_dZ + dZ).sum(axis=1, keepdims=True) / m
                E_dA = P[f"W{l}"].T @ E_dZ + P[f"W{l}"].T @ dZ
            for l in range(1, L + 1):
                for name in PARAMETERS:
                    grad = Key(s, "backward", l, f"d{name}")
                    if grad not in trace.values:  # no such parameter here: gamma, beta, or a normalised layer's b
                        continue
                    g, E_g = np.asarray(trace.values[grad], dtype=np.float64), E[grad]
                    if name == "W" and case.lambd > 0 and variant.l2 == "optimizer":
                        # coupled weight decay: the step's gradient is dW + (lambd / m) W, formed in the optimizer
                        g = g + case.lambd / m * np.asarray(start.params[f"W{l}"], dtype=np.float64)
                        E_g = E_g + case.lambd / m * P[f"W{l}"] + np.abs(g)
                    E.update(_update(case, variant, Key(s, "update", l, name), start, trace.values, g, E_g, V))
                    if name == "W" and case.weight_decay > 0:  # decoupled: - lr wd W, its term and one rounding
                        key = Key(s, "update", l, "W")
                        E[key] = E[key] + case.learning_rate * case.weight_decay * P[f"W{l}"] + V[key]
                if l in bn:
                    E.update(_running(case, variant, s, l, bn[l], start.buffers, V))
            if Key(s, "update", None, "t") in trace.values:
                E[Key(s, "update", None, "t")] = np.zeros(())
    return E


def _batchnorm_forward(Z, E_Z, gamma, epsilon: float) -> dict:
    """The normalisation's terms and their E, per unit over the batch (means over columns, reference/batchnorm.py):
    mu = mean(Z), E(mu) = mean(E(Z)) + mean|Z|; D = Z - mu, E(D) = E(Z) + E(mu) + |D|; var = mean(D^2),
    E(var) = 2 mean(|D| E(D)) + var; r = 1 / sqrt(var + eps), E(r) = r (E(var) + var + eps) / (2 (var + eps)) + r;
    Z_norm = D r, E(Z_norm) = E(D) r + |D| E(r) + |Z_norm|; Z_tilde = gamma Z_norm + beta,
    E(Z_tilde) = |gamma| E(Z_norm) + |gamma Z_norm| (+ |Z_tilde|, added by the caller)."""
    mu = Z.mean(axis=1, keepdims=True)
    E_mu = E_Z.mean(axis=1, keepdims=True) + np.abs(Z).mean(axis=1, keepdims=True)
    D = Z - mu
    E_D = E_Z + E_mu + np.abs(D)
    var = (D * D).mean(axis=1, keepdims=True)
    E_var = 2 * (np.abs(D) * E_D).mean(axis=1, keepdims=True) + var
    r = 1 / np.sqrt(var + epsilon)
    E_r = r * (E_var + var + epsilon) / (2 * (var + epsilon)) + r
    Zn = D * r
    E_Zn = E_D * r + np.abs(D) * E_r + np.abs(Zn)
    gamma = np.asarray(gamma, np.float64)
    return {"mu": mu, "E_mu": E_mu, "var": var, "E_var": E_var, "r": r, "E_r": E_r, "Zn": Zn, "E_Zn": E_Zn,
            "gamma": gamma, "E_Zt": np.abs(gamma) * E_Zn + np.abs(gamma * Zn), "m": Z.shape[1]}


def _batchnorm_backward(bn: dict, dZ_tilde, E_dZt, dZ_abs) -> tuple:
    """(E(dZ), E(dgamma), E(dbeta)) through ``reference.batchnorm_backward``: dbeta = mean(dZ_tilde),
    E = mean(E(dZ_tilde) + |dZ_tilde|); P = dZ_tilde Z_norm, E(P) = E(dZ_tilde) |Z_norm| + |dZ_tilde| E(Z_norm) + |P|,
    dgamma = mean(P), E = mean(E(P) + |P|); Q = dZ_tilde - dbeta - Z_norm dgamma,
    E(Q) = E(dZ_tilde) + E(dbeta) + |Z_norm| E(dgamma) + E(Z_norm) |dgamma| + |dZ_tilde| + |dbeta| + |Z_norm dgamma|;
    dZ = gamma r Q, E(dZ) = |gamma| (E(r) |Q| + r E(Q)) + 2 |dZ|."""
    Zn = bn["Zn"]
    mean = lambda x: x.mean(axis=1, keepdims=True)  # noqa: E731
    dbeta, E_dbeta = mean(dZ_tilde), mean(E_dZt + np.abs(dZ_tilde))
    Pr = dZ_tilde * Zn
    E_P = E_dZt * np.abs(Zn) + np.abs(dZ_tilde) * bn["E_Zn"] + np.abs(Pr)
    dgamma, E_dgamma = mean(Pr), mean(E_P + np.abs(Pr))
    Q = dZ_tilde - dbeta - Zn * dgamma
    E_Q = (E_dZt + E_dbeta + np.abs(Zn) * E_dgamma + bn["E_Zn"] * np.abs(dgamma) + np.abs(dZ_tilde)
           + np.abs(dbeta) + np.abs(Zn * dgamma))
    E_dZ = np.abs(bn["gamma"]) * (bn["E_r"] * np.abs(Q) + bn["r"] * E_Q) + 2 * dZ_abs
    return E_dZ, E_dgamma, E_dbeta


def _running(case: Case, variant: Variant, s: int, l: int, bn: dict, buffers: dict, V) -> dict[Key, np.ndarray]:
    """E of the running statistics after the step: running' = decay running + (1 - decay) c batch, with c = 1
    for the mean and m / (m - 1) for torch's unbiased variance: E = decay |running| + (1 - decay) c (E(batch) +
    |batch|) + |running'|."""
    c = bn["m"] / (bn["m"] - 1) if variant.bn_unbiased_running else 1.0
    decay = case.bn_decay
    out = {}
    for name, stat, E_stat, factor in (("running_mean", bn["mu"], bn["E_mu"], 1.0),
                                       ("running_var", bn["var"], bn["E_var"], c)):
        key = Key(s, "update", l, name)
        old = np.abs(np.asarray(buffers[f"{name}{l}"], np.float64))
        out[key] = decay * old + (1 - decay) * factor * (E_stat + np.abs(stat)) + V[key]
    return out


def _update(case: Case, variant: Variant, key: Key, start, values, g, E_g, V) -> dict[Key, np.ndarray]:
    """E of one parameter P after its step (``key``), and of its optimizer state, from the gradient g the step is
    taken with (dP, plus a coupled weight decay's term), E(g), the trace's ``values`` and their magnitudes ``V``;
    ``start`` is the state the step began from."""
    lr, s, l, name = case.learning_rate, key.step, key.layer, key.quantity
    v_key, s_key = Key(s, "update", l, f"v_d{name}"), Key(s, "update", l, f"s_d{name}")
    if case.optimizer == "sgd":
        return {key: lr * (E_g + np.abs(g)) + V[key]}
    v = np.abs(np.asarray(start.state.get(f"v_d{name}{l}", 0.0), dtype=np.float64))
    if case.optimizer == "momentum":
        beta = case.beta if variant.momentum_beta is None else variant.momentum_beta
        E_v = 2 * beta * v + E_g + V[v_key]
        return {v_key: E_v, key: lr * (E_v + V[v_key]) + V[key]}
    if case.optimizer != "adam":
        raise ValueError(f"case {case.name}: no error model for the optimizer {case.optimizer!r}")
    b1, b2, eps = case.beta1, case.beta2, case.epsilon
    t = start.t + 1
    m_new, v_new = V[v_key], V[s_key]
    s_old = np.abs(np.asarray(start.state.get(f"s_d{name}{l}", 0.0), dtype=np.float64))
    E_m = (1 - b1) * E_g + b1 * v + m_new
    # g^2's error is 2 |g| d + d^2 with d up to budget eps E(g): the second-order term is all there is where the
    # reference's gradient is exactly 0 and a framework's is a rounding error away from it
    second_order = parity_ulps(case.dtype) * np.finfo(np.dtype(case.dtype)).eps * E_g * E_g
    E_s = (1 - b2) * (2 * np.abs(g) * E_g + second_order) + b2 * s_old + v_new
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    if variant.adam_form == "epsilon_hat":
        # m a_t / (sqrt(v) + eps_hat) is the paper's form with eps = eps_hat / sqrt(1 - beta2^t)
        eps = eps / np.sqrt(bc2)
    # signed: m' and g decide whether the m and v sensitivities cancel
    m_hat, root = np.asarray(values[v_key], dtype=np.float64) / bc1, np.sqrt(v_new / bc2)
    D_m = 1 / (bc1 * (root + eps))
    D_v = np.where(root > 0, np.abs(m_hat) / (2 * root * bc2 * (root + eps) ** 2), 0.0)
    du_dg = (1 - b1) * D_m - np.where(root > 0, m_hat * (1 - b2) * g / (root * bc2 * (root + eps) ** 2), 0.0)
    u = np.abs(m_hat) / (root + eps)
    # u is far from linear where the gradient's own uncertainty d = budget eps E(g) is as large as g (u ~ g / |g|
    # at t = 1 flips sign with g): there the first-order du/dg E(g) undershoots, so u is also evaluated at g +- d
    # and the larger change, in the same units, bounds it (an interval evaluation; found by the fuzzer)
    unit = parity_ulps(case.dtype) * np.finfo(np.dtype(case.dtype)).eps
    m_old = np.asarray(start.state.get(f"v_d{name}{l}", 0.0), dtype=np.float64)
    through_g = np.abs(du_dg) * E_g
    for d in (unit * E_g, -unit * E_g):
        m_d = b1 * m_old + (1 - b1) * (g + d)
        v_d = b2 * s_old + (1 - b2) * (g + d) ** 2
        u_d = (m_d / bc1) / (np.sqrt(v_d / bc2) + eps)
        through_g = np.maximum(through_g, np.abs(u_d - m_hat / (root + eps)) / unit)
    # about four roundings of u's own: the bias corrections, the square root, the sum with eps, the division
    E_u = 4 * u + through_g + D_m * (b1 * v + m_new) + D_v * (b2 * s_old + v_new)
    return {v_key: E_m, s_key: E_s, key: lr * (E_u + u) + V[key]}
