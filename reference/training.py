"""Training loops: repeat forward, cost, backward, update; and predictions from a trained network.

One *iteration* is one parameter update. Full-batch (``batch_size=None``) every iteration sees all m
columns; with mini-batches the columns are shuffled once per epoch by ``numpy.random.default_rng(seed)``
and cut into consecutive batches of ``batch_size`` (the last one of an epoch may be smaller), and each
iteration uses the next batch. ``history.cost[i]`` is J on iteration i's batch *before* its update, the
number the frameworks' ``loss.item()`` reports for that step.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from reference import losses
from reference.activations import get_activation
from reference.network import backpropagate, check_network, forward, propagate
from reference.optimizers import update


@dataclass
class History:
    """Per-iteration cost and, for classifiers (sigmoid or softmax output), accuracy on the same batch."""

    cost: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


def predict(params: dict, X, activations) -> np.ndarray:
    """Predictions in the output's own terms, samples as columns.

    sigmoid output: labels (AL > 0.5) as integers, shape (n[L], m);
    softmax output: class indices argmax_k AL[k, i], shape (1, m);
    any other output: AL itself (a regression).
    """
    AL, _ = forward(params, X, activations)
    return _decide(AL, activations[-1])


def _decide(AL: np.ndarray, output: str) -> np.ndarray:
    name = get_activation(output).name
    if name == "sigmoid":
        return (AL > 0.5).astype(np.int64)
    if name == "softmax":
        return AL.argmax(axis=0).reshape(1, -1)
    return AL


def accuracy(AL: np.ndarray, Y: np.ndarray, output: str) -> float | None:
    """Fraction of correct predictions for a sigmoid (each unit thresholded at 0.5) or softmax (argmax) output;
    None for outputs that are not classifiers."""
    return _accuracy(AL, _truth(Y, output), output)


def _truth(Y: np.ndarray, output: str) -> np.ndarray | None:
    """What a prediction is checked against: Y > 0.5 for a sigmoid output, the class index argmax_k Y[k, i] for a
    softmax (computed once per data set by ``iterate``, not at every step)."""
    name = get_activation(output).name
    if name == "sigmoid":
        return Y > 0.5
    if name == "softmax":
        return Y.argmax(axis=0)
    return None


def _accuracy(AL: np.ndarray, truth: np.ndarray | None, output: str) -> float | None:
    name = get_activation(output).name
    if name == "sigmoid":
        return float(((AL > 0.5) == truth).mean())
    if name == "softmax":
        return float((AL.argmax(axis=0) == truth).mean())
    return None


def _batches(m: int, batch_size: int | None, seed: int):
    """Endless stream of column-index arrays, one per iteration (None: the whole batch, no copy)."""
    if batch_size is None:
        while True:
            yield None
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            yield order[start : start + batch_size]


@dataclass
class Step:
    """One iteration of ``iterate``: its output AL, cost and accuracy (before the update), the parameters after.

    The accuracy is worked out from AL when first read (an argmax over AL's columns, a pass no update needs): a
    loop that never reads it, as a benchmark of the training step does not, does not pay for it."""

    iteration: int
    AL: np.ndarray
    cost: float
    params: dict
    _labels: np.ndarray | None = field(default=None, repr=False)  # what AL is checked against (_truth)
    _output: str | None = field(default=None, repr=False)
    _accuracy: float | None = field(default=None, init=False, repr=False)

    @property
    def accuracy(self) -> float | None:
        """The fraction of correct predictions in AL (``accuracy``); None for an output that is no classifier."""
        if self._accuracy is None and self._labels is not None:
            self._accuracy = _accuracy(self.AL, self._labels, self._output)
        return self._accuracy


def _check_training(params, X, Y, activations, loss, batch_size):
    L, X = check_network(params, X, activations)
    losses.check_loss_name(loss)
    Y = np.asarray(Y)
    expected = (params[f"W{L}"].shape[0], X.shape[1])
    if Y.shape != expected:
        raise ValueError(
            f"Y has shape {Y.shape} but the network's output AL will have shape {expected} (n[L], m)"
            + ("; reshape a label vector with Y.reshape(1, -1)" if Y.ndim == 1 else "")
        )
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    return X, Y


def iterate(params: dict, X, Y, activations, loss: str, optimizer, *, batch_size: int | None = None,
            seed: int = 0):
    """Endless training: yields a ``Step`` per iteration (forward, cost, backward, update). ``train`` is
    this generator run for a fixed number of iterations; use it directly to watch or interleave runs.

    Inputs are checked once, before the first iteration; the loop itself runs the unchecked
    ``propagate``/``backpropagate``, and skips dA0, which no update uses.
    """
    X, Y = _check_training(params, X, Y, activations, loss, batch_size)
    Y = losses.validate_targets(Y, loss, X.dtype)
    output = activations[-1]
    cost = losses.LOSSES[loss].cost
    batches = _batches(X.shape[1], batch_size, seed)
    truth = _truth(Y, output)
    i = 0
    while True:
        columns = next(batches)
        X_batch, Y_batch = (X, Y) if columns is None else (X[:, columns], Y[:, columns])
        truth_batch = truth if columns is None or truth is None else truth[..., columns]
        AL, caches = propagate(params, X_batch, activations)
        if i == 0:
            losses.check_outputs(AL, loss)
        J = cost(AL, Y_batch)
        grads = backpropagate(AL, Y_batch, caches, activations, loss, input_gradient=False)
        params = update(params, grads, optimizer)
        yield Step(i, AL, J, params, truth_batch, output)
        i += 1


def train(
    params: dict,
    X,
    Y,
    activations,
    loss: str,
    optimizer,
    iterations: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    print_every: int | None = None,
    stream: TextIO | None = None,
) -> tuple[dict, History]:
    """Run ``iterations`` updates from ``params``; return (trained params, History).

    ``print_every=N`` prints the iteration, cost, accuracy and elapsed time every N iterations (and the
    last) to ``stream`` (default stdout). The input ``params`` are left unchanged.
    """
    _check_training(params, X, Y, activations, loss, batch_size)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
    if print_every is not None and (not isinstance(print_every, (int, np.integer)) or print_every < 1):
        raise ValueError(f"print_every must be a positive integer or None, got {print_every!r}")
    stream = stream or sys.stdout
    history = History()
    started = time.perf_counter()
    steps = iterate(params, X, Y, activations, loss, optimizer, batch_size=batch_size, seed=seed)
    for i in range(iterations):
        step = next(steps)
        params = step.params
        history.cost.append(step.cost)
        if step.accuracy is not None:
            history.accuracy.append(step.accuracy)
        if print_every and ((i + 1) % print_every == 0 or i + 1 == iterations):
            shown = f"  accuracy {step.accuracy:.4f}" if step.accuracy is not None else ""
            elapsed = time.perf_counter() - started
            print(f"iteration {i + 1:>6}/{iterations}  cost {step.cost:.6f}{shown}  ({elapsed:.1f} s)",
                  file=stream, flush=True)
    return params, history
