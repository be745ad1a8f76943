"""Learning-rate schedules: the learning rate a_e of epoch e = 0, 1, 2, ... from the initial rate a_0.

    constant        a_e = a_0
    inverse_time    a_e = a_0 / (1 + decay_rate e)                     (the course's learning-rate decay)
    exponential     a_e = a_0 decay_rate^e                             (decay_rate < 1, e.g. 0.95)
    fixed_interval  a_e = a_0 / (1 + decay_rate floor(e / interval))   (the course's decay every ``interval`` epochs)

Epochs count from 0, so the first epoch runs at a_0 and the rate changes at each epoch's first mini-batch: the
counting torch's ``LambdaLR`` and ``ExponentialLR`` follow when ``scheduler.step()`` ends every epoch, that Keras's
``InverseTimeDecay`` and ``ExponentialDecay`` follow with ``decay_steps`` the mini-batches of an epoch and
``staircase=True`` (their step is the optimizer's count of updates taken, from 0), and that an optax schedule of
the update count follows with the same floor. (A training loop that sets the rate *after* epoch e with e itself,
as a decay applied at the end of each epoch often is, runs epochs 0 and 1 both at a_0: the same schedule one
epoch late.)

Hand-worked example, inverse_time with a_0 = 0.1 and decay_rate = 1: epochs 0, 1, 2 run at 0.1, 0.05, 0.0333.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """One schedule: ``rate(a_0, epoch, decay_rate, interval)`` is a_e; ``hyperparameters`` are the case fields
    it reads beyond a_0 (``decay_rate``, ``decay_interval``)."""

    name: str
    rate: Callable[[float, int, float, int], float]
    hyperparameters: tuple[str, ...]
    equation: str

    def learning_rate(self, initial: float, epoch: int, decay_rate: float = 1.0, interval: int = 1) -> float:
        """a_e for epoch ``epoch`` (0-based), checked."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a whole number >= 0, got {epoch!r}")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval must be a whole number >= 1, got {interval!r}")
        if not (math.isfinite(decay_rate) and decay_rate >= 0):
            raise ValueError(f"decay_rate must be a finite number >= 0, got {decay_rate!r}")
        return self.rate(initial, epoch, decay_rate, interval)


SCHEDULES: dict[str, Schedule] = {s.name: s for s in (
    Schedule("constant", lambda a0, e, r, k: a0, (), "a_e = a_0"),
    Schedule("inverse_time", lambda a0, e, r, k: a0 / (1 + r * e), ("decay_rate",), "a_e = a_0 / (1 + decay_rate e)"),
    Schedule("exponential", lambda a0, e, r, k: a0 * r ** e, ("decay_rate",), "a_e = a_0 decay_rate^e"),
    Schedule("fixed_interval", lambda a0, e, r, k: a0 / (1 + r * (e // k)), ("decay_rate", "decay_interval"),
             "a_e = a_0 / (1 + decay_rate floor(e / interval))"),
)}


def get_schedule(name: str) -> Schedule:
    """The schedule named ``name``; unknown names list the valid ones."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(SCHEDULES)}")
    return SCHEDULES[name]
