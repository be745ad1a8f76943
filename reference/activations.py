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
    """One activation g: its forward and backward passes, and what an error model needs of it.

    ``derivative(Z, A)`` is g'(Z) from Z and A = g(Z) (None for softmax, which is not elementwise: its Jacobian
    diag(A) - A A^T is all there is); ``derivative_size(Z, A)`` the size of the terms g'(Z) is evaluated from as
    ``backward`` evaluates it (sigmoid's A (1 - A): A (1 + A)); ``second_derivative(A)`` is |g''(Z)|, how an error in
    Z moves g'(Z) (0 for the piecewise-linear ones). ``slope``: leaky ReLU's negative slope."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    slope: float | None = None
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    derivative_size: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    second_derivative: Callable[[np.ndarray], np.ndarray | float] = lambda A: 0.0

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    def size_of_derivative(self, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        """M_g'(Z): ``derivative_size`` where g' is evaluated from terms larger than itself, else |g'(Z)|."""
        return np.abs((self.derivative_size or self.derivative)(Z, A))

    def with_derivative_at_zero(self, at_zero: float) -> Activation:
        """Leaky ReLU with its derivative at exactly Z = 0 taken as ``at_zero`` instead of its slope (JAX's
        ``where(x >= 0, ...)`` gives 1 there)."""
        if self.slope is None:
            raise ValueError(f"only leaky_relu has a derivative at 0 to choose; {self.name} has none")
        return _leaky(self.slope, at_zero)


def _leaky(slope: float, at_zero: float | None = None) -> Activation:
    """Leaky ReLU with ``slope``; its derivative at exactly 0 is the slope unless ``at_zero`` says otherwise."""
    if at_zero is None:
        backward = lambda dA, Z: leaky_relu_backward(dA, Z, slope)  # noqa: E731
    else:
        def backward(dA, Z):
            return dA * np.where(Z > 0, 1.0, np.where(Z == 0, at_zero, slope)).astype(dA.dtype)
    kink = slope if at_zero is None else at_zero
    return Activation(
        "leaky_relu",
        lambda Z: leaky_relu(Z, slope),
        backward,
        slope,
        derivative=lambda Z, A: np.where(Z > 0, 1.0, np.where(Z == 0, kink, slope)),
    )


def _ones(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    return np.ones_like(Z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_backward,
                          derivative=lambda Z, A: A * (1 - A), derivative_size=lambda Z, A: A * (1 + A),
                          second_derivative=lambda A: np.abs(A * (1 - A) * (1 - 2 * A))),
    "tanh": Activation("tanh", tanh, tanh_backward,
                       derivative=lambda Z, A: 1 - A * A, derivative_size=lambda Z, A: 1 + A * A,
                       second_derivative=lambda A: np.abs(2 * A * (1 - A * A))),
    "relu": Activation("relu", relu, relu_backward, derivative=lambda Z, A: (Z > 0).astype(Z.dtype)),
    "leaky_relu": _leaky(DEFAULT_LEAKY_SLOPE),  # a record per slope: ``get_activation("leaky_relu(0.2)")``
    "softmax": Activation("softmax", softmax, softmax_backward),
    "linear": Activation("linear", identity, identity_backward, derivative=_ones),
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
    if spec not in ACTIVATIONS:
        valid = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {spec!r}; valid names: {valid} (leaky_relu also as 'leaky_relu(0.2)')")
    return ACTIVATIONS[spec]
