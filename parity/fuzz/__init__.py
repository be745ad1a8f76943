"""Fuzzing: cases nobody wrote by hand, drawn from a seed, run in every framework, failures shrunk to one command.

    draw_case(choose, stem)     one valid Case from the spaces of ``draw``; ``choose(label, options)`` picks one
                                option, from a numpy Generator (``numpy_chooser``) or from Hypothesis
                                (``hypothesis_cases``)
    generate(seed, i)           case i of seed: a function of (seed, i) alone, named ``fuzz-s{seed}-{i}-{dtype}``
    run(case, frameworks)       its Outcome: results, framework errors, and one verdict
    shrink(outcome)             a greedy reduction to a minimal case that still fails the same way
    replay_command(case, ...)   the one command that reproduces a case: ``python -m parity fuzz --replay '<json>'``
    fuzz(seed, frameworks, ...) the campaign: cases until a count or a time bound, then its Summary

The modules: ``draw`` (the spaces and the draw), ``outcome`` (running a case; the records of what was found),
``shrink``, ``replay`` (a case as JSON and as a command), ``render`` (text and JSON of a campaign). Every name
they offer is importable from ``parity.fuzz``; ``parity.fuzz.shrink`` is the function, which shadows its module's
name here (import the module's other names from here, or with ``from parity.fuzz.shrink import ...``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from parity.case import EDGES, OPTIMIZERS, Case
from parity.compare import Result
from parity.fuzz.draw import (
    ACTIVATIONS,
    BASE_ACTIVATIONS,
    BATCH_SIZES,
    BATCHES_PER_EPOCH,
    BATCHNORMS,
    DECAY_INTERVALS,
    DECAY_RATES,
    DEPTHS,
    DTYPES,
    EDGE_ODDS,
    FEWEST_OUTPUTS,
    INITS,
    INPUT_SCALES,
    KEEP_PROBS,
    LAMBDAS,
    LEAKY_SLOPES,
    LEARNING_RATES,
    LOSSES,
    OUTPUTS,
    RELU_FAMILY,
    SCHEDULES,
    STEPS,
    WEIGHT_DECAYS,
    WIDTHS,
    Choose,
    applicable_edges,
    check,
    draw_case,
    generate,
    hypothesis_cases,
    numpy_chooser,
)
from parity.fuzz.outcome import UNINFORMATIVE, VERDICTS, Finding, Outcome, Shrunk, Summary, run
from parity.fuzz.render import (
    MARKDOWN_LIST,
    describe_outcome,
    progress_line,
    shape,
    to_document,
    to_markdown,
    where,
)
from parity.fuzz.replay import case_from_json, case_json, replay_command
from parity.fuzz.shrink import SHRINK_FAILURES, SHRINK_RUNS, SHRINK_SECONDS, reductions, same_failure, shrink

__all__ = [
    "ACTIVATIONS", "BASE_ACTIVATIONS", "BATCHES_PER_EPOCH", "BATCHNORMS", "BATCH_SIZES", "DECAY_INTERVALS",
    "DECAY_RATES", "DEPTHS", "DTYPES", "EDGES", "EDGE_ODDS", "FEWEST_OUTPUTS", "INITS", "INPUT_SCALES", "KEEP_PROBS",
    "LAMBDAS", "LEAKY_SLOPES", "LEARNING_RATES", "LOSSES", "MARKDOWN_LIST", "OPTIMIZERS", "OUTPUTS", "RELU_FAMILY",
    "SCHEDULES", "SHRINK_FAILURES", "SHRINK_RUNS", "SHRINK_SECONDS", "STEPS", "UNINFORMATIVE", "VERDICTS",
    "WEIGHT_DECAYS", "WIDTHS", "Case", "Choose", "Finding", "Outcome", "Result", "Shrunk", "Summary",
    "applicable_edges", "case_from_json", "case_json", "check", "describe_outcome", "draw_case", "fuzz", "generate",
    "hypothesis_cases", "numpy_chooser", "progress_line", "reductions", "replay_command", "run", "same_failure",
    "shape", "shrink", "to_document", "to_markdown", "where",
]


def fuzz(seed: int, frameworks: Sequence[str], cases: int | None = None, seconds: float | None = None,
         progress: Callable[[Summary, Outcome], None] | None = None,
         announce: Callable[[str], None] | None = None) -> Summary:
    """Run cases 0, 1, ... of ``seed`` until ``cases`` are done or ``seconds`` have passed (whichever first),
    then shrink the first ``SHRINK_FAILURES`` findings (not counted in ``seconds``), announcing each.

    It lives here, not in a module of its own, so that it draws with this package's ``generate``: replacing
    ``parity.fuzz.generate`` (as the tests do, to run a planted case) changes what a campaign runs."""
    if cases is None and seconds is None:
        raise ValueError("fuzz needs a bound: a number of cases or of seconds")
    summary = Summary(seed, tuple(frameworks))
    started = time.perf_counter()
    while (cases is None or summary.cases < cases) and (seconds is None or time.perf_counter() - started < seconds):
        outcome = run(generate(seed, summary.cases), frameworks)
        summary.add(outcome)
        if progress is not None:
            progress(summary, outcome)
    summary.seconds = time.perf_counter() - started
    shrinking = summary.findings[:SHRINK_FAILURES]
    for k, finding in enumerate(shrinking, start=1):
        if announce is not None:
            announce(f"shrinking {finding.outcome.case.name} ({k} of {len(shrinking)}, at most {SHRINK_RUNS} runs "
                     f"or {SHRINK_SECONDS:g} s) ...")
        finding.shrunk = shrink(finding.outcome)
    return summary
