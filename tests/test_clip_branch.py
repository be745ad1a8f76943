"""Keras's clipped cross-entropy where rounding picks the clip's branch (``parity.error_scale._clip_branch_error``).

Found by the fuzzer (seed 12): an 8-52 softmax under categorical cross-entropy, float32, inputs scaled by 10, where
the saturated probabilities p = A / S sit on the floats next to 1 - eps. NumPy's sum put one p exactly on the
bound (the gradient passes: dA[1] = 1 on the other units of the column), torch's vectorised sum one float past it
(clipped: dA[1] = 0), and keras-torch failed dA[1] at step 1 by the whole jump. These tests prove the error model
admits both branches where a p is within rounding of a bound, and nothing more: the rest of the quantity stays
exact, and a value past both branches in the ambiguous column still fails (one nearer than the jump, in that
column, passes: the price of a branch left to rounding)."""

from __future__ import annotations

import numpy as np
import pytest

from parity import conventions, error_scale, harness
from parity.compare import compare, measure, tolerance_ratio
from parity.conventions import TEXTBOOK
from parity.fuzz import case_from_json
from parity.tolerance import parity_ulps
from parity.trace import Key

CASE = case_from_json(
    '{"name":"fuzz-s12-105-float32","layer_dims":[8,52],"activations":["softmax"],'
    '"loss":"categorical_crossentropy","learning_rate":0.5,"dtype":"float32","steps":2,"m":8,"init":"glorot",'
    '"input_scale":10.0}')
DA = Key(1, "backward", 1, "dA")  # the quantity that failed
KERAS_TORCH = {"epsilon": 1e-7, "backend": "torch"}  # the runtime defaults the convention reads


def _variant_run(monkeypatch=None, widen=True):
    variant = conventions.variant_for(CASE, "keras-torch", KERAS_TORCH)
    textbook, textbook_E = harness.reference_trace(CASE, TEXTBOOK)
    if not widen:
        monkeypatch.setattr(error_scale, "_clip_branch_error", lambda st: 0.0)
    trace, E = harness.reference_trace(CASE, variant, textbook.starts)
    return variant, textbook, textbook_E, trace, E


def _branches(trace):
    """The columns whose true unit's p lies on the clip's upper bound in float32, and dA[1] with the clip's
    derivative there set to 0: the branch torch's rounding took."""
    A = np.asarray(trace.values[Key(1, "forward", 1, "A")])
    Y = np.asarray(trace.Y, dtype=A.dtype)
    Q = conventions.keras_clip_input(A, CASE.loss)
    hi = np.float32(1 - 1e-7)
    on_bound = (Q == hi) & (Y == 1)
    inside = ((Q > np.float32(1e-7)) & (Q < hi)).astype(A.dtype)
    clipped = conventions.keras_clipped_gradient(A, Y, CASE.loss, 1e-7, 1.0, mask=np.where(on_bound, 0.0, inside))
    return on_bound.any(axis=0), clipped


def test_the_case_has_a_probability_on_the_bound_and_the_branches_differ_by_the_whole_jump():
    variant, _, _, trace, _ = _variant_run()
    columns, clipped = _branches(trace)
    assert columns.any() and not columns.all()
    jump = np.abs(np.asarray(trace.values[DA], np.float64) - clipped)
    assert jump[:, columns].max() > 0.5  # 1 on the other units: not a rounding
    assert jump[:, ~columns].max() == 0


def test_either_branch_passes_at_the_bound_and_the_other_columns_stay_exact(monkeypatch):
    variant, _, _, trace, E = _variant_run()
    columns, clipped = _branches(trace)
    budget = parity_ulps(CASE.dtype)
    assert measure(clipped, trace.values[DA], E[DA], CASE.dtype, budget).ulps <= budget  # torch's branch
    A = np.asarray(trace.values[Key(1, "forward", 1, "A")], np.float64)
    Q = conventions.keras_clip_input(A, CASE.loss)
    # the columns with no p near a bound (within a thousandth of 1 - eps, or 1e-10 of eps; the saturated columns,
    # p = 1 one float past the bound, are widened too: the tolerance on A that the forward comparison allows could
    # put them on it)
    far = ((np.abs(Q - 1e-7) > 1e-10) & (np.abs(Q - (1 - 1e-7)) > 1e-3)).all(axis=0)
    assert far.sum() >= 2
    # the quantity stays informative through them, and only through them: a widened column admits zeros
    assert tolerance_ratio(trace.values[DA][:, far], E[DA][:, far], CASE.dtype, budget) < 1
    assert tolerance_ratio(trace.values[DA][:, columns], E[DA][:, columns], CASE.dtype, budget) >= 1
    with monkeypatch.context() as patch:  # the error model without the branch term: E there is the same
        _, _, _, _, E_plain = _variant_run(patch, widen=False)
        assert np.array_equal(E[DA][:, far], E_plain[DA][:, far])
        assert measure(clipped, trace.values[DA], E_plain[DA], CASE.dtype, budget).ulps > budget  # it failed


@pytest.mark.parametrize("where", ["ambiguous column", "other column"])
def test_a_wrong_value_still_fails_in_either_kind_of_column(where):
    variant, textbook, textbook_E, trace, E = _variant_run()
    columns, clipped = _branches(trace)
    wrong = np.array(trace.values[DA])
    j = int(np.flatnonzero(columns if where == "ambiguous column" else ~columns)[0])
    # one example's gradient 3 times too large: in the ambiguous column, 2 past the reference's branch where
    # the tolerance admits the jump of 1 to the other branch and no more
    wrong[:, j] *= 3.0
    actual = harness.reference_trace(CASE, variant, textbook.starts)[0]
    actual.values[DA] = wrong
    results = {r.key: r for r in compare(CASE, "keras-torch", actual, textbook, textbook_E, variant, trace, E)}
    assert results[DA].status == "fail"


def test_keras_on_torch_passes_the_case_the_fuzzer_found():
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    result = harness.run_case(CASE, ("keras-torch",), drift=False)
    bad = [r for r in result.results if r.status not in ("pass", "explained")]
    assert not bad, [(r.step, r.stage, r.layer, r.quantity, r.status, r.ulps) for r in bad]
    assert len(result.results) == 18
