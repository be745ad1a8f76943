"""A framework model's check (``checker.PortCheck``) and a port's (``pairs.PairCheck``) in words: the terminal's
lines, JSON for CI, and Markdown and HTML files (``--out``); the HTML block is the learner check's, a cell per
quantity and step coloured by status, with the first divergence, its cause and fix, and each convention met with
the setting that removes it."""

from __future__ import annotations

import html as _html
import json
from pathlib import Path

from parity.compare import Result
from parity.learner.render import COLOURS, emit_check, status_grid
from parity.ports.checker import PortCheck
from parity.report.document import json_safe


def _where(r: Result) -> str:
    layer = f"[{r.layer}]" if r.layer is not None else ""
    return f"step {r.step}, {r.stage}, {r.quantity}{layer}"


def _divergence(r: Result) -> str:
    """Both values at the worst element and the error against the tolerance, or, where nothing was compared (a
    missing quantity, a shape error), the reason."""
    if r.actual_value is None:
        return f"{r.note}"
    at = f" at index {tuple(r.worst_index)}" if r.worst_index else ""
    return (f"yours {r.actual_value:.6g}, reference {r.expected_value:.6g}{at}, {r.ulps:.3g} ulps of the step's "
            f"error scale against a tolerance of {r.budget_ulps:g}")


def human(outcome: PortCheck) -> str:
    step = (f"your {outcome.names['step']}" if outcome.names.get("step") else
            "the textbook loop (zero_grad, loss_fn(model(x), y), backward, step)")
    if outcome.framework.startswith("keras"):
        step = "the optimizer's apply of the backend's gradients, as fit() takes a step"
    lines = [f"Checking {outcome.path.name}: {outcome.summary}; {outcome.case.steps} steps of {step} on "
             f"m = {outcome.case.m} samples, each from the reference's state, from your model's own initial weights."]
    counts = outcome.counts()
    total = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    first = outcome.first
    if first is None and counts.get("uninformative"):
        lines.append(f"UNINFORMATIVE: nothing diverges, but {counts['uninformative']} comparisons could not have "
                     f"failed (their tolerance would accept zeros: the reference's values are not finite or vanish "
                     f"there), so this is no pass ({total}).")
    elif first is None:
        lines.append(f"PASS: every quantity your model computes matches the reference ({total}).")
    else:
        lines.append(f"FAIL: first divergence at {_where(first)}: {_divergence(first)} ({total}).")
    for s in outcome.causes:
        lines += [f"  cause: {s.text}.", f"  fix: {s.bug.fix}."]
    if first is not None and not outcome.causes:
        lines.append("  cause: no convention and no known bug matches it; compare the listed quantity with your "
                     "code, or run with --format json for every comparison")
    for s in outcome.suspects:
        lines += [f"  also suspect: {s.text}.", f"    fix: {s.bug.fix}."]
    for c in outcome.conventions:
        lines.append(f"  convention (explained, not a bug): {c['title']}, on {c['quantities']} quantities, measured "
                     f"up to {c['worst_measured']:.3g} against {c['worst_predicted']:.3g} predicted."
                     + (f" To match the course's formula: {c['remedy']}." if c["remedy"] else ""))
    for warning in outcome.warnings:
        lines.append(f"  the framework warned: {warning}")
    for quantity, why in outcome.absent.items():
        lines.append(f"  not compared: {quantity}, which your model does not compute ({why}).")
    if outcome.skipped:
        lines.append(f"  skipped in {outcome.path.name}: " + "; ".join(str(s) for s in outcome.skipped[:5])
                     + (f"; and {len(outcome.skipped) - 5} more" if len(outcome.skipped) > 5 else ""))
    return "\n".join(lines)


def as_json(outcome: PortCheck) -> dict:
    return {
        "schema": "nn-parity/check-model/v1",
        "file": str(outcome.path), "framework": outcome.framework, "model": outcome.summary,
        "names": outcome.names, "steps": outcome.case.steps, "m": outcome.case.m, "dtype": outcome.case.dtype,
        "passed": outcome.passed, "counts": outcome.counts(),
        "first_divergence": outcome.first.to_dict() if outcome.first else None,
        "causes": [s.to_dict() for s in outcome.causes], "suspects": [s.to_dict() for s in outcome.suspects],
        "conventions": outcome.conventions, "absent": outcome.absent,
        "skipped": [str(s) for s in outcome.skipped], "warnings": outcome.warnings,
        "results": [r.to_dict() for r in outcome.results],
    }


def _cause_lines(outcome: PortCheck) -> list[tuple[str, str]]:
    """(label, text) of everything said about the outcome beside the counts, in the order human() says it."""
    out = [("cause", f"{s.text}. Fix: {s.bug.fix}.") for s in outcome.causes]
    out += [("also suspect", f"{s.text}. Fix: {s.bug.fix}.") for s in outcome.suspects]
    out += [("convention", f"{c['title']} ({c['id']}), on {c['quantities']} quantities, measured up to "
             f"{c['worst_measured']:.3g} against {c['worst_predicted']:.3g} predicted; to match the course's formula: "
             f"{c['remedy']}") for c in outcome.conventions]
    out += [("not compared", f"{q}: {why}") for q, why in outcome.absent.items()]
    out += [("the framework warned", w) for w in outcome.warnings]
    return out


def verdict(outcome: PortCheck) -> str:
    """PASS (explained conventions included), UNINFORMATIVE or FAIL (a failed or missing quantity)."""
    return {"pass": "PASS", "explained": "PASS", "uninformative": "UNINFORMATIVE"}.get(outcome.verdict, "FAIL")


def markdown(outcome: PortCheck) -> str:
    lines = [f"# parity check: {outcome.path.name}: {verdict(outcome)}", "", outcome.summary, ""]
    if outcome.first is not None:
        r = outcome.first
        lines += [f"First divergence at {_where(r)}: {_divergence(r)}.", ""]
    lines += [f"- **{label}**: {text}" for label, text in _cause_lines(outcome)]
    lines += ["", "| step | stage | quantity | status | max abs error | ulps |", "|---|---|---|---|---|---|"]
    for r in outcome.results:
        lines.append(f"| {r.step} | {r.stage} | {r.quantity}{'' if r.layer is None else f'[{r.layer}]'} | "
                     f"{r.status} | {r.max_abs:.3g} | {r.ulps:.3g} |")
    return "\n".join(lines) + "\n"


def html(outcome: PortCheck, standalone: bool = True) -> str:
    e = _html.escape
    word = verdict(outcome)
    colour = COLOURS["pass" if word == "PASS" else "uninformative" if word == "UNINFORMATIVE" else "fail"]
    parts = [f"<h3>parity check: {e(outcome.path.name)}: <span style='color:{colour}'>{word}</span></h3>",
             f"<p>{e(outcome.summary)}</p>"]
    if outcome.first is not None:
        r = outcome.first
        parts.append(f"<p><b>First divergence at {e(_where(r))}</b>: {e(_divergence(r))}.</p>")
    parts += [f"<p><b>{e(label)}</b>: {e(text)}</p>" for label, text in _cause_lines(outcome)]
    parts.append(status_grid(outcome.results))
    body = "\n".join(parts)
    if not standalone:
        return f"<div>{body}</div>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>parity check: {e(outcome.path.name)}</title>"
            f"</head><body>{body}</body></html>\n")


def _dumps(outcome: PortCheck) -> str:
    """Strict JSON: a missing quantity's infinite error is written as the string "inf" (``json_safe``)."""
    return json.dumps(json_safe(as_json(outcome)), indent=1, allow_nan=False, default=float)


WRITERS = {"md": ("check.md", markdown), "html": ("check.html", html),
           "json": ("check.json", lambda o: _dumps(o) + "\n")}


def emit(outcome: PortCheck, formats, out: Path | None = None) -> int:
    """Print (human or json) or write (md, html, json into ``out``) the check; 0 on a pass, 1 otherwise."""
    return emit_check(outcome, formats, out, WRITERS, human, _dumps)
