"""``parity check`` on the course's regularisation functions: right ones pass, each classic slip is caught at the
first quantity it changes and named, and a crash or a wrong cache is said in one line."""

import json
from pathlib import Path

import numpy as np
import pytest

from parity.cli import main
from parity.learner import techniques
from parity.learner.checker import _caller
from parity.learner.source import load_source
from parity.tolerance import DROPOUT_KEEP_RATE_P

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "techniques"
# file -> (function that is wrong, its first wrong quantity, words of the diagnosis); None: every function passes
EXPECTED = {
    "regularization_correct.py": None,
    "dropout_mask_not_reapplied.py": ("backward_propagation_with_dropout", "dA2", "mask is not reapplied"),
    "dropout_no_keep_prob.py": ("forward_propagation_with_dropout", "A1", "not divided by keep_prob"),
    "dropout_mask_flipped.py": ("forward_propagation_with_dropout", "keep rate of D1, D2", "wrong way round"),
    "l2_gradient_without_1_over_m.py": ("backward_propagation_with_regularization", "dW3", "lacks its 1/m"),
}


def _check(path: Path):
    source = load_source(path)
    with source.importable():
        return techniques.check(source.namespace, _caller(source))


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_is_judged_at_the_right_function_and_quantity(name):
    results = {r.function: r for r in _check(EXAMPLES / name)}
    assert list(results) == list(techniques.TECHNIQUES)  # all four, in the course's order
    wrong = EXPECTED[name]
    for function, r in results.items():
        if wrong is None or function != wrong[0]:
            assert r.passed, (function, r.first)
            continue
        assert not r.passed and r.first.name == wrong[1] and wrong[2] in r.diagnosis


def test_the_command_exits_1_on_a_slip_and_0_when_right(capsys):
    assert main(["check", str(EXAMPLES / "regularization_correct.py"), "--frameworks", "none"]) == 0
    assert "forward_propagation_with_dropout: pass" in capsys.readouterr().out
    assert main(["check", str(EXAMPLES / "dropout_mask_not_reapplied.py"), "--frameworks", "none"]) == 1
    out = capsys.readouterr()
    assert "backward_propagation_with_dropout: FAIL at dA2" in out.out and "diagnosis:" in out.out
    assert "only its regularisation functions were checked" in out.err


def test_json_names_the_first_wrong_quantity(capsys):
    assert main(["check", str(EXAMPLES / "dropout_no_keep_prob.py"), "--frameworks", "none",
                 "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "nn-parity/check-techniques/v1"
    by_function = {r["function"]: r for r in document["techniques"]}
    assert by_function["forward_propagation_with_dropout"]["first_wrong"] == "A1"
    assert by_function["backward_propagation_with_dropout"]["passed"]


def _namespace(**functions):
    return dict(functions)


def _call(role, function, *args):
    return function(*args)


def test_a_cost_returning_zero_fails_and_the_cost_slips_are_told_apart():
    def zero(A3, Y, parameters, lambd):
        return 0.0

    def no_half(A3, Y, parameters, lambd):
        m = Y.shape[1]
        ce = -np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3))
        return ce + lambd / m * sum(np.sum(parameters[f"W{l}"] ** 2) for l in (1, 2, 3))

    def plain(A3, Y, parameters, lambd):
        return -np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3))

    for function, words in ((zero, None), (no_half, "lacks its 1/2"), (plain, "L2 term is missing")):
        [r] = techniques.check(_namespace(compute_cost_with_regularization=function), _call)
        assert not r.passed and r.first.name == "J"
        assert (r.diagnosis is None) if words is None else (words in r.diagnosis)


def test_a_cache_of_the_wrong_length_is_said_in_one_line():
    def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
        return np.zeros((1, X.shape[1])), (1, 2, 3)

    [r] = techniques.check(_namespace(forward_propagation_with_dropout=forward_propagation_with_dropout), _call)
    assert not r.passed and "cache has 3 entries; the course's has 14" in r.crash


def test_a_mask_that_is_not_zero_one_is_refused():
    def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
        D = np.full((5, X.shape[1]), 0.5)
        zeros = np.zeros((5, X.shape[1]))
        return zeros[:1], (zeros, D, zeros, None, None, zeros, D[:3], zeros[:3], None, None, zeros[:1], zeros[:1],
                           None, None)

    [r] = techniques.check(_namespace(forward_propagation_with_dropout=forward_propagation_with_dropout), _call)
    assert "mask D1 must be 0/1" in r.crash


def test_the_keep_rate_test_is_exact_and_two_sided():
    # Binomial(4, 1/2): P(0) = P(4) = 1/16, so the count 0 is as likely as 4: p = 2/16
    assert techniques.binomial_two_sided(0, 4, 0.5) == pytest.approx(0.125)
    assert techniques.binomial_two_sided(2, 4, 0.5) == pytest.approx(1.0)
    # the checker's 64 mask entries at keep_prob 0.8: the expected count passes, a 0.5 or 0.2 keep rate fails
    assert techniques.binomial_two_sided(51, 64, 0.8) > 0.5
    assert techniques.binomial_two_sided(32, 64, 0.8) < DROPOUT_KEEP_RATE_P
    assert techniques.binomial_two_sided(13, 64, 0.8) < 1e-20
