"""The NumPy reference as an implementation: the textbook, or the variant a framework documents.

Run free (``starts=None``), the reference is the trajectory every step-local comparison starts from: its trace
records, in ``starts``, the parameters and optimizer state each step began with. Run with ``starts`` (a variant,
following a framework's formulas), each step begins from the given state instead, as the frameworks do.
"""

from __future__ import annotations

import numpy as np

import reference
from parity import conventions, layout
from parity.case import (
    Case,
    batch,
    batchnorm_for,
    dropout_for,
    initial_buffers,
    initial_params,
    learning_rate_at,
    step_batch,
    trained,
)
from parity.conventions import TEXTBOOK, Variant
from parity.trace import Start, Trace


def activations_for(case: Case, variant: Variant) -> list[str]:
    """The case's activation names with every leaky ReLU slope made explicit, as the variant computes it."""
    names = []
    for name in case.activations:
        if name.startswith("leaky_relu"):
            slope = reference.get_activation(name).slope
            if name == "leaky_relu" and variant.leaky_slope is not None:
                slope = variant.leaky_slope
            if variant.leaky_slope_float32:
                slope = float(np.float32(slope))
            name = f"leaky_relu({slope!r})"
        names.append(name)
    return names


def activation_objects(names: list[str], variant: Variant) -> list:
    """The activations the variant computes with: the names themselves, or, where the variant takes leaky ReLU's
    derivative at exactly 0 otherwise (jax-leaky-relu-at-zero), an ``Activation`` with that derivative."""
    if variant.leaky_prime_at_zero is None:
        return names
    records = [reference.get_activation(name) for name in names]
    return [g.with_derivative_at_zero(variant.leaky_prime_at_zero) if g.slope is not None else g for g in records]


def optimizer_for(case: Case, variant: Variant):
    """The reference optimizer of ``case``: its record's hyper-parameters from the case, then the variant's
    options (a framework's form of the update, a hyper-parameter as the framework rounds it)."""
    optimizer = reference.optimizers.get_optimizer(case.optimizer)
    options = {name: getattr(case, name) for name in optimizer.hyperparameters}
    return optimizer(**{**options, **dict(variant.optimizer_options)})


def optimizer_state(optimizer, case: Case) -> dict:
    """The optimizer's state in the reference's form (momentum as the heavy-ball buffer)."""
    state = optimizer.state()
    if getattr(optimizer, "form", None) == "velocity":
        state = {k: layout.buffer_from_velocity(v, case.learning_rate) for k, v in state.items()}
    return state


def load_state(optimizer, case: Case, start: Start) -> None:
    """Start ``optimizer`` from ``start``'s state, given in the reference's form."""
    state = start.state
    if getattr(optimizer, "form", None) == "velocity":
        state = {k: layout.velocity_from_buffer(v, case.learning_rate) for k, v in state.items()}
    optimizer.load_state(state, start.t)


def _running(case: Case, variant: Variant, buffers: dict, caches) -> dict:
    """Batch normalisation's running statistics after the step: decay running + (1 - decay) batch, the batch
    variance biased (the textbook, Keras) or unbiased (torch: the torch-batchnorm-running-variance convention)."""
    out = {}
    for l in case.batchnorm_layers:
        out[f"running_mean{l}"], out[f"running_var{l}"] = reference.update_running(
            buffers[f"running_mean{l}"], buffers[f"running_var{l}"], caches[l - 1].bn, case.m, case.bn_decay,
            unbiased=variant.bn_unbiased_running)
    return out


def _cost_and_gradients(case: Case, variant: Variant, AL, Y, caches, activations, masks):
    """(J, dA[L], grads) in the variant's form of the loss: torch's BCE guards, Keras's clipped probabilities, or
    the textbook's."""
    if variant.bce_guard == "torch":
        J, dAL = conventions.torch_bce_cost(AL, Y), conventions.torch_bce_gradient(AL, Y)
        return J, dAL, reference.backward(AL, Y, caches, activations, case.loss, dAL=dAL, dropout=masks)
    if variant.probability_clip is not None:
        J = conventions.keras_clipped_cost(AL, Y, case.loss, variant.probability_clip)
        dAL = conventions.keras_clipped_gradient(AL, Y, case.loss, variant.probability_clip,
                                                 variant.probability_clip_tie)
        return J, dAL, reference.backward(AL, Y, caches, activations, case.loss, dAL=dAL, dropout=masks)
    J = reference.cost(AL, Y, case.loss)
    # dA[L] on its own (the backward pass may use the fused dZ[L] instead); at a saturated output it can
    # overflow, which is what the frameworks' unfused paths meet too.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dAL = reference.loss_gradient(AL, Y, case.loss)
    return J, dAL, reference.backward(AL, Y, caches, activations, case.loss, dropout=masks)


def _record_forward(trace: Trace, s: int, L: int, AL, caches) -> None:
    for l in range(1, L + 1):
        trace.record(s, "forward", l, "Z", caches[l - 1].Z)
        if caches[l - 1].Z_tilde is not None:
            trace.record(s, "forward", l, "Z_tilde", caches[l - 1].Z_tilde)
        trace.record(s, "forward", l, "A", caches[l].A_prev if l < L else AL)


def _record_backward(trace: Trace, case: Case, s: int, dAL, grads) -> None:
    for l in range(case.L, 0, -1):
        trace.record(s, "backward", l, "dA", dAL if l == case.L else grads[f"dA{l}"])
        for q in ("dZ_tilde", "dZ", "dW", "db", "dgamma", "dbeta"):
            if f"{q}{l}" in grads and (q != "db" or trained(case, f"b{l}")):
                trace.record(s, "backward", l, q, grads[f"{q}{l}"])


def _updated(case: Case, variant: Variant, params: dict, grads: dict, optimizer, lr: float) -> dict:
    """The trained parameters after the optimizer's step at learning rate ``lr`` (and decoupled weight decay)."""
    # a batch-normalised layer's b stays 0: beta takes its place, and no framework has that bias
    before = {k: v for k, v in params.items() if trained(case, k)}
    optimizer.learning_rate = lr
    updated = reference.update(before, grads, optimizer)
    weight_decay = case.weight_decay if variant.weight_decay is None else variant.weight_decay
    if weight_decay:
        updated = reference.decoupled_weight_decay(before, updated, weight_decay, lr)
    return updated


def run(case: Case, variant: Variant = TEXTBOOK, starts: list[Start] | None = None,
        params: dict | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps: free-running, or each step from ``starts[step]``. Step s trains
    on its mini-batch (``step_batch``) at its epoch's learning rate (``learning_rate_at``). ``params``: the
    weights a free run starts from (a user's model's own, ``parity.ports``) instead of the case's seeded ones."""
    buffers = initial_buffers(case)
    params = initial_params(case) if params is None else {k: np.asarray(v, dtype=case.dtype) for k, v in params.items()}
    X, Y = batch(case)
    activations = activation_objects(activations_for(case, variant), variant)
    optimizer = optimizer_for(case, variant)
    trace = Trace("reference" if variant == TEXTBOOK else f"reference[{','.join(variant.conventions)}]", X=X, Y=Y)
    batchnorm = batchnorm_for(case)
    lambd = case.lambd if variant.l2_lambd is None else variant.l2_lambd
    for s in range(case.steps):
        if starts is not None:
            params, buffers = starts[s].params, starts[s].buffers
            load_state(optimizer, case, starts[s])
        lr, X_s, Y_s = learning_rate_at(case, s, variant.schedule_float32), *step_batch(case, s)
        trace.starts.append(Start(params, optimizer_state(optimizer, case), optimizer.t, buffers,
                                  learning_rate_at(case, max(s - 1, 0), variant.schedule_float32)))
        masks = dropout_for(case, s)
        AL, caches = reference.forward(params, X_s, activations, dropout=masks, batchnorm=batchnorm)
        _record_forward(trace, s, case.L, AL, caches)
        J, dAL, grads = _cost_and_gradients(case, variant, AL, Y_s, caches, activations, masks)
        # L2 regularisation: the course's is part of J and dW; coupled weight decay (variant.l2 == "optimizer")
        # leaves both to the data loss and adds (lambd / m) W to the gradient the step is taken with
        regularised = reference.l2_gradients(grads, params, lambd, case.m) if lambd else grads
        if lambd and variant.l2 == "cost":
            J, grads = J + reference.l2_cost(params, lambd, case.m), regularised
        trace.record(s, "cost", None, "J", J)
        _record_backward(trace, case, s, dAL, grads)
        if case.scheduled:
            trace.record(s, "update", None, "lr", lr)
        updated = _updated(case, variant, params, regularised, optimizer, lr)
        trace.record_named(s, updated)
        buffers = _running(case, variant, buffers, caches)
        trace.record_named(s, buffers)
        params = {**params, **updated}
        trace.record_state(s, optimizer_state(optimizer, case), optimizer.t if optimizer.counted else None)
    trace.dtypes = {"parameters": str(params["W1"].dtype), "activations": str(AL.dtype)}
    return trace
