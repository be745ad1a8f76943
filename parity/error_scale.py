"""The rounding scale of each computation: what an implementation's error is measured against.

A float result's rounding error is not proportional to the result but to the *terms* that produced it: the
sum 0.3 - 0.2999 carries an error of about eps * 0.3, not eps * 1e-4; and errors that flow in from earlier
results are scaled by how sensitive this result is to them. So every quantity Q of the reference trace gets
an error coefficient E(Q): first-order forward error analysis (Higham, "Accuracy and Stability of Numerical
Algorithms", ch. 3) with one rounding per operation, so that a correct implementation's Q is within a small
multiple of eps * E(Q) of the reference's, elementwise, whatever the cancellation.

Every step is judged on its own (step-local): each implementation starts step s from the same numbers, the
reference's parameters and optimizer state after step s - 1, so E(X) = E(Y) = E(W) = E(b) = 0 at the start of
every step and nothing is carried from one step to the next. With mini-batches, X, Y and m are the step's
mini-batch's (``parity.case.step_batch``), and lr is the step's learning rate. Written with |.| elementwise and
the reference's values:

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
    update    E(lr) = 4 |lr| (a schedule's a_0 / (1 + r e), a_0 r^e: a few roundings; no lr without a schedule)
              E(W') = lr (E(d) + |d|) + |W'|, with d the step direction: g = dW (SGD); the momentum buffer
              v' = beta v + g, E(v') = 2 beta |v| + E(g) + |v'| (the loaded v may take one rounding: Keras holds
              -lr v); Adam's u = m_hat / (sqrt(v_hat) + eps), with m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
              E(m') = (1 - b1) E(g) + b1 |m| + |m'|,  E(v') = 2 (1 - b2) |g| E(g) + b2 |v| + |v'|,
              E(u) = |du/dg| E(g) + D_m (b1 |m| + |m'|) + D_v (b2 |v| + |v'|) + 4 |u|, where du/dg keeps its sign
              (the m and v terms cancel: at t = 1, u = g / (|g| + eps) and du/dg = eps / (|g| + eps)^2),
              D_m = 1 / (bc1 (sqrt(v_hat) + eps)) and D_v = |m_hat| / (2 sqrt(v_hat) bc2 (sqrt(v_hat) + eps)^2);
              where g's own uncertainty is as large as g, |du/dg| E(g) gives way to u evaluated at g +- budget eps E(g).
              The state is compared too: E(v_dW) is E(v') for momentum and E(m') for Adam, E(s_dW) is E(v'), and
              t is an exact count, E(t) = 0.
    clip      Keras's clipped cross-entropies (``conventions.keras_clipped_gradient``): where rounding can put p on
              either side of a bound, E(dA[L]) gains the jump between the two branches (``_clip_branch_error``)
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

from dataclasses import dataclass, field

import numpy as np

import reference
from parity import conventions
from parity.case import Case, dropout_masks, learning_rate_at, step_batch
from parity.conventions import Variant
from parity.implementations.reference import activation_objects, optimizer_for
from parity.tolerance import parity_ulps, underflow_floor
from parity.trace import PARAMETERS, Key, Trace


def _activation_forward(g: reference.activations.Activation, Z, A, E_Z):
    """E(A) = |g'(Z)| E(Z) + |A|; softmax (not elementwise): A E(Z) + A (A^T E(Z)) + A."""
    if not g.elementwise:
        return A * E_Z + A * (A * E_Z).sum(axis=0, keepdims=True) + A
    return np.abs(g.derivative(Z, A)) * E_Z + np.abs(A)


def _activation_backward(g: reference.activations.Activation, Z, A, dA, E_dA, E_Z):
    """E(dZ) = |g'(Z)| E(dA) + |dA| |g''(Z)| E(Z) + |dA| M_g'; softmax, dZ = A (dA - s) with s = A^T dA: its
    Jacobian's, A E(dA) + A (A^T E(dA)) + (|dA| + A^T |dA|) A (1 + E(Z)), the A^T |dA| the size of s, whose own
    rounding and whose subtraction from dA round at that size (where dA_i is far smaller than s, at a unit whose
    probability is tiny, only that term bounds the error)."""
    if not g.elementwise:
        s_size = (A * np.abs(dA)).sum(axis=0, keepdims=True)
        return A * E_dA + A * (A * E_dA).sum(axis=0, keepdims=True) + (np.abs(dA) + s_size) * A * (1 + E_Z)
    return (np.abs(g.derivative(Z, A)) * E_dA + np.abs(dA) * g.second_derivative(A) * E_Z
            + np.abs(dA) * g.size_of_derivative(Z, A))


def _clipped(loss: reference.losses.Loss, A, epsilon: float):
    """|p|, the probabilities Keras's JAX and torch backends take the log of (``conventions.keras_clipped_cost``):
    a distribution's renormalised first."""
    if loss.distribution:
        A = A / A.sum(axis=0, keepdims=True)
    return np.clip(A, epsilon, 1 - epsilon)


def _clipped_gradient_error(loss: reference.losses.Loss, A, Y, E_A, E_dA, dA):
    """E(dA[L]) of ``conventions.keras_clipped_gradient``: the unclipped form's where the gradient is not 0 (a
    clipped unit's exact 0 carries none); a distribution's adds the normalisation's sum(Y A / p) / S^2, about
    1 / S, computed from n[L] terms (each about one rounding, plus their inputs' E(A)) and a division."""
    if loss.distribution:
        S = A.sum(axis=0, keepdims=True)
        n = A.shape[0]
        E_dA = E_dA + (Y.sum(axis=0, keepdims=True) * (n + 2 + E_A.sum(axis=0, keepdims=True) / S)) / S
    return np.where(dA == 0, 0.0, E_dA)


def _clip_branch_error(st: _Step):
    """E(dA[L]) where rounding picks the branch of Keras's clip. The clip's derivative jumps at its bounds (1
    inside, 0 past them, a tie value on them), and the saturated probabilities it clips sit on a grid of a few
    floats next to 1 - eps: a p within the comparison's own tolerance of a bound (budget eps E(p)) lies on either
    side in an implementation that rounded S or A / S otherwise (fuzz seed 12, keras-torch: torch's vectorised sum
    against NumPy's put p = A / S one float past 1 - eps, and dA[1] was 0 where the reference's, on the bound, was
    1). There dA[L] may take either branch, so its E gains the jump between them, |dA(c = 1) - dA(c = 0)| with c
    the clip's derivative at those units only, in units of budget eps: the tolerance admits both branches there
    and nothing more elsewhere (a categorical unit's jump reaches its whole column through the normalisation).
    E(p) = E(A) (binary); p (n[L] + sum_units E(A) / S) + E(A) / S (categorical: S's n[L] - 1 additions, the
    division). 0 where no p is near a bound. E(A) of a saturated softmax is the model's bound, wider than any
    implementation's error, so a column whose p is 1, one float past the bound, counts as near too: in such a
    column a value between the two branches passes, a value past both fails (tests/test_clip_branch.py)."""
    case, L = st.case, st.case.L
    A, E_A, Y = st.A_abs[L], st.E_A[L], np.abs(st.Y)
    unit = parity_ulps(case.dtype) * np.finfo(np.dtype(case.dtype)).eps
    epsilon = st.variant.probability_clip
    lo, hi = (float(np.dtype(case.dtype).type(bound)) for bound in (epsilon, 1.0 - epsilon))  # as the backends cast
    Q = conventions.keras_clip_input(A, case.loss)
    if st.loss.distribution:
        S = A.sum(axis=0, keepdims=True)
        E_Q = Q * (A.shape[0] + E_A.sum(axis=0, keepdims=True) / S) + E_A / S
    else:
        E_Q = E_A
    near = (np.abs(Q - lo) <= unit * E_Q) | (np.abs(Q - hi) <= unit * E_Q)
    if not near.any():
        return 0.0
    inside = ((Q > lo) & (Q < hi)).astype(np.float64)
    passed, clipped = (conventions.keras_clipped_gradient(A, Y, case.loss, epsilon, 1.0,
                                                          mask=np.where(near, branch, inside))
                       for branch in (1.0, 0.0))
    return np.abs(passed - clipped) / unit


@dataclass
class _Step:
    """One step's model: the case's records, the reference's values and their magnitudes, and the E so far."""

    case: Case
    variant: Variant
    trace: Trace
    s: int
    start: object
    activations: list
    loss: reference.losses.Loss
    V: dict
    E: dict
    underflow: float
    tiny: float
    P: dict = field(default_factory=dict)  # |W|, |b| this step started from
    A_abs: dict = field(default_factory=dict)
    E_A: dict = field(default_factory=dict)
    G_abs: dict = field(default_factory=dict)  # |g(Z[l])|: A[l] before dropout (A[l] where nothing is dropped)
    scales: dict = field(default_factory=dict)  # dropout's D[l] / keep_prob
    pre: dict = field(default_factory=dict)  # what g[l] is applied to (Z or Z_tilde) and its E; batch norm's terms
    E_pre: dict = field(default_factory=dict)
    bn: dict = field(default_factory=dict)
    X: np.ndarray | None = None  # the step's batch (its mini-batch), in float64, and its m
    Y: np.ndarray | None = None
    m: int = 0
    lr: float = 0.0  # the step's learning rate

    def value(self, stage: str, l, quantity: str):
        return self.trace.values[Key(self.s, stage, l, quantity)]

    def set(self, stage: str, l, quantity: str, E_Q) -> None:
        self.E[Key(self.s, stage, l, quantity)] = E_Q


def error_scales(case: Case, variant: Variant, trace: Trace, activations: list[str]) -> dict[Key, np.ndarray]:
    """E(Q) for every quantity Q of ``trace`` (the reference run of ``case`` in ``variant``), in float64, each step
    from the state ``trace.starts`` says it started from: the reference's stages in order (``reference.network``:
    forward, cost, backward; then the update), each derived from the activation, loss and optimizer records."""
    eps = np.finfo(np.dtype(case.dtype)).eps
    # an activation (or g'(Z)) at the underflow floor carries that much absolute error (parity.tolerance), which
    # the backward pass multiplies by dA: in units of eps, like every E
    underflow = underflow_floor(case.dtype) / eps
    tiny = np.finfo(np.dtype(case.dtype)).tiny / eps  # Higham's eta, in eps
    V = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in trace.values.items()}  # |value| of each Q
    records = activation_objects(activations, variant)
    records = [reference.get_activation(g) for g in records]
    loss = reference.losses.get_loss(case.loss)
    E: dict[Key, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for s, start in enumerate(trace.starts):
            step = _Step(case, variant, trace, s, start, records, loss, V, E, underflow, tiny)
            step.X, step.Y = (np.asarray(a, dtype=np.float64) for a in step_batch(case, s))
            step.m, step.lr = step.X.shape[1], learning_rate_at(case, s)
            _forward(step)
            _cost(step)
            _backward(step)
            _update_all(step)
    return E


def _forward(st: _Step) -> None:
    """E(Z[l]) = |W| E(A[l-1]) + |W| |A[l-1]| + |b|; batch norm's Z_tilde; E(A[l]) through g (and dropout)."""
    case, X = st.case, st.X
    st.P = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in st.start.params.items()}
    st.A_abs, st.E_A = {0: np.abs(X)}, {0: np.zeros_like(X)}
    st.scales = {l: D / case.keep_prob for l, D in dropout_masks(case, st.s).items()}
    for l in range(1, case.L + 1):
        Z, A = st.value("forward", l, "Z"), st.value("forward", l, "A")
        W = st.P[f"W{l}"]
        E_Z = W @ st.E_A[l - 1] + W @ st.A_abs[l - 1] + st.P[f"b{l}"]
        st.set("forward", l, "Z", E_Z)
        st.pre[l], st.E_pre[l] = np.asarray(Z, np.float64), E_Z
        if l in case.batchnorm_layers:
            st.bn[l] = _batchnorm_forward(st.pre[l], E_Z, st.start.params[f"gamma{l}"], case.bn_epsilon)
            st.pre[l] = np.asarray(st.value("forward", l, "Z_tilde"), np.float64)
            st.E_pre[l] = st.bn[l]["E_Zt"] + np.abs(st.pre[l])
            st.set("forward", l, "Z_tilde", st.E_pre[l])
        g = st.activations[l - 1]
        st.A_abs[l] = np.abs(np.asarray(A, dtype=np.float64))
        st.G_abs[l] = np.abs(g.forward(st.pre[l])) if l in st.scales else st.A_abs[l]
        st.E_A[l] = _activation_forward(g, st.pre[l], st.G_abs[l], st.E_pre[l]) + st.underflow
        if l in st.scales:  # dropout: g(Z) D / keep_prob, scaled errors and one rounding of the scaling
            st.E_A[l] = st.scales[l] * st.E_A[l] + st.A_abs[l]
        st.set("forward", l, "A", st.E_A[l])


def _cost(st: _Step) -> None:
    """E(J) = (1/m) sum |dZ[L]| E(Z[L]) + |J| + (1/m) T (the loss's own terms), + the L2 term's roundings."""
    case, L, m = st.case, st.case.L, st.m
    Y = np.abs(st.Y)
    clip = st.variant.probability_clip
    A_loss = st.A_abs[L] if clip is None else _clipped(st.loss, st.A_abs[L], clip)  # what the logs see
    Z_L = np.asarray(st.value("forward", L, "Z"))
    E_J = ((st.V[Key(st.s, "backward", L, "dZ")] * st.E[Key(st.s, "forward", L, "Z")]).sum() / m
           + st.V[Key(st.s, "cost", None, "J")] + st.loss.terms(A_loss, Y, Z_L, st.tiny) / m)
    if case.lambd > 0 and st.variant.l2 == "cost":  # (lambd / 2m) sum W^2, twice: the squares' and the sum's
        E_J += case.lambd / m * sum((st.P[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    st.set("cost", None, "J", E_J)


def _output_gradient_error(st: _Step) -> tuple[np.ndarray, float, bool]:
    """(E(dA[L]), torch's BCE floor or 0, whether dZ[L] is chained through dA[L] g' rather than c (A - Y))."""
    L, Y = st.case.L, np.abs(st.Y)
    floor = conventions.TORCH_BCE_GRAD_FLOOR if st.variant.bce_guard == "torch" else 0.0
    E_dA = st.loss.gradient_error(st.A_abs[L], Y, st.E_A[L], floor)
    if st.variant.probability_clip is not None:
        dA_L = st.V[Key(st.s, "backward", L, "dA")]
        E_dA = _clipped_gradient_error(st.loss, st.A_abs[L], Y, st.E_A[L], E_dA, dA_L) + _clip_branch_error(st)
    return E_dA, floor, floor > 0 or st.variant.probability_clip is not None


def _backward(st: _Step) -> None:
    """E(dZ[l]) through g' (dropout, batch norm), or c (A - Y) at a fused output; then E(dW), E(db), E(dA_prev)."""
    case, L, m = st.case, st.case.L, st.m
    Y = np.abs(st.Y)
    E_dA, floor, chained = _output_gradient_error(st)
    fused = st.activations[-1].name == st.loss.fused_with
    for l in range(L, 0, -1):
        Z, A = st.pre[l], st.G_abs[l]
        st.set("backward", l, "dA", E_dA)
        dZ = st.V[Key(st.s, "backward", l, "dZ")]
        if l < L or not fused or chained:
            E_dZ = _chained_dZ(st, l, E_dA)
        if l == L and fused and st.variant.probability_clip is None:
            c = st.loss.scale(Y.shape[0])
            # autodiff through log-sum-exp: each logit's size, in the gradient (0 for MSE)
            E_fused = (st.E_A[L] + A + Y) * c + dZ * st.loss.logit_size(Z)
            # past torch's floor, dZ[L] is no longer c (A - Y): there it is the guarded dA[L] times g'
            E_dZ = np.where(A * (1 - A) >= floor, E_fused, E_dZ) if floor > 0 else E_fused
        st.set("backward", l, "dZ", E_dZ)
        A_prev, E_A_prev = st.A_abs[l - 1], st.E_A[l - 1]
        E_dW = (E_dZ @ A_prev.T + dZ @ E_A_prev.T + dZ @ A_prev.T) / m
        if case.lambd > 0 and st.variant.l2 == "cost":  # + (lambd / m) W: the term's rounding and the sum's
            E_dW += case.lambd / m * st.P[f"W{l}"] + st.V[Key(st.s, "backward", l, "dW")]
        st.set("backward", l, "dW", E_dW)
        st.set("backward", l, "db", (E_dZ + dZ).sum(axis=1, keepdims=True) / m)
        W = st.P[f"W{l}"]
        E_dA = W.T @ E_dZ + W.T @ dZ


def _chained_dZ(st: _Step, l: int, E_dA):
    """E(dZ[l]) = E of dA[l] g'(Z[l]) (after dropout's scaling); through batch normalisation where l is normalised,
    setting E(dZ_tilde), E(dgamma) and E(dbeta) on the way."""
    dA, E_dA_g = st.V[Key(st.s, "backward", l, "dA")], E_dA
    if l in st.scales:  # dropout: dA D / keep_prob reaches g', with one rounding of the scaling
        dA = st.scales[l] * dA
        E_dA_g = st.scales[l] * E_dA + dA
    E_dZ = _activation_backward(st.activations[l - 1], st.pre[l], st.G_abs[l], dA, E_dA_g, st.E_pre[l])
    E_dZ = E_dZ + np.abs(dA) * st.underflow  # g'(Z) near underflow, scaled by dA
    if l in st.bn:  # that was dZ_tilde; dZ, dgamma and dbeta come through the normalisation
        st.set("backward", l, "dZ_tilde", E_dZ)
        dZ_tilde = np.asarray(st.value("backward", l, "dZ_tilde"), np.float64)
        E_dZ, E_dgamma, E_dbeta = _batchnorm_backward(st.bn[l], dZ_tilde, E_dZ, st.V[Key(st.s, "backward", l, "dZ")])
        st.set("backward", l, "dgamma", E_dgamma)
        st.set("backward", l, "dbeta", E_dbeta)
    return E_dZ


def _update_all(st: _Step) -> None:
    """E of every parameter and optimizer state after the step, and of batch norm's running statistics."""
    case, variant, m = st.case, st.variant, st.m
    optimizer = optimizer_for(case, variant)
    if Key(st.s, "update", None, "lr") in st.trace.values:  # a_0 / (1 + r e) and its kin: a few roundings
        st.E[Key(st.s, "update", None, "lr")] = 4 * st.V[Key(st.s, "update", None, "lr")]
    for l in range(1, case.L + 1):
        for name in PARAMETERS:
            grad = Key(st.s, "backward", l, f"d{name}")
            if grad not in st.trace.values:  # no such parameter here: gamma, beta, or a normalised layer's b
                continue
            g, E_g = np.asarray(st.trace.values[grad], dtype=np.float64), st.E[grad]
            if name == "W" and case.lambd > 0 and variant.l2 == "optimizer":
                # coupled weight decay: the step's gradient is dW + (lambd / m) W, formed in the optimizer
                g = g + case.lambd / m * np.asarray(st.start.params[f"W{l}"], dtype=np.float64)
                E_g = E_g + case.lambd / m * st.P[f"W{l}"] + np.abs(g)
            st.E.update(_update(st, optimizer, l, name, g, E_g))
            if name == "W" and case.weight_decay > 0:  # decoupled: - lr wd W, its term and one rounding
                key = Key(st.s, "update", l, "W")
                st.E[key] = st.E[key] + st.lr * case.weight_decay * st.P[f"W{l}"] + st.V[key]
        if l in st.bn:
            st.E.update(_running(case, variant, st.s, l, st.bn[l], st.start.buffers, st.V))
    if Key(st.s, "update", None, "t") in st.trace.values:
        st.E[Key(st.s, "update", None, "t")] = np.zeros(())


def _update(st: _Step, optimizer, l: int, name: str, g, E_g) -> dict[Key, np.ndarray]:
    """E(P') = lr E(d) + |P'| for the optimizer's step direction d, and E of its state slots (``rounding`` of the
    reference optimizer's record); the state before the step is the start's, after it the trace's."""
    s = st.s
    slot_key = {slot: Key(s, "update", l, f"{slot}_d{name}") for slot in optimizer.slots}
    before = {slot: np.asarray(st.start.state.get(f"{slot}_d{name}{l}", 0.0), dtype=np.float64)
              for slot in optimizer.slots}
    after = {slot: np.asarray(st.trace.values[key], dtype=np.float64) for slot, key in slot_key.items()}
    unit = parity_ulps(st.case.dtype) * np.finfo(np.dtype(st.case.dtype)).eps
    E_slots, E_direction = optimizer.rounding(g, E_g, before, after, st.start.t + 1, unit)
    key = Key(s, "update", l, name)
    return {**{slot_key[slot]: E_slot for slot, E_slot in E_slots.items()},
            key: st.lr * E_direction + st.V[key]}


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
