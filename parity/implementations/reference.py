"""The NumPy reference as an implementation: the textbook, or the variant a framework documents."""

from __future__ import annotations

import numpy as np

import reference
from parity import conventions
from parity.case import Case, batch, initial_params
from parity.conventions import TEXTBOOK, Variant
from parity.trace import Trace


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


def optimizer_for(case: Case, variant: Variant):
    if case.optimizer == "sgd":
        return reference.SGD(case.learning_rate)
    if case.optimizer == "momentum":
        return reference.Momentum(case.learning_rate, variant.momentum_beta, form=variant.momentum_form)
    return reference.Adam(case.learning_rate, 0.9, 0.999, variant.adam_epsilon, form=variant.adam_form,
                          bias_correction_betas=variant.adam_bias_correction_betas)


def run(case: Case, variant: Variant = TEXTBOOK) -> Trace:
    params = initial_params(case)
    X, Y = batch(case)
    activations = activations_for(case, variant)
    optimizer = optimizer_for(case, variant)
    trace = Trace("reference" if variant == TEXTBOOK else f"reference[{','.join(variant.conventions)}]")
    L = case.L
    for s in range(case.steps):
        AL, caches = reference.forward(params, X, activations)
        for l in range(1, L + 1):
            trace.record(s, "forward", l, "Z", caches[l - 1].Z)
            trace.record(s, "forward", l, "A", caches[l].A_prev if l < L else AL)
        if variant.bce_guard == "torch":
            J = conventions.torch_bce_cost(AL, Y)
            dAL = conventions.torch_bce_gradient(AL, Y)
            grads = reference.backward(AL, Y, caches, activations, case.loss, dAL=dAL)
        else:
            J = reference.cost(AL, Y, case.loss)
            # dA[L] on its own (the backward pass may use the fused dZ[L] instead); at a saturated output it
            # can overflow, which is what the frameworks' unfused paths meet too.
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                dAL = reference.loss_gradient(AL, Y, case.loss)
            grads = reference.backward(AL, Y, caches, activations, case.loss)
        trace.record(s, "cost", None, "J", J)
        for l in range(L, 0, -1):
            trace.record(s, "backward", l, "dA", dAL if l == L else grads[f"dA{l}"])
            for q in ("dZ", "dW", "db"):
                trace.record(s, "backward", l, q, grads[f"{q}{l}"])
        params = reference.update(params, grads, optimizer)
        for l in range(1, L + 1):
            trace.record(s, "update", l, "W", params[f"W{l}"])
            trace.record(s, "update", l, "b", params[f"b{l}"])
    trace.dtypes = {"parameters": str(params["W1"].dtype), "activations": str(AL.dtype)}
    return trace
