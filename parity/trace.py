"""A Trace: every intermediate quantity of a run, in the reference layout and gradient convention.

Keys are ``Key(step, stage, layer, quantity)``, and ``computation_order`` lists them in the order the numbers
are computed, so that the first mismatch found walking it is the first divergence:

    step s:  forward   l = 1..L     Z[l], A[l]
             cost                   J                  (layer None)
             backward  l = L..1     dA[l], dZ[l], dW[l], db[l]
             update    l = 1..L     W[l], b[l]         (the parameters after step s's update)

Layout and convention (``parity.layout`` converts into them): samples are columns, W[l] is (n[l], n[l-1]),
b[l] is (n[l], 1), and dA, dZ are per-example (an autograd ``.grad`` times m). An implementation may leave a
quantity out when it has no such tensor (with a logits loss there is no dA[L]); compare skips it then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

STAGES = ("forward", "cost", "backward", "update")
QUANTITIES = {"forward": ("Z", "A"), "cost": ("J",), "backward": ("dA", "dZ", "dW", "db"), "update": ("W", "b")}


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
        for l in range(1, L + 1):
            keys += [Key(s, "update", l, q) for q in QUANTITIES["update"]]
    return keys


@dataclass
class Trace:
    """One implementation's run of one case: ``values[key]`` is a float array in the reference layout.

    ``dtypes`` records the dtypes the implementation really computed in (parameters, activations,
    optimizer state), checked by the adapters, since frameworks downcast silently.
    """

    implementation: str
    values: dict[Key, np.ndarray] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)

    def record(self, step: int, stage: str, layer: int | None, quantity: str, value) -> None:
        self.values[Key(step, stage, layer, quantity)] = np.array(value, copy=True)

    def assert_dtype(self, dtype: str, case_name: str) -> None:
        """Fail if the run computed in anything but ``dtype`` (the frameworks downcast silently)."""
        wrong = {k: v for k, v in self.dtypes.items() if v not in (dtype, "none")}
        if wrong:
            raise AssertionError(f"{self.implementation} ran case {case_name} in {wrong}, not {dtype}")
        bad = [key.label() for key, value in self.values.items()
               if key.quantity != "J" and np.asarray(value).dtype != np.dtype(dtype)]
        if bad:
            raise AssertionError(f"{self.implementation} returned non-{dtype} values for {case_name}: {bad[:3]}")
