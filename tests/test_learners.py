"""``parity check`` on learners' files as they write them (examples/learners/, a corpus in every style: the
course's L-layer and one-hidden-layer APIs, separate arrays, notebooks), checked unchanged.

``examples/learners/expected.json`` says, for each file, whether it is right, and for a wrong one which mistake
it makes and which quantity goes wrong first (at step 0, in the learner's names)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import parity
from parity.cli import main
from parity.learner import checker
from parity.learner.source import LearnerError, load_source
from parity.tolerance import LEARNER_ROUNDING_ULPS, parity_ulps

LEARNERS = Path(__file__).resolve().parent.parent / "examples" / "learners"
EXPECTED = json.loads((LEARNERS / "expected.json").read_text())
CRASHES = {"elementwise_WT_dZ", "global_variable"}  # mistakes that stop the learner's code instead of a number
COMPUTED = sorted(name for name, e in EXPECTED.items() if e["mistake"] not in CRASHES)


def test_the_manifest_lists_every_learner_file():
    helpers = {"dnn_utils.py", "planar_utils.py", "mnist_helpers.py", "__init__.py", "activations.py"}
    files = {str(p.relative_to(LEARNERS)) for p in LEARNERS.rglob("*") if p.suffix in (".py", ".ipynb")
             and p.name not in helpers and "__pycache__" not in p.parts}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", COMPUTED)
def test_each_learner_file_is_judged_right_or_located_and_diagnosed(name):
    expected = EXPECTED[name]
    outcome = checker.check(LEARNERS / name, frameworks=())
    assert outcome.style == expected["style"]
    if expected["right"]:
        assert outcome.passed, [f.result and checker.describe_quantity(f.result) for f in outcome.findings]
        return
    assert not outcome.passed
    cause = outcome.findings[0]
    assert cause.group == expected["stage"]
    assert checker.describe_quantity(cause.result) == f"{expected['first']} at step 0"
    assert cause.diagnosis is not None and cause.diagnosis.id == expected["mistake"]
    assert [f.group for f in outcome.findings] == [expected["stage"]]  # the other stages are right on their own


def test_rounding_is_told_from_wrong_math_and_measured():
    """tanh from exponentials and a stabilised log: the same math, judged right, with the rounding named."""
    outcome = checker.check(LEARNERS / "shallow" / "shallow_tanh_from_exponentials.py", frameworks=())
    assert outcome.passed
    rounding = outcome.by_status("rounding")
    assert rounding and {r.quantity for r in rounding} <= {"A", "dW", "db", "dA", "dZ", "W", "b"}
    assert all(parity_ulps("float64") < r.ulps for r in rounding)
    assert max(r.ulps for r in rounding) < LEARNER_ROUNDING_ULPS
    notes = outcome.by_status("note")
    assert [r.quantity for r in notes] == ["J"] * outcome.case.steps
    assert "log(AL + 1e-08)" in notes[0].explanation


def test_a_stabilised_cost_never_hides_a_backward_bug():
    outcome = checker.check(LEARNERS / "deep" / "deep_relu_masked_by_dA.py", frameworks=())
    assert [r.status for r in outcome.results if r.quantity == "J"] == ["note"] * outcome.case.steps
    assert outcome.findings[0].diagnosis.id == "relu_masked_by_dA"


FOLDED_BACKWARD = """

def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = (cache["A2"] - Y) / m  # the 1/m folded into dZ: the same dW and db, rounded differently
    dW2 = dZ2 @ cache["A1"].T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = params["W2"].T @ dZ2 * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dZ2": dZ2}
"""


def test_one_over_m_folded_into_dZ_is_a_convention_when_dW_and_db_agree(tmp_path):
    source = (Path(__file__).resolve().parent.parent / "examples" / "correct.py").read_text()
    (tmp_path / "folded.py").write_text(source + FOLDED_BACKWARD)  # a later def wins
    outcome = checker.check(tmp_path / "folded.py", frameworks=())
    assert outcome.passed
    assert {(r.quantity, r.layer) for r in outcome.by_status("convention")} == {("dZ", 2)}


WRONG_AXIS_SOFTMAX = """

def softmax(Z):
    exps = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)
"""


def test_every_wrong_stage_is_reported_with_the_first_as_the_cause(tmp_path):
    examples = Path(__file__).resolve().parent.parent / "examples"
    source = (examples / "correct.py").read_text().replace("params[key] - learning_rate", "params[key] + learning_rate")
    assert "params[key] + learning_rate" in source
    source += WRONG_AXIS_SOFTMAX  # a later def wins, as when a learner redefines a function in a notebook
    (tmp_path / "two_bugs.py").write_text(source)
    outcome = checker.check(tmp_path / "two_bugs.py", frameworks=())
    assert [f.group for f in outcome.findings] == ["forward", "update"]
    assert [f.diagnosis.id for f in outcome.findings] == ["softmax_wrong_axis", "wrong_sign"]
    assert outcome.first is outcome.findings[0].result


def test_a_crash_is_the_learners_with_their_line_and_a_diagnosis(capsys):
    assert main(["check", str(LEARNERS / "deep" / "deep_elementwise_WT_dZ.py"), "--frameworks", "none"]) == 2
    err = capsys.readouterr().err
    assert "L_model_backward raised ValueError: operands could not be broadcast" in err
    assert "deep_elementwise_WT_dZ.py line" in err and "in linear_backward: dA_prev = W.T * dZ" in err
    assert "diagnosis: elementwise W.T * dZ instead of a matrix product" in err and "Traceback" not in err


def test_a_global_only_the_skipped_script_defines_is_named_with_the_fix(capsys):
    assert main(["check", str(LEARNERS / "arrays" / "arrays_global_m.py"), "--frameworks", "none"]) == 2
    err = capsys.readouterr().err
    assert "backward_prop reads the module-level variable 'm'" in err
    assert "m, n = data.shape" in err and "m = Y.size" in err and "Traceback" not in err


def test_a_notebook_runs_its_definitions_only_and_says_what_it_skipped():
    outcome = checker.check(LEARNERS / "notebook" / "digits_from_scratch.ipynb", frameworks=())
    assert outcome.passed and outcome.style == "arrays"
    skipped = " | ".join(str(s) for s in outcome.skipped)
    assert "%matplotlib inline (notebook magic)" in skipped and "!pip install" in skipped
    assert "read_csv" in skipped and "gradient_descent(" in skipped
    assert outcome.architecture.layers == (784, 10, 10)
    assert outcome.architecture.activations == ("relu", "softmax") and outcome.architecture.integer_labels


def test_helper_modules_beside_the_file_load_and_are_forgotten_afterwards():
    for name in ("deep/deep_correct.py", "deep/deep_with_package/network.py"):
        assert checker.check(LEARNERS / name, frameworks=()).passed
    assert not any(m in sys.modules for m in ("dnn_utils", "nnutils", "nnutils.activations", "planar_utils"))


def test_the_older_dA_keys_are_read_as_such():
    outcome = checker.check(LEARNERS / "deep" / "deep_correct_old_dA_keys.py", frameworks=())
    assert outcome.passed
    assert any("older convention of the dA keys" in note for note in outcome.notes)
    assert {r.layer for r in outcome.results if r.quantity == "dA"} == {1, 2}


RENAMED = {"L_model_forward": "deep_forward", "L_model_backward": "deep_backward",
           "update_parameters": "step", "compute_cost": "bce", "initialize_parameters_deep": "make_params"}


def test_other_names_are_given_on_the_command_line(tmp_path, capsys):
    source = (LEARNERS / "deep" / "deep_correct.py").read_text()
    for old, new in RENAMED.items():
        source = source.replace(f"{old}(", f"{new}(")
    folder = tmp_path / "renamed"
    folder.mkdir()
    (folder / "net.py").write_text(source)
    (folder / "dnn_utils.py").write_text((LEARNERS / "deep" / "dnn_utils.py").read_text())
    assert main(["check", str(folder / "net.py"), "--frameworks", "none"]) == 2
    assert "name yours with --forward NAME" in capsys.readouterr().err
    flags = ["--forward", "deep_forward", "--backward", "deep_backward", "--update", "step", "--cost", "bce",
             "--init", "make_params"]
    assert main(["check", str(folder / "net.py"), "--frameworks", "none", *flags]) == 0
    out = capsys.readouterr().out
    assert "(deep style)" in out and "PASS" in out
    assert main(["check", str(folder / "net.py"), "--frameworks", "none", *flags, "--layers", "3,5,1",
                 "--activations", "relu,sigmoid"]) == 0
    assert "3-5-1 network (relu, sigmoid)" in capsys.readouterr().out


def test_the_initialisers_shapes_are_checked(tmp_path):
    source = (LEARNERS / "deep" / "deep_correct.py").read_text()
    folder = tmp_path / "init"
    folder.mkdir()
    marker = "np.random.randn(layer_dims[l], layer_dims[l - 1])"
    assert marker in source, "the corpus's initialiser changed; update this test's marker"
    (folder / "net.py").write_text(source.replace(marker, "np.random.randn(layer_dims[l - 1], layer_dims[l])"))
    (folder / "dnn_utils.py").write_text((LEARNERS / "deep" / "dnn_utils.py").read_text())
    outcome = checker.check(folder / "net.py", frameworks=())
    assert [f.group for f in outcome.findings] == ["init"]
    assert "W1 has shape (5, 4) where (4, 5) is expected" in outcome.findings[0].detail


def test_the_python_api_takes_a_path_a_module_or_functions_and_renders_in_jupyter():
    path = LEARNERS / "shallow" / "shallow_correct.py"
    by_path = parity.check(str(path), frameworks=())
    source = load_source(path)
    with source.importable():
        by_functions = parity.check(forward=source.get("forward_propagation"),
                                    backward=source.get("backward_propagation"),
                                    update=source.get("update_parameters"), cost=source.get("compute_cost"),
                                    frameworks=())
    import types
    module = types.ModuleType("learner_module")
    module.__dict__.update(source.namespace)
    module.__file__ = str(path)
    by_module = parity.check(module, frameworks=())
    for outcome in (by_path, by_functions, by_module):
        assert outcome.passed and outcome.style == "shallow"
        assert len(outcome.results) == len(by_path.results)
    page = by_path._repr_html_()
    assert "PASS" in page and "<table" in page and "forward" in page


def test_reports_a_teacher_can_hand_back(tmp_path, capsys):
    out = tmp_path / "handback"
    code = main(["check", str(LEARNERS / "arrays" / "arrays_scalar_db.py"), "--frameworks", "none",
                 "--format", "md,html,json", "--out", str(out)])
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["check.html", "check.json", "check.md"]
    document = json.loads((out / "check.json").read_text())
    assert document["schema"] == "nn-parity/check/v2" and document["style"] == "arrays"
    assert document["first_divergence"]["diagnosis"]["id"] == "scalar_db"
    assert "db is a single number" in (out / "check.md").read_text()
    assert "db is a single number" in (out / "check.html").read_text()
    assert "FAIL" in capsys.readouterr().out


def test_unknown_argument_names_in_the_arrays_style_ask_for_a_rename(tmp_path):
    source = (LEARNERS / "arrays" / "arrays_correct.py").read_text()
    (tmp_path / "mnist_helpers.py").write_text((LEARNERS / "arrays" / "mnist_helpers.py").read_text())
    (tmp_path / "odd.py").write_text(source.replace("def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)",
                                                    "def backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)"))
    assert "labels" in (tmp_path / "odd.py").read_text()
    with pytest.raises(LearnerError, match="backward_prop's argument 'labels' is not a name the checker can bind"):
        checker.check(tmp_path / "odd.py", frameworks=())


def test_the_learner_gets_integer_labels_with_every_class_present():
    outcome = checker.check(LEARNERS / "arrays" / "arrays_correct.py", frameworks=())
    from parity.case import batch

    Y = batch(outcome.case)[1]
    assert np.all(Y.sum(axis=1) > 0)
    assert any("integer labels" in note for note in outcome.notes)


def test_a_learners_invalid_escape_does_not_stop_the_check(tmp_path):
    """pytest turns warnings into errors here; a learner's "\\d" warns at compile time and must not."""
    (tmp_path / "escape.py").write_text('PATTERN = "\\d+"\nLAYERS = [2, 1]\n')
    assert load_source(tmp_path / "escape.py").get("PATTERN") == "\\d+"


def test_the_rounding_tolerance_is_used_only_where_zeros_would_fail():
    """A quantity tiny against its error scale cannot be judged "rounding": zeros would pass as well."""
    E = np.ones(4)
    tiny = np.full(4, 1e-12)  # 4.5e3 ulps of E in float64: inside the 1e6-ulp rounding band
    assert not checker._rounding(np.zeros(4), tiny, E, "float64")
    assert not checker._rounding(tiny * 1.0001, tiny, E, "float64")
    ordinary = np.full(4, 0.5)
    assert checker._rounding(ordinary * (1 + 1e-13), ordinary, E, "float64")  # 450 ulps: a rewrite's rounding
    assert not checker._rounding(ordinary * (1 + 1e-6), ordinary, E, "float64")  # 4.5e9 ulps: wrong math


def test_a_module_without_LAYERS_is_the_module_style_also_when_its_forward_is_named():
    """forward_prop(params, X) takes the parameters first: the module style, not the one-hidden-layer API that the
    backward's four arguments alone would suggest (which would call it with X first)."""
    for forward in (None, "forward_prop"):
        outcome = checker.check(LEARNERS / "module" / "module_no_layers_one_hot.py", forward=forward, frameworks=())
        assert outcome.style == "module" and outcome.passed
