"""The release history (``docs/releases.md``): generated from the rungs' records, each rung the release it claims,
and a change in a rung's record shows on the page."""

import json

from parity import baseline
from tools.release_ladder import CERTIFIED, KEPT, LADDER, PAGE, TOP, rungs
from tools.releases_page import render


def test_the_page_is_generated_from_the_kept_records():
    assert PAGE.read_text() == render(LADDER, KEPT, TOP), (
        "docs/releases.md is stale: regenerate it with python tools/release_ladder.py render")


def test_every_rung_is_kept_and_records_the_releases_it_moved():
    certified = baseline.read(TOP)["environment"]
    for name, pins in rungs().items():
        environment = baseline.read(KEPT / f"{name}.json")["environment"]
        for package, version in pins.items():
            assert environment[package.removesuffix("-cpu")].split("+")[0] == version, (name, package)
        assert environment["python"] == certified["python"], f"{name} ran on another Python than the certified set"


def test_the_ladders_top_is_the_certified_set_that_ships():
    """The page's top record is a copy made beside the rungs (another machine's, so that a moved error is a
    release's): its Python and every laddered package must still be the shipped certified baseline's."""
    top, shipped = baseline.read(TOP)["environment"], baseline.read(CERTIFIED)["environment"]
    for key in ["python", *(package.removesuffix("-cpu") for package in LADDER)]:
        assert top[key] == shipped[key], f"docs/releases/certified.json is stale in {key}: rerun the ladder"


def _with(record: dict, **changes) -> dict:
    copy = json.loads(json.dumps(record))
    copy["environment"].update(changes.pop("environment", {}))
    for (case, framework, key), value in changes.pop("results", {}).items():
        copy["cases"][case]["results"][framework][key] = value
    for (case, framework), verdict in changes.pop("verdicts", {}).items():
        copy["cases"][case]["frameworks"][framework] = verdict
    return copy


def test_a_moved_error_and_a_changed_verdict_show_on_the_page(tmp_path):
    certified = baseline.read(TOP)
    # the first passing quantity with an error of an ulp or more (which framework rounds differently from the
    # reference depends on the machine's kernels, so it is searched for, not assumed)
    case, framework, key = next((case, framework, k) for case, record in certified["cases"].items()
                                for framework, results in record["results"].items()
                                for k, (status, ulps) in results.items() if status == "p" and float(ulps) >= 1)
    older = _with(certified, environment={"jax": "0.0.1"}, results={(case, framework, key): ["p", 0.0]},
                  verdicts={(case, framework): "fail"})
    (tmp_path / "jax-0.0.1.json").write_text(json.dumps(older))
    page = render({"jax": [("0.0.1", {"jax": "0.0.1"})]}, tmp_path, TOP)
    assert f"| jax | 0.0.1 -> {certified['environment']['jax']} |" in page
    assert f"| {case} | {framework} | fail | {certified['cases'][case]['frameworks'][framework]} |" in page
    assert f"| {framework} | {baseline.describe_key(key).split(' at step ')[0]}" in page
    assert "not yet traced" in page  # no cause written for a made-up release
