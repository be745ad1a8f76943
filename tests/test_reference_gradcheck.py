"""Backpropagation equals central finite differences for every activation, loss and depth (float64)."""

import zlib
from dataclasses import replace

import numpy as np
import pytest

import reference
from parity.tolerance import GRADCHECK_MAX_RELATIVE_ERROR, GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu(0.1)", "softmax", "linear"]
# Output activations that produce valid inputs for each loss: cross-entropies need probabilities.
OUTPUTS = {
    "binary_crossentropy": ["sigmoid", "softmax"],
    "categorical_crossentropy": ["softmax", "sigmoid"],
    "mse": ["sigmoid", "tanh", "relu", "leaky_relu(0.1)", "softmax", "linear"],
}


def _cases():
    for loss, outputs in OUTPUTS.items():
        for output in outputs:
            yield pytest.param(1, None, output, loss, id=f"depth1-{output}-{loss}")
            for depth in (2, 3, 4):
                for hidden in HIDDEN:
                    yield pytest.param(depth, hidden, output, loss, id=f"depth{depth}-{hidden}-{output}-{loss}")


def make_data(n_x: int, n_y: int, m: int, loss: str, seed: int):
    """Inputs and valid targets for ``loss``: 0/1 labels, one-hot columns, or real values."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if loss == "binary_crossentropy":
        Y = rng.integers(0, 2, (n_y, m)).astype(np.float64)
    elif loss == "categorical_crossentropy":
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    else:
        Y = rng.standard_normal((n_y, m))
    return X, Y


@pytest.mark.parametrize("depth, hidden, output, loss", list(_cases()))
def test_backprop_matches_finite_differences(depth, hidden, output, loss, request):
    seed = zlib.crc32(request.node.callspec.id.encode())
    layer_dims = [3] + [4] * (depth - 1) + [3]
    params = reference.init_params(layer_dims, "xavier", seed=seed)
    # Non-zero biases, so that every term of db and every broadcast is exercised.
    rng = np.random.default_rng(seed + 1)
    params = {k: (v + 0.1 * rng.standard_normal(v.shape) if k[0] == "b" else v) for k, v in params.items()}
    X, Y = make_data(3, 3, 5, loss, seed)
    activations = [hidden] * (depth - 1) + [output]
    error = reference.gradient_check(params, X, Y, activations, loss)
    assert error < GRADCHECK_MAX_RELATIVE_ERROR, f"relative error {error:.3e} for {activations} with {loss}"


def test_gradient_check_catches_a_wrong_derivative(monkeypatch):
    """The arbiter itself can fail: plant tanh' = 1 - Z^2 (the classic slip) and the error is far above 1e-7."""
    import reference.activations as activations

    def wrong_tanh_backward(dA, Z):
        return dA * (1 - Z * Z)

    wrong = replace(activations.ACTIVATIONS["tanh"], backward=wrong_tanh_backward)
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    X, Y = make_data(3, 1, 5, "binary_crossentropy", 0)
    params = reference.init_params([3, 4, 1], "xavier", seed=0)
    error = reference.gradient_check(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy")
    assert error > GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR
