"""Step-local parity catches a bug where it starts, however late in a trajectory.

Each step of a case starts every framework from the reference's state after the previous step, so a bug that
switches on at step k is met by frameworks that start step k from the same numbers: it fails at step k, in
the update, at the first parameter it touches. The bugs are planted in the reference's own update
(``reference.update``), switched on from step k on; and, separately, single quantities of a real framework trace
are edited late in a trajectory (the edits that a grown error scale used to let through).
"""

import numpy as np
import pytest

import reference
import reference.optimizers
from parity import conventions
from parity.case import CASES, GRID
from parity.compare import compare
from parity.frameworks import framework_applies
from parity.frameworks import get as get_framework
from parity.harness import framework_trace, reference_trace, run_case, runtime_defaults
from parity.trace import Key

_correct_update = reference.update


def _from_step(k, change):
    """``reference.update`` with ``change(name, P, new_P, optimizer)`` applied from step k (t = k + 1) on."""

    def update(params, grads, optimizer):
        new = _correct_update(params, grads, optimizer)
        if optimizer.t >= k + 1:
            new = {name: change(name, params[name], P, optimizer) for name, P in new.items()}
        return new

    return update


def longer_step(name, P, new_P, optimizer):
    """Every parameter's step 10% too long: a learning rate or a schedule gone wrong from step k."""
    return P + 1.1 * (new_P - P)


def reversed_last_W(L):
    """The last layer's W steps uphill: its update's sign is flipped."""
    return lambda name, P, new_P, optimizer: 2 * P - new_P if name == f"W{L}" else new_P


def frozen_W1_once(k):
    """W[1] skipped at step k only: a parameter left out of one update."""
    return lambda name, P, new_P, optimizer: P if name == "W1" and optimizer.t == k + 1 else new_P


LATE_CASES = ["sgd-8steps", "momentum-8steps", "adam-8steps"]
FRAMEWORK_MARKS = [pytest.param("torch", marks=pytest.mark.torch), pytest.param("keras", marks=pytest.mark.keras),
                   pytest.param("jax", marks=pytest.mark.jax)]


def _first(case, framework):
    pytest.importorskip(framework)
    outcome = run_case(case, [framework], drift=False)
    assert not outcome.passed, "the planted bug went unnoticed"
    d = outcome.first_divergence
    return d.step, d.stage, d.layer, d.quantity


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LATE_CASES)
@pytest.mark.parametrize("k", [3, 7])
def test_a_longer_step_from_step_k_is_caught_at_step_k(monkeypatch, name, dtype, framework, k):
    monkeypatch.setattr(reference, "update", _from_step(k, longer_step))
    assert _first(CASES[f"{name}-{dtype}"], framework) == (k, "update", 1, "W")


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LATE_CASES)
def test_a_reversed_step_of_the_last_layer_from_step_6_is_caught_at_its_W(monkeypatch, name, dtype, framework):
    case = CASES[f"{name}-{dtype}"]
    monkeypatch.setattr(reference, "update", _from_step(6, reversed_last_W(case.L)))
    assert _first(case, framework) == (6, "update", case.L, "W")


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LATE_CASES)
def test_a_parameter_frozen_once_at_step_5_is_caught_there(monkeypatch, name, dtype, framework):
    monkeypatch.setattr(reference, "update", _from_step(5, frozen_W1_once(5)))
    assert _first(CASES[f"{name}-{dtype}"], framework) == (5, "update", 1, "W")


def _adam_with_wrong_t(k, shift):
    """Adam whose bias corrections use t + shift from step k on (a t counted twice, or reset)."""
    correct = reference.optimizers.Adam.step

    def step(self, name, P, dP):
        if self.t < k + 1:
            return correct(self, name, P, dP)
        self.t += shift
        try:
            return correct(self, name, P, dP)
        finally:
            self.t -= shift

    return step


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k, shift", [(2, 1), (7, -1)])
def test_a_wrong_adam_t_from_step_k_is_caught_at_step_k(monkeypatch, dtype, framework, k, shift):
    monkeypatch.setattr(reference.optimizers.Adam, "step", _adam_with_wrong_t(k, shift))
    assert _first(CASES[f"adam-8steps-{dtype}"], framework) == (k, "update", 1, "W")


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
def test_momentum_state_not_decayed_from_step_4_is_caught_in_W_and_in_the_state(monkeypatch, framework):
    """v <- v + dP instead of beta v + dP: the parameters and the compared momentum buffer both go wrong."""
    correct = reference.optimizers.Momentum.step

    def step(self, name, P, dP):
        beta = self.beta
        if self.t >= 5:
            self.beta = 1.0
        try:
            return correct(self, name, P, dP)
        finally:
            self.beta = beta

    monkeypatch.setattr(reference.optimizers.Momentum, "step", step)
    pytest.importorskip(framework)
    outcome = run_case(CASES["momentum-8steps-float64"], [framework], drift=False)
    failed = {(r.step, r.layer, r.quantity) for r in outcome.results if r.status == "fail"}
    assert outcome.first_divergence.key == Key(4, "update", 1, "W")
    assert {(4, 1, "v_dW"), (4, 1, "v_db"), (4, 2, "v_dW")} <= failed


MULTI_STEP = [case for case in GRID if case.steps > 1]


@pytest.mark.parametrize("framework", FRAMEWORK_MARKS)
@pytest.mark.parametrize("case", MULTI_STEP, ids=[case.name for case in MULTI_STEP])
def test_a_longer_last_step_fails_every_multi_step_case_at_its_last_step(monkeypatch, case, framework):
    if not framework_applies(case, framework):
        pytest.skip(f"{framework} does not apply to {case.name}: it runs {get_framework(framework).applies_text}")
    monkeypatch.setattr(reference, "update", _from_step(case.steps - 1, longer_step))
    where = _first(case, framework)
    assert where[:2] == (case.steps - 1, "update") and where[3] in ("W", "b")


# The edits the issue measured on the old, trajectory-wide error scale, all of which passed then.
EDITS = [
    ("J doubled at step 4", Key(4, "cost", None, "J"), lambda v: 2 * v),
    ("db[1] negated at step 7", Key(7, "backward", 1, "db"), lambda v: -v),
    ("dW[1] zeroed at step 7", Key(7, "backward", 1, "dW"), np.zeros_like),
    ("W[2] times 1.01 after the last update", Key(7, "update", 2, "W"), lambda v: 1.01 * v),
    ("b[1] times 1.1 after the last update", Key(7, "update", 1, "b"), lambda v: 1.1 * v),
    ("Adam's second moment halved at step 6", Key(6, "update", 2, "s_dW"), lambda v: 0.5 * v),
    ("Adam's t off by one at step 5", Key(5, "update", None, "t"), lambda v: v + 1),
]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("what, key, edit", EDITS, ids=[e[0] for e in EDITS])
def test_one_quantity_edited_late_in_a_real_torch_trace_fails_exactly_there(dtype, what, key, edit):
    pytest.importorskip("torch")
    case = CASES[f"adam-8steps-{dtype}"]
    textbook, textbook_E = reference_trace(case, conventions.TEXTBOOK)
    actual = framework_trace(case, "torch", textbook.starts)
    variant = conventions.variant_for(case, "torch", runtime_defaults("torch"))
    before = compare(case, "torch", actual, textbook, textbook_E, variant)
    assert all(r.status == "pass" for r in before)
    actual.values[key] = edit(actual.values[key])
    failed = [r.key for r in compare(case, "torch", actual, textbook, textbook_E, variant) if r.status == "fail"]
    assert failed == [key], f"{what}: failed at {failed}"
