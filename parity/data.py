"""Built-in data sets, generated or shipped with a package: nothing is downloaded.

Every loader returns a ``Dataset`` in the reference layout: X (n_x, m) and Y (n_y, m), samples as columns,
float64 (cast with ``Dataset.astype``). Generators are seeded, so one name and seed is one data set.
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

    def astype(self, dtype) -> Dataset:
        return Dataset(self.name, self.X.astype(dtype), self.Y.astype(dtype))


def planar(m: int = 400, seed: int = 1) -> Dataset:
    """A two-class "flower" in the plane: petals of alternating classes, not linearly separable.

    Points of class c lie along the curve r = 4 sin(4 t) for t in one half-turn per class, with
    Gaussian noise (standard deviation 0.2) on the angle and on the radius. X (2, m), Y (1, m) in {0, 1}.
    """
    _check_m(m, 2)
    rng = np.random.default_rng(seed)
    per_class = [m // 2, m - m // 2]
    X_parts, Y_parts = [], []
    for c, count in enumerate(per_class):
        t = np.linspace(c * 3.12, (c + 1) * 3.12, count) + rng.normal(0, 0.2, count)
        r = 4 * np.sin(4 * t) + rng.normal(0, 0.2, count)
        X_parts.append(np.stack([r * np.sin(t), r * np.cos(t)]))
        Y_parts.append(np.full((1, count), float(c)))
    return Dataset(f"planar(m={m}, seed={seed})", np.concatenate(X_parts, axis=1), np.concatenate(Y_parts, axis=1))


def xor(m: int = 200, seed: int = 0) -> Dataset:
    """Points uniform in [-1, 1]^2 labelled 1 where the two coordinates have opposite signs. X (2, m), Y (1, m)."""
    _check_m(m, 1)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (2, m))
    Y = (X[0:1] * X[1:2] < 0).astype(np.float64)
    return Dataset(f"xor(m={m}, seed={seed})", X, Y)


BUILTIN = {"planar": planar, "xor": xor}


def load(name: str, seed: int | None = None) -> Dataset:
    """A built-in data set by name (``BUILTIN``)."""
    if name not in BUILTIN:
        raise ValueError(f"unknown data set {name!r}; built-in data sets: {', '.join(BUILTIN)}")
    return BUILTIN[name]() if seed is None else BUILTIN[name](seed=seed)


def _check_m(m, minimum: int) -> None:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < minimum:
        raise ValueError(f"m must be an integer >= {minimum}, got {m!r}")
