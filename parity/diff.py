"""``python -m parity diff OLD.json NEW.json``: what changed between two runs, and whether it regressed.

Either side is a ``report.json`` or a baseline (``parity.baseline``; ``certified`` names the one that ships).
The diff says

    environment   library versions, platform facts (BLAS, CPU, oneDNN and torch flags, device) and the
                  defaults read at run time that differ
    verdicts      each case x framework whose verdict changed (pass, explained, uninformative, missing, fail,
                  skipped), and cases or pairs that are new or missing
    divergences   the first divergence of each pair that newly fails
    moved         quantities whose worst error moved beyond run-to-run noise (``tolerance.diff_moved``)

and exits 1 when anything regressed: a new failure, a new unexplained divergence or a comparison that became
uninformative or left uncompared (a quantity whose status worsened to fail, missing or uninformative), or a case
or a case x framework pair that disappeared. A pair that is now skipped (its framework not installed) is a
change, named, not a regression.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from parity.baseline import STATUS_NAMES, describe_key
from parity.tolerance import diff_moved

WORSE = ("fail", "missing", "uninformative")  # a quantity newly missing is a regression like a failure


@dataclass
class Change:
    what: str
    old: object
    new: object


@dataclass
class Diff:
    environment: list[Change] = field(default_factory=list)
    defaults: list[Change] = field(default_factory=list)
    verdicts: list[dict] = field(default_factory=list)  # {case, framework, old, new, regressed}
    new_cases: list[str] = field(default_factory=list)
    missing_cases: list[str] = field(default_factory=list)
    divergences: list[dict] = field(default_factory=list)  # first divergence of each newly failing pair
    statuses: list[dict] = field(default_factory=list)  # quantities whose status changed
    moved: list[dict] = field(default_factory=list)  # quantities whose worst error moved beyond noise
    compared: int = 0  # quantities present on both sides

    @property
    def regressions(self) -> list[str]:
        out = [f"case {name} disappeared" for name in self.missing_cases]
        out += [f"{v['case']} in {v['framework']}: {v['old']} -> {v['new']}" for v in self.verdicts if v["regressed"]]
        seen = {(v["case"], v["framework"]) for v in self.verdicts if v["regressed"]}
        out += [f"{s['case']} in {s['framework']}: {s['key']} {s['old']} -> {s['new']}" for s in self.statuses
                if s["new"] in WORSE and s["old"] != s["new"] and (s["case"], s["framework"]) not in seen]
        return out

    @property
    def unchanged(self) -> bool:
        return not (self.environment or self.defaults or self.verdicts or self.new_cases or self.missing_cases
                    or self.statuses or self.moved)

    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def to_dict(self) -> dict:
        out = asdict(self)
        out["regressions"] = self.regressions
        out["unchanged"] = self.unchanged
        return out


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _changes(old: dict, new: dict) -> list[Change]:
    a, b = _flatten(old), _flatten(new)
    return [Change(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _number(value) -> float:
    return float(value)  # "inf" written as a string reads back as inf


def diff(old: dict, new: dict) -> Diff:
    """The differences between two baseline records (``parity.baseline.compact``)."""
    d = Diff()
    d.environment = _changes({"environment": old.get("environment", {})}, {"environment": new.get("environment", {})})
    for table, target in (("frameworks", d.environment), ("defaults", d.defaults)):
        a, b = old.get(table, {}), new.get(table, {})
        for fw in dict.fromkeys([*a, *b]):
            if fw in a and fw in b:
                target += _changes({table: {fw: a[fw]}}, {table: {fw: b[fw]}})
            elif table == "frameworks":  # a framework on one side only: one line, not each of its fields
                target.append(Change(f"frameworks.{fw}", "ran" if fw in a else "not run",
                                     "ran" if fw in b else "not run"))
    old_cases, new_cases = old["cases"], new["cases"]
    d.new_cases = [c for c in new_cases if c not in old_cases]
    d.missing_cases = [c for c in old_cases if c not in new_cases]
    for name in (c for c in new_cases if c in old_cases):
        a, b = old_cases[name], new_cases[name]
        pairs = dict.fromkeys([*a["frameworks"], *a["skipped"], *b["frameworks"], *b["skipped"]])
        for fw in pairs:
            was = a["frameworks"].get(fw) or ("skipped" if fw in a["skipped"] else "absent")
            now = b["frameworks"].get(fw) or ("skipped" if fw in b["skipped"] else "absent")
            if was != now:
                regressed = now in WORSE or now == "absent"  # a pair that no longer runs has disappeared
                d.verdicts.append({"case": name, "framework": fw, "old": was, "new": now, "regressed": regressed})
                if now in ("fail", "missing") and (first := b.get("first_divergence", {}).get(fw)):
                    d.divergences.append({"case": name, "framework": fw, **first})
            for key, (status_now, ulps_now) in b["results"].get(fw, {}).items():
                before = a["results"].get(fw, {}).get(key)
                if before is None:
                    continue
                d.compared += 1
                status_was, ulps_was = before
                label = describe_key(key)
                if status_was != status_now:
                    d.statuses.append({"case": name, "framework": fw, "key": label,
                                       "old": STATUS_NAMES.get(status_was, status_was),
                                       "new": STATUS_NAMES.get(status_now, status_now),
                                       "old_ulps": ulps_was, "new_ulps": ulps_now})
                elif diff_moved(_number(ulps_was), _number(ulps_now)):
                    d.moved.append({"case": name, "framework": fw, "key": label, "old_ulps": ulps_was,
                                    "new_ulps": ulps_now})
    return d


def markdown(d: Diff, old_name: str, new_name: str) -> str:
    lines = [f"# nn-parity diff: {old_name} -> {new_name}", ""]
    regressions = d.regressions
    if d.unchanged:
        lines.append(f"No change: {d.compared} quantities compared, every verdict and worst error the same "
                     f"within run-to-run noise.")
        return "\n".join(lines) + "\n"
    lines.append(f"**{'REGRESSED' if regressions else 'no regression'}**: {len(regressions)} regression(s); "
                 f"{len(d.verdicts)} verdict(s) changed, {len(d.statuses)} quantity status(es) changed, "
                 f"{len(d.moved)} worst error(s) moved beyond noise, of {d.compared} quantities compared.")
    lines.append("")
    if regressions:
        lines += ["## Regressions", ""] + [f"- {r}" for r in regressions[:50]]
        if len(regressions) > 50:
            lines.append(f"- ... and {len(regressions) - 50} more")
        lines.append("")
    for title, changes in (("Environment and versions", d.environment), ("Defaults read at run time", d.defaults)):
        if changes:
            lines += [f"## {title}", "", "| what | old | new |", "|---|---|---|"]
            lines += [f"| {c.what} | {c.old} | {c.new} |" for c in changes]
            lines.append("")
    if d.new_cases or d.missing_cases:
        lines += ["## Cases", ""] + [f"- new: {c}" for c in d.new_cases] + [f"- missing: {c}" for c in d.missing_cases]
        lines.append("")
    if d.verdicts:
        lines += ["## Verdicts", "", "| case | framework | old | new |", "|---|---|---|---|"]
        lines += [f"| {v['case']} | {v['framework']} | {v['old']} | {v['new']} |" for v in d.verdicts]
        lines.append("")
    if d.divergences:
        lines += ["## First divergence of each newly failing pair", ""]
        for v in d.divergences:
            layer = "" if v.get("layer") is None else f"[{v['layer']}]"
            lines.append(f"- {v['case']} in {v['framework']}: {v['quantity']}{layer} at step {v['step']} "
                         f"({v['stage']}): {_number(v['ulps']):.3g} ulps of the error scale (tolerance "
                         f"{v.get('budget_ulps')}), max abs error {_number(v['max_abs']):.3g}; framework "
                         f"{v.get('actual_value')}, expected {v.get('expected_value')}")
        lines.append("")
    if d.statuses:
        lines += ["## Quantities whose status changed", "", "| case | framework | quantity | old | "
                  "new | ulps old -> new |", "|---|---|---|---|---|---|"]
        lines += [f"| {s['case']} | {s['framework']} | {s['key']} | {s['old']} | {s['new']} | {s['old_ulps']} -> "
                  f"{s['new_ulps']} |" for s in d.statuses[:200]]
        lines.append("")
    if d.moved:
        lines += ["## Worst errors that moved beyond noise", "", "| case | framework | quantity | "
                  "ulps old -> new |", "|---|---|---|---|"]
        lines += [f"| {m['case']} | {m['framework']} | {m['key']} | {m['old_ulps']} -> {m['new_ulps']} |"
                  for m in d.moved[:200]]
        if len(d.moved) > 200:
            lines.append(f"\n... and {len(d.moved) - 200} more (all in the JSON)")
        lines.append("")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    """``parity diff``: 0 no regression, 1 regressed, 2 unreadable input (raised as a ValueError)."""
    import sys

    from parity import baseline

    d = diff(baseline.read(args.old), baseline.read(args.new))
    return emit(d, str(args.old), str(args.new), args.format, args.out, stream=sys.stdout)


def emit(d: Diff, old_name: str, new_name: str, formats, out, stream) -> int:
    import json

    from parity.report.files import write_atomic

    text = markdown(d, old_name, new_name)
    document = {"schema": "nn-parity/diff/v1", "old": old_name, "new": new_name, **d.to_dict()}
    if out is not None:
        for name in formats:
            if name == "md":
                write_atomic(out / "diff.md", text)
            elif name == "json":
                write_atomic(out / "diff.json", json.dumps(document, indent=1, default=str) + "\n")
            elif name == "html":
                write_atomic(out / "diff.html", _html(text, f"nn-parity diff: {old_name} -> {new_name}"))
    if "json" in formats and out is None:
        stream.write(json.dumps(document, indent=1, default=str) + "\n")
    else:
        stream.write(text)
    stream.flush()
    return d.exit_code()


def _html(markdown_text: str, title: str) -> str:
    import html

    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<pre>{html.escape(markdown_text)}</pre></body></html>\n")
