"""Run one case in the reference and the frameworks, and compare: Case -> Traces -> Results.

``run_case(case, frameworks)`` is the single entry point that tests, reports and the CLI call. A framework
that is not installed is recorded in ``skipped`` with the reason, never an import crash.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field

from parity import conventions
from parity.case import Case
from parity.compare import Result, compare, first_divergence
from parity.conventions import TEXTBOOK
from parity.implementations import FRAMEWORKS, framework_applies
from parity.implementations import reference as reference_implementation
from parity.magnitude import magnitudes
from parity.trace import Key, Trace

_MODULES = {"torch": "parity.implementations.torch", "torch-logits": "parity.implementations.torch",
            "keras": "parity.implementations.keras"}


@dataclass
class CaseResult:
    case: Case
    results: list[Result] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run
    dtypes: dict[str, dict] = field(default_factory=dict)  # framework -> dtypes it really used
    variants: dict[str, list[str]] = field(default_factory=dict)  # framework -> conventions applied
    costs: dict[str, list[float]] = field(default_factory=dict)  # implementation -> J at each step

    @property
    def first_divergence(self) -> Result | None:
        return first_divergence(self.results)

    @property
    def passed(self) -> bool:
        return all(r.status != "fail" for r in self.results)


def _module(framework: str):
    if framework not in _MODULES:
        raise ValueError(f"unknown framework {framework!r}; valid names: {', '.join(FRAMEWORKS)}")
    return importlib.import_module(_MODULES[framework])


@functools.cache
def runtime_defaults(framework: str) -> dict:
    """The installed framework's defaults (cached per process); ImportError if it is not installed."""
    return _module(framework).runtime_defaults()


def framework_trace(case: Case, framework: str) -> Trace:
    return _module(framework).run(case, framework)


def reference_trace(case: Case, variant) -> tuple[Trace, dict]:
    """The reference's run of ``case`` in ``variant``, and the error scale E of each quantity."""
    trace = reference_implementation.run(case, variant)
    activations = reference_implementation.activations_for(case, variant)
    return trace, magnitudes(case, variant, trace, activations)


def run_case(case: Case, frameworks=FRAMEWORKS) -> CaseResult:
    """Run ``case`` in the reference and in each applicable framework; compare each with the reference."""
    result = CaseResult(case)
    textbook, textbook_S = reference_trace(case, TEXTBOOK)
    result.costs["reference"] = _costs(textbook, case)
    for framework in frameworks:
        _module(framework)  # an unknown name fails here, before anything runs
        if not framework_applies(case, framework):
            continue
        try:
            defaults = runtime_defaults(framework)
        except ImportError as error:
            result.skipped[framework] = f"{error.name or framework} is not installed"
            continue
        actual = framework_trace(case, framework)
        variant = conventions.variant_for(case, framework, defaults)
        variant_trace = variant_S = None
        if variant.conventions:
            variant_trace, variant_S = reference_trace(case, variant)
        result.results += compare(case, framework, actual, textbook, textbook_S, variant, variant_trace, variant_S)
        result.dtypes[framework] = actual.dtypes
        result.variants[framework] = list(variant.conventions)
        result.costs[framework] = _costs(actual, case)
    return result


def _costs(trace: Trace, case: Case) -> list[float]:
    return [float(trace.values[Key(s, "cost", None, "J")]) for s in range(case.steps)]
