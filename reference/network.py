"""Forward and backward propagation through L dense layers, samples as columns.

Forward, for l = 1..L (A[0] = X of shape (n_x, m)):
    Z[l] = W[l] A[l-1] + b[l]              (n[l], m); b[l] (n[l], 1) broadcast over the m columns
    A[l] = g[l](Z[l])
Backward, for l = L..1, from the per-example dA[L] (see ``reference.losses``):
    dZ[l]   = dA[l] * g[l]'(Z[l])          per example, no 1/m here
    dW[l]   = (1/m) dZ[l] A[l-1]^T         (n[l], n[l-1]); the mean over the batch lives here...
    db[l]   = (1/m) sum_columns dZ[l]      (n[l], 1)      ...and here
    dA[l-1] = W[l]^T dZ[l]                 (n[l-1], m)
At the output, sigmoid + BCE and softmax + CCE use the fused dZ[L] (AL - Y, see ``losses.output_gradient``).
With dropout (``dropout=Dropout(keep_prob, masks)``, reference/dropout.py), a hidden layer's A[l] is the dropped
g[l](Z[l]) * D[l] / keep_prob, and its dZ[l] = (dA[l] * D[l] / keep_prob) * g[l]'(Z[l]). With batch normalisation
(``batchnorm=BatchNorm(layers, epsilon)``, reference/batchnorm.py), a hidden layer's A[l] = g[l](Z_tilde[l]),
Z_tilde[l] = gamma[l] Z_norm[l] + beta[l], and dZ[l] comes from dZ_tilde[l] = dA[l] * g[l]'(Z_tilde[l]) through
the normalisation's backward pass.

An autograd framework's Z.grad is dZ/m and its weight.grad is dW itself: the 1/m is in both, applied early
by autograd (in the mean of the loss) and late here.

Hand-worked example, one linear unit, W = [[2]], b = [[1]], X = [[1, 3]]: Z = [[3, 7]]. With dZ = [[1, 1]]:
dW = (1/2)(1*1 + 1*3) = [[2]], db = (1/2)(1 + 1) = [[1]], dA[0] = [[2, 2]].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from reference import losses
from reference._validate import as_array, float_dtype_of
from reference.activations import get_activation
from reference.batchnorm import BatchNorm, BatchNormCache, batchnorm_backward, batchnorm_forward
from reference.dropout import Dropout, dropout_backward, dropout_forward


@dataclass
class LayerCache:
    """What layer l's backward pass needs: its input A[l-1], its parameters W[l], b[l], and Z[l]; with batch
    normalisation, Z_tilde[l] (what g[l] was applied to) and the normalisation's own cache."""

    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    Z_tilde: np.ndarray | None = None
    bn: BatchNormCache | None = None


def layer_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """(A, Z) with Z = W A_prev + b and A = g(Z)."""
    g = get_activation(activation)
    _check_layer(A_prev, W, b, "A_prev", "W", "b")
    return _layer_forward(A_prev, W, b, g)


def _layer_forward(A_prev, W, b, g) -> tuple[np.ndarray, np.ndarray]:
    Z = W @ A_prev
    Z += b  # Z = W A_prev + b, adding b in place: one pass less over an (n[l], m) array
    return g.forward(Z), Z


def linear_backward(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray | None):
    """(dA_prev, dW, db) from dZ: dW = (1/m) dZ A_prev^T, db = (1/m) sum_columns dZ, dA_prev = W^T dZ.

    With ``W=None`` dA_prev is skipped (returned as None): training never needs dA[0], the gradient with respect
    to the inputs, and for a wide input layer it is a third of the backward pass's work.
    """
    m = A_prev.shape[1]
    dW = _outer_sum(dZ, A_prev) / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = None if W is None else W.T @ dZ
    return dA_prev, dW, db


def _outer_sum(dZ: np.ndarray, A_prev: np.ndarray) -> np.ndarray:
    """dZ A_prev^T, the sum over the m columns of dZ[:, i] A_prev[:, i]^T, in the memory order its BLAS runs
    fastest: OpenBLAS's single-precision kernel takes the transposed product (A_prev dZ^T)^T about 8% faster
    over a whole 784-128-10 step (m = 1024 and 10000, 2 cores, SkylakeX kernel), its double-precision kernel the
    direct one (5-8% slower transposed); the same sums, as a view in Fortran order where transposed."""
    if dZ.dtype == np.float32:
        return (A_prev @ dZ.T).T
    return dZ @ A_prev.T


def layer_backward(dA: np.ndarray, A_prev: np.ndarray, W: np.ndarray, Z: np.ndarray, activation: str):
    """(dA_prev, dW, db) for one layer: dZ = dA * g'(Z), then ``linear_backward``."""
    g = get_activation(activation)
    if dA.shape != Z.shape:
        raise ValueError(f"dA has shape {dA.shape} but Z has shape {Z.shape}; they must match")
    if A_prev.ndim != 2 or W.ndim != 2 or W.shape != (Z.shape[0], A_prev.shape[0]) or A_prev.shape[1] != Z.shape[1]:
        raise ValueError(
            f"shapes do not fit Z = W A_prev + b: W {W.shape}, A_prev {A_prev.shape}, Z {Z.shape}"
        )
    return linear_backward(g.backward(dA, Z), A_prev, W)


def num_layers(params: dict) -> int:
    """L, checked: W1..WL and b1..bL all present with chained shapes, one float dtype."""
    numbers = sorted(int(key[1:]) for key in params if re.fullmatch(r"W[1-9][0-9]*", key))
    if not numbers:
        raise KeyError(f"params has no weights: expected keys 'W1', 'b1', ...; got {sorted(params)}")
    L = numbers[-1]
    for l in range(1, L + 1):
        for key in (f"W{l}", f"b{l}"):
            if key not in params:
                raise KeyError(f"missing parameter {key!r}: a {L}-layer network needs W1..W{L} and b1..b{L}")
    float_dtype_of({key: params[key] for key in _param_keys(L)})
    for l in range(1, L + 1):
        W, b = np.asarray(params[f"W{l}"]), np.asarray(params[f"b{l}"])
        if W.ndim != 2:
            raise ValueError(f"W{l} must be 2-D (n[{l}], n[{l - 1}]), got shape {W.shape}")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"b{l} must have shape {(W.shape[0], 1)} to match W{l} {W.shape}, got {b.shape}")
        if l > 1 and W.shape[1] != params[f"W{l - 1}"].shape[0]:
            raise ValueError(
                f"W{l} has shape {W.shape}: its {W.shape[1]} columns must equal the "
                f"{params[f'W{l - 1}'].shape[0]} units of layer {l - 1} (W{l - 1} {params[f'W{l - 1}'].shape})"
            )
    return L


def _param_keys(L: int) -> list[str]:
    return [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]


def check_network(params: dict, X, activations) -> tuple[int, np.ndarray]:
    """Validate a whole network call; return L and X as an array of the parameters' dtype."""
    L = num_layers(params)
    if isinstance(activations, str) or not hasattr(activations, "__len__"):
        raise TypeError(f"activations must be a list with one name per layer, got {activations!r}")
    if len(activations) != L:
        raise ValueError(
            f"activations has {len(activations)} names {list(activations)} but the parameters define "
            f"{L} layers (W1..W{L}); give one activation per layer"
        )
    for name in activations:
        get_activation(name)
    X = as_array("X", X, params["W1"].dtype)
    if X.shape[0] != params["W1"].shape[1]:
        hint = " (samples are columns: did you pass X.T?)" if X.shape[1] == params["W1"].shape[1] else ""
        raise ValueError(
            f"X has {X.shape[0]} rows (features) but W1 {params['W1'].shape} expects {params['W1'].shape[1]}{hint}"
        )
    return L, X


def forward(params: dict, X, activations, *, dropout: Dropout | None = None,
            batchnorm: BatchNorm | None = None) -> tuple[np.ndarray, list[LayerCache]]:
    """(AL, caches): A[L] and one ``LayerCache`` per layer, l = 1..L; ``dropout`` drops hidden layers' A[l],
    ``batchnorm`` normalises hidden layers' Z[l] (training mode: the batch's statistics)."""
    L, X = check_network(params, X, activations)
    if dropout is not None:
        dropout.check(L)
    if batchnorm is not None:
        batchnorm.check(params, L)
    return propagate(params, X, activations, dropout=dropout, batchnorm=batchnorm)


def propagate(params: dict, X: np.ndarray, activations, *, dropout: Dropout | None = None,
              batchnorm: BatchNorm | None = None) -> tuple[np.ndarray, list[LayerCache]]:
    """``forward`` without its checks, for loops that have checked their inputs once."""
    A, caches = X, []
    for l, name in enumerate(activations, start=1):
        W, b, A_prev = params[f"W{l}"], params[f"b{l}"], A
        if batchnorm is not None and l in batchnorm.layers:
            Z = W @ A_prev + b
            Z_tilde, bn = batchnorm_forward(Z, params[f"gamma{l}"], params[f"beta{l}"], batchnorm.epsilon)
            A = get_activation(name).forward(Z_tilde)
            cache = LayerCache(A_prev, W, b, Z, Z_tilde, bn)
        else:
            A, Z = _layer_forward(A_prev, W, b, get_activation(name))
            cache = LayerCache(A_prev, W, b, Z)
        if dropout is not None and l in dropout.masks:
            A = dropout_forward(A, dropout.masks[l], dropout.keep_prob)
        caches.append(cache)
    return A, caches


def backward(AL: np.ndarray, Y, caches: list[LayerCache], activations, loss: str, *, dAL=None,
             input_gradient: bool = True, dropout: Dropout | None = None) -> dict[str, np.ndarray]:
    """Gradients {"dZ{l}", "dW{l}", "dA{l-1}", "db{l}"} for l = L..1.

    dZ[L] is the fused output gradient when the output activation and loss have one (``losses.output_gradient``),
    otherwise dA[L] = ``loss_gradient`` pushed through g[L]'. A given ``dAL`` (per example, shape of AL) is
    pushed through g[L]' instead: the way to backpropagate a loss of your own, or a framework's guarded one.
    ``input_gradient=False`` leaves out dA0, which a training step does not need. ``dropout``: the same masks
    as the forward pass (reference/dropout.py), so each dropped unit sends no gradient back through g'. A layer
    whose cache holds a batch normalisation also gets "dZ_tilde{l}", "dgamma{l}" and "dbeta{l}".
    """
    L = len(caches)
    if len(activations) != L:
        raise ValueError(f"activations has {len(activations)} names but caches hold {L} layers")
    AL, Y = losses.validate(AL, Y, loss)
    if dAL is not None and np.shape(dAL) != np.shape(AL):
        raise ValueError(f"dAL has shape {np.shape(dAL)} but AL has shape {np.shape(AL)}")
    if dropout is not None:
        dropout.check(L)
    return backpropagate(AL, Y, caches, activations, loss, dAL=dAL, input_gradient=input_gradient, dropout=dropout)


def backpropagate(AL, Y, caches, activations, loss: str, *, dAL=None, input_gradient: bool = True,
                  dropout: Dropout | None = None) -> dict:
    """``backward`` without its checks, for loops that have checked their inputs once."""
    L = len(caches)
    output = get_activation(activations[-1])
    fused = losses.FUSED_OUTPUT_GRADIENTS.get((output.name, loss))
    if dAL is None and fused is not None:
        dZ = fused(AL, Y)
    else:
        dZ = output.backward(losses.LOSSES[loss].gradient(AL, Y) if dAL is None else dAL, caches[-1].Z)
    grads = {}
    for l in range(L, 0, -1):
        cache = caches[l - 1]
        if l < L:
            dA = grads[f"dA{l}"]
            if dropout is not None and l in dropout.masks:
                dA = dropout_backward(dA, dropout.masks[l], dropout.keep_prob)
            if cache.bn is not None:
                dZ_tilde = get_activation(activations[l - 1]).backward(dA, cache.Z_tilde)
                grads[f"dZ_tilde{l}"] = dZ_tilde
                dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm_backward(dZ_tilde, cache.bn)
            else:
                dZ = get_activation(activations[l - 1]).backward(dA, cache.Z)
        grads[f"dZ{l}"] = dZ
        W = cache.W if (l > 1 or input_gradient) else None
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, cache.A_prev, W)
        if dA_prev is not None:
            grads[f"dA{l - 1}"] = dA_prev
    return grads


def _check_layer(A_prev, W, b, name_A, name_W, name_b) -> None:
    A_prev, W, b = np.asarray(A_prev), np.asarray(W), np.asarray(b)
    if W.ndim != 2 or A_prev.ndim != 2:
        raise ValueError(f"{name_W} and {name_A} must be 2-D, got shapes {W.shape} and {A_prev.shape}")
    if W.shape[1] != A_prev.shape[0]:
        raise ValueError(
            f"{name_W} has shape {W.shape}: its {W.shape[1]} columns must equal the {A_prev.shape[0]} rows of "
            f"{name_A} {A_prev.shape}"
        )
    if b.shape != (W.shape[0], 1):
        raise ValueError(f"{name_b} must have shape {(W.shape[0], 1)} to match {name_W} {W.shape}, got {b.shape}")
    if not A_prev.dtype == W.dtype == b.dtype:
        raise TypeError(
            f"{name_A}, {name_W} and {name_b} must share one dtype, got {A_prev.dtype}, {W.dtype} and {b.dtype}"
        )
