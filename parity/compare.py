"""Compare a framework's trace with the reference's, quantity by quantity, in computation order.

Each quantity is measured against the textbook reference, and, where a convention applies, against the
reference variant that follows the framework's documented formula (``parity.conventions``):

    pass       within budget * eps * E of the textbook (elementwise), and of the variant where there is one
    explained  within tolerance of the framework's documented variant but not of the textbook: the divergence
               is the documented one, and its measured size equals the predicted |variant - textbook|
    fail       outside the tolerance of what the framework documents (the variant where there is one,
               otherwise the textbook): a real difference
    uninformative  within tolerance, but the tolerance is so wide that the quantity replaced by zeros (or with
               its sign flipped) would pass too: the comparison could not have failed, so it is not a pass
    missing    the reference's trace has the quantity and the witness's does not, and its registry row does not
               declare the absence (``parity.frameworks.Absence``): nothing was compared, so it fails the case

The quantities a case has come from the reference's trace, for every witness of the registry. A declared absence
(with a logits loss there is no dA[L]) is not a result: ``coverage`` counts it under its reason. A quantity the
witness has and the reference lacks is an error of the witness's adapter (``AdapterError``). A learner's code
(``parity check``) is judged on the quantities it produced: its checker (``parity.learner``) says which stages
the learner wrote.

Every result records ``tolerance_ratio``: the smallest, over the quantity's non-zero elements, of the element's
tolerance divided by |its value|. Below 1, at least one element would fail if replaced by 0 (and, below 2, if
its sign were flipped); at 1 or more, zeros would pass, and the comparison is uninformative. A quantity that is
exactly 0 with a tolerance of exactly 0 (a dead unit's gradient, Adam's count t) must be matched exactly: ratio 0.
An explained quantity whose documented value is 0 everywhere (every probability past Keras's clip) expects zeros:
its ratio is the textbook's values against the variant's tolerance, below 1 when the textbook would fail.

Errors are reported in the units people quote: ``max_abs`` (largest |difference|), ``max_rel`` (largest
|difference| over the largest |reference| element of the quantity), and ``ulps`` (largest |difference| in
units of eps * E, the error scale of the computation, see ``parity.error_scale``), with the index of the
worst element. ``atol`` is the largest absolute error the tolerance allows on any element and ``rtol`` the
allowed error as a fraction of E (budget * eps).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from parity import conventions, frameworks
from parity.conventions import Variant
from parity.tolerance import parity_ulps, underflow_floor
from parity.trace import Key, Trace, computation_order

# from best to worst: a verdict is its worst result
STATUSES = ("pass", "explained", "uninformative", "missing", "fail")
FAILING = ("missing", "fail")  # statuses that locate a divergence (``first_divergence``)
MISSING_NOTE = ("the witness did not produce this quantity, and nothing declares it absent (a framework's registry "
                "row in parity.frameworks; for a model of yours, what the checker read of it)")


class AdapterError(ValueError):
    """A witness's trace holds quantities the reference's does not: its adapter records something it should not."""


@dataclass
class Measure:
    max_abs: float
    max_rel: float
    ulps: float
    worst_index: list[int]
    shape_error: str | None = None
    mismatched: int = 0  # elements beyond the tolerance


def measure(actual, expected, E, dtype, budget: float | None = None) -> Measure:
    """How far ``actual`` is from ``expected``, elementwise, with E the error scale of ``expected``'s computation;
    with ``budget`` (in ulps of E), the count of elements beyond it."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return Measure(float("inf"), float("inf"), float("inf"), [],
                       f"shape {actual.shape} where {expected.shape} was expected")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
        error = np.where(same, 0.0, np.abs(actual - expected))
        error = np.where(np.isnan(error), np.inf, error)
        # the underflow floor, in ulps of E, is added to every element's scale (parity.tolerance)
        scale = np.finfo(np.dtype(dtype)).eps * np.asarray(E, dtype=np.float64) + underflow_floor(dtype) / (
            budget or parity_ulps(dtype))
        in_ulps = np.where(error == 0, 0.0, error / scale)
        largest = np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)
    worst = np.unravel_index(int(np.argmax(in_ulps)), in_ulps.shape) if in_ulps.size else ()
    max_abs = float(error.max(initial=0.0))
    max_rel = max_abs / largest if largest > 0 else (0.0 if max_abs == 0 else float("inf"))
    mismatched = int(np.count_nonzero(in_ulps > budget)) if budget is not None else 0
    return Measure(max_abs, float(max_rel), float(in_ulps.max(initial=0.0)), [int(i) for i in worst],
                   mismatched=mismatched)


def tolerance_ratio(expected, E, dtype, budget: float) -> float:
    """min over non-zero elements of tolerance / |value| (see the module docstring): 1 or more is uninformative."""
    x = np.abs(np.asarray(expected, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        rounding = np.broadcast_to(budget * np.finfo(np.dtype(dtype)).eps * np.asarray(E, dtype=np.float64), x.shape)
        tol = rounding + underflow_floor(dtype)
    finite = np.isfinite(x) & np.isfinite(tol)
    nonzero = finite & (x > 0)
    if not nonzero.any():  # all zero: informative only if it must be matched exactly (to the underflow floor)
        return 0.0 if not np.any(rounding[finite] > 0) else float("inf")
    return float(np.min(tol[nonzero] / x[nonzero]))


def _fails_only_where_not_finite(actual, expected, E, dtype, budget) -> bool:
    """Whether every element beyond tolerance is one where ``expected`` is inf or NaN."""
    expected = np.asarray(expected, dtype=np.float64)
    bad = ~np.isfinite(expected)
    if not bad.any() or np.shape(actual) != expected.shape:
        return False
    kept = np.where(bad, 0.0, np.asarray(actual, dtype=np.float64))
    return measure(kept, np.where(bad, 0.0, expected), np.where(bad, 0.0, E), dtype).ulps <= budget


def _values_at(m: Measure, actual, expected) -> dict:
    """Both values at the worst element of ``m`` (the textbook's), so a sign flip reads differently from a scale
    error: the framework's and the expectation it is judged by (the variant's, where one applies)."""
    if m.shape_error or not np.size(actual):
        return {"actual_value": None, "expected_value": None}
    index = tuple(m.worst_index)
    return {"actual_value": float(np.asarray(actual)[index]), "expected_value": float(np.asarray(expected)[index])}


def verdict(results) -> str:
    """One framework's verdict for a case: its worst result's status (``STATUSES`` order); "pass" when empty."""
    return max((r.status for r in results), key=STATUSES.index, default="pass")


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
    budget_ulps: float  # the tolerance, in ulps of the error scale E
    headroom: float  # ulps (from the variant, if any) / budget: the fraction of the tolerance used
    explanation: str | None = None
    conventions: list[str] = field(default_factory=list)
    predicted_max_abs: float | None = None  # |variant - textbook|, for explained results
    variant_ulps: float | None = None  # |framework - variant| in ulps, where a convention applies
    note: str | None = None
    tolerance_ratio: float = 0.0  # min over elements of tolerance / |value|; 1 or more: zeros would pass
    mismatched: int = 0  # elements beyond the tolerance of what the framework documents
    size: int = 0  # elements in the quantity
    actual_value: float | None = None  # the framework's value at the worst element
    expected_value: float | None = None  # the reference's (the variant's, where one applies) value there

    @property
    def key(self) -> Key:
        return Key(self.step, self.stage, self.layer, self.quantity)

    def to_dict(self) -> dict:
        """The fields as a dict (what ``dataclasses.asdict`` gives, without its recursive deep copy: the fields
        are numbers, strings and flat lists, copied here)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v) for f in _RESULT_FIELDS}


_RESULT_FIELDS = fields(Result)


def compare(
    case,
    framework: str,
    actual: Trace,
    textbook: Trace,
    textbook_E: dict[Key, np.ndarray],
    variant: Variant,
    variant_trace: Trace | None = None,
    variant_E: dict[Key, np.ndarray] | None = None,
    absence: Callable[[Key], str | None] | None = None,
) -> list[Result]:
    """One ``Result`` per quantity of the reference's trace, in computation order: a comparison where the
    witness produced it, ``missing`` where it did not and nothing declares the absence. ``absence(key)``: the
    reason the witness lacks ``key``, or None; by default its registry row's (``frameworks.absence``), and for a
    witness outside the registry (a learner's code, whose checker says which stages it wrote) no missing result."""
    budget = parity_ulps(case.dtype)
    eps = float(np.finfo(np.dtype(case.dtype)).eps)
    rtol = budget * eps
    order = computation_order(case.L, case.steps)
    if absence is None and framework in frameworks.REGISTRY:
        absence = functools.partial(frameworks.absence, framework, case)
    _check_keys(framework, actual, textbook, order)
    results = []
    for key in order:
        if key not in textbook.values:
            continue
        if key in actual.values:
            results.append(_compare_quantity(case, framework, key, actual, textbook, textbook_E, variant,
                                             variant_trace, variant_E, budget, rtol))
        elif absence is not None and absence(key) is None:
            results.append(_missing_result(case, framework, key, textbook, budget, rtol))
    return results


def _missing_result(case, framework: str, key: Key, textbook: Trace, budget: float, rtol: float) -> Result:
    """The result for a quantity the reference's trace has and the witness's lacks, with no declared absence:
    ``missing``, infinitely far (nothing was compared, so it fails the case)."""
    return Result(
        case=case.name, framework=framework, step=key.step, stage=key.stage, layer=key.layer,
        quantity=key.quantity, max_abs=float("inf"), max_rel=float("inf"), ulps=float("inf"),
        worst_index=[], atol=0.0, rtol=rtol, status="missing", budget_ulps=budget,
        headroom=float("inf"), note=MISSING_NOTE, size=int(np.size(textbook.values[key])))


def _compare_quantity(case, framework: str, key: Key, actual: Trace, textbook: Trace,
                      textbook_E: dict[Key, np.ndarray], variant: Variant, variant_trace: Trace | None,
                      variant_E: dict[Key, np.ndarray] | None, budget: float, rtol: float) -> Result:
    """The result for one quantity both traces have: pass when |actual - textbook| <= budget * eps * E (and
    within the variant's tolerance where a convention applies), explained, fail or uninformative otherwise (the
    module docstring); atol = max(E) * rtol, the largest absolute error the tolerance allows."""
    m = measure(actual.values[key], textbook.values[key], textbook_E[key], case.dtype, budget)
    status, extra = ("pass" if m.ulps <= budget else "fail"), {}
    ratio = tolerance_ratio(textbook.values[key], textbook_E[key], case.dtype, budget)
    judged_by = m  # the expectation the verdict rests on: the variant where there is one
    if variant_trace is not None and key in variant_trace.values:
        status, ratio, judged_by, extra = _judge_by_variant(case, key, actual, textbook, textbook_E, variant,
                                                            variant_trace, variant_E, budget, status, ratio)
    if status != "fail" and ratio >= 1:
        status = "uninformative"
    expected = variant_trace.values[key] if judged_by is not m else textbook.values[key]
    if status == "fail" and _fails_only_where_not_finite(actual.values[key], expected,
                                                          (variant_E if judged_by is not m else textbook_E)[key],
                                                          case.dtype, budget):
        # the reference itself left the dtype's range there (a log of a probability rounded to 1): it cannot
        # judge the framework's finite value, which is not a pass either
        status = "uninformative"
        extra["note"] = "the reference's value is not finite where the framework's is"
    with np.errstate(over="ignore", invalid="ignore"):
        atol = float(np.nanmax(np.asarray(textbook_E[key], dtype=np.float64), initial=0.0) * rtol)
    return Result(
        case=case.name, framework=framework, step=key.step, stage=key.stage, layer=key.layer,
        quantity=key.quantity, max_abs=m.max_abs, max_rel=m.max_rel, ulps=m.ulps, worst_index=m.worst_index,
        atol=atol, rtol=rtol, status=status, budget_ulps=budget, note=m.shape_error or extra.pop("note", None),
        headroom=extra.get("variant_ulps", m.ulps) / budget, tolerance_ratio=ratio,
        mismatched=judged_by.mismatched, size=int(np.size(textbook.values[key])),
        **_values_at(m, actual.values[key], expected), **extra,
    )


def _judge_by_variant(case, key: Key, actual: Trace, textbook: Trace, textbook_E: dict[Key, np.ndarray],
                      variant: Variant, variant_trace: Trace, variant_E: dict[Key, np.ndarray], budget: float,
                      textbook_status: str, textbook_ratio: float) -> tuple[str, float, Measure, dict]:
    """Where a convention applies, the framework's documented formula is the expectation; the textbook only
    decides whether the difference is worth explaining. Returns (status, tolerance ratio, the measure the verdict
    rests on, the result's extra fields):

        |actual - variant| > budget ulps                  fail
        else |actual - textbook| > budget ulps            explained, predicted_max_abs = max |variant - textbook|;
                                                          ratio the variant's (an all-zero variant's: the
                                                          textbook's values against the variant's tolerance)
        else                                              the textbook's status; ratio the smaller of the two
                                                          (zeros pass only if both checks would let them)"""
    mv = measure(actual.values[key], variant_trace.values[key], variant_E[key], case.dtype, budget)
    extra = {"variant_ulps": mv.ulps}
    variant_ratio = tolerance_ratio(variant_trace.values[key], variant_E[key], case.dtype, budget)
    if mv.ulps > budget:
        return "fail", textbook_ratio, mv, extra
    if textbook_status == "fail":
        predicted = measure(variant_trace.values[key], textbook.values[key], textbook_E[key], case.dtype)
        extra["predicted_max_abs"] = predicted.max_abs
        extra["conventions"] = list(variant.conventions)
        extra["explanation"] = " ".join(conventions.get(c).title + "." for c in variant.conventions)
        if not np.any(variant_trace.values[key]):
            # the documented value is 0 everywhere (every probability past Keras's clip): zeros are what is
            # expected, so the question is whether the textbook's value would fail against the variant's tolerance
            variant_ratio = tolerance_ratio(np.asarray(textbook.values[key], dtype=np.float64), variant_E[key],
                                            case.dtype, budget)
        return "explained", variant_ratio, mv, extra
    return textbook_status, min(textbook_ratio, variant_ratio), mv, extra


def _check_keys(framework: str, actual: Trace, textbook: Trace, order: list[Key]) -> None:
    known = set(order)
    if unordered := sorted(set(textbook.values) - known, key=str):
        raise ValueError(f"the reference's trace has quantities outside the computation order: {unordered[:5]}")
    if extra := sorted(set(actual.values) - set(textbook.values), key=str):
        raise AdapterError(
            f"{framework}'s adapter recorded {len(extra)} quantities the reference's trace does not have, first "
            + ", ".join(f"{k.quantity}{'' if k.layer is None else f'[{k.layer}]'} at step {k.step} ({k.stage})"
                        for k in extra[:3]) + ": an error of the adapter (parity.implementations), not of the "
            "framework")


def coverage(case, framework: str, textbook: Trace, results: list[Result]) -> dict:
    """What of the reference's trace ``framework`` was judged on: {"compared": n, "missing": n, "absent": {reason:
    n}} (declared absences by reason, from its registry row)."""
    absent: dict[str, int] = {}
    seen = {r.key for r in results if r.framework == framework}
    for key in textbook.values:
        if key not in seen and (reason := frameworks.absence(framework, case, key)) is not None:
            absent[reason] = absent.get(reason, 0) + 1
    own = [r for r in results if r.framework == framework]
    return {"compared": sum(r.status != "missing" for r in own), "missing": sum(r.status == "missing" for r in own),
            "absent": absent}


def first_divergence(results: list[Result]) -> Result | None:
    """The first failed or missing result in computation order (``trace.computation_order``), over every
    framework."""
    failed = [r for r in results if r.status in FAILING]
    if not failed:
        return None
    L, steps = max(r.layer or 0 for r in results), max(r.step for r in results) + 1
    order = {key: i for i, key in enumerate(computation_order(L, steps))}
    return min(failed, key=lambda r: (order[r.key], r.framework))
