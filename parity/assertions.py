"""Result records turned into words: the one failure message, and the assertion tests call.

Messages name the case, framework, step, stage, layer and quantity, the errors, the worst element and the
tolerance, first divergence first, in computation order.
"""

from __future__ import annotations

from parity.compare import Result
from parity.harness import CaseResult


def describe(result: Result) -> str:
    """One line: ``torch, step 0, backward, layer 2, dW: max abs 3.1e-03 at (1, 0), max rel 4.0e-02, ...``."""
    where = f"layer {result.layer}, " if result.layer is not None else ""
    line = f"{result.framework}, step {result.step}, {result.stage}, {where}{result.quantity}: "
    if result.note:
        return line + result.note
    line += (f"max abs error {result.max_abs:.3g} at index {tuple(result.worst_index)}, max rel {result.max_rel:.3g}, "
             f"{result.ulps:.3g} ulps of the computation's magnitude (tolerance {result.budget_ulps:g} ulps: "
             f"atol {result.atol:.3g}, rtol {result.rtol:.3g})")
    if result.status == "explained":
        line += f"; explained ({', '.join(result.conventions)}): predicted max abs {result.predicted_max_abs:.3g}"
    elif result.variant_ulps is not None and result.variant_ulps != result.ulps:
        line += f"; {result.variant_ulps:.3g} ulps from the framework's documented variant too"
    return line


def failure_message(outcome: CaseResult, limit: int = 8) -> str:
    failed = [r for r in outcome.results if r.status == "fail"]
    first = outcome.first_divergence
    lines = [f"case {outcome.case.name} ({outcome.case.dtype}): {len(failed)} of {len(outcome.results)} "
             f"comparisons differ beyond tolerance", f"first divergence: {describe(first)}"]
    later = [r for r in failed if r is not first]
    if later:
        lines.append(f"then ({len(later)} more, in computation order):")
        lines += [f"  {describe(r)}" for r in later[:limit]]
        if len(later) > limit:
            lines.append(f"  ... and {len(later) - limit} more")
    return "\n".join(lines)


def assert_parity(outcome: CaseResult) -> None:
    """Raise AssertionError with the divergences in computation order, if any comparison failed."""
    __tracebackhide__ = True
    if not outcome.passed:
        raise AssertionError(failure_message(outcome))
