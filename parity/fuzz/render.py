"""Rendering a campaign: a case in one line, progress, per-framework verdicts, Markdown and JSON (fuzz.md, fuzz.json).

Everything here is rendered from the records in ``parity.fuzz.outcome``; nothing is recomputed.
"""

from __future__ import annotations

import json

from parity.case import Case
from parity.compare import Result
from parity.fuzz.outcome import UNINFORMATIVE, VERDICTS, Finding, Outcome, Summary
from parity.fuzz.replay import case_json

MARKDOWN_LIST = 20  # uninformative cases listed by name in Markdown; fuzz.json lists them all


def where(result: Result) -> str:
    layer = f", layer {result.layer}" if result.layer is not None else ""
    return f"{result.framework}, step {result.step}, {result.stage}{layer}, {result.quantity}"


def shape(case: Case) -> str:
    """``4-8-1 tanh/sigmoid binary_crossentropy, adam lr 0.01, float32, m 16, 3 steps``: a case in one line."""
    extras = [f"edge {case.edge}"] if case.edge else []
    extras += [f"input scale {case.input_scale:g}"] if case.input_scale != 1.0 else []
    extras += [f"init {case.init}"] if case.init != "xavier" else []
    extras += [f"lambd {case.lambd:g}"] if case.lambd else []
    extras += [f"keep_prob {case.keep_prob:g}"] if case.keep_prob < 1 else []
    extras += ["batchnorm"] if case.batchnorm else []
    extras += [f"weight_decay {case.weight_decay:g}"] if case.weight_decay else []
    extras += [f"mini-batches of {case.mini_batch_size}"] if case.mini_batch_size else []
    extras += [f"{case.schedule} decay {case.decay_rate:g}" + (f" every {case.decay_interval} epochs"
                                                               if case.decay_interval > 1 else "")
               ] if case.scheduled else []
    return (f"{'-'.join(map(str, case.layer_dims))} {'/'.join(case.activations)} {case.loss}, {case.optimizer} "
            f"lr {case.learning_rate:g}, {case.dtype}, m {case.m}, {case.steps} step{'s' * (case.steps > 1)}"
            + "".join(f", {e}" for e in extras))


def progress_line(summary: Summary, elapsed: float) -> str:
    return (f"[fuzz {elapsed:6.1f} s] {summary.cases} cases, {summary.comparisons} comparisons, "
            f"{summary.verdicts['fail']} failed, {summary.verdicts['error']} errors, "
            f"{summary.verdicts[UNINFORMATIVE]} uninformative")


def to_document(summary: Summary) -> dict:
    """The campaign as plain data (fuzz.json)."""
    from parity.report.document import json_safe

    def finding(f: Finding) -> dict:
        minimal = f.minimal
        return {"case": f.outcome.case.name, "verdict": f.outcome.verdict, "original": json.loads(case_json(
                f.outcome.case)), "minimal": json.loads(case_json(minimal.case)),
                "shrink_runs": f.shrunk.runs if f.shrunk else None, "errors": minimal.errors,
                "first_divergence": {fw: r.to_dict() for fw, r in minimal.first_divergence.items()},
                "reproduce": f.command}

    return json_safe({
        "schema": "nn-parity/fuzz/v1", "seed": summary.seed, "frameworks": list(summary.frameworks),
        "skipped": summary.skipped, "seconds": summary.seconds, "cases": summary.cases,
        "comparisons": summary.comparisons, "verdicts": dict(summary.verdicts), "statuses": dict(summary.statuses),
        "share_uninformative": summary.share_uninformative,
        "findings": [finding(f) for f in summary.findings],
        "uninformative": [{"case": o.case.name, "where": [where(r) for r in o.uninformative[:3]]}
                          for o in summary.uninformative],
    })


def describe_outcome(outcome: Outcome) -> list[str]:
    """Per framework: its verdict, and where it first diverged or what it raised."""
    from parity.assertions import describe

    lines = []
    for framework in outcome.frameworks:
        own = [r for r in outcome.results if r.framework == framework]
        if framework in outcome.errors:
            lines.append(f"{framework}: error: {outcome.errors[framework]}")
        elif framework in outcome.skipped:
            lines.append(f"{framework}: skipped ({outcome.skipped[framework]})")
        elif framework in outcome.first_divergence:
            failed = sum(r.status == "fail" for r in own)
            lines.append(f"{framework}: fail ({failed} of {len(own)} comparisons); first divergence: "
                         f"{describe(outcome.first_divergence[framework])}")
        elif not own:
            lines.append(f"{framework}: does not apply to this case")
        else:
            blank = [r for r in own if r.status == UNINFORMATIVE]
            lines.append(f"{framework}: {UNINFORMATIVE} ({len(blank)} of {len(own)} comparisons); first: "
                         f"{describe(blank[0])}" if blank else f"{framework}: pass ({len(own)} comparisons)")
    return lines


def to_markdown(summary: Summary) -> str:
    s, n = summary, summary.comparisons
    lines = [f"# nn-parity fuzz, seed {s.seed}", "",
             f"{s.cases} cases, {n} comparisons in {s.seconds:.1f} s; frameworks {', '.join(s.frameworks)}"
             + "".join(f"; {fw} skipped ({why})" for fw, why in s.skipped.items()), "",
             "| cases | " + " | ".join(VERDICTS) + " |", "|---" * (len(VERDICTS) + 1) + "|",
             f"| {s.cases} | " + " | ".join(str(s.verdicts[v]) for v in VERDICTS) + " |", "",
             "comparisons: " + ", ".join(f"{k} {v}" for k, v in sorted(s.statuses.items()))
             + f"; share uninformative {s.share_uninformative:.2%}", ""]
    if s.findings:
        lines += [f"## {len(s.findings)} failing case{'s' * (len(s.findings) > 1)}", ""]
    for f in s.findings:
        lines.append(f"- {f.outcome.case.name} ({f.outcome.verdict}): {shape(f.outcome.case)}")
        if f.shrunk:
            lines.append(f"  shrunk in {f.shrunk.runs} runs to: {shape(f.minimal.case)}")
        lines += [f"  {line}" for line in describe_outcome(f.minimal)]
        lines += [f"  reproduce: `{f.command}`", ""]
    if s.uninformative:
        lines += [f"## {len(s.uninformative)} case{'s' * (len(s.uninformative) > 1)} not comparable informatively",
                  ""]
        lines += [f"- {o.case.name}: {shape(o.case)}; {len(o.uninformative)} uninformative comparisons, first "
                  f"{where(o.uninformative[0])}" for o in s.uninformative[:MARKDOWN_LIST]]
        more = len(s.uninformative) - MARKDOWN_LIST
        lines += [f"- ... and {more} more (all of them in fuzz.json)" if more > 0 else "", ""]
    return "\n".join(lines)
