"""The correct network with one classic slip: ReLU'(0) taken as 1 (Z >= 0 instead of Z > 0).

python -m parity check examples/buggy_relu_prime_at_zero.py   ->  first divergence dZ1 at step 0
"""

import numpy as np
from correct import ACTIVATIONS, LAYERS, LOSS, compute_cost, forward_prop, update_params  # noqa: F401


def relu_derivative(Z):
    return Z >= 0  # the bug: frameworks take the derivative at exactly 0 as 0


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (params["W2"].T @ dZ2) * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dZ1": dZ1}
