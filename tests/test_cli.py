"""The command line, starting with the README's own Quickstart command."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from parity.cli import main
from parity.tolerance import FLOAT64_TRAINING_DRIFT_ULPS, ulps

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_set_up_then_tests():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install -c constraints.txt") and commands[1].startswith("pip install")
    assert commands[1].endswith("pytest -n auto")


def test_the_quickstart_main_job_runs_as_written_on_two_cases(tmp_path, monkeypatch, capsys):
    """Runs the part of the first Quickstart command after its install step, as written (``python -m parity``
    is ``parity.cli.main``), from a fresh directory, on two cases (``--case``) and the frameworks of the main
    process (``--framework``: the Keras workers are exercised by tests/test_keras_backends.py). ``.ci/run`` runs
    the command itself, in its own process, on the whole grid; tests/test_environment.py runs the report in a
    fresh interpreter and checks its set-up and its quiet start-up."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    job = quickstart_commands()[0].split("&&", 1)[1].strip()
    assert job == "python -m parity report"
    monkeypatch.chdir(tmp_path)
    cases = ["--case", "planar-2-4-1-tanh-sigmoid-float32", "--case", "adam-8steps-float32",
             "--framework", "torch,torch-logits,keras"]
    assert main([*job.split()[3:], *cases]) == 0
    out, err = capsys.readouterr()
    assert re.search(r"^2 cases, \d+ comparisons: \d+ passed, 0 failed, \d+ explained, 0 uninformative", out, re.M)
    report = tmp_path / "parity-report"
    assert {p.name for p in report.iterdir()} >= {"report.md", "report.html", "report.json", "figures"}
    assert re.search(r"^\[\s*1/2\] planar-2-4-1-tanh-sigmoid-float32: torch pass", err, re.M)


def test_ci_runs_the_quickstart_main_job_on_the_whole_grid():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m parity report --out" in ci and ci.index("parity report") < ci.index("pytest -n auto")


def test_train_side_by_side_prints_and_writes_every_format(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    assert main(["train", "--iterations", "30", "--print-every", "10", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert [line.split()[1] for line in progress] == ["10/30", "20/30", "30/30"]
    assert "cost: reference" in progress[0] and "torch" in progress[0] and "keras" in progress[0]
    finals = [line for line in out.splitlines() if line.startswith("final ")]
    trained = ["reference", "torch", "torch-logits", "keras", "jax"]  # every framework this process runs
    assert [line.split()[1].rstrip(":") for line in finals] == trained
    document = json.loads((tmp_path / "train.json").read_text())
    assert document["schema"] == "nn-parity/train/v1"
    runs = document["runs"]
    assert set(runs) == set(trained) and len(runs["torch"]["cost"]) == 30
    # identical weights, same data, same formulas: float64 trajectories stay within a few ulps of each other
    drift = ulps(np.float64, FLOAT64_TRAINING_DRIFT_ULPS)
    assert max(runs["torch"]["drift"]) < drift and max(runs["keras"]["drift"]) < drift
    assert runs["reference"]["test_accuracy"] is not None
    assert (tmp_path / "train.html").read_text().count("<figure><svg ") == 2


def test_train_on_digits_uses_the_digit_defaults(capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "--data", "digits", "--iterations", "5", "--implementations", "reference"]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("64-10-10 relu/softmax network, categorical_crossentropy, sgd (learning rate 0.5)")


def test_train_reports_a_bad_layer_spec_in_one_line(capsys):
    assert main(["train", "--layers", "3,4,1", "--implementations", "reference"]) == 2
    err = capsys.readouterr().err
    assert err.strip().startswith("python -m parity train: error: --layers 3,4,1 does not fit planar")


@pytest.mark.parametrize("argv, message", [
    (["--data", "cifar"], "unknown data 'cifar'"),
    (["--learning-rate", "-1", "--implementations", "reference"], "learning_rate must be finite and > 0"),
    (["--implementations", "mxnet"],
     "unknown implementation 'mxnet'; valid names: reference, torch, torch-logits, keras, jax"),
    (["--activations", "tanh,swish", "--implementations", "reference"], "unknown activation 'swish'"),
], ids=["unknown-data", "negative-rate", "unknown-implementation", "unknown-activation"])
def test_train_bad_input_exits_2_without_traceback(argv, message, capsys):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m parity train: error:") and message in err and "Traceback" not in err
