"""Shrinking a failing case: greedy steps to a minimal case that still fails the same way.

    reductions(case)            valid cases one step simpler, most effective first
    same_failure(outcome)       whether a run fails as ``outcome`` did (not merely fails)
    shrink(outcome)             the minimal failing case, within ``SHRINK_RUNS`` runs and ``SHRINK_SECONDS``

Simpler means earlier in its space (``parity.fuzz.draw``): each space lists its simplest option first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from parity.case import OPTIMIZERS, Case
from parity.fuzz.draw import (
    ACTIVATIONS,
    BATCHNORMS,
    DECAY_INTERVALS,
    DECAY_RATES,
    INITS,
    INPUT_SCALES,
    KEEP_PROBS,
    LAMBDAS,
    LEARNING_RATES,
    LOSSES,
    OUTPUTS,
    SCHEDULES,
    WEIGHT_DECAYS,
    check,
)
from parity.fuzz.outcome import Outcome, Shrunk, run

# Shrinking: each candidate costs one run, in one framework (the first that failed: torch runs a drawn case in
# about 0.1 s, Keras in 1-2 s). A greedy shrink of a drawn case took 35-95 runs; past either bound the smallest
# failing case so far is reported. Only the first few findings are shrunk; the others keep their own command.
SHRINK_RUNS = 150
SHRINK_SECONDS = 60.0
SHRINK_FAILURES = 5


def _simpler(value, options: Sequence) -> list:
    """The options listed before ``value`` in its space: the simpler ones, simplest first."""
    return list(options[: list(options).index(value)]) if value in options else [options[0]]


def reductions(case: Case) -> list[Case]:
    """Valid cases one step simpler than ``case``, each no larger in any dimension, most effective first."""
    candidates = []
    change = lambda **changes: candidates.append(changes)  # noqa: E731
    dims, acts = list(case.layer_dims), list(case.activations)
    for steps in sorted({1, case.steps - 1} - {0}):
        if steps < case.steps:
            change(steps=steps)
    for l in range(1, case.L):  # drop hidden layer l
        change(layer_dims=tuple(dims[:l] + dims[l + 1:]), activations=tuple(acts[: l - 1] + acts[l:]))
    for m in sorted({1, case.m // 2, case.m - 1} - {0}):
        if m < case.m:
            change(m=m)
    for j, n in enumerate(dims):
        for narrower in sorted({1, n // 2, n - 1} - {0}):
            if narrower < n:
                change(layer_dims=tuple(dims[:j] + [narrower] + dims[j + 1:]))
    for optimizer in _simpler(case.optimizer, OPTIMIZERS):
        change(optimizer=optimizer)
    if case.edge is not None:
        change(edge=None)
    for l, name in enumerate(acts[:-1]):
        for simpler in _simpler(name, ACTIVATIONS):
            change(activations=tuple(acts[:l] + [simpler] + acts[l + 1:]))
    loss = LOSSES[0]
    output = OUTPUTS[loss][0][0]
    if (acts[-1], case.loss) != (output, loss):
        change(activations=tuple(acts[:-1] + [output]), loss=loss)
    for name, space in (("input_scale", INPUT_SCALES), ("init", INITS), ("learning_rate", LEARNING_RATES),
                        ("lambd", LAMBDAS), ("keep_prob", KEEP_PROBS), ("batchnorm", BATCHNORMS),
                        ("weight_decay", WEIGHT_DECAYS), ("mini_batch_size", (None,)),
                        ("schedule", SCHEDULES), ("decay_rate", DECAY_RATES), ("decay_interval", DECAY_INTERVALS)):
        for simpler in _simpler(getattr(case, name), space):
            change(**{name: simpler})
    valid = []
    for changes in candidates:
        try:
            candidate = replace(case, **changes)
            check(candidate)
        except ValueError:
            continue
        valid.append(candidate)
    return valid


def _signature(outcome: Outcome) -> set[tuple]:
    """What went wrong, independent of the network's size: (framework, stage, quantity) of each first divergence,
    (framework, exception type) of each error."""
    return ({(fw, r.stage, r.quantity) for fw, r in outcome.first_divergence.items()}
            | {(fw, message.split(":", 1)[0]) for fw, message in outcome.errors.items()})


def same_failure(original: Outcome) -> Callable[[Outcome], bool]:
    """Whether a run still fails as ``original`` did: a first divergence at the same stage and quantity in one of
    the same frameworks (its step and layer may move), or the same exception. Shrinking holds on to this, not to
    any failure, so that it cannot slip from one bug to another."""
    signature = _signature(original)
    return lambda outcome: bool(_signature(outcome) & signature)


def shrink(original: Outcome, max_runs: int = SHRINK_RUNS, max_seconds: float = SHRINK_SECONDS) -> Shrunk:
    """Greedy shrinking: take the first reduction that still fails the same way (``same_failure``) in the first
    framework that failed, repeat until none does (or a bound is reached); then run the result in every framework
    that failed, for the report.

    Every accepted step is simpler in one dimension and no larger in any, so the result is never larger than the
    original, and it is a local minimum when the bounds suffice.
    """
    framework = original.failing_frameworks[0]
    still_fails = same_failure(original)
    best, runs, started = original.case, 0, time.perf_counter()
    improved = True
    while improved and runs < max_runs and time.perf_counter() - started < max_seconds:
        improved = False
        for candidate in reductions(best):
            if runs >= max_runs or time.perf_counter() - started >= max_seconds:
                break
            runs += 1
            if still_fails(run(candidate, [framework])):
                best, improved = candidate, True
                break
    outcome = original if best == original.case else run(best, original.failing_frameworks)
    return Shrunk(original, outcome, runs)
