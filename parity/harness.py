"""Run one case in the reference and the frameworks, and compare: Case -> Traces -> Results.

``run_case(case, frameworks)`` is the single entry point that tests, reports and the CLI call (``run_cases`` is
the same over many cases, with the worker processes computing ahead). A framework that is not installed is
recorded in ``skipped`` with the reason, never an import crash.

The verdict is step-local: the reference runs free and records the state each step starts from; every framework
(and every documented variant of the reference) runs each step from that same state, loaded into its own
objects, so each step is compared with a single-step error bound. Separately, each framework also runs free
for the case's steps, and its trajectory's drift from the reference's is measured (``drift``): a measurement
of how rounding differences grow along a trajectory, never a verdict.
"""

from __future__ import annotations

import functools
import importlib
import itertools
from dataclasses import dataclass, field

import numpy as np

from parity import conventions, environment, frameworks, memo, worker
from parity.case import Case, batch, initial_params
from parity.compare import Result, compare, coverage, first_divergence, verdict
from parity.conventions import TEXTBOOK
from parity.error_scale import error_scales
from parity.frameworks import FRAMEWORKS, framework_applies
from parity.implementations import reference as reference_implementation
from parity.trace import PARAMETERS, Key, Trace
from parity.worker import Operation


@dataclass
class CaseResult:
    case: Case
    results: list[Result] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run
    dtypes: dict[str, dict] = field(default_factory=dict)  # framework -> dtypes it really used
    variants: dict[str, list[str]] = field(default_factory=dict)  # framework -> conventions applied
    defaults: dict[str, dict] = field(default_factory=dict)  # framework -> the runtime defaults its run read
    costs: dict[str, list[float]] = field(default_factory=dict)  # implementation -> J at each step, run free
    # framework -> quantity ("J", "W[1]", "b[1]", ...) -> relative drift of its free run from the reference's
    drift: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    # framework -> what of the reference's trace it was judged on (``parity.compare.coverage``)
    coverage: dict[str, dict] = field(default_factory=dict)

    @property
    def first_divergence(self) -> Result | None:
        return first_divergence(self.results)

    def verdict(self, framework: str) -> str:
        """``framework``'s verdict for the case (``parity.compare.verdict``: its worst result's status)."""
        return verdict(r for r in self.results if r.framework == framework)

    @property
    def passed(self) -> bool:
        """No comparison failed and every one was informative."""
        return verdict(self.results) in ("pass", "explained")


def _module(framework: str):
    return importlib.import_module(f"parity.implementations.{frameworks.get(framework).module}")


def _elsewhere(framework: str) -> str | None:
    """The Keras backend of the worker that must run ``framework``, or None when this process can."""
    backend = frameworks.get(framework).keras_backend
    return backend if backend not in (None, environment.keras_backend()) else None


@functools.cache
def runtime_defaults(framework: str) -> dict:
    """The installed framework's defaults (cached per process); ImportError if it is not installed."""
    if backend := _elsewhere(framework):
        return worker.call(backend, Operation.RUNTIME_DEFAULTS, framework)
    return _module(framework).runtime_defaults(framework)


def framework_trace(case: Case, framework: str, starts) -> Trace:
    """``framework``'s step-local run of ``case``: step s from ``starts[s]``."""
    if backend := _elsewhere(framework):
        return worker.call(backend, Operation.FRAMEWORK_TRACE, case, framework, starts)
    return _module(framework).run(case, framework, starts)


@dataclass(frozen=True)
class FrameworkRuns:
    """Everything of one framework that ``run_case`` needs for one case: what a worker sends back whole, and what
    ``parity.memo`` remembers. It unpacks, in this order, as the tuple it replaced did."""

    defaults: dict | None  # its runtime defaults; None when it is not installed
    skipped: str | None  # why it did not run (not installed, a dtype it does not compute in), or None
    trace: Trace | None  # its step-local run; None when skipped
    free: Trace | None  # its free run (for the drift); None when skipped or without drift

    def __iter__(self):
        return iter((self.defaults, self.skipped, self.trace, self.free))


def framework_runs(case: Case, framework: str, starts, drift: bool) -> FrameworkRuns:
    """Everything of ``framework`` that ``run_case`` needs, computed in this process. A worker runs this whole,
    in one request."""
    try:
        defaults = runtime_defaults(framework)
    except ImportError as error:
        return FrameworkRuns(None, f"{error.name or framework} is not installed", None, None)
    if reason := defaults.get("unsupported_dtypes", {}).get(case.dtype):
        return FrameworkRuns(defaults, reason, None, None)
    actual = framework_trace(case, framework, starts)
    free = None
    if drift:
        free = actual if case.steps == 1 else free_run(case, framework)  # one step: the same run
    return FrameworkRuns(defaults, None, actual, free)


def reference_trace(case: Case, variant, starts=None, params=None) -> tuple[Trace, dict]:
    """The reference's run of ``case`` in ``variant`` (free, from ``params`` if given, or step-local from
    ``starts``), and the error scale E of each quantity."""
    trace = reference_implementation.run(case, variant, starts, params)
    activations = reference_implementation.activations_for(case, variant)
    return trace, error_scales(case, variant, trace, activations)


def run_case(case: Case, frameworks=FRAMEWORKS, drift: bool = True, remember: bool = False) -> CaseResult:
    """Run ``case`` in the reference and in each applicable framework; compare each with the reference,
    step-locally, and (unless ``drift=False``) measure each framework's free-running drift. ``remember``: read
    and write the frameworks' runs in ``parity.memo`` (the comparisons are made afresh either way)."""
    return next(run_cases([case], frameworks, drift, remember))


def run_cases(cases, frameworks=FRAMEWORKS, drift: bool = True, remember: bool = False, counts: dict | None = None,
              spread: bool = False):
    """``run_case`` of each of ``cases``, yielded in order as each is ready; the same results, faster.

    The frameworks that run in a worker process (Keras on JAX and on PyTorch) are sent every case's request
    before this process starts on its own frameworks, so the workers compute while it does: on two cores the
    three processes share the machine instead of taking turns. An interrupted iteration cancels what the workers
    have not started. With ``remember``, a framework run that ``parity.memo`` holds for exactly these inputs is
    read instead of computed (a worker is then never started for it), and each run computed is stored there;
    ``counts``, if given, gains how many runs were "remembered" and how many "computed". With ``spread``, a
    framework whose registry row names workers to spread to (``Framework.spread``) runs in one of them too, among
    those the run starts for Keras (the same functions, so the same numbers).
    """
    frameworks = tuple(frameworks)
    counts = {} if counts is None else counts
    for framework in frameworks:
        _module(framework)  # an unknown name fails here, before anything runs
    # spread only to the workers this run starts anyway: a run of JAX or torch alone needs no Keras worker
    used = {_elsewhere(framework) for framework in frameworks} - {None}
    planned, spreading = [], _spreading(frameworks, used) if spread else {}
    try:
        for case in cases:
            textbook, textbook_E = reference_trace(case, TEXTBOOK)
            applicable = [framework for framework in frameworks if framework_applies(case, framework)]
            known = {framework: runs for framework in applicable if remember
                     and (runs := memo.load_runs(case, framework, textbook, drift)) is not None}
            remote = {framework: worker.submit(backend, Operation.FRAMEWORK_RUNS, case, framework, textbook.starts,
                                               drift)
                      for framework in applicable if framework not in known
                      and (backend := _elsewhere(framework) or (next(spreading[framework])
                                                                  if framework in spreading else None))}
            planned.append((case, textbook, textbook_E, known, remote))
        for case, textbook, textbook_E, known, remote in planned:
            yield _compared(case, frameworks, textbook, textbook_E, known, remote, drift, remember, counts)
    finally:
        for *_, remote in planned:
            for future in remote.values():
                future.cancel()


def _spreading(names, used: set) -> dict:
    """framework -> an endless turn over the workers (by Keras backend) its registry row spreads it to
    (``Framework.spread``), among the ``used`` ones that the run starts anyway."""
    return {name: itertools.cycle(backends) for name in names
            if (backends := [backend for backend in frameworks.get(name).spread if backend in used])}


def _framework_runs(case: Case, framework: str, textbook: Trace, known: dict, remote: dict, drift: bool,
                    remember: bool, counts: dict) -> FrameworkRuns:
    """``framework``'s runs of ``case``: remembered, sent back by a worker, or computed here (and then stored
    when ``remember``, unless it failed to import: a broken or hidden install is no property of the packages the
    memo's namespace names)."""
    if framework in known:
        counts["remembered"] = counts.get("remembered", 0) + 1
        return known[framework]
    answer = (remote[framework].result() if framework in remote
              else framework_runs(case, framework, textbook.starts, drift))
    runs = FrameworkRuns(*answer)  # a worker's answer, or a test's stand-in for one with the same fields in order
    counts["computed"] = counts.get("computed", 0) + 1
    if remember and runs.defaults is not None:
        memo.store_runs(case, framework, textbook, drift, runs)
    return runs


def _compared(case: Case, frameworks, textbook: Trace, textbook_E: dict, known: dict, remote: dict, drift: bool,
              remember: bool, counts: dict) -> CaseResult:
    result = CaseResult(case)
    result.costs["reference"] = _costs(textbook, case)
    for framework in frameworks:
        if not framework_applies(case, framework):
            continue
        runs = _framework_runs(case, framework, textbook, known, remote, drift, remember, counts)
        defaults, actual, free = runs.defaults, runs.trace, runs.free
        if defaults is not None:
            result.defaults[framework] = defaults
        if runs.skipped:
            result.skipped[framework] = runs.skipped
            continue
        variant = conventions.variant_for(case, framework, defaults)
        variant_trace = variant_E = None
        if variant.conventions:
            variant_trace, variant_E = reference_trace(case, variant, textbook.starts)
        compared = compare(case, framework, actual, textbook, textbook_E, variant, variant_trace, variant_E)
        result.results += compared
        result.coverage[framework] = coverage(case, framework, textbook, compared)
        result.dtypes[framework] = actual.dtypes
        result.variants[framework] = list(variant.conventions)
        if drift:
            result.costs[framework] = _costs(free, case)
            # a framework that reports the data loss alone (l2-as-weight-decay) has another J: only its
            # parameters' drift is a measurement of the trajectory
            result.drift[framework] = trajectory_drift(free, textbook, case,
                                                       with_cost=not (case.lambd and variant.l2 == "optimizer"))
    return result


def free_run(case: Case, framework: str) -> Trace:
    """``framework`` trained free for ``case.steps`` steps from the case's initial weights: J before each update
    and W, b after it (in the reference layout)."""
    if backend := _elsewhere(framework):
        return worker.call(backend, Operation.FREE_RUN, case, framework)
    trace = Trace(framework)
    X, Y = batch(case)
    steps = _module(framework).iterate(case, initial_params(case), X, Y, framework)
    for s in range(case.steps):
        J, _, params = next(steps)
        trace.record(s, "cost", None, "J", J)
        trace.record_named(s, params())
    return trace


def relative_drift(params: dict, reference_params: dict) -> float:
    """max |P - P_ref| / max |P_ref| over every array of ``reference_params`` (the difference itself where the
    reference is all zeros)."""
    with np.errstate(invalid="ignore", over="ignore"):
        difference = max(float(np.max(np.abs(np.asarray(params[k], np.float64) - reference_params[k]), initial=0.0))
                         for k in reference_params)
    scale = max(float(np.max(np.abs(np.asarray(v, np.float64)), initial=0.0)) for v in reference_params.values())
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return difference / scale if scale > 0 else difference


def trajectory_drift(free: Trace, textbook: Trace, case: Case, with_cost: bool = True) -> dict[str, list[float]]:
    """``relative_drift`` of a free run from the reference's, per step and quantity: the cost J (unless
    ``with_cost`` is False), and each trained parameter (W[l], b[l], gamma[l], beta[l]) after the step's update."""
    keys = [Key(0, "cost", None, "J")] if with_cost else []
    keys += [Key(0, "update", l, q) for l in range(1, case.L + 1) for q in PARAMETERS
             if Key(0, "update", l, q) in textbook.values]
    return {key.quantity if key.layer is None else f"{key.quantity}[{key.layer}]":
            [relative_drift({0: free.values[key._replace(step=s)]}, {0: textbook.values[key._replace(step=s)]})
             for s in range(case.steps)] for key in keys}


def _costs(trace: Trace, case: Case) -> list[float]:
    return [float(trace.values[Key(s, "cost", None, "J")]) for s in range(case.steps)]
