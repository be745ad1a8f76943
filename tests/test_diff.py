"""``parity diff``, baselines and ``report --baseline``: what a new framework release changed, and whether it
regressed. A framework made slightly less accurate (one of its own functions wrapped) must diff to exit 1,
naming the new failures, their first divergence and the size of the change; two clean runs diff to no change."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from parity import baseline, diff
from parity.case import GRID, get_case
from parity.cli import main
from parity.environment import describe
from parity.harness import run_case, runtime_defaults
from parity.report import build
from parity.tolerance import DIFF_MOVED_FACTOR, DIFF_MOVED_FLOOR_ULPS, diff_moved

ROOT = Path(__file__).resolve().parent.parent
CASES = ("planar-2-4-1-tanh-sigmoid-float32", "deep-relu-sigmoid-float64")


def _document(frameworks=("torch",)):
    outcomes = [run_case(get_case(name), list(frameworks)) for name in CASES]
    return build(outcomes, describe(), {fw: runtime_defaults(fw) for fw in frameworks})


def _certified_pins(python: str) -> dict[str, str]:
    """constraints.txt's pins for Python ``python`` ("3.12"), its environment markers evaluated."""
    from packaging.requirements import Requirement

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"python_version": python}):
                pins[requirement.name] = str(requirement.specifier).removeprefix("==")
    return pins


@pytest.fixture(scope="module")
def clean():
    pytest.importorskip("torch")
    return _document()


@pytest.mark.torch
def test_two_clean_runs_diff_to_no_change(clean, tmp_path, capsys):
    again = _document()
    d = diff.diff(baseline.compact(clean), baseline.compact(again))
    assert d.unchanged and d.exit_code() == 0 and d.compared == clean["summary"]["comparisons"]
    (tmp_path / "a.json").write_text(json.dumps(clean))
    (tmp_path / "b.json").write_text(json.dumps(again))
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    assert "No change" in capsys.readouterr().out


@pytest.mark.torch
def test_a_slightly_less_accurate_kernel_diffs_to_exit_1_naming_the_failure(clean, monkeypatch, tmp_path, capsys):
    import torch

    linear = torch.nn.functional.linear

    def sloppy(input, weight, bias=None):  # a release whose GEMM is 64 ulps less accurate in float32
        out = linear(input, weight, bias)
        return out * (1 + 64 * torch.finfo(torch.float32).eps) if out.dtype == torch.float32 else out

    monkeypatch.setattr(torch.nn.functional, "linear", sloppy)
    worse = _document()
    (tmp_path / "old.json").write_text(json.dumps(clean))
    (tmp_path / "new.json").write_text(json.dumps(worse))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["regressions"]
    verdict = {(v["case"], v["framework"]): (v["old"], v["new"]) for v in document["verdicts"]}
    assert verdict == {("planar-2-4-1-tanh-sigmoid-float32", "torch"): ("pass", "fail")}  # float64 untouched
    first = document["divergences"][0]
    assert (first["step"], first["stage"], first["layer"], first["quantity"]) == (0, "forward", 1, "Z")
    assert first["ulps"] > first["budget_ulps"]
    changed = [s for s in document["statuses"] if s["key"] == "Z[1] at step 0 (forward)"]
    assert changed and changed[0]["old_ulps"] < changed[0]["new_ulps"]
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    text = capsys.readouterr().out
    assert "REGRESSED" in text and "Z[1] at step 0 (forward)" in text


def test_the_noise_rule_needs_a_factor_and_a_floor():
    assert not diff_moved(0.4, 0.9)  # below one ulp of E: last-bit noise
    assert not diff_moved(2.0, 2.0 * DIFF_MOVED_FACTOR * 0.99)
    assert diff_moved(DIFF_MOVED_FLOOR_ULPS, DIFF_MOVED_FLOOR_ULPS * DIFF_MOVED_FACTOR)
    assert diff_moved(0.0, 1.5) and not diff_moved(3.0, 3.0)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON (line 1"),
    ('{"cases": []}', "is not an nn-parity report or baseline (it has no 'schema')"),
    ('{"schema": "nn-parity/report/v2", "cases": []}', "schema 'nn-parity/report/v2' is not one parity diff reads"),
], ids=["not-json", "no-schema", "old-schema"])
def test_unreadable_input_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    (tmp_path / "bad.json").write_text(content)
    assert main(["diff", str(tmp_path / "bad.json"), "certified"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["diff", str(tmp_path / "missing.json"), "certified"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_certified_baseline_ships_covers_the_grid_and_is_small(capsys):
    record = baseline.read("certified")
    # compact: one letter per stage and status, 3 digits per worst error, about 25 bytes a quantity (1.1 MB for the
    # 144 cases' 46,320 quantities); the budget grows with the grid, not the format
    quantities = sum(len(results) for case in record["cases"].values() for results in case["results"].values())
    assert baseline.CERTIFIED.stat().st_size < 30 * quantities
    assert set(record["cases"]) == {case.name for case in GRID}
    environment = record["environment"]
    python = ".".join(environment["python"].split(".")[:2])
    assert {name: environment[name].split("+")[0] for name in ("numpy", "torch", "keras", "tensorflow", "jax")} == {
        name: _certified_pins(python)[name if name != "tensorflow" else "tensorflow-cpu"]
        for name in ("numpy", "torch", "keras", "tensorflow", "jax")}, "the baseline is not of the certified pins"
    counts = [len(results) for case in record["cases"].values() for results in case["results"].values()]
    assert sum(counts) > 20_000
    assert main(["diff", "certified", "certified"]) == 0
    assert "No change" in capsys.readouterr().out


def test_a_baseline_from_another_environment_is_compared_naming_what_differs(capsys, tmp_path):
    """Another Python, BLAS, CPU and framework release: compared, never refused, each difference named."""
    record = baseline.read("certified")
    other = json.loads(json.dumps(record))
    other["environment"].update(python="3.11.7", blas="scipy-openblas 0.3.31", cpu="Another CPU", jax="0.10.2")
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    assert main(["diff", str(path), "certified"]) == 0
    out = capsys.readouterr().out
    for field, old in (("python", "3.11.7"), ("blas", "scipy-openblas 0.3.31"), ("cpu", "Another CPU"),
                       ("jax", "0.10.2")):
        assert f"| environment.{field} | {old} | {record['environment'][field]} |" in out


def test_a_worst_error_that_moves_beyond_noise_is_named_without_being_a_regression():
    record = baseline.read("certified")
    # the first passing quantity whose worst error is large enough to count as moved when it grows (which one
    # depends on the machine the baseline was certified on)
    name, framework, key, (status, ulps) = next(
        (name, framework, k, v) for name, case in record["cases"].items()
        for framework, results in case["results"].items() for k, v in results.items()
        if v[0] == "p" and float(v[1]) >= DIFF_MOVED_FLOOR_ULPS)
    case = json.loads(json.dumps(record["cases"][name]))
    case["results"][framework][key] = [status, float(ulps) * DIFF_MOVED_FACTOR * 1.5]
    d = diff.diff(record, {**record, "cases": {**record["cases"], name: case}})
    assert [(m["case"], m["framework"], m["key"]) for m in d.moved] == [(name, framework, baseline.describe_key(key))]
    assert d.exit_code() == 0 and not d.statuses
    assert baseline.describe_key(key) in diff.markdown(d, "old", "new")


def test_a_quantity_newly_missing_is_a_regression_named_with_its_key():
    """A witness that stops producing a quantity (an adapter that forgot it): status p -> m, verdict pass ->
    missing, exit 1, the key named."""
    record = baseline.read("certified")
    name, framework, key = next((name, framework, k) for name, case in record["cases"].items()
                                for framework, results in case["results"].items() for k, v in results.items()
                                if v[0] == "p" and case["frameworks"][framework] == "pass")
    case = json.loads(json.dumps(record["cases"][name]))
    case["results"][framework][key] = [baseline.STATUSES["missing"], "inf"]
    case["frameworks"][framework] = "missing"
    d = diff.diff(record, {**record, "cases": {**record["cases"], name: case}})
    assert d.exit_code() == 1
    assert f"{name} in {framework}: pass -> missing" in d.regressions
    assert [(s["key"], s["old"], s["new"]) for s in d.statuses] == [(baseline.describe_key(key), "pass", "missing")]


def test_a_missing_case_and_a_new_uninformative_comparison_are_regressions():
    record = baseline.read("certified")
    name = next(iter(record["cases"]))
    fewer = {**record, "cases": {k: v for k, v in record["cases"].items() if k != name}}
    assert diff.diff(record, fewer).regressions == [f"case {name} disappeared"]
    case = json.loads(json.dumps(record["cases"][name]))
    framework = next(iter(case["results"]))
    key = next(iter(case["results"][framework]))
    case["results"][framework][key][0] = "uninformative"
    case["frameworks"][framework] = "uninformative"
    changed = {**record, "cases": {**record["cases"], name: case}}
    d = diff.diff(record, changed)
    assert d.exit_code() == 1 and d.verdicts[0]["new"] == "uninformative"


@pytest.mark.torch
def test_report_with_a_baseline_runs_and_diffs_in_one_command(tmp_path, capsys):
    pytest.importorskip("torch")
    args = ["report", "--case", CASES[0], "--framework", "torch", "--format", "json"]
    assert main([*args, "--out", str(tmp_path / "first")]) == 0
    assert main(["baseline", str(tmp_path / "first" / "report.json"), "--out", str(tmp_path / "base.json")]) == 0
    assert main([*args, "--out", str(tmp_path / "second"), "--baseline", str(tmp_path / "base.json")]) == 0
    assert "No change" in capsys.readouterr().out


@pytest.mark.torch
@pytest.mark.keras
def test_pytest_writes_one_merged_report_diffs_it_and_fails_the_session_on_a_regression(tmp_path, remembered_runs):
    """The plugin, as CI runs it: an xdist worker, one merged report equal to the report command's results (its
    grid tests may read remembered framework runs, as in CI; ``direct`` below computes them here), diffed against
    a baseline of the same cases made on this machine, with one case more, which the grid no longer has: that
    case disappeared, the one regression, so the session fails with the diff; nothing else differs, not even the
    environment (both sides run one thread per framework process, in a pytest worker). The baseline is made here,
    not read from the certified one: another processor rounds a few products differently (torch's Z[1] on an AMD
    EPYC moved 0 -> 1.9 ulps from the Intel Xeon that certified it), which the diff rightly names. One worker
    records as each of many does; merging what several recorded is the test below."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    direct = {name: run_case(get_case(name), ["torch", "keras"] if name == CASES[0] else ["torch"]) for name in CASES}
    defaults = {fw: runtime_defaults(fw) for fw in ("torch", "keras")}  # each framework loaded, then described
    record = baseline.compact(build(list(direct.values()), describe(), defaults))
    retired = json.loads(json.dumps(record["cases"][CASES[0]]))
    baseline.write({**record, "cases": {**record["cases"], "retired-case-float32": retired}}, tmp_path / "old.json")
    test = "tests/test_parity_grid.py::test_framework_matches_the_reference"
    selected = [f"{test}[{name}-torch]" for name in CASES] + [f"{test}[{CASES[0]}-keras]"]
    command = [sys.executable, "-m", "pytest", *selected, "-n", "1", "-q", "-p", "no:cacheprovider",
               "--parity-report", str(tmp_path / "report"), "--parity-baseline", str(tmp_path / "old.json"),
               "--junitxml", str(tmp_path / "junit.xml")]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout and "nn-parity report: 2 cases" in run.stdout
    summary = run.stdout.split("nn-parity report: 2 cases", 1)[1]
    assert "**REGRESSED**: 1 regression(s); 0 verdict(s) changed, 0 quantity status(es) changed, 0 worst " \
           "error(s) moved beyond noise" in summary
    assert "## Regressions\n\n- case retired-case-float32 disappeared\n\n" in summary
    for section in ("## Environment and versions", "## Defaults read at run time"):
        assert section not in summary, summary[summary.index(section):]
    document = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [c["name"] for c in document["cases"]] == list(CASES)
    assert list(document["cases"][0]["frameworks"]) == ["torch", "keras"]
    for case in document["cases"]:
        expected = [(r.framework, r.step, r.stage, r.layer, r.quantity, r.status) for r in direct[case["name"]].results]
        got = [(r["framework"], r["step"], r["stage"], r["layer"], r["quantity"], r["status"]) for r in case["results"]]
        assert got == expected
        np.testing.assert_array_equal([r["max_abs"] for r in case["results"]],
                                      [r.max_abs for r in direct[case["name"]].results])
    junit = (tmp_path / "junit.xml").read_text()
    assert f"test_framework_matches_the_reference[{CASES[0]}-keras]" in junit


@pytest.mark.torch
@pytest.mark.keras
def test_a_case_recorded_by_two_workers_merges_into_the_report_commands_result():
    """What xdist workers record of one case, a framework each (and a case alone on one of them), merges into
    one result per case, in the grid's order, frameworks in the registry's order: the run of both at once."""
    from parity.pytest_plugin import merge

    pytest.importorskip("torch")
    pytest.importorskip("keras")
    first, second = (get_case(name) for name in CASES)
    keras, torch, alone = run_case(first, ["keras"]), run_case(first, ["torch"]), run_case(second, ["torch"])
    records = [{"outcome": outcome, "defaults": {fw: runtime_defaults(fw) for fw in outcome.dtypes},
                "environment": describe()} for outcome in (alone, keras, torch)]  # the order they happen to end
    merged, defaults, _ = merge(records)
    both = run_case(first, ["torch", "keras"])
    assert [outcome.case.name for outcome in merged] == list(CASES) and list(defaults) == ["torch", "keras"]
    for got, expected in ((merged[0], both), (merged[1], alone)):
        assert [(r.framework, r.key, r.status, r.max_abs) for r in got.results] == [
            (r.framework, r.key, r.status, r.max_abs) for r in expected.results]
        assert (got.dtypes, got.variants, got.skipped) == (expected.dtypes, expected.variants, expected.skipped)
        assert list(got.costs.items()) == list(expected.costs.items()) and got.drift == expected.drift


def test_the_declared_ranges_are_floors_each_run_by_the_release_ladder():
    """The frameworks extra states the oldest releases we support and no ceiling (a newer release installs and
    the diff against the certified baseline says what it changed); each floor is the oldest rung of the release
    ladder, so the grid has run on it (docs/releases.md), or the certified release where the ladder has no rung;
    and the certified pins lie inside the ranges."""
    import re
    import tomllib

    from tools.release_ladder import LADDER

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for requirement in [*project["optional-dependencies"]["frameworks"], *project["dependencies"]]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        assert match, f"{requirement!r} is not a bare floor"
        floors[match[1]] = match[2]
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([0-9.]+)", (ROOT / "constraints.txt").read_text(), re.M))
    # each package's own distributions (a rung may move another package with it: TensorFlow 2.19 needs numpy < 2.2)
    oldest = {name: version for package, steps in LADDER.items() for name, version in steps[0][1].items()
              if name.startswith(package)}
    oldest = {name: oldest.get(name, pins[name]) for name in floors}  # optax: the certified release only
    assert floors == {name: ".".join(oldest[name].split(".")[:len(floors[name].split("."))]) for name in floors}
    version = lambda text: tuple(int(part) for part in text.split("."))  # noqa: E731
    assert all(version(pins[name]) >= version(floor) for name, floor in floors.items())
