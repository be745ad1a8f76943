"""The NumPy reference as an implementation: the textbook, or the variant a framework documents.

Run free (``starts=None``), the reference is the trajectory every step-local comparison starts from: its trace
records, in ``starts``, the parameters and optimizer state each step began with. Run with ``starts`` (a variant,
following a framework's formulas), each step begins from the given state instead, as the frameworks do.
"""

from __future__ import annotations

import numpy as np

import reference
from parity import conventions, layout
from parity.case import Case, batch, batchnorm_for, dropout_for, initial_buffers, initial_params, trained
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


def run(case: Case, variant: Variant = TEXTBOOK, starts: list[Start] | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps: free-running, or each step from ``starts[step]``."""
    params, buffers = initial_params(case), initial_buffers(case)
    X, Y = batch(case)
    activations = activation_objects(activations_for(case, variant), variant)
    optimizer = optimizer_for(case, variant)
    trace = Trace("reference" if variant == TEXTBOOK else f"reference[{','.join(variant.conventions)}]", X=X, Y=Y)
    L = case.L
    batchnorm = batchnorm_for(case)
    for s in range(case.steps):
        if starts is not None:
            params, buffers = starts[s].params, starts[s].buffers
            load_state(optimizer, case, starts[s])
        trace.starts.append(Start(params, optimizer_state(optimizer, case), optimizer.t, buffers))
        masks = dropout_for(case, s)
        AL, caches = reference.forward(params, X, activations, dropout=masks, batchnorm=batchnorm)
        for l in range(1, L + 1):
            trace.record(s, "forward", l, "Z", caches[l - 1].Z)
            if caches[l - 1].Z_tilde is not None:
                trace.record(s, "forward", l, "Z_tilde", caches[l - 1].Z_tilde)
            trace.record(s, "forward", l, "A", caches[l].A_prev if l < L else AL)
        if variant.bce_guard == "torch":
            J = conventions.torch_bce_cost(AL, Y)
            dAL = conventions.torch_bce_gradient(AL, Y)
            grads = reference.backward(AL, Y, caches, activations, case.loss, dAL=dAL, dropout=masks)
        elif variant.probability_clip is not None:
            J = conventions.keras_clipped_cost(AL, Y, case.loss, variant.probability_clip)
            dAL = conventions.keras_clipped_gradient(AL, Y, case.loss, variant.probability_clip,
                                                     variant.probability_clip_tie)
            grads = reference.backward(AL, Y, caches, activations, case.loss, dAL=dAL, dropout=masks)
        else:
            J = reference.cost(AL, Y, case.loss)
            # dA[L] on its own (the backward pass may use the fused dZ[L] instead); at a saturated output it
            # can overflow, which is what the frameworks' unfused paths meet too.
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                dAL = reference.loss_gradient(AL, Y, case.loss)
            grads = reference.backward(AL, Y, caches, activations, case.loss, dropout=masks)
        # L2 regularisation: the course's is part of J and dW; coupled weight decay (variant.l2 == "optimizer")
        # leaves both to the data loss and adds (lambd / m) W to the gradient the step is taken with
        lambd = case.lambd if variant.l2_lambd is None else variant.l2_lambd
        regularised = reference.l2_gradients(grads, params, lambd, case.m) if lambd else grads
        if lambd and variant.l2 == "cost":
            J, grads = J + reference.l2_cost(params, lambd, case.m), regularised
        trace.record(s, "cost", None, "J", J)
        for l in range(L, 0, -1):
            trace.record(s, "backward", l, "dA", dAL if l == L else grads[f"dA{l}"])
            for q in ("dZ_tilde", "dZ", "dW", "db", "dgamma", "dbeta"):
                if f"{q}{l}" in grads and (q != "db" or trained(case, f"b{l}")):
                    trace.record(s, "backward", l, q, grads[f"{q}{l}"])
        # a batch-normalised layer's b stays 0: beta takes its place, and no framework has that bias
        before = {k: v for k, v in params.items() if trained(case, k)}
        updated = reference.update(before, regularised, optimizer)
        weight_decay = case.weight_decay if variant.weight_decay is None else variant.weight_decay
        if weight_decay:
            updated = reference.decoupled_weight_decay(before, updated, weight_decay, case.learning_rate)
        trace.record_named(s, updated)
        buffers = _running(case, variant, buffers, caches)
        trace.record_named(s, buffers)
        params = {**params, **updated}
        trace.record_state(s, optimizer_state(optimizer, case), optimizer.t if case.optimizer == "adam" else None)
    trace.dtypes = {"parameters": str(params["W1"].dtype), "activations": str(AL.dtype)}
    return trace
