"""Result records turned into words: the one failure message, and the assertion tests call.

Messages name the case, framework, step, stage, layer and quantity, the errors, the worst element and the
tolerance, first divergence first, in computation order.
"""

from __future__ import annotations

from parity.compare import FAILING, Result
from parity.harness import CaseResult


def describe(result: Result) -> str:
    """One line: ``torch, step 0, backward, layer 2, dW: max abs 3.1e-03 at (1, 0), max rel 4.0e-02, ...``."""
    where = f"layer {result.layer}, " if result.layer is not None else ""
    line = f"{result.framework}, step {result.step}, {result.stage}, {where}{result.quantity}: "
    if result.note:
        return line + result.note
    values = ""
    if result.actual_value is not None:
        values = f" ({result.framework} {result.actual_value:.6g}, reference {result.expected_value:.6g})"
    line += (f"worst element (in ulps) at index {tuple(result.worst_index)}{values}, max abs error "
             f"{result.max_abs:.3g}, {result.mismatched} of {result.size} elements beyond tolerance, max rel "
             f"{result.max_rel:.3g}, "
             f"{result.ulps:.3g} ulps of the step's error scale (tolerance {result.budget_ulps:g} ulps: "
             f"atol {result.atol:.3g}, rtol {result.rtol:.3g})")
    if result.status == "uninformative":
        line += (f"; uninformative: the tolerance is {result.tolerance_ratio:.3g} times the value at its most "
                 f"significant element, so zeros in its place would pass too")
    if result.status == "explained":
        line += f"; explained ({', '.join(result.conventions)}): predicted max abs {result.predicted_max_abs:.3g}"
    elif result.variant_ulps is not None and result.variant_ulps != result.ulps:
        line += f"; {result.variant_ulps:.3g} ulps from the framework's documented variant too"
    return line


def failure_message(outcome: CaseResult, limit: int = 8) -> str:
    failed = [r for r in outcome.results if r.status == "fail"]
    missing = [r for r in outcome.results if r.status == "missing"]
    uninformative = [r for r in outcome.results if r.status == "uninformative"]
    first = outcome.first_divergence
    lines = [f"case {outcome.case.name} ({outcome.case.dtype}): {len(failed)} of {len(outcome.results)} "
             f"comparisons differ beyond tolerance"
             + (f", {len(missing)} quantities missing from the witness's trace" if missing else "")
             + (f", {len(uninformative)} could not have failed (uninformative)" if uninformative else "")]
    if first is None:
        lines += [f"  {describe(r)}" for r in uninformative[:limit]]
        return "\n".join(lines)
    lines.append(f"first divergence: {describe(first)}")
    later = [r for r in outcome.results if r.status in FAILING and r is not first]
    if later:
        lines.append(f"then ({len(later)} more, in computation order):")
        lines += [f"  {describe(r)}" for r in later[:limit]]
        if len(later) > limit:
            lines.append(f"  ... and {len(later) - limit} more")
    return "\n".join(lines)


def assert_parity(outcome: CaseResult) -> None:
    """Raise AssertionError with the divergences in computation order, if any comparison failed or was
    uninformative."""
    __tracebackhide__ = True
    if not outcome.passed:
        raise AssertionError(failure_message(outcome))
