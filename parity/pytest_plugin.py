"""The parity report from ``pytest`` (``-n auto`` included): registered through the package's ``pytest11`` entry
point, so an installed nn-parity adds two options to every pytest run.

    --parity-report DIR         write report.md, report.html and report.json into DIR: one document, merged
                                across all xdist workers, the same as ``python -m parity report`` writes for the
                                cases the session ran
    --parity-baseline FILE      diff the session's report against a report.json or baseline ("certified": the one
                                that ships) and fail the session with the diff when it regressed

Tests hand their ``CaseResult`` to the ``parity_record`` fixture (a no-op unless one of the options is given).
Each worker writes what it records into a folder the controller made and told it about
(``pytest_configure_node``); the controller merges the cases at the end, in the grid's order, each case's
frameworks in the registry's order, as the report command does.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

_KEY = "parity_record_dir"


def pytest_addoption(parser):
    group = parser.getgroup("nn-parity")
    group.addoption("--parity-report", metavar="DIR", type=Path, default=None,
                    help="write the parity report (md, html, json) of the cases this session ran into DIR")
    group.addoption("--parity-baseline", metavar="FILE|certified", default=None,
                    help="fail the session when its parity results regressed from this report.json or baseline "
                         "('certified': the baseline nn-parity ships)")


def _wanted(config) -> bool:
    return bool(config.getoption("parity_report", None) or config.getoption("parity_baseline", None))


class _Controller:
    """The xdist controller's side: tells each worker where to write."""

    def __init__(self, folder: str):
        self.folder = folder

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[_KEY] = self.folder


def pytest_configure(config):
    if not _wanted(config):
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config._parity_dir = workerinput.get(_KEY)
        return
    if config.getoption("parity_baseline", None):  # an unreadable baseline fails now, before any test runs
        from parity import baseline

        try:
            baseline.read(config.getoption("parity_baseline"))
        except baseline.BaselineError as error:
            raise pytest.UsageError(f"--parity-baseline: {error}") from None
    config._parity_dir = tempfile.mkdtemp(prefix="nn-parity-record-")
    config.pluginmanager.register(_Controller(config._parity_dir), "nn-parity-controller")


@pytest.fixture
def parity_record(request):
    """``parity_record(outcome)``: add a ``CaseResult`` to the session's parity report."""
    folder = getattr(request.config, "_parity_dir", None)

    def record(outcome) -> None:
        if folder is None:
            return
        from parity.environment import describe
        from parity.harness import runtime_defaults

        defaults = {}
        for framework in outcome.dtypes:
            try:
                defaults[framework] = runtime_defaults(framework)
            except ImportError:
                pass
        with open(Path(folder) / f"{uuid.uuid4().hex}.pickle", "wb") as file:
            pickle.dump({"outcome": outcome, "defaults": defaults, "environment": describe()}, file)
    return record


def merge(records: list[dict]):
    """One ``CaseResult`` per case, in the grid's order, each case's frameworks in the registry's order; the
    defaults of every framework; and the environment (the union of what the workers saw)."""
    from parity.case import GRID
    from parity.frameworks import FRAMEWORKS
    from parity.harness import CaseResult

    by_case: dict[str, list] = {}
    defaults: dict = {}
    environment: dict = {}
    for record in records:
        by_case.setdefault(record["outcome"].case.name, []).append(record["outcome"])
        defaults.update(record["defaults"])
        flags = {**environment.get("flags", {}), **record["environment"].get("flags", {})}
        environment = {**environment, **record["environment"], "flags": flags}
    order = {case.name: i for i, case in enumerate(GRID)}
    rank = {name: i for i, name in enumerate(FRAMEWORKS)}
    merged = []
    for name in sorted(by_case, key=lambda n: (order.get(n, len(order)), n)):
        parts = by_case[name]
        result = CaseResult(parts[0].case)
        frameworks = sorted({fw for p in parts for fw in [*p.dtypes, *p.skipped]}, key=lambda f: rank.get(f, 99))
        for framework in frameworks:
            for p in parts:
                result.results += [r for r in p.results if r.framework == framework]
                for table in ("skipped", "dtypes", "variants", "drift"):
                    if framework in getattr(p, table):
                        getattr(result, table)[framework] = getattr(p, table)[framework]
                if framework in p.costs:
                    result.costs[framework] = p.costs[framework]
        result.costs = {"reference": parts[0].costs.get("reference", []), **result.costs}
        merged.append(result)
    defaults = {fw: defaults[fw] for fw in FRAMEWORKS if fw in defaults}
    return merged, defaults, environment


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    folder = getattr(config, "_parity_dir", None)
    if folder is None or getattr(config, "workerinput", None) is not None:
        return
    records = []
    for path in sorted(Path(folder).glob("*.pickle")):
        with open(path, "rb") as file:
            records.append(pickle.load(file))  # noqa: S301 - written by this session's own workers
    shutil.rmtree(folder, ignore_errors=True)
    lines = []
    if not records:
        lines.append("nn-parity: no test recorded a parity result (the grid tests record through parity_record)")
        config._parity_summary = lines
        return
    from parity.report import build
    from parity.report.blocks import parity_blocks
    from parity.report.files import write_formats

    outcomes, defaults, environment = merge(records)
    document = build(outcomes, environment, defaults)
    out = config.getoption("parity_report")
    if out is not None:
        paths = write_formats(document, parity_blocks, ("md", "html", "json"), out, "report", "nn-parity report")
        s = document["summary"]
        lines.append(f"nn-parity report: {s['cases']} cases, {s['comparisons']} comparisons ({s['passed']} pass, "
                     f"{s['explained']} explained, {s['failed']} fail, {s['uninformative']} uninformative, "
                     f"{s['missing']} missing); wrote "
                     f"{', '.join(map(str, paths))}")
    source = config.getoption("parity_baseline")
    if source:
        from parity import baseline, diff
        from parity.case import GRID

        old = baseline.read(source)
        new = baseline.compact(document)
        # A session that ran part of the grid (-k, -m, a test file) is judged on the cases it ran; a baseline case
        # that is no longer in the grid at all has disappeared, which is a regression.
        grid = {case.name for case in GRID}
        kept = {k: (_pairs_run(v, new["cases"][k]) if k in new["cases"] else v) for k, v in old["cases"].items()
                if k in new["cases"] or k not in grid}
        if len(kept) < len(old["cases"]):
            lines.append(f"nn-parity: this session ran {len(new['cases'])} of the grid's {len(grid)} cases; the diff "
                         f"covers those")
        ran = set(new["frameworks"])
        old = {**old, "cases": kept, "frameworks": {k: v for k, v in old["frameworks"].items() if k in ran},
               "defaults": {k: v for k, v in old["defaults"].items() if k in ran}}
        d = diff.diff(old, new)
        lines.append(diff.markdown(d, str(source), "this session").rstrip())
        if d.regressions and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config._parity_summary = lines


def _pairs_run(old_case: dict, new_case: dict) -> dict:
    """The baseline's record of a case, cut to the frameworks this session ran it in."""
    ran = {*new_case["frameworks"], *new_case["skipped"]}
    return {key: ({fw: v for fw, v in value.items() if fw in ran} if isinstance(value, dict) else value)
            for key, value in old_case.items()}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = getattr(config, "_parity_summary", None)
    if lines:
        terminalreporter.section("nn-parity")
        for line in lines:
            terminalreporter.write_line(line)
