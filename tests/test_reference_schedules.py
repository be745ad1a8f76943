"""The learning-rate schedules, worked by hand, and the step -> epoch -> rate counting every witness follows."""

import importlib

import numpy as np
import pytest

import reference
from parity.case import Case, learning_rate_at
from parity.environment import require
from parity.tolerance import KNOWN_ANSWER_ULPS, ulps

KNOWN = ulps(np.float64, KNOWN_ANSWER_ULPS)
# (schedule, decay_rate, interval, the rates of epochs 0..4 by hand, from a_0 = 0.1)
BY_HAND = [
    # 0.1 / (1 + e): 0.1, 0.05, 0.0333..., 0.025, 0.02
    ("inverse_time", 1.0, 1, [0.1, 0.05, 0.1 / 3, 0.025, 0.02]),
    # 0.1 0.5^e: 0.1, 0.05, 0.025, 0.0125, 0.00625
    ("exponential", 0.5, 1, [0.1, 0.05, 0.025, 0.0125, 0.00625]),
    # every 2 epochs, 0.1 / (1 + floor(e / 2)): 0.1, 0.1, 0.05, 0.05, 0.0333...
    ("fixed_interval", 1.0, 2, [0.1, 0.1, 0.05, 0.05, 0.1 / 3]),
]
SCHEDULED = sorted(set(reference.SCHEDULES) - {"constant"})


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


@pytest.mark.parametrize("name, decay_rate, interval, expected", BY_HAND)
def test_each_schedule_by_hand(name, decay_rate, interval, expected):
    rates = [reference.get_schedule(name).learning_rate(0.1, e, decay_rate, interval) for e in range(5)]
    np.testing.assert_allclose(rates, expected, rtol=KNOWN)


def test_every_schedule_is_worked_by_hand():
    assert {row[0] for row in BY_HAND} == set(SCHEDULED)


@pytest.mark.parametrize("name, decay_rate, interval, expected", BY_HAND)
def test_a_case_counts_steps_into_epochs_of_its_mini_batches(name, decay_rate, interval, expected):
    # B = 3: steps 0-2 are epoch 0, 3-5 epoch 1, 6-8 epoch 2, each at its epoch's rate
    case = _case(name, decay_rate=decay_rate, decay_interval=interval)
    np.testing.assert_allclose([learning_rate_at(case, s) for s in range(9)], np.repeat(expected[:3], 3), rtol=KNOWN)


def _torch_rates(row, case):
    """The rate of each step with torch's scheduler stepped at the end of every epoch, as a training loop does."""
    torch = require("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=case.learning_rate)
    scheduler, rates = row(torch.optim.lr_scheduler, optimizer, case), []
    for s in range(case.steps):
        if s and s % case.batches_per_epoch == 0:
            optimizer.step()
            scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def _keras_rates(row, case):
    """The rate of each step: Keras's schedule of the optimizer's iterations, the updates taken before it."""
    keras = require("keras")
    schedule = row(keras.optimizers.schedules, case)
    return [float(keras.ops.convert_to_numpy(schedule(s))) for s in range(case.steps)]


def _jax_rates(row, case):
    """The rate of each step: the optax schedule of the update count."""
    require("jax")
    schedule = row(require("optax"), case)
    return [float(schedule(require("jax.numpy").asarray(s))) for s in range(case.steps)]


WITNESSES = [pytest.param("torch", _torch_rates, marks=pytest.mark.torch),
             pytest.param("keras", _keras_rates, marks=pytest.mark.keras),
             pytest.param("jax", _jax_rates, marks=pytest.mark.jax)]


@pytest.mark.parametrize("module, rates", WITNESSES)
@pytest.mark.parametrize("name, decay_rate, interval, expected", BY_HAND)
def test_each_witness_scheduler_counts_steps_and_epochs_as_the_reference(module, rates, name, decay_rate, interval,
                                                                        expected):
    # the witness's own scheduler, in its own counting (torch: stepped per epoch; Keras and optax: the update
    # count, decay_steps one epoch of B = 3 updates), gives each step its epoch's rate; float32 schedules (Keras on
    # TensorFlow) agree to float32's precision
    case = _case(name, decay_rate=decay_rate, decay_interval=interval)
    row = importlib.import_module(f"parity.implementations.{module}").SCHEDULES[name]
    got = rates(row, case)
    np.testing.assert_allclose(got, [learning_rate_at(case, s) for s in range(case.steps)],
                               rtol=ulps(np.float32, KNOWN_ANSWER_ULPS))
