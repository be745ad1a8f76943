"""Inverted dropout with an explicit mask: the mask is data, so every implementation can use the same one.

Forward, for a hidden layer's activations A[l] (n[l], m) and a 0/1 mask D[l] of the same shape:

    A[l] <- A[l] * D[l] / keep_prob        each unit kept with probability keep_prob, scaled up at training time

so the expected value of each activation is unchanged and nothing is rescaled at test time (where dropout is
off). Backward, the same mask and the same scale on the gradient:

    dA[l] <- dA[l] * D[l] / keep_prob

(A unit that was dropped contributed nothing, so it receives no gradient.) The course's two classic slips are
exactly these two lines: forgetting to apply D[l] in the backward pass, and forgetting the 1/keep_prob.

``mask(shape, keep_prob, seed)`` draws one the course's way, D = (U < keep_prob) with U ~ U[0, 1), as float 0/1
of the activations' dtype; any 0/1 array of the right shape can be given instead (a framework's own mask).
Frameworks' own dropout layers take a *drop* rate: PyTorch's ``nn.Dropout(p)`` and Keras's ``Dropout(rate)``
use p = rate = 1 - keep_prob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def _check(A, D, keep_prob, name_A: str) -> None:
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float, np.floating)) or not (
            math.isfinite(keep_prob) and 0 < keep_prob <= 1):
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    if np.shape(D) != np.shape(A):
        raise ValueError(f"the mask D has shape {np.shape(D)} but {name_A} has shape {np.shape(A)}; they must match")
    D = np.asarray(D)
    if not np.isin(D, (0, 1)).all():
        bad = np.argwhere(~np.isin(D, (0, 1)))[0]
        raise ValueError(f"the mask D must hold only 0 and 1; D{tuple(int(i) for i in bad)} = {D[tuple(bad)].item()!r}")


def mask(shape, keep_prob: float, seed: int = 0, dtype="float64") -> np.ndarray:
    """A 0/1 mask of ``shape``: 1 where U < keep_prob, U ~ U[0, 1) from ``numpy.random.default_rng(seed)``."""
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float, np.floating)) or not (
            math.isfinite(keep_prob) and 0 < keep_prob <= 1):
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    return (np.random.default_rng(seed).random(shape) < keep_prob).astype(dtype)


def dropout_forward(A: np.ndarray, D: np.ndarray, keep_prob: float) -> np.ndarray:
    """A * D / keep_prob: the kept units, scaled by 1 / keep_prob (inverted dropout)."""
    _check(A, D, keep_prob, "A")
    return A * np.asarray(D, dtype=A.dtype) / A.dtype.type(keep_prob)


def dropout_backward(dA: np.ndarray, D: np.ndarray, keep_prob: float) -> np.ndarray:
    """dA * D / keep_prob: the gradient through the same mask and scale as the forward pass."""
    _check(dA, D, keep_prob, "dA")
    return dA * np.asarray(D, dtype=dA.dtype) / dA.dtype.type(keep_prob)


@dataclass(frozen=True)
class Dropout:
    """Dropout for one forward and backward pass: ``masks[l]`` is hidden layer l's D[l] (n[l], m), applied to A[l]
    after g[l] (the output layer is never dropped). ``reference.forward(..., dropout=...)`` caches the dropped
    A[l], which layer l + 1 reads; ``reference.backward(..., dropout=...)`` returns dA[l] = W[l+1]^T dZ[l+1], the
    gradient of that dropped A[l], and pushes dA[l] * D[l] / keep_prob through g[l]'."""

    keep_prob: float
    masks: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        for l, D in self.masks.items():
            if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 1:
                raise ValueError(f"dropout masks are keyed by the layer l = 1, 2, ...; got {l!r}")
            _check(D, D, self.keep_prob, "D")

    def check(self, L: int) -> None:
        """Refuse a mask on the output layer or beyond it (L layers)."""
        wrong = sorted(l for l in self.masks if l >= L)
        if wrong:
            raise ValueError(f"dropout masks only hidden layers 1..{L - 1}; got a mask for layer {wrong[0]} of {L}")
