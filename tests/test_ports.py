"""``parity check`` on framework models as users write them (examples/ports/): each file's expected verdict, first
divergence and named cause (examples/ports/expected.json), bad input in one line, and the registries the
diagnoses rest on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parity import conventions
from parity.cli import main
from parity.ports import checker, diagnoses, pairs, render
from parity.ports.diagnoses import PortError

pytest.importorskip("torch")

PORTS = Path(__file__).resolve().parent.parent / "examples" / "ports"
MANIFEST = json.loads((PORTS / "expected.json").read_text())
EXPECTED, PAIRS = MANIFEST["models"], MANIFEST["pairs"]


def test_the_manifest_lists_every_port_file():
    singles = {str(p.relative_to(PORTS)) for p in PORTS.rglob("*") if p.suffix in (".py", ".ipynb")
               and p.parts[-3] != "pairs"}
    assert singles == set(EXPECTED)
    assert {str(p.parent.relative_to(PORTS)) for p in PORTS.glob("pairs/*/*.py")} == set(PAIRS)


def _judged(outcome, expected: dict) -> None:
    if expected["verdict"] == "pass":
        assert outcome.passed, render.human(outcome)
        assert [s.bug.id for s in outcome.suspects] == ([expected["suspect"]] if "suspect" in expected else [])
        assert {c["id"] for c in outcome.conventions} == set(expected.get("conventions", ()))  # none, for most
        return
    assert not outcome.passed
    r = outcome.first
    assert f"step {r.step}, {r.stage}, {r.quantity}" + (f"[{r.layer}]" if r.layer else "") == expected["first"]
    assert [s.bug.id for s in outcome.causes] == [expected["cause"]], render.human(outcome)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_model_gets_its_verdict_first_divergence_and_cause(name):
    expected = EXPECTED[name]
    if expected["verdict"] == "error":
        # 2 s for the step that never returns (its manifest note), the usual limit for the others: a slow first
        # step on a loaded machine must not pass for an endless one
        endless = "did not return" in expected["error"]
        with pytest.raises(PortError) as raised:
            checker.check(PORTS / name, timeout=2 if endless else 30)
        assert expected["error"] in str(raised.value) and "\n" not in str(raised.value)
        return
    _judged(checker.check(PORTS / name, timeout=30), expected)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_port_pair_is_judged_and_its_differences_attributed(name):
    expected = PAIRS[name]
    pair = pairs.check_pair(PORTS / name / "torch_model.py", PORTS / name / "keras_model.py")
    assert pair.faithful == expected["faithful"], pairs.human(pair)
    assert pair.copied  # each file draws its own weights: the second is started from the first's
    assert [s["setting"] for s in pair.settings] == expected["settings"]
    assert set(pair.attribution) == set(expected["attribution"]), pair.attribution
    whys = {s["setting"]: s["why"] for s in pair.settings}
    for setting, reason in expected.get("why", {}).items():  # what a differing setting is put down to
        assert reason in whys[setting], whys[setting]


def test_a_faithful_model_compares_every_quantity_it_computes_and_says_what_it_does_not():
    outcome = checker.check(PORTS / "torch" / "faithful_sequential.py")
    compared = {(r.quantity, r.layer) for r in outcome.results}
    assert {("Z", 1), ("A", 1), ("Z", 2), ("J", None), ("dZ", 2), ("dW", 2), ("db", 2), ("dA", 1), ("dZ", 1),
            ("dW", 1), ("db", 1), ("W", 1), ("b", 1), ("W", 2), ("b", 2)} <= compared
    assert set(outcome.absent) == {"A[2]", "dA[2]"}
    assert all(r.status == "pass" for r in outcome.results) and len(outcome.results) == 45


def test_the_command_prints_the_cause_with_file_and_line_and_exits_1(capsys):
    assert main(["check", str(PORTS / "torch" / "no_zero_grad.py")]) == 1
    out = capsys.readouterr().out
    assert "first divergence at step 1, backward, dW[2]" in out
    assert "optimizer.zero_grad() is never called in train (no_zero_grad.py, line 24)" in out


def test_json_output_carries_the_first_divergence_and_the_cause(capsys):
    assert main(["check", str(PORTS / "torch" / "softmax_before_cross_entropy.py"), "--format", "json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["schema"] == "nn-parity/check-model/v1" and not record["passed"]
    assert record["first_divergence"]["quantity"] == "J"
    assert record["causes"][0]["id"] == "softmax_before_cross_entropy" and record["causes"][0]["line"] == "line 10"


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(["check", str(PORTS / "torch" / "convolutional.py")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "convolution" in err and "Traceback" not in err


def test_the_user_file_is_not_modified():
    path = PORTS / "torch" / "no_zero_grad.py"
    before = path.read_bytes()
    checker.check(path)
    assert path.read_bytes() == before


def test_every_convention_has_a_remedy_and_every_bug_is_reachable():
    assert all(c.remedy.strip() for c in conventions.CONVENTIONS)  # a record without one does not construct
    named = {e.get("cause") for e in EXPECTED.values()} | {e.get("suspect") for e in EXPECTED.values()}
    assert set(diagnoses.BUGS) <= named


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_models_on_the_other_backends_in_their_own_process(backend):
    """Keras reads its backend once per process: the command, in a new one, with --keras-backend."""
    names = [n for n, e in EXPECTED.items() if n.startswith("keras/") and e["verdict"] != "error"]
    for name in names:
        expected = {**EXPECTED[name], **EXPECTED[name].get("backends", {}).get(backend, {})}
        done = subprocess.run([sys.executable, "-m", "parity", "check", str(PORTS / name), "--keras-backend", backend,
                               "--format", "json", "--m", "8"], capture_output=True, text=True, timeout=600)
        record = json.loads(done.stdout)
        assert record["passed"] == (expected["verdict"] == "pass"), (name, done.stdout[-2000:], done.stderr[-2000:])
        assert record["framework"] == f"keras-{backend}"
        if expected["verdict"] == "fail":
            assert [c["id"] for c in record["causes"]] == [expected["cause"]]
            first = record["first_divergence"]
            layer = f"[{first['layer']}]" if first["layer"] is not None else ""
            assert f"step {first['step']}, {first['stage']}, {first['quantity']}{layer}" == expected["first"]
        else:
            assert {c["id"] for c in record["conventions"]} == set(expected.get("conventions", ())), name


def test_md_html_and_json_files_are_written_with_the_cause(tmp_path, capsys):
    assert main(["check", str(PORTS / "torch" / "softmax_over_batch.py"), "--format", "md,html,json",
                 "--out", str(tmp_path)]) == 1
    page = (tmp_path / "check.html").read_text()
    assert "FAIL" in page and "normalises over dim=0" in page and "<table" in page
    assert "First divergence at step 0, forward, A[2]" in (tmp_path / "check.md").read_text()
    assert json.loads((tmp_path / "check.json").read_text())["causes"][0]["id"] == "softmax_over_batch"


def test_a_quantity_the_model_did_not_produce_and_nothing_declares_absent_is_missing_and_fails(monkeypatch):
    """The planted proof of ``checker._uncompared``'s last branch: a reader that loses dW[1] at step 1 (no model
    reason, no registry absence for torch) gives a ``missing`` result there, which fails the check and is its first
    divergence; the quantities declared absent stay listed with their reasons."""
    from parity.trace import Key

    path = PORTS / "torch" / "faithful_sequential.py"
    source, port, reader = checker.load(path)
    real = reader.run

    def losing(*args, **kwargs):
        trace = real(*args, **kwargs)
        del trace.values[Key(1, "backward", 1, "dW")]
        return trace

    monkeypatch.setattr(reader, "run", losing)
    outcome = checker.judge(path, source, port, reader)
    assert not outcome.passed
    r = outcome.first
    assert (r.step, r.stage, r.layer, r.quantity, r.status) == (1, "backward", 1, "dW", "missing")
    assert [x.status for x in outcome.results].count("missing") == 1
    assert set(outcome.absent) == {"A[2]", "dA[2]"}
    assert "did not produce" in render.human(outcome)
    # every format says so, and the JSON is strict (a missing quantity's error is infinite: written as "inf")
    assert "did not produce" in render.markdown(outcome) and "did not produce" in render.html(outcome)
    document = json.loads(render.WRITERS["json"][1](outcome), parse_constant=pytest.fail)
    assert document["first_divergence"]["status"] == "missing" and document["first_divergence"]["ulps"] == "inf"


def test_a_comparison_that_could_not_have_failed_makes_the_check_uninformative_not_a_pass(monkeypatch):
    """A planted error scale 1e20 times too wide on db: every db would accept zeros, so the check of a faithful
    model is UNINFORMATIVE (not passed, nothing diverges), in the terminal and the JSON."""
    real = checker.reference_trace

    def wide(*args, **kwargs):
        trace, E = real(*args, **kwargs)
        return trace, {k: v * 1e20 if k.quantity == "db" else v for k, v in E.items()}

    monkeypatch.setattr(checker, "reference_trace", wide)
    outcome = checker.check(PORTS / "torch" / "faithful_sequential.py")
    assert outcome.first is None and not outcome.passed and outcome.verdict == "uninformative"
    assert {r.quantity for r in outcome.results if r.status == "uninformative"} == {"db"}
    assert render.human(outcome).splitlines()[1].startswith("UNINFORMATIVE")
    assert json.loads(render.WRITERS["json"][1](outcome))["passed"] is False


def test_a_keras_model_is_read_as_a_fresh_process_runs_its_file_whatever_floatx_this_one_set():
    """Keras's floatx is process-wide: a model file is loaded with Keras's default (float32), as when it runs as a
    script, and this process's setting is back afterwards."""
    from parity.implementations.keras import floatx

    with floatx("float64"):
        outcome = checker.check(PORTS / "keras" / "faithful_sequential.py")
        assert outcome.case.dtype == "float32" and outcome.passed, render.human(outcome)
        assert require_keras().config.floatx() == "float64"


def require_keras():
    from parity.environment import require

    return require("keras")
