"""Inverted dropout in the grid: the masks are data (``parity.case.dropout_masks``), the same in every
implementation, drawn anew each step; each framework applies them in its own dropout layer's formula and
differentiates with its own autodiff. Planted dropout bugs are caught at the step, stage, layer and quantity where
they start, in the reference and in a framework.
"""

import numpy as np
import pytest

import reference.network
from parity import case as case_module
from parity.case import CASES, dropout_masks
from parity.harness import run_case
from parity.implementations import torch as torch_implementation
from tests.planted import caught

DROPOUT_CASES = [name for name in CASES if name.startswith("dropout-")]
SGD = CASES["dropout-sgd-3steps-float64"]  # (4, 8, 6, 3): hidden layers 1 and 2 dropped, layer 3 the output


def test_the_grid_has_dropout_cases_with_each_optimizer_in_both_dtypes_and_with_l2():
    cases = [CASES[name] for name in DROPOUT_CASES]
    assert {c.optimizer for c in cases} == {"sgd", "momentum", "adam"}
    assert {c.dtype for c in cases} == {"float32", "float64"}
    assert any(c.lambd > 0 for c in cases)
    assert all(c.keep_prob < 1 and c.steps > 1 for c in cases)


def test_masks_are_data_shared_by_the_dtype_twins_and_new_each_step():
    twin = CASES["dropout-sgd-3steps-float32"]
    for step in range(SGD.steps):
        masks, twins = dropout_masks(SGD, step), dropout_masks(twin, step)
        assert sorted(masks) == [1, 2]  # the hidden layers only, never the output
        for l, D in masks.items():
            assert D.shape == (SGD.layer_dims[l], SGD.m) and set(np.unique(D)) == {0.0, 1.0}
            np.testing.assert_array_equal(D, twins[l])
    assert not np.array_equal(dropout_masks(SGD, 0)[1], dropout_masks(SGD, 1)[1])
    dropped = np.concatenate([D.ravel() for step in range(3) for D in dropout_masks(SGD, step).values()])
    # about 20% dropped: over 1,008 draws the dropped share's standard deviation is sqrt(0.8 x 0.2 / 1008) =
    # 0.0126, so 0.06 is 4.8 sigma (and the seeded masks are fixed: the check cannot flake)
    assert abs(1 - dropped.mean() - (1 - SGD.keep_prob)) < 0.06


@pytest.mark.parametrize("framework", ["torch", "keras", "jax"])
def test_every_framework_agrees_with_the_reference_through_the_same_masks(framework):
    pytest.importorskip({"jax": "jax", "keras": "keras"}.get(framework, "torch"))
    outcome = run_case(SGD, [framework])
    assert outcome.passed and all(r.status == "pass" for r in outcome.results)


# Planted bugs: the course's two classic slips, in the reference ...
def _forward_without_the_scale(A, D, keep_prob):
    return A * D


def _backward_without_the_mask(dA, D, keep_prob):
    return dA / keep_prob


@pytest.mark.torch
def test_forgotten_one_over_keep_prob_is_caught_at_the_first_dropped_A(monkeypatch):
    monkeypatch.setattr(reference.network, "dropout_forward", _forward_without_the_scale)
    _, where = caught(SGD, "torch")
    assert where == (0, "forward", 1, "A")


@pytest.mark.keras
def test_mask_not_reapplied_in_the_backward_pass_is_caught_at_the_last_hidden_dZ(monkeypatch):
    """dA[2] = W[3]^T dZ[3] is still right; dZ[2] = dA[2] D[2] / keep_prob g'(Z[2]) is the first wrong number."""
    monkeypatch.setattr(reference.network, "dropout_backward", _backward_without_the_mask)
    _, where = caught(SGD, "keras")
    assert where == (0, "backward", 2, "dZ")


# ... and in a framework: a mask that is not the step's own
@pytest.mark.torch
def test_a_framework_that_reuses_the_first_steps_mask_is_caught_at_step_1(monkeypatch):
    monkeypatch.setattr(torch_implementation, "_masks", lambda case, step: {
        l: torch_implementation._tensor(D) for l, D in case_module.dropout_masks(case, 0).items()})
    divergence, where = caught(SGD, "torch")
    assert where == (1, "forward", 1, "A")
    assert divergence.status == "fail"


@pytest.mark.jax
def test_jax_given_the_complement_of_the_mask_is_caught_at_the_first_dropped_A(monkeypatch):
    from parity.implementations import jax as jax_implementation

    real = jax_implementation.dropout_masks
    monkeypatch.setattr(jax_implementation, "dropout_masks", lambda case, step: {
        l: 1 - D for l, D in real(case, step).items()})  # the dropped units kept and the kept ones dropped
    monkeypatch.setattr(jax_implementation, "_COMPILED", {})
    _, where = caught(SGD, "jax")
    assert where == (0, "forward", 1, "A")
