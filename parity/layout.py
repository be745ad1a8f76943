"""The one place where layouts are converted and gradients rescaled. Nothing else transposes.

Reference (course) layout, samples as columns:  X, Z[l], A[l] are (n, m);  W[l] (n[l], n[l-1]);  b[l] (n[l], 1).
PyTorch ``nn.Linear``:  y = x weight^T + bias, x (m, n);  weight (n[l], n[l-1]) = W;  bias (n[l],) = b.ravel().
Keras ``Dense``:        y = x kernel + bias,    x (m, n);  kernel (n[l-1], n[l]) = W^T;  bias (n[l],) = b.ravel().
JAX (``parity.implementations.jax``, a pure function of its parameters, flax's ``Dense`` layout): the same as
Keras, y = x kernel + bias with kernel (n[l-1], n[l]) = W^T and bias (n[l],).

Gradients: every framework differentiates the mean cost J, so for a batch tensor T (rows are samples)
T.grad = dT^T / m, where dT is the course's per-example gradient: dZ = m Z.grad^T, dA = m A.grad^T.
Parameter gradients need no factor: weight.grad = dW, kernel.grad = dW^T, bias.grad = db.ravel().
"""

from __future__ import annotations

import functools

import numpy as np

from parity import frameworks


def batch_to_framework(A: np.ndarray) -> np.ndarray:
    """(n, m) columns-as-samples to the frameworks' (m, n) rows-as-samples."""
    return np.ascontiguousarray(A.T)


def batch_from_framework(T) -> np.ndarray:
    """A framework batch tensor (m, n) to the reference's (n, m)."""
    return np.asarray(T).T


def batch_grad_from_framework(T_grad, m: int) -> np.ndarray:
    """An autograd gradient of J with respect to a batch tensor, (m, n), to the per-example (n, m): m T.grad^T.

    Multiplying by m is exact when m is a power of two and otherwise adds at most half an ulp.
    """
    return np.asarray(T_grad).T * m


def torch_weight(W: np.ndarray) -> np.ndarray:
    """W[l] as ``nn.Linear.weight``: the same (n[l], n[l-1]) matrix."""
    return np.ascontiguousarray(W)


def keras_kernel(W: np.ndarray) -> np.ndarray:
    """W[l] as ``Dense.kernel``: W^T, (n[l-1], n[l])."""
    return np.ascontiguousarray(W.T)


def W_from_torch(weight) -> np.ndarray:
    return np.asarray(weight)


def W_from_keras(kernel) -> np.ndarray:
    return np.asarray(kernel).T


def framework_bias(b: np.ndarray) -> np.ndarray:
    """b[l] (n[l], 1) as a framework bias vector (n[l],)."""
    return np.ascontiguousarray(b.ravel())


def b_from_framework(bias) -> np.ndarray:
    """A framework bias (or its gradient) (n[l],) as the reference's (n[l], 1)."""
    return np.asarray(bias).reshape(-1, 1)


def parameter_to_framework(name: str, value: np.ndarray, family: str) -> np.ndarray:
    """A parameter or its optimizer state (``W2``, ``b1``, ``v_dW2``, ``s_db1``) in ``family``'s layout:
    W-shaped arrays as ``nn.Linear.weight`` (torch) or a kernel (keras ``Dense.kernel``, jax), b-shaped ones as a
    bias vector."""
    if _is_bias(name):
        return framework_bias(value)
    return (keras_kernel if _kernel(family) else torch_weight)(value)


def parameter_from_framework(name: str, value, family: str) -> np.ndarray:
    """The inverse of ``parameter_to_framework``: back to the reference's (n[l], n[l-1]) or (n[l], 1)."""
    if _is_bias(name):
        return b_from_framework(value)
    return (W_from_keras if _kernel(family) else W_from_torch)(value)


@functools.cache
def _kernel(family: str) -> bool:
    """Whether ``family`` (a registry row's, ``parity.frameworks``) stores W as a kernel W^T; unknown ones raise."""
    return frameworks.family(family)[0].kernel


def _is_bias(name: str) -> bool:
    """One number per unit (n[l], 1), a vector in the frameworks: b, batch normalisation's gamma and beta and its
    running statistics, and their optimizer state."""
    return name.rsplit("_d", 1)[-1].startswith(("b", "gamma", "running_"))


# Momentum's state in the two forms (reference.optimizers): the heavy-ball buffer v (torch's momentum_buffer,
# the reference's state) and Keras's velocity, which has the learning rate folded in: velocity = -lr v. Each
# conversion is one multiplication or division, so it costs at most one rounding.
def velocity_from_buffer(v: np.ndarray, learning_rate: float) -> np.ndarray:
    return -learning_rate * v


def buffer_from_velocity(velocity: np.ndarray, learning_rate: float) -> np.ndarray:
    return -(velocity / learning_rate)
