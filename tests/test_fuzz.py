"""The fuzz mode: drawn cases are valid and fixed by their seed, random networks agree with the frameworks,
a planted bug shrinks to the smallest case that still shows it, and its one-line command reproduces it."""

import json
import shlex
from collections import Counter

import pytest
from hypothesis import given, settings

import reference.network
from parity import fuzz
from parity.case import Case
from parity.cli import main
from parity.frameworks import FRAMEWORKS
from tests import planted

DRAWS = 400  # enough draws that every option of every space turns up (the rarest, one of 64 widths, ~6 times)


def drawn(seed: int = 0, count: int = DRAWS) -> list[Case]:
    return [fuzz.generate(seed, i) for i in range(count)]


def test_a_seed_fixes_every_case_and_names_are_unique():
    cases = drawn(7, 50)
    assert cases == drawn(7, 50)
    assert fuzz.generate(7, 31) == cases[31]  # case i depends on (seed, i) alone, not on the cases before it
    assert cases != drawn(8, 50)
    assert [c.name for c in cases] == [f"fuzz-s7-{i}-{c.dtype}" for i, c in enumerate(cases)]
    assert len({c.seed for c in cases}) == len(cases)


def test_draws_cover_the_whole_space_and_every_case_is_valid():
    cases = drawn()
    for case in cases:
        fuzz.check(case)  # raises on an output/loss pair, edge or data no framework runs
    assert {c.L for c in cases} == set(fuzz.DEPTHS)
    assert {n for c in cases for n in c.layer_dims} == set(fuzz.WIDTHS)
    activations = {a for c in cases for a in c.activations}
    assert activations == set(fuzz.ACTIVATIONS) and "leaky_relu(0.2)" in activations
    pairs = Counter((reference.get_activation(c.activations[-1]).name, c.loss) for c in cases)
    assert {loss for _, loss in pairs} == set(reference.LOSSES)
    assert {output for output, loss in pairs if loss != "mse"} == {"sigmoid", "softmax"}
    assert all(c.layer_dims[-1] >= 2 for c in cases if c.loss == "categorical_crossentropy")
    for name, space in (("optimizer", fuzz.OPTIMIZERS), ("learning_rate", fuzz.LEARNING_RATES),
                        ("dtype", fuzz.DTYPES), ("m", fuzz.BATCH_SIZES), ("steps", fuzz.STEPS),
                        ("input_scale", fuzz.INPUT_SCALES), ("init", fuzz.INITS)):
        assert {getattr(c, name) for c in cases} == set(space), name
    assert 1 in {c.m for c in cases}
    edges = Counter(c.edge for c in cases)
    assert set(edges) - {None} and edges[None] > DRAWS / 2


def test_draws_cover_the_optimisation_week_rmsprop_schedules_and_mini_batch_epochs():
    cases = drawn()
    assert "rmsprop" in {c.optimizer for c in cases}
    assert {c.schedule for c in cases} == set(reference.SCHEDULES) == set(fuzz.SCHEDULES)
    assert {c.decay_rate for c in cases if c.scheduled} == set(fuzz.DECAY_RATES)
    assert {c.decay_interval for c in cases if c.scheduled} == set(fuzz.DECAY_INTERVALS)
    batched = [c for c in cases if c.mini_batch_size]
    # several epochs of mini-batches, a partial last batch among them
    assert any(c.steps > c.batches_per_epoch and c.m % c.mini_batch_size for c in batched)
    assert {c.batches_per_epoch for c in batched} == set(fuzz.BATCHES_PER_EPOCH) - {None}
    assert not any(c.scheduled and c.optimizer == "momentum" for c in cases)


@pytest.mark.torch
@settings(max_examples=15, deadline=None, derandomize=True)
@given(fuzz.hypothesis_cases())
def test_random_networks_agree_with_pytorch(case):
    pytest.importorskip("torch")
    outcome = fuzz.run(case, ["torch"])
    assert outcome.verdict not in ("fail", "error"), "\n".join(
        [f"{case.name}: {fuzz.shape(case)}", *fuzz.describe_outcome(outcome), fuzz.replay_command(case, ["torch"])])


@pytest.mark.torch
@pytest.mark.keras
def test_drawn_cases_agree_with_pytorch_and_keras(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    assert main(["fuzz", "--cases", "3", "--seed", "1", "--framework", "torch,keras"]) == 0, capsys.readouterr().out


def test_replay_json_round_trips_every_drawn_case():
    for case in drawn(count=100):
        text = fuzz.case_json(case)
        assert fuzz.case_from_json(text) == case
        assert '"data"' not in text  # only what differs from Case's defaults, and the name
    words = shlex.split(fuzz.replay_command(drawn(count=1)[0], ["torch", "keras"]))
    assert words[:5] == ["python", "-m", "parity", "fuzz", "--replay"] and words[6:] == ["--framework", "torch,keras"]
    assert fuzz.case_from_json(words[5]) == drawn(count=1)[0]


# Three layers, Adam, several steps and samples: everything the shrinker can take away.
PLANTED_CASE = Case("fuzz-planted-float64", (7, 9, 6, 3), ("tanh", "relu", "sigmoid"), "binary_crossentropy",
                    optimizer="adam", learning_rate=0.01, steps=3, m=16, init="he", input_scale=10.0)


@pytest.fixture
def missing_one_over_m(monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(reference.network, "linear_backward", planted.missing_one_over_m)


@pytest.mark.torch
def test_a_planted_bug_shrinks_to_the_smallest_case_that_still_shows_it(missing_one_over_m):
    original = fuzz.run(PLANTED_CASE, ["torch"])
    assert original.verdict == "fail"
    shrunk = fuzz.shrink(original)
    case = shrunk.outcome.case
    assert fuzz.same_failure(original)(shrunk.outcome)
    where = shrunk.outcome.first_divergence["torch"]
    assert (where.step, where.stage, where.layer, where.quantity) == (0, "backward", 1, "dW")
    # dW = dZ A_prev^T without 1/m: visible from m = 2 on, invisible at m = 1, so the minimum keeps m = 2
    assert (case.layer_dims, case.activations, case.loss) == ((1, 1), ("linear",), "mse")
    assert (case.m, case.steps, case.optimizer, case.input_scale, case.name) == (2, 1, "sgd", 1.0, PLANTED_CASE.name)
    assert shrunk.runs < fuzz.SHRINK_RUNS  # it stopped because nothing simpler fails, not for lack of budget
    assert all(not fuzz.same_failure(original)(fuzz.run(c, ["torch"])) for c in fuzz.reductions(case))


@pytest.mark.torch
def test_the_printed_command_reproduces_the_shrunk_failure(missing_one_over_m, monkeypatch, capsys):
    monkeypatch.setattr(fuzz, "generate", lambda seed, i: PLANTED_CASE)
    assert main(["fuzz", "--cases", "1", "--framework", "torch"]) == 1
    out = capsys.readouterr().out
    commands = [line.split("reproduce: `", 1)[1].rstrip("`") for line in out.splitlines() if "reproduce: `" in line]
    assert len(commands) == 1 and "1 | 1 | 0 | 0 | 0 |" in out  # one case, failed
    words = shlex.split(commands[0])
    assert words[:3] == ["python", "-m", "parity"]
    assert json.loads(words[5])["layer_dims"] == [1, 1]
    assert main(words[3:]) == 1
    replayed = capsys.readouterr().out
    assert replayed.startswith(f"case {PLANTED_CASE.name}: 1-1 linear mse, sgd lr 0.1, float64, m 2, 1 step: fail")
    assert "torch: fail (" in replayed and "first divergence: torch, step 0, backward, layer 1, dW" in replayed


def outcome_with(errors=None, first=None) -> fuzz.Outcome:
    return fuzz.Outcome(PLANTED_CASE, ("torch", "keras"), errors=errors or {}, first_divergence=first or {})


def test_shrinking_holds_on_to_the_same_exception_in_the_same_framework():
    still = fuzz.same_failure(outcome_with(errors={"keras": "ValueError: shapes (3, 1) and (2, 1)"}))
    assert still(outcome_with(errors={"keras": "ValueError: other words"}))
    assert not still(outcome_with(errors={"keras": "TypeError: shapes"}))
    assert not still(outcome_with(errors={"torch": "ValueError: shapes"}))
    assert not still(outcome_with())


GOOD_CASE = Case("fuzz-cli-float64", (3, 4, 2), ("tanh", "softmax"), "categorical_crossentropy", m=4)


@pytest.mark.torch
def test_fuzz_without_failures_exits_0_and_writes_its_formats(monkeypatch, capsys, tmp_path):
    pytest.importorskip("torch")
    monkeypatch.setattr(fuzz, "generate", lambda seed, i: GOOD_CASE)
    assert main(["fuzz", "--cases", "2", "--framework", "torch", "--format", "md,json", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "| 2 | 0 | 0 | 0 | 2 |" in captured.out  # cases: fail, error, uninformative, pass
    assert "[fuzz" in captured.err and "2 cases, " in captured.err and " comparisons, 0 failed" in captured.err
    document = json.loads((tmp_path / "fuzz.json").read_text())
    assert (document["cases"], document["verdicts"], document["findings"]) == (2, {"pass": 2}, [])
    assert document["comparisons"] == sum(document["statuses"].values()) > 0
    assert (tmp_path / "fuzz.md").read_text() == captured.out


@pytest.mark.torch
def test_fuzz_by_seconds_stops_drawing_after_the_time_given(monkeypatch, capsys):
    pytest.importorskip("torch")
    monkeypatch.setattr(fuzz, "generate", lambda seed, i: GOOD_CASE)
    assert main(["fuzz", "--seconds", "0.3", "--framework", "torch"]) == 0
    assert "# nn-parity fuzz, seed 0" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, message", [
    (["--cases", "0"], "--cases must be a positive integer, got 0"),
    (["--seconds", "-1"], "--seconds must be a positive number, got -1"),
    (["--seed", "-3"], "--seed must be a non-negative integer, got -3"),
    (["--framework", "mxnet"], f"unknown framework 'mxnet'; valid names: {', '.join(FRAMEWORKS)}"),
    (["--format", "html"], "unknown format 'html'; available formats: md, json"),
    (["--replay", "{not json"], "--replay needs a JSON object of case fields: "),
    (["--replay", "[1, 2]"], "--replay needs a JSON object of case fields, got list"),
    (["--replay", '{"name": "x"}'], "--replay: missing case field 'layer_dims'"),
    (["--replay", fuzz.case_json(GOOD_CASE)[:-1] + ',"depth":3}'], "--replay: unknown case field 'depth'"),
    (["--replay", fuzz.case_json(GOOD_CASE).replace('"m":4', '"m":"4"')], "--replay: m must be a number"),
    (["--replay", fuzz.case_json(GOOD_CASE).replace("softmax", "tanh")], "a tanh output cannot feed categorical"),
    (["--replay", fuzz.case_json(GOOD_CASE), "--cases", "3"], "--replay runs the one case it is given; it takes no "
                                                              "--cases"),
])
def test_bad_input_exits_2_with_one_line(arguments, message, capsys):
    assert main(["fuzz", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m parity fuzz: error: ") and message in err
    assert err.count("\n") == 1


QUIET_DRAW = 2275  # seed whose first case has a softmax over one unit (38-2-39-1-2-15), where Keras warns


@pytest.mark.slow
@pytest.mark.keras
def test_the_fuzzer_keeps_framework_warnings_off_the_terminal_unless_verbose(tmp_path):
    """The draw makes Keras warn of a softmax over one unit (its A is 1 on purpose); the user sees nothing of it,
    and --verbose shows it (so the draw does warn, and the silence is the filter's)."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("keras")
    case = fuzz.generate(QUIET_DRAW, 0)
    assert any(a == "softmax" and n == 1 for a, n in zip(case.activations, case.layer_dims[1:], strict=True))
    command = [sys.executable, "-m", "parity", "fuzz", "--cases", "1", "--seed", str(QUIET_DRAW), "--framework",
               "torch,torch-logits,keras,jax", "--out", str(tmp_path)]
    root = Path(__file__).resolve().parent.parent
    quiet = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "Warning" not in quiet.stderr + quiet.stdout, quiet.stderr[-2000:]
    verbose = subprocess.run([*command, "--verbose"], cwd=root, capture_output=True, text=True, timeout=600)
    assert "UserWarning: You are using a softmax over axis -1" in verbose.stderr, verbose.stderr[-2000:]
