"""The learning-rate schedules, worked by hand, and the step -> epoch -> rate counting every witness follows."""

import numpy as np
import pytest

import reference
from parity.case import Case
from parity.tolerance import KNOWN_ANSWER_ULPS, ulps

KNOWN = ulps(np.float64, KNOWN_ANSWER_ULPS)


def _case(schedule: str, **kwargs) -> Case:
    """Ten samples in mini-batches of 4: B = 3 batches an epoch (4, 4 and the remaining 2)."""
    return Case(f"schedule-{schedule}", (2, 3, 1), ("tanh", "sigmoid"), "binary_crossentropy", learning_rate=0.1,
                steps=9, m=10, mini_batch_size=4, schedule=schedule, **kwargs)


def test_constant_is_the_initial_rate_at_every_epoch():
    assert [reference.get_schedule("constant").learning_rate(0.1, e) for e in range(3)] == [0.1, 0.1, 0.1]


def test_an_unknown_schedule_raises_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown schedule 'cosine'; valid names: constant"):
        reference.get_schedule("cosine")


@pytest.mark.parametrize("epoch, interval", [(-1, 1), (1.5, 1), (0, 0)])
def test_a_bad_epoch_or_interval_raises(epoch, interval):
    with pytest.raises(ValueError, match="must be a whole number"):
        reference.get_schedule("constant").learning_rate(0.1, epoch, 1.0, interval)


def test_each_epoch_of_a_case_takes_every_sample_once_the_last_batch_holding_the_rest():
    from parity.case import batch, epoch_order, step_batch
    case = _case("constant")
    X, _ = batch(case)
    assert case.batches_per_epoch == 3
    for epoch in range(3):
        widths = [step_batch(case, 3 * epoch + k)[0].shape[1] for k in range(3)]
        assert widths == [4, 4, 2]
        columns = np.concatenate([step_batch(case, 3 * epoch + k)[0] for k in range(3)], axis=1)
        np.testing.assert_array_equal(columns, X[:, epoch_order(case, epoch)])
    assert not np.array_equal(epoch_order(case, 0), epoch_order(case, 1))  # shuffled afresh every epoch


@pytest.mark.parametrize("fields, message", [
    ({"mini_batch_size": 11}, "mini_batch_size must be in 1..m"),
    ({"mini_batch_size": 4, "lambd": 0.7}, "without L2, dropout or batch normalisation"),
    ({"schedule": "constant", "decay_interval": 0}, "decay_interval >= 1"),
])
def test_a_case_rejects_what_its_epochs_cannot_compare(fields, message):
    base = {"mini_batch_size": None, "schedule": "constant"} | fields
    with pytest.raises(ValueError, match=message):
        Case("bad", (2, 3, 1), ("tanh", "sigmoid"), "binary_crossentropy", m=10, **base)
