"""The correct network with one classic slip: 1/m applied in dZ and again in dW and db.

python -m parity check examples/buggy_one_over_m_twice.py   ->  first divergence dZ2 at step 0
"""

import numpy as np
from correct import ACTIVATIONS, LAYERS, LOSS, compute_cost, forward_prop, relu_derivative, update_params  # noqa: F401


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = (cache["A2"] - Y) / m  # the bug: dZ is per example; the 1/m belongs only in dW and db
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (params["W2"].T @ dZ2) * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dZ2": dZ2, "dZ1": dZ1}
