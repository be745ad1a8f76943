"""Batch normalisation of Z[l], in the course's layout: Z (n[l], m), statistics over the m columns.

Training mode, for each unit (row) of Z, with gamma, beta of shape (n[l], 1):

    mu      = (1/m) sum_columns Z                          the batch mean
    var     = (1/m) sum_columns (Z - mu)^2                 the biased batch variance (what normalises)
    Z_norm  = (Z - mu) / sqrt(var + epsilon)
    Z_tilde = gamma Z_norm + beta                          (beta takes the place of b[l])

Inference mode uses running statistics instead of the batch's: Z_norm = (Z - running_mean) /
sqrt(running_var + epsilon). The running statistics follow an exponential moving average,

    running <- decay running + (1 - decay) batch           Keras's momentum is this decay (default 0.99);
                                                           PyTorch's momentum is 1 - decay (default 0.1)

where the batch variance fed to the average is the biased var (Keras) or the unbiased m / (m - 1) var (PyTorch;
``unbiased=True``); the normalisation itself uses the biased var in both. Defaults differ too: epsilon is 1e-5
in PyTorch's BatchNorm1d and 1e-3 in Keras's BatchNormalization.

Backward, from the per-example dZ_tilde (no 1/m in it, like dZ elsewhere in the reference):

    dgamma = (1/m) sum_columns (dZ_tilde * Z_norm)
    dbeta  = (1/m) sum_columns dZ_tilde
    dZ     = gamma / sqrt(var + epsilon) * (dZ_tilde - mean_columns(dZ_tilde) - Z_norm mean_columns(dZ_tilde Z_norm))

(the 1/m of the two parameter gradients lives there, as in dW and db; dZ stays per example). The last line is
the chain rule through mu and var: a shift of every column moves mu by the same amount, and a scale moves var,
so the gradient keeps only what is orthogonal to 1 and to Z_norm in each row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class BatchNormCache:
    """What the backward pass needs: Z_norm, 1 / sqrt(var + epsilon) and gamma; and the batch statistics."""

    Z_norm: np.ndarray
    inv_std: np.ndarray  # (n[l], 1)
    gamma: np.ndarray
    mu: np.ndarray  # (n[l], 1)
    var: np.ndarray  # (n[l], 1), biased


def _check(Z, gamma, beta, epsilon) -> None:
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D (n[l], m), got shape {Z.shape}")
    for name, value in (("gamma", gamma), ("beta", beta)):
        if np.shape(value) != (Z.shape[0], 1):
            raise ValueError(f"{name} must have shape {(Z.shape[0], 1)} to match Z {Z.shape}, got {np.shape(value)}")
    if not (isinstance(epsilon, (int, float, np.floating)) and math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")


def batchnorm_forward(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float = 1e-5):
    """Training mode: (Z_tilde, cache) with the batch's own mean and biased variance."""
    _check(Z, gamma, beta, epsilon)
    mu = Z.mean(axis=1, keepdims=True)
    centred = Z - mu
    var = np.square(centred).mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(var + Z.dtype.type(epsilon))
    Z_norm = centred * inv_std
    return gamma * Z_norm + beta, BatchNormCache(Z_norm, inv_std, gamma, mu, var)


def batchnorm_inference(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                        running_var: np.ndarray, epsilon: float = 1e-5) -> np.ndarray:
    """Inference mode: gamma (Z - running_mean) / sqrt(running_var + epsilon) + beta."""
    _check(Z, gamma, beta, epsilon)
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if np.shape(value) != (Z.shape[0], 1):
            raise ValueError(f"{name} must have shape {(Z.shape[0], 1)} to match Z {Z.shape}, got {np.shape(value)}")
    return gamma * ((Z - running_mean) / np.sqrt(running_var + Z.dtype.type(epsilon))) + beta


def update_running(running_mean: np.ndarray, running_var: np.ndarray, cache: BatchNormCache, m: int,
                   decay: float = 0.99, unbiased: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(running_mean, running_var) after one training batch: decay running + (1 - decay) batch, the batch's
    variance biased, or unbiased (m / (m - 1) var, PyTorch's running variance) with ``unbiased=True``."""
    if not (isinstance(decay, (int, float, np.floating)) and 0 <= decay <= 1):
        raise ValueError(f"decay must be in [0, 1], got {decay!r}")
    if unbiased and m < 2:
        raise ValueError(f"an unbiased variance needs m >= 2 samples, got m = {m}")
    var = cache.var * (m / (m - 1)) if unbiased else cache.var
    return decay * running_mean + (1 - decay) * cache.mu, decay * running_var + (1 - decay) * var


def batchnorm_backward(dZ_tilde: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dZ, dgamma, dbeta) from the per-example dZ_tilde (see the module's equations)."""
    if np.shape(dZ_tilde) != cache.Z_norm.shape:
        raise ValueError(f"dZ_tilde has shape {np.shape(dZ_tilde)} but Z has shape {cache.Z_norm.shape}")
    m = dZ_tilde.shape[1]
    dgamma = (dZ_tilde * cache.Z_norm).sum(axis=1, keepdims=True) / m
    dbeta = dZ_tilde.sum(axis=1, keepdims=True) / m
    dZ = cache.gamma * cache.inv_std * (dZ_tilde - dZ_tilde.mean(axis=1, keepdims=True)
                                        - cache.Z_norm * (dZ_tilde * cache.Z_norm).mean(axis=1, keepdims=True))
    return dZ, dgamma, dbeta


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation of Z[l] for the hidden ``layers``, training mode, in ``reference.forward``/``backward``:
    Z_tilde[l] = gamma[l] Z_norm[l] + beta[l] takes the place of Z[l] before g[l], with ``params["gamma{l}"]``
    and ``params["beta{l}"]`` (n[l], 1), so A[l] = g(Z_tilde[l]); the backward pass returns dZ_tilde[l],
    dgamma[l] and dbeta[l] beside dZ[l] (``batchnorm_backward``). The course drops b[l] from such a layer (beta
    takes its place): pass b[l] = 0 and leave it untrained."""

    layers: tuple[int, ...] = field(default_factory=tuple)
    epsilon: float = 1e-5

    def __post_init__(self):
        if not (isinstance(self.epsilon, (int, float, np.floating)) and math.isfinite(self.epsilon)
                and self.epsilon > 0):
            raise ValueError(f"epsilon must be a positive number, got {self.epsilon!r}")
        bad = [l for l in self.layers if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 1]
        if bad:
            raise ValueError(f"batch normalisation layers are l = 1, 2, ...; got {bad[0]!r}")

    def check(self, params: dict, L: int) -> None:
        """Refuse the output layer and layers without their gamma and beta."""
        for l in self.layers:
            if l >= L:
                raise ValueError(f"batch normalisation covers hidden layers 1..{L - 1}; got layer {l} of {L}")
            for name in (f"gamma{l}", f"beta{l}"):
                if name not in params:
                    raise KeyError(f"batch normalisation of layer {l} needs params[{name!r}], shape (n[{l}], 1)")
