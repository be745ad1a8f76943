"""A Trace: every intermediate quantity of a run, in the reference layout and gradient convention.

Keys are ``Key(step, stage, layer, quantity)``, and ``computation_order`` lists them in the order the numbers
are computed, so that the first mismatch found walking it is the first divergence:

    step s:  forward   l = 1..L     Z[l], Z_tilde[l], A[l]     (Z_tilde: batch normalisation's output)
             cost                   J                  (layer None)
             backward  l = L..1     dA[l], dZ_tilde[l], dZ[l], dW[l], db[l], dgamma[l], dbeta[l]
             update                 lr                 (layer None: the learning rate step s ran at, with a schedule)
                       l = 1..L     W[l], b[l], gamma[l], beta[l]   (the parameters after step s's update)
                                        running_mean[l], running_var[l]   (batch normalisation's statistics)
                                        v_dW[l], v_db[l], ...  (momentum's v, or Adam's first moment m)
                                        s_dW[l], s_db[l], ...  (Adam's second moment v)
                                        t                  (layer None: Adam's count of updates taken)

A quantity a case does not have (Z_tilde without batch normalisation, b in a batch-normalised layer) is simply
absent from every trace.

Step-local runs: ``starts[s]`` is the state step s started from (the reference's, after step s - 1), loaded into
every implementation, so each step is judged on its own. A trace also carries the batch (X, Y) it ran on: the
whole training set; with mini-batches step s trains on ``parity.case.step_batch(case, s)``, columns of it.

Layout and convention (``parity.layout`` converts into them): samples are columns, W[l] is (n[l], n[l-1]),
b[l] is (n[l], 1), and dA, dZ are per-example (an autograd ``.grad`` times m). An implementation may leave a
quantity out when it has no such tensor (with a logits loss there is no dA[L]); compare skips it then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

STAGES = ("forward", "cost", "backward", "update")
PARAMETERS = ("W", "b", "gamma", "beta")  # trained, in this order within a layer
BUFFERS = ("running_mean", "running_var")  # batch normalisation's running statistics: updated, not trained
QUANTITIES = {"forward": ("Z", "Z_tilde", "A"), "cost": ("J",),
              "backward": ("dA", "dZ_tilde", "dZ", "dW", "db", "dgamma", "dbeta"),
              "update": (*PARAMETERS, *BUFFERS, *(f"{moment}_d{p}" for moment in ("v", "s") for p in PARAMETERS),
                         "t", "lr")}
UNLAYERED = ("J", "t", "lr")  # the step's numbers that belong to no layer (layer None): scalars


class Key(NamedTuple):
    step: int
    stage: str
    layer: int | None
    quantity: str

    def label(self) -> str:
        """Short name, in the notation: ``dW[2] at step 0 (backward)``."""
        name = self.quantity if self.layer is None else f"{self.quantity}[{self.layer}]"
        return f"{name} at step {self.step} ({self.stage})"


def computation_order(L: int, steps: int) -> list[Key]:
    keys = []
    for s in range(steps):
        for l in range(1, L + 1):
            keys += [Key(s, "forward", l, q) for q in QUANTITIES["forward"]]
        keys.append(Key(s, "cost", None, "J"))
        for l in range(L, 0, -1):
            keys += [Key(s, "backward", l, q) for q in QUANTITIES["backward"]]
        keys.append(Key(s, "update", None, "lr"))  # the rate is set before any parameter moves
        for l in range(1, L + 1):
            keys += [Key(s, "update", l, q) for q in QUANTITIES["update"] if q not in UNLAYERED]
        keys.append(Key(s, "update", None, "t"))
    return keys


_NAME = re.compile(r"([A-Za-z_]+?)(\d+)")


def split_name(name: str) -> tuple[str, int]:
    """A parameter's, buffer's or state entry's name and layer: ``W2`` -> (W, 2), ``gamma1`` -> (gamma, 1),
    ``running_var1`` -> (running_var, 1), ``v_dW2`` -> (v_dW, 2)."""
    match = _NAME.fullmatch(name)
    if not match:
        raise ValueError(f"{name!r} is not a quantity followed by its layer, like W2 or gamma1")
    return match.group(1), int(match.group(2))


def state_key(step: int, name: str) -> Key:
    """The trace key of a parameter, buffer or optimizer state entry after step ``step``, in the course's names:
    ``v_dW2`` -> Key(step, update, 2, v_dW), ``gamma1`` -> Key(step, update, 1, gamma)."""
    quantity, layer = split_name(name)
    return Key(step, "update", layer, quantity)


@dataclass
class Start:
    """What one step starts from: parameters W1, b1, ... (gamma1, beta1 with batch normalisation), the optimizer's
    state (course names: v_dW1, s_dW1, ...) in the reference's form, t, the updates taken so far, batch
    normalisation's running statistics, and lr, the learning rate the optimizer holds as the step begins: the
    previous step's (the initial rate at step 0), which a chainable scheduler (torch's ``ExponentialLR``)
    multiplies at an epoch's start."""

    params: dict[str, np.ndarray]
    state: dict[str, np.ndarray] = field(default_factory=dict)
    t: int = 0
    buffers: dict[str, np.ndarray] = field(default_factory=dict)  # running_mean1, running_var1, ...
    lr: float | None = None


@dataclass
class Trace:
    """One implementation's run of one case: ``values[key]`` is a float array in the reference layout.

    ``dtypes`` records the dtypes the implementation really computed in (parameters, activations,
    optimizer state), checked by the adapters, since frameworks downcast silently.
    """

    implementation: str
    values: dict[Key, np.ndarray] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)
    starts: list[Start] = field(default_factory=list)
    X: np.ndarray | None = None
    Y: np.ndarray | None = None

    def record(self, step: int, stage: str, layer: int | None, quantity: str, value) -> None:
        self.values[Key(step, stage, layer, quantity)] = np.array(value, copy=True)

    def record_named(self, step: int, named: dict) -> None:
        """Parameters, buffers or optimizer state after step ``step``, by name (``W2``, ``gamma1``, ``v_dW2``), in
        the reference's form and layout."""
        for name, value in named.items():
            self.values[state_key(step, name)] = np.array(value, copy=True)

    def record_state(self, step: int, state: dict, t: int | None) -> None:
        """The optimizer's state after step ``step``, in the course's names and the reference's form and layout."""
        self.record_named(step, state)
        if t is not None:
            self.values[Key(step, "update", None, "t")] = np.array(float(t))

    def assert_dtype(self, dtype: str, case_name: str) -> None:
        """Fail if the run computed in anything but ``dtype`` (the frameworks downcast silently)."""
        wrong = {k: v for k, v in self.dtypes.items() if v not in (dtype, "none")}
        if wrong:
            raise AssertionError(f"{self.implementation} ran case {case_name} in {wrong}, not {dtype}")
        bad = [key.label() for key, value in self.values.items()
               if key.quantity not in UNLAYERED and np.asarray(value).dtype != np.dtype(dtype)]
        if bad:
            raise AssertionError(f"{self.implementation} returned non-{dtype} values for {case_name}: {bad[:3]}")
