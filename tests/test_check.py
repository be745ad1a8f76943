"""``python -m parity check``: the learner's checker, on the shipped examples and on broken modules."""

import json
from pathlib import Path

import pytest

from parity.cli import main
from parity.learner import checker as check

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BUGGY = {
    "buggy_db_all_axes.py": ("db2 at step 0", "db is a single number (dZ summed over all axes)"),
    "buggy_missing_m.py": ("dW2 at step 0", "1/m missing"),
    "buggy_one_over_m_twice.py": ("dZ2 at step 0", "1/m applied twice"),
    "buggy_missing_transpose.py": ("dA1 at step 0", "missing transpose of W in the backward pass"),
    "buggy_relu_prime_at_zero.py": ("dZ1 at step 0", "ReLU'(0) taken as 1"),
    "buggy_softmax_axis.py": ("A2 at step 0", "softmax over the wrong axis"),
    "buggy_wrong_sign.py": ("W1 at step 0", "learning rate applied with the wrong sign"),
    "buggy_planar_tanh_prime.py": ("dW1 at step 0", "tanh' applied to Z instead of A"),
}


def test_every_shipped_example_is_exercised():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted([*BUGGY, "correct.py"])


@pytest.mark.torch
@pytest.mark.keras
def test_the_correct_example_passes_and_the_reference_is_certified_by_both_frameworks(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    assert main(["check", str(EXAMPLES / "correct.py")]) == 0
    out = capsys.readouterr().out
    assert "torch: pass, keras: pass" in out
    assert "PASS: all 48 quantities match the reference at every step" in out


@pytest.mark.parametrize("example", sorted(BUGGY))
def test_each_buggy_example_is_located_and_diagnosed(example):
    outcome = check.check(EXAMPLES / example, frameworks=())
    where, mistake = BUGGY[example]
    assert not outcome.passed
    assert check.describe_quantity(outcome.first) == where
    assert outcome.diagnosis is not None and outcome.diagnosis.mistake == mistake


def test_json_output_names_the_first_divergence_and_its_diagnosis(capsys):
    code = main(["check", str(EXAMPLES / "buggy_db_all_axes.py"), "--format", "json", "--frameworks", "none"])
    assert code == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    first = document["first_divergence"]
    assert (first["step"], first["stage"], first["layer"], first["quantity"]) == (0, "backward", 2, "db")
    assert first["diagnosis"]["mistake"] == "db is a single number (dZ summed over all axes)"
    assert "axis=1, keepdims=True" in first["diagnosis"]["fix"]


@pytest.mark.parametrize("source, message", [
    ("LAYERS = [2, 1]\ndef forward_prop(:\n", "bad.py line 2: syntax error"),
    ("LAYERS = [2, 1]\nACTIVATIONS = ['sigmoid']\nLOSS = 'binary_crossentropy'\n",
     "bad.py: no forward function found (expected forward_prop for this project's module interface"),
    ("import broken_helper\n", "bad.py line 1 raised RuntimeError: boom (broken_helper.py line 1, in <module>"),
    ("LAYERS = [2, 1]\nACTIVATIONS = ['swish']\nLOSS = 'mse'\n"
     "forward_prop = backward_prop = update_params = print\n", "unknown activation 'swish'"),
    ("LAYERS = [2, 3, 1]\nACTIVATIONS = ['tanh']\nLOSS = 'mse'\nforward_prop = backward_prop = update_params = print\n",
     "ACTIVATIONS must name one activation per layer (2 for layers [2, 3, 1])"),
], ids=["syntax-error", "missing-functions", "import-raises", "unknown-activation", "activations-count"])
def test_broken_modules_get_one_clear_line_and_exit_2(tmp_path, capsys, source, message):
    (tmp_path / "bad.py").write_text(source)
    (tmp_path / "broken_helper.py").write_text("raise RuntimeError('boom')\n")  # a helper beside the file
    assert main(["check", str(tmp_path / "bad.py"), "--frameworks", "none"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_wrong_shapes_and_missing_keys_are_named(tmp_path, capsys):
    source = (EXAMPLES / "correct.py").read_text().replace('return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}',
                                                          'return {"Z1": Z1, "A1": A1, "Z2": Z2}')
    (tmp_path / "mine.py").write_text(source)
    assert main(["check", str(tmp_path / "mine.py"), "--frameworks", "none"]) == 2
    assert "forward_prop returned no 'A2' (or 'AL'); its keys are ['A1', 'Z1', 'Z2']" in capsys.readouterr().err


def test_an_exception_in_the_learners_code_points_at_their_line(tmp_path, capsys):
    source = (EXAMPLES / "correct.py").read_text().replace("dW2 = dZ2 @ cache[\"A1\"].T / m",
                                                          "dW2 = dZ2 @ cache[\"A1\"] / m")
    (tmp_path / "mine.py").write_text(source)
    assert main(["check", str(tmp_path / "mine.py"), "--frameworks", "none"]) == 2
    err = capsys.readouterr().err
    assert "backward_prop raised ValueError: matmul" in err and "mine.py line 42" in err


LATE_UPDATE = '''
CALLS = [0]


def update_params(params, grads, learning_rate):
    """Correct, except that the second step is taken twice: a bug that only a late step shows."""
    CALLS[0] += 1
    rate = learning_rate * (2 if CALLS[0] == 2 else 1)
    return {key: params[key] - rate * grads["d" + key] for key in params}
'''

def _learner(tmp_path, name, update):
    source = (EXAMPLES / "correct.py").read_text().replace("def update_params(", "def _unused_update_params(")
    path = tmp_path / name
    path.write_text(source + update)
    return path


def test_a_learners_bug_at_step_1_is_named_at_step_1_and_nowhere_else(tmp_path):
    outcome = check.check(_learner(tmp_path, "late.py", LATE_UPDATE), frameworks=())
    assert not outcome.passed
    assert (outcome.first.step, outcome.first.stage, outcome.first.layer) == (1, "update", 1)
    failed_steps = {r.step for r in outcome.results if r.status == "fail"}
    assert failed_steps == {1}  # step 2 starts from the reference's parameters again: it is judged on its own

