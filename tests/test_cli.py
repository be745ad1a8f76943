"""The command line, starting with the README's own Quickstart command."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from parity.cli import main

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_set_up_then_tests():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install") and commands[1].startswith("pip install")
    assert commands[1].endswith("pytest -n auto")


def test_the_quickstart_main_job_trains_and_prints_cost_and_accuracy():
    """Runs the part of the first Quickstart command after its install step, exactly as written."""
    job = quickstart_commands()[0].split("&&", 1)[1].strip()
    assert job.startswith("python -m ")
    result = subprocess.run([sys.executable, *job.split()[1:]], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    final = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"final: cost ([0-9.]+), accuracy ([0-9.]+) on all 400 samples", final)
    assert match, result.stdout
    assert float(match.group(2)) > 0.85  # the course's planar network reaches about 90% on the flower


def test_train_reports_a_bad_layer_spec_in_one_line(capsys):
    assert main(["train", "--layers", "3,4,1"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("python -m parity train: error: --layers 3,4,1 does not fit planar(m=400, seed=1): "
                           "it has 2 input features and 1 output rows")


def test_train_reports_an_unknown_activation_in_one_line(capsys):
    assert main(["train", "--activations", "tanh,swish", "--iterations", "1"]) == 2
    assert "unknown activation 'swish'; valid names:" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "--data", "mnist"], ["train", "--learning-rate", "-1"]],
                         ids=["unknown-data", "negative-rate"])
def test_train_bad_input_exits_2_without_traceback(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m parity train: error:") and "Traceback" not in err
