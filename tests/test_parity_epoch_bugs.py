"""The optimisation week's classic slips, planted, each caught at the step where it starts.

- RMSprop's epsilon on the wrong side of the square root (sqrt(S + eps) where the form has sqrt(S) + eps, or the
  other way round), from step k: the update of step k differs by about eps / (2 S) relative where S >> eps and by
  a factor near 2 where S is near eps, so the first weight updated at step k fails in float64.
- A learning-rate schedule one step late or early (the rate changes one update after or before the epoch's first
  mini-batch): the rate itself, the quantity lr, fails at the first step whose rate moved.
- A batch taken in the wrong order (the epoch's samples not reshuffled, the previous epoch's order reused): the
  first pre-activation Z[1] of the epoch's first step fails, since that step trains on other columns.

The bugs are planted in the reference's run (``parity.implementations.reference``), never in a framework: each
framework's own optimizer, scheduler and data path stay as they are, and the comparison must find the step.
"""

import pytest

import reference.optimizers
from parity import case as case_module
from parity.case import CASES, epoch_of, epoch_order
from parity.frameworks import framework_applies
from parity.harness import run_case
from parity.implementations import reference as reference_implementation

FRAMEWORKS = [pytest.param("torch", marks=pytest.mark.torch), pytest.param("keras", marks=pytest.mark.keras),
              pytest.param("jax", marks=pytest.mark.jax)]
_correct_step = reference.optimizers.RMSprop.step
SWAPPED = {"course": "eps_in_sqrt", "eps_in_sqrt": "course"}


def _first(case, framework):
    """(step, stage, layer, quantity) of ``framework``'s first divergence on ``case``; the case must fail."""
    pytest.importorskip(framework)
    if not framework_applies(case, framework):
        pytest.skip(f"{framework} does not apply to {case.name}")
    outcome = run_case(case, [framework], drift=False)
    if framework in outcome.skipped:
        pytest.skip(outcome.skipped[framework])
    assert not outcome.passed, "the planted bug went unnoticed"
    d = outcome.first_divergence
    return d.step, d.stage, d.layer, d.quantity


def _epsilon_swapped_from(k):
    """RMSprop.step with epsilon moved to the other side of the square root from step k (t = k + 1) on."""

    def step(self, name, P, dP):
        if self.t < k + 1:
            return _correct_step(self, name, P, dP)
        form, self.form = self.form, SWAPPED[self.form]
        try:
            return _correct_step(self, name, P, dP)
        finally:
            self.form = form

    return step


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name, k", [("rmsprop-8steps-float64", 5),
                                     ("minibatch-rmsprop-exponential-3epochs-float64", 4)])
def test_rmsprop_epsilon_on_the_wrong_side_of_the_root_is_caught_at_its_step(monkeypatch, framework, name, k):
    # torch's form is the course's (eps outside): the planted eps inside is caught against torch's own RMSprop;
    # Keras's and optax's put eps inside (the rmsprop-epsilon-in-sqrt convention's variant): the planted eps
    # outside is caught against theirs. float64 only: at the grid's eps = 1e-8 and S ~ 1e-3 the two forms differ by
    # ~5e-6 relative, a few float32 ulps of an update, inside float32's error model for this step.
    monkeypatch.setattr(reference.optimizers.RMSprop, "step", _epsilon_swapped_from(k))
    assert _first(CASES[name], framework) == (k, "update", 1, "W")


def _rate_shifted(shift):
    """``learning_rate_at`` of the step ``shift`` away: the schedule one step late (-1) or early (+1)."""
    correct = case_module.learning_rate_at
    return lambda case, step, float32=False: correct(case, min(max(step + shift, 0), case.steps - 1), float32)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("stem", ["minibatch-adam-inverse-time-3epochs", "minibatch-rmsprop-exponential-3epochs",
                                  "minibatch-sgd-fixed-interval-4epochs"])
@pytest.mark.parametrize("shift", [-1, 1])
def test_a_schedule_one_step_off_is_caught_at_the_rate_of_the_first_step_it_moves(monkeypatch, framework, dtype,
                                                                                  stem, shift):
    case = CASES[f"{stem}-{dtype}"]
    monkeypatch.setattr(reference_implementation, "learning_rate_at", _rate_shifted(shift))
    # the first step whose rate the shift changes: one step late, the first step of the first epoch whose rate
    # differs from the one before; one step early, the step before it
    moves = next(s for s in range(1, case.steps)
                 if case_module.learning_rate_at(case, s) != case_module.learning_rate_at(case, s - 1))
    expected = moves if shift == -1 else moves - 1
    assert _first(case, framework) == (expected, "update", None, "lr")


def _not_reshuffled(case, step):
    """``step_batch`` that shuffles once and reuses epoch 0's order in every epoch."""
    X, Y = case_module.batch(case)
    order, k = epoch_order(case, 0), step % case.batches_per_epoch
    columns = order[k * case.mini_batch_size:(k + 1) * case.mini_batch_size]
    return X[:, columns], Y[:, columns]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("stem", ["minibatch-sgd-constant-2epochs", "minibatch-adam-relu-sigmoid-2epochs"])
def test_a_batch_taken_in_the_wrong_order_is_caught_at_the_first_step_it_feeds(monkeypatch, framework, dtype, stem):
    case = CASES[f"{stem}-{dtype}"]
    monkeypatch.setattr(reference_implementation, "step_batch", _not_reshuffled)
    assert epoch_of(case, case.batches_per_epoch) == 1
    assert _first(case, framework) == (case.batches_per_epoch, "forward", 1, "Z")
