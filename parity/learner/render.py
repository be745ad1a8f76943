"""A check's verdict for the learner and their teacher: terminal text, Markdown, HTML (also Jupyter's
``_repr_html_``) and JSON (schema ``nn-parity/check/v2``), all from one ``CheckResult``."""

from __future__ import annotations

import html as _html
import json
import sys
from pathlib import Path

from parity.learner.results import VIEWS, CheckResult, Finding, describe_quantity

SCHEMA = "nn-parity/check/v2"
FORMATS = ("human", "md", "html", "json")
STAGE_NAMES = {"init": "initialisation", "forward": "forward pass", "cost": "cost", "backward": "backward pass",
               "update": "update"}


def _network(outcome: CheckResult) -> str:
    case = outcome.case
    return (f"{'-'.join(map(str, case.layer_dims))} network ({', '.join(case.activations)}), {case.loss}, "
            f"{case.steps} steps of gradient descent (learning rate {case.learning_rate}), m = {case.m}, float64, "
            f"from the checker's weights")


def _finding_lines(finding: Finding, cause: bool) -> list[str]:
    head = "cause" if cause else "also wrong"
    if finding.result is None:
        return [f"{head}: {STAGE_NAMES[finding.group]}: {finding.detail}"]
    r = finding.result
    where = f" ({r.stage}, layer {r.layer})" if r.layer is not None else f" ({r.stage})"
    lines = [f"{head}: {describe_quantity(r)}{where}"]
    if r.note:
        lines.append(f"  {r.note}")
    else:
        lines.append(f"  max abs error {r.max_abs:.3g} at index {tuple(r.worst_index)} (yours "
                     f"{r.actual_value:.6g}, the reference's {r.expected_value:.6g}), max rel {r.max_rel:.3g}")
    if finding.diagnosis:
        d = finding.diagnosis
        lines += [f"  diagnosis: {d.mistake}. {d.explanation}", f"  fix: {d.fix}"]
    else:
        lines.append("  no known mistake matches this difference; compare your formula for this quantity with the "
                     "equation in docs/notation.md")
    return lines


def _groups(results, status: str) -> str:
    names = sorted({f"{r.quantity}{r.layer if r.layer is not None else ''}" for r in results if r.status == status})
    return ", ".join(names)


def _notes(outcome: CheckResult) -> list[str]:
    """One line per quantity with a convention or a note, naming the steps: ``J (steps 0, 1, 2): ...``."""
    seen: dict[tuple, list] = {}
    for r in outcome.results:
        if r.status in ("convention", "note"):
            seen.setdefault((r.quantity, r.layer), []).append(r)
    out = []
    for (quantity, layer), rs in seen.items():
        steps = ", ".join(str(r.step) for r in rs)
        name = f"{quantity}{layer if layer is not None else ''}"
        out.append(f"{name} (step{'s' if len(rs) > 1 else ''} {steps}): {rs[0].explanation}")
    return out


def human(outcome: CheckResult) -> str:
    lines = [f"Checking {outcome.module} ({outcome.style} style): {_network(outcome)}."]
    sources = outcome.architecture.sources
    if sources:
        lines.append("  read from: " + "; ".join(f"{k} {v}" for k, v in sources.items()))
    if outcome.skipped:
        shown = "; ".join(str(s) for s in outcome.skipped[:4])
        more = f"; and {len(outcome.skipped) - 4} more" if len(outcome.skipped) > 4 else ""
        lines.append(f"  skipped {len(outcome.skipped)} top-level statement(s), not run: {shown}{more}")
    for note in outcome.notes:
        lines.append(f"  note: {note}")
    if outcome.certification:
        shown = ", ".join(f"{fw}: {status}" for fw, status in outcome.certification.items())
        lines.append(f"The reference itself, on this network, against the frameworks: {shown}.")
    for status, text in (("rounding", "differ from the reference by rounding only (the same math computed "
                                      "differently)"),):
        if names := _groups(outcome.results, status):
            lines.append(f"  {names} {text}.")
    for text in _notes(outcome):
        lines.append(f"  note on {text}")
    compared = len(outcome.results)
    if outcome.passed:
        right = sum(r.status in ("pass", "rounding", "convention", "note", "uninformative") for r in outcome.results)
        lines.append(f"PASS: all {compared} quantities match the reference at every step ({right} compared; worst "
                     f"{max((r.ulps for r in outcome.results if r.status == 'pass'), default=0):.3g} ulps of the "
                     f"error scale among exact matches).")
        return "\n".join(lines)
    stages = ", ".join(STAGE_NAMES[f.group] for f in outcome.findings)
    lines.append(f"FAIL: {len(outcome.findings)} stage(s) wrong ({stages}); each stage was given the reference's "
                 f"inputs, so each is wrong on its own.")
    for i, finding in enumerate(outcome.findings):
        lines += _finding_lines(finding, i == 0)
    return "\n".join(lines)


def _finding_json(finding: Finding) -> dict:
    r = finding.result
    out = {"stage": finding.group, "detail": finding.detail or None, "diagnosis": None}
    if r is not None:
        out.update({"step": r.step, "layer": r.layer, "quantity": r.quantity, "name": describe_quantity(r),
                    "max_abs": r.max_abs, "max_rel": r.max_rel, "ulps": r.ulps, "note": r.note,
                    "yours": r.actual_value, "reference": r.expected_value})
    if finding.diagnosis:
        d = finding.diagnosis
        out["diagnosis"] = {"id": d.id, "mistake": d.mistake, "explanation": d.explanation, "fix": d.fix}
    return out


def as_json(outcome: CheckResult) -> dict:
    from parity.report.document import json_safe

    findings = [_finding_json(f) for f in outcome.findings]
    first = findings[0] if findings else None
    return json_safe({
        "schema": SCHEMA, "module": outcome.module, "style": outcome.style, "passed": outcome.passed,
        "network": {"layers": list(outcome.case.layer_dims), "activations": list(outcome.case.activations),
                    "loss": outcome.case.loss, "steps": outcome.case.steps, "m": outcome.case.m,
                    "learning_rate": outcome.case.learning_rate, "read_from": outcome.architecture.sources},
        "comparisons": len(outcome.results), "reference_vs_frameworks": outcome.certification,
        "first_divergence": first, "findings": findings,
        "rounding_only": sorted({describe_quantity(r) for r in outcome.by_status("rounding")}),
        "notes": outcome.notes + _notes(outcome),
        "skipped": [{"where": s.where, "statement": s.text, "reason": s.reason} for s in outcome.skipped],
        "results": [{"step": r.step, "stage": r.stage, "layer": r.layer, "quantity": r.quantity,
                     "status": r.status, "max_abs": r.max_abs, "ulps": r.ulps} for r in outcome.results],
    })


def markdown(outcome: CheckResult) -> str:
    verdict = "PASS" if outcome.passed else "FAIL"
    lines = [f"# parity check: {Path(outcome.module).name}: {verdict}", "", f"{_network(outcome)}; "
             f"{outcome.style} style.", ""]
    if not outcome.passed:
        lines += ["## What is wrong", ""]
        for i, finding in enumerate(outcome.findings):
            text = _finding_lines(finding, i == 0)
            lines += [f"- **{text[0]}**"] + [f"  {t.strip()}" for t in text[1:]] + [""]
    lines += ["## Every quantity", "", "| step | stage | quantity | status | max abs error |", "|---|---|---|---|---|"]
    for r in outcome.results:
        name = f"{r.quantity}{r.layer if r.layer is not None else ''}"
        lines.append(f"| {r.step} | {r.stage} | {name} | {r.status} | {r.max_abs:.3g} |")
    if outcome.skipped:
        lines += ["", "## Not run (top-level code)", ""] + [f"- {s}" for s in outcome.skipped]
    return "\n".join(lines) + "\n"


COLOURS = {"pass": "#2e7d32", "rounding": "#558b2f", "convention": "#1565c0", "note": "#1565c0",
           "explained": "#1565c0", "missing": "#c62828",
           "uninformative": "#ef6c00", "fail": "#c62828"}


def status_grid(results) -> str:
    """One cell per quantity and step, coloured by status: the stage where things go wrong stands out."""
    e = _html.escape
    steps = sorted({r.step for r in results})
    names = list(dict.fromkeys((r.stage, f"{r.quantity}{r.layer if r.layer is not None else ''}") for r in results))
    cells = {(r.stage, f"{r.quantity}{r.layer if r.layer is not None else ''}", r.step): r for r in results}
    rows = ["<tr><th>stage</th><th>quantity</th>" + "".join(f"<th>step {s}</th>" for s in steps) + "</tr>"]
    for stage, name in names:
        row = f"<tr><td>{e(stage)}</td><td>{e(name)}</td>"
        for s in steps:
            r = cells.get((stage, name, s))
            row += ("<td></td>" if r is None else
                    f"<td style='background:{COLOURS.get(r.status, '#777')};color:white' "
                    f"title='max abs error {r.max_abs:.3g}'>{e(r.status)}</td>")
        rows.append(row + "</tr>")
    return "<table style='border-collapse:collapse;font-size:90%'>" + "".join(rows) + "</table>"


def html(outcome: CheckResult, standalone: bool = True) -> str:
    e = _html.escape
    verdict = "PASS" if outcome.passed else "FAIL"
    parts = [f"<h3>parity check: {e(Path(outcome.module).name)}: "
             f"<span style='color:{COLOURS['pass' if outcome.passed else 'fail']}'>{verdict}</span></h3>",
             f"<p>{e(_network(outcome))}; {e(outcome.style)} style.</p>"]
    for i, finding in enumerate(outcome.findings):
        text = _finding_lines(finding, i == 0)
        parts.append(f"<p><b>{e(text[0])}</b><br>" + "<br>".join(e(t.strip()) for t in text[1:]) + "</p>")
    for text in _notes(outcome):
        parts.append(f"<p>note on {e(text)}</p>")
    parts.append(status_grid(outcome.results))
    if outcome.skipped:
        parts.append("<p>Not run (top-level code): " + "; ".join(e(str(s)) for s in outcome.skipped) + "</p>")
    body = "\n".join(parts)
    if not standalone:
        return f"<div>{body}</div>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>parity check: "
            f"{e(Path(outcome.module).name)}</title></head><body>{body}</body></html>\n")


def emit_check(outcome, formats, out: Path | None, writers: dict, human, dumps) -> int:
    """The checks' one way out (a learner's, a framework model's): write each of ``formats`` that ``writers``
    ({format: (file name, text of the outcome)}) knows into ``out`` and print the human text; with no ``out``,
    print the JSON (``dumps``) where json is asked for, the human text otherwise. 0 on a pass, 1 otherwise."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name in formats:
            if name in writers:
                filename, write = writers[name]
                (out / filename).write_text(write(outcome), encoding="utf-8")
        print(human(outcome))
        print(f"wrote {', '.join(writers[n][0] for n in formats if n in writers)} to {out}", file=sys.stderr)
    elif "json" in formats:
        print(dumps(outcome))
    else:
        print(human(outcome))
    sys.stdout.flush()
    return 0 if outcome.passed else 1


def _dumps(outcome: CheckResult) -> str:
    return json.dumps(as_json(outcome), indent=1, allow_nan=False)


WRITERS = {"md": ("check.md", markdown), "html": ("check.html", html),
           "json": ("check.json", lambda o: _dumps(o) + "\n")}


def emit(outcome: CheckResult, formats, out) -> int:
    """Print (human or json) or write (md, html, json into ``out``) the verdict; 0 on a pass, 1 otherwise."""
    return emit_check(outcome, formats, out, WRITERS, human, _dumps)


VIEWS.update(human=human, html=html)  # how a CheckResult shows itself (parity.learner.results)
