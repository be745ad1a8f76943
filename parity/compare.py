"""Compare a framework's trace with the reference's, quantity by quantity, in computation order.

Each quantity is measured against the textbook reference, and, where a convention applies, against the
reference variant that follows the framework's documented formula (``parity.conventions``):

    pass       within budget * eps * S of the textbook (elementwise), and of the variant where there is one
    explained  within tolerance of the framework's documented variant but not of the textbook: the divergence
               is the documented one, and its measured size equals the predicted |variant - textbook|
    fail       outside the tolerance of what the framework documents (the variant where there is one,
               otherwise the textbook): a real difference

Errors are reported in the units people quote: ``max_abs`` (largest |difference|), ``max_rel`` (largest
|difference| over the largest |reference| element of the quantity), and ``ulps`` (largest |difference| in
units of eps * S, the rounding scale of the computation, see ``parity.magnitude``), with the index of the
worst element. ``atol`` is the largest absolute error the tolerance allows on any element and ``rtol`` the
allowed error as a fraction of S (budget * eps).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from parity import conventions
from parity.conventions import Variant
from parity.tolerance import parity_ulps
from parity.trace import QUANTITIES, STAGES, Key, Trace, computation_order


@dataclass
class Measure:
    max_abs: float
    max_rel: float
    ulps: float
    worst_index: list[int]
    shape_error: str | None = None


def measure(actual, expected, S, dtype) -> Measure:
    """How far ``actual`` is from ``expected``, elementwise, with S the magnitude of ``expected``'s computation."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return Measure(float("inf"), float("inf"), float("inf"), [],
                       f"shape {actual.shape} where {expected.shape} was expected")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
        error = np.where(same, 0.0, np.abs(actual - expected))
        error = np.where(np.isnan(error), np.inf, error)
        scale = np.finfo(np.dtype(dtype)).eps * np.asarray(S, dtype=np.float64)
        in_ulps = np.where(error == 0, 0.0, error / scale)
        largest = np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)
    worst = np.unravel_index(int(np.argmax(in_ulps)), in_ulps.shape) if in_ulps.size else ()
    max_abs = float(error.max(initial=0.0))
    max_rel = max_abs / largest if largest > 0 else (0.0 if max_abs == 0 else float("inf"))
    return Measure(max_abs, float(max_rel), float(in_ulps.max(initial=0.0)), [int(i) for i in worst])


@dataclass
class Result:
    """One framework/step/stage/layer/quantity comparison (a row of report.json's ``results``)."""

    case: str
    framework: str
    step: int
    stage: str
    layer: int | None
    quantity: str
    max_abs: float
    max_rel: float
    ulps: float
    worst_index: list[int]
    atol: float
    rtol: float
    status: str
    budget_ulps: float  # the tolerance, in ulps of the computation's magnitude
    headroom: float  # ulps (from the variant, if any) / budget: the fraction of the tolerance used
    explanation: str | None = None
    conventions: list[str] = field(default_factory=list)
    predicted_max_abs: float | None = None  # |variant - textbook|, for explained results
    variant_ulps: float | None = None  # |framework - variant| in ulps, where a convention applies
    note: str | None = None

    @property
    def key(self) -> Key:
        return Key(self.step, self.stage, self.layer, self.quantity)

    def to_dict(self) -> dict:
        return asdict(self)


def compare(
    case,
    framework: str,
    actual: Trace,
    textbook: Trace,
    textbook_S: dict[Key, np.ndarray],
    variant: Variant,
    variant_trace: Trace | None = None,
    variant_S: dict[Key, np.ndarray] | None = None,
) -> list[Result]:
    """One ``Result`` per quantity both traces hold, in computation order."""
    budget = parity_ulps(case.dtype)
    eps = float(np.finfo(np.dtype(case.dtype)).eps)
    rtol = budget * eps
    results = []
    for key in computation_order(case.L, case.steps):
        if key not in actual.values or key not in textbook.values:
            continue
        m = measure(actual.values[key], textbook.values[key], textbook_S[key], case.dtype)
        status, extra = ("pass" if m.ulps <= budget else "fail"), {}
        if variant_trace is not None and key in variant_trace.values:
            # The framework's documented formula is the expectation; the textbook only decides whether the
            # difference is worth explaining.
            mv = measure(actual.values[key], variant_trace.values[key], variant_S[key], case.dtype)
            extra["variant_ulps"] = mv.ulps
            if mv.ulps > budget:
                status = "fail"
            elif status == "fail":
                status = "explained"
                predicted = measure(variant_trace.values[key], textbook.values[key], textbook_S[key], case.dtype)
                extra["predicted_max_abs"] = predicted.max_abs
                extra["conventions"] = list(variant.conventions)
                extra["explanation"] = " ".join(conventions.get(c).title + "." for c in variant.conventions)
        with np.errstate(over="ignore", invalid="ignore"):
            atol = float(np.nanmax(np.asarray(textbook_S[key], dtype=np.float64), initial=0.0) * rtol)
        results.append(Result(
            case=case.name, framework=framework, step=key.step, stage=key.stage, layer=key.layer,
            quantity=key.quantity, max_abs=m.max_abs, max_rel=m.max_rel, ulps=m.ulps, worst_index=m.worst_index,
            atol=atol, rtol=rtol, status=status, budget_ulps=budget, note=m.shape_error,
            headroom=extra.get("variant_ulps", m.ulps) / budget,
            **extra,
        ))
    return results


def first_divergence(results: list[Result]) -> Result | None:
    """The first failed result in computation order (results are in that order per framework)."""
    failed = [r for r in results if r.status == "fail"]
    return min(failed, key=lambda r: _order_index(r), default=None)


_QUANTITY_ORDER = [q for stage in STAGES for q in QUANTITIES[stage]]


def _order_index(result: Result) -> tuple:
    """Sort key following ``trace.computation_order``: step, stage, layer (L..1 in backward), quantity."""
    layer = result.layer or 0
    if result.stage == "backward":
        layer = -layer
    return (result.step, STAGES.index(result.stage), layer, _QUANTITY_ORDER.index(result.quantity),
            result.framework)
