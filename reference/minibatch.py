"""Mini-batches from a given permutation: the order is data, so every implementation can use the same batches.

With X (n_x, m) and Y (n_y, m), samples as columns, and a permutation p of 0..m-1:

    X_shuffled = X[:, p],  Y_shuffled = Y[:, p]
    batch k    = columns k B .. min((k + 1) B, m) - 1 of the shuffled arrays,   k = 0 .. ceil(m / B) - 1

so there are ceil(m / B) batches, the last holding the m mod B remaining columns when B does not divide m (as
the course's mini-batch gradient descent does, and as PyTorch's DataLoader with ``drop_last=False`` and Keras's
``fit(shuffle=...)`` do). ``permutation(m, seed)`` draws one from ``numpy.random.default_rng(seed)``; a
framework's own sampler order can be given instead.
"""

from __future__ import annotations

import numpy as np


def permutation(m: int, seed: int = 0) -> np.ndarray:
    """A permutation of 0..m-1 from ``numpy.random.default_rng(seed)``."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    return np.random.default_rng(seed).permutation(m)


def mini_batches(X, Y, batch_size: int, order=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(X_batch, Y_batch), ...] of ``batch_size`` columns each (the last may be smaller), the columns taken in
    ``order`` (a permutation of 0..m-1; None: 0..m-1 as given)."""
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be 2-D with one column per sample, got shapes {X.shape} and {Y.shape}")
    m = X.shape[1]
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = np.arange(m) if order is None else np.asarray(order)
    if order.shape != (m,) or not np.array_equal(np.sort(order), np.arange(m)):
        raise ValueError(f"order must be a permutation of 0..{m - 1} (every column once), got {order!r}")
    return [(X[:, order[k:k + batch_size]], Y[:, order[k:k + batch_size]]) for k in range(0, m, batch_size)]
