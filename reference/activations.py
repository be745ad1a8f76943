"""Activations g and their backward passes, column-wise on Z of shape (n[l], m).

Each activation is a pair: ``forward(Z) -> A = g(Z)`` and ``backward(dA, Z) -> dZ = dA * g'(Z)``
(for softmax, the Jacobian-vector product of the column's softmax). Both keep the dtype of Z.

An activation is named by a string: ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``,
``"softmax"``, ``"linear"``. Leaky ReLU takes its slope in the name, ``"leaky_relu(0.2)"``; plain
``"leaky_relu"`` means slope 0.01, PyTorch's default (Keras's ``LeakyReLU`` layer defaults to 0.3 and
``keras.activations.leaky_relu`` to 0.2: always name the slope when comparing frameworks).

Hand-worked example, Z = [[-1], [0], [2]]:
    relu(Z)              = [[0], [0], [2]]      relu'(Z)       = [[0], [0], [1]]   (0 at z = 0, as torch/TF)
    leaky_relu(0.1)(Z)   = [[-0.1], [0], [2]]   leaky_relu'(Z) = [[0.1], [0.1], [1]]  (slope at z = 0, as torch/TF)
    softmax([[0], [ln 3]]) = [[0.25], [0.75]]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_LEAKY_SLOPE = 0.01


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """A = 1 / (1 + exp(-Z)), evaluated as exp(-|Z|) based halves so no exp ever overflows.

    For Z >= 0: 1 / (1 + e), for Z < 0: e / (1 + e), with e = exp(-|Z|) in (0, 1].
    """
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA * A (1 - A), with A = sigmoid(Z)."""
    A = sigmoid(Z)
    return dA * A * (1 - A)


def tanh(Z: np.ndarray) -> np.ndarray:
    """A = tanh(Z)."""
    return np.tanh(Z)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA * (1 - A^2), with A = tanh(Z) (not 1 - Z^2: the classic slip)."""
    A = np.tanh(Z)
    return dA * (1 - A * A)


def relu(Z: np.ndarray) -> np.ndarray:
    """A = max(Z, 0)."""
    return np.maximum(Z, 0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA * [Z > 0]: the derivative at exactly 0 is taken as 0, as PyTorch, TensorFlow and JAX do.

    (Multiplying by the 0/1 mask is exact, and several times faster than ``np.where`` with a scalar.)
    """
    return dA * (Z > 0)


def leaky_relu(Z: np.ndarray, slope: float = DEFAULT_LEAKY_SLOPE) -> np.ndarray:
    """A = Z if Z >= 0 else slope * Z."""
    return np.where(Z >= 0, Z, slope * Z)


def leaky_relu_backward(dA: np.ndarray, Z: np.ndarray, slope: float = DEFAULT_LEAKY_SLOPE) -> np.ndarray:
    """dZ = dA if Z > 0 else slope * dA: the slope at exactly 0, as the torch and TensorFlow kernels do."""
    return np.where(Z > 0, dA, slope * dA)


def softmax(Z: np.ndarray) -> np.ndarray:
    """A[:, i] = exp(Z[:, i] - max Z[:, i]) / sum_k exp(Z[k, i] - max Z[:, i]): one distribution per column.

    Shifting by the column maximum changes nothing mathematically and keeps every exp in (0, 1].
    """
    e = Z - Z.max(axis=0, keepdims=True)
    np.exp(e, out=e)  # in place: one (n[L], m) array for the whole function
    e /= e.sum(axis=0, keepdims=True)
    return e


def softmax_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = A * (dA - sum_k dA[k] A[k]) per column: the softmax Jacobian (diag(A) - A A^T) applied to dA."""
    A = softmax(Z)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


def identity(Z: np.ndarray) -> np.ndarray:
    """The "linear" activation, A = Z (a copy, so that A never aliases the cached Z)."""
    return Z.copy()


def identity_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA (``network.linear_backward`` is the other thing: the linear part Z = W A + b of a layer)."""
    return dA.copy()


@dataclass(frozen=True)
class Activation:
    """A resolved activation: its canonical name and its forward/backward functions."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    slope: float | None = None


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "softmax": (softmax, softmax_backward),
    "linear": (identity, identity_backward),
}

_LEAKY_WITH_SLOPE = re.compile(r"^leaky_relu\(\s*([^()]+?)\s*\)$")


def get_activation(spec: str | Activation) -> Activation:
    """Resolve an activation name such as ``"relu"`` or ``"leaky_relu(0.2)"``; unknown names list the valid ones.
    An ``Activation`` is returned as it is: the way to run a framework's own convention (a derivative taken
    differently at a kink) through the reference's forward and backward passes."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"an activation is named by a string, got {type(spec).__name__} {spec!r}")
    match = _LEAKY_WITH_SLOPE.match(spec)
    if match:
        try:
            slope = float(match.group(1))
        except ValueError:
            raise ValueError(f"leaky_relu slope must be a number, got {match.group(1)!r} in {spec!r}") from None
        if not np.isfinite(slope):
            raise ValueError(f"leaky_relu slope must be finite, got {slope} in {spec!r}")
        return _leaky(slope)
    if spec == "leaky_relu":
        return _leaky(DEFAULT_LEAKY_SLOPE)
    if spec not in ACTIVATIONS:
        valid = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {spec!r}; valid names: {valid} (leaky_relu also as 'leaky_relu(0.2)')")
    forward, backward = ACTIVATIONS[spec]
    return Activation(spec, forward, backward)


def _leaky(slope: float) -> Activation:
    return Activation(
        "leaky_relu",
        lambda Z: leaky_relu(Z, slope),
        lambda dA, Z: leaky_relu_backward(dA, Z, slope),
        slope,
    )
