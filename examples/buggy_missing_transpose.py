"""The correct network with one classic slip: W2 instead of W2.T in the backward pass. W2 is 10 x 10 here, so
the shapes fit and nothing crashes: only the numbers are wrong.

python -m parity check examples/buggy_missing_transpose.py   ->  first divergence dA1 at step 0
"""

import numpy as np
from correct import ACTIVATIONS, LAYERS, LOSS, compute_cost, forward_prop, relu_derivative, update_params  # noqa: F401


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = params["W2"] @ dZ2  # the bug: W2.T
    dZ1 = dA1 * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dA1": dA1}
