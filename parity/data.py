"""Data in the reference layout: X (n_x, m) and Y (n_y, m), samples as columns, float64.

Nothing is downloaded. Built in: generated ``planar`` (two-class flower) and ``xor`` data, and scikit-learn's
bundled 8x8 ``digits``. MNIST is read from files the user already has (``parity.mnist``): Kaggle's
``train.csv``, the original IDX files (gzipped or not, or a folder holding them) and Keras's ``mnist.npz``.
Pixels are scaled to [0, 1] and class labels one-hot. Generators are seeded: one name and seed is one data set.
The records (``Dataset``, ``Split``) and ``one_hot`` live in ``parity.dataset``, which the MNIST reader shares.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity import mnist
from parity.dataset import Dataset, Split, one_hot


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


def digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits: X (64, 1797) with pixels 0..16 scaled to [0, 1], Y one-hot (10, 1797)."""
    data = _digits_file()
    return Dataset("digits (scikit-learn, 8x8)", data[:, :-1].T / 16.0, one_hot(data[:, -1].astype(int), 10))


def _digits_file() -> np.ndarray:
    """The rows of scikit-learn's ``datasets/data/digits.csv.gz`` (64 pixels, then the label), read as
    ``load_digits`` reads them (``np.loadtxt``) but without importing scikit-learn, which costs 2-3 s of every
    process's start (scipy.stats among it); through ``load_digits`` where the file is not where it has been."""
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ValueError("the digits data set ships with scikit-learn: pip install scikit-learn "
                         "(or the project's 'report' extra)")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.is_file():
        with gzip.open(path, "rt") as file:
            return np.loadtxt(file, delimiter=",")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.column_stack([bunch.data, bunch.target])


BUILTIN = {"planar": planar, "xor": xor, "digits": digits}


def load(name: str) -> Dataset:
    """A built-in data set by name (``BUILTIN``)."""
    if name not in BUILTIN:
        raise ValueError(f"unknown data set {name!r}; built-in data sets: {', '.join(BUILTIN)}, "
                         f"or a path to MNIST files")
    return BUILTIN[name]()


def load_source(source: str) -> Split:
    """A built-in name or a path to MNIST files (``parity.mnist.load``), as a Split."""
    if source in BUILTIN:
        return Split(load(source))
    if Path(source).exists():
        return mnist.load(source)
    raise ValueError(f"unknown data {source!r}: not a built-in data set ({', '.join(BUILTIN)}) and no such "
                     f"file or folder")


def _check_m(m, minimum: int) -> None:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < minimum:
        raise ValueError(f"m must be an integer >= {minimum}, got {m!r}")
