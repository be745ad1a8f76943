"""A pass is a claim that the comparison could have failed: zeros or a flipped sign in place of any quantity fail,
at every step; a tolerance wide enough to accept zeros is reported as uninformative, never as a pass."""

import numpy as np
import pytest

import parity.harness as harness
from parity import conventions
from parity.assertions import failure_message
from parity.case import CASES
from parity.cli import main
from parity.compare import compare, tolerance_ratio
from parity.harness import framework_trace, reference_trace, run_case, runtime_defaults
from parity.tolerance import parity_ulps
from parity.trace import Key, Trace

pytestmark = pytest.mark.torch


def _traces(name):
    pytest.importorskip("torch")
    case = CASES[name]
    textbook, S = reference_trace(case, conventions.TEXTBOOK)
    actual = framework_trace(case, "torch", textbook.starts)
    return case, textbook, S, actual, conventions.variant_for(case, "torch", runtime_defaults("torch"))


@pytest.mark.parametrize("name", ["adam-8steps-float32", "momentum-8steps-float64", "deep-relu-sigmoid-float32"])
@pytest.mark.parametrize("edit", ["zeros", "sign flipped"])
def test_every_quantity_at_every_step_fails_when_replaced_by_zeros_or_negated(name, edit):
    case, textbook, S, actual, variant = _traces(name)
    keys = [k for k, v in actual.values.items() if k.quantity != "t" and np.any(textbook.values[k] != 0)]
    for key in keys:
        kept = actual.values[key]
        edited = Trace("torch", values={key: np.zeros_like(kept) if edit == "zeros" else -kept})
        # the other quantities are missing from this one-quantity trace: only the edited one is judged here
        [result] = [r for r in compare(case, "torch", edited, textbook, S, variant) if r.key == key]
        assert result.status == "fail", f"{key.label()} {edit} was judged {result.status}"


def test_a_tolerance_that_accepts_zeros_is_uninformative_not_a_pass():
    case, textbook, S, actual, variant = _traces("sgd-1steps-float64")
    key = Key(0, "backward", 1, "dW")
    value = np.abs(np.asarray(textbook.values[key], dtype=np.float64))
    # an error scale so wide that the tolerance, budget eps E, is twice every element's size (plus the smallest
    # normal number, so that no element's scale is 0)
    budget, info = parity_ulps("float64"), np.finfo(np.float64)
    S = {**S, key: 2 * value / (budget * info.eps) + info.tiny}
    results = {r.key: r for r in compare(case, "torch", actual, textbook, S, variant)}
    assert results[key].status == "uninformative" and results[key].tolerance_ratio >= 1
    assert all(r.status == "pass" for k, r in results.items() if k != key)
    assert all(r.tolerance_ratio < 1 for k, r in results.items() if k != key)


def test_a_reference_that_is_not_finite_cannot_judge_a_finite_framework_value():
    case, textbook, S, actual, variant = _traces("sgd-1steps-float64")
    key = Key(0, "cost", None, "J")
    textbook.values[key] = np.array(np.inf)
    result = next(r for r in compare(case, "torch", actual, textbook, S, variant) if r.key == key)
    assert result.status == "uninformative" and "not finite" in result.note


def test_the_tolerance_ratio_of_exact_zeros():
    zeros = np.zeros((2, 2))
    budget = parity_ulps("float64")
    assert tolerance_ratio(zeros, zeros, "float64", budget) == 0.0  # must be matched exactly: informative
    assert tolerance_ratio(zeros, np.ones((2, 2)), "float64", budget) == float("inf")  # anything small passes
    assert tolerance_ratio(np.array([1.0, 1e-30]), np.array([1.0, 1.0]), "float64", budget) == pytest.approx(
        budget * np.finfo(np.float64).eps)  # one significant element is enough


def test_an_uninformative_comparison_fails_the_case_and_the_report(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch")
    real = harness.error_scales

    def wide(case, variant, trace, activations):
        return {k: v * 1e20 if k.quantity == "db" else v for k, v in real(case, variant, trace, activations).items()}

    monkeypatch.setattr(harness, "error_scales", wide)
    outcome = run_case(CASES["sgd-1steps-float64"], ["torch"], drift=False)
    assert not outcome.passed and outcome.first_divergence is None
    assert "could not have failed (uninformative)" in failure_message(outcome)
    assert main(["report", "--case", "sgd-1steps-float64", "--framework", "torch", "--format", "json",
                 "--out", str(tmp_path)]) == 1
    assert "0 failed, 0 explained, 2 uninformative" in capsys.readouterr().out
