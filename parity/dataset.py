"""The records data comes in, in the reference layout: X (n_x, m) and Y (n_y, m), samples as columns, float64.

Shared by the built-in data sets (``parity.data``) and the MNIST reader (``parity.mnist``), which ``data``
dispatches to: the records live below both, so neither imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """X (n_x, m), Y (n_y, m); ``name`` says where it came from."""

    name: str
    X: np.ndarray
    Y: np.ndarray

    @property
    def m(self) -> int:
        return self.X.shape[1]


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Class indices (m,) as one-hot columns (n_classes, m)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.eye(n_classes)[:, labels.astype(np.int64)]


@dataclass(frozen=True)
class Split:
    """A training set and, where the source has one, a test set."""

    train: Dataset
    test: Dataset | None = None

    def held_out(self, fraction: float, seed: int = 0) -> Split:
        """This split, or, when it has no test set, the training set cut in two by a seeded shuffle."""
        if self.test is not None or fraction <= 0:
            return self
        order = np.random.default_rng(seed).permutation(self.train.m)
        n_test = max(1, int(round(fraction * self.train.m)))
        test, train = order[:n_test], order[n_test:]
        pick = lambda d, cols, tag: Dataset(f"{d.name} [{tag}]", d.X[:, cols], d.Y[:, cols])  # noqa: E731
        return Split(pick(self.train, train, "train part"), pick(self.train, test, "held-out part"))
