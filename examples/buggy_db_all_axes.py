"""The correct network with one classic slip: db summed over every element of dZ instead of per unit.

python -m parity check examples/buggy_db_all_axes.py   ->  first divergence db2 at step 0
"""

import numpy as np
from correct import ACTIVATIONS, LAYERS, LOSS, compute_cost, forward_prop, relu_derivative, update_params  # noqa: F401


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2) / m  # the bug: one number for all units (axis=1, keepdims=True is missing)
    dZ1 = (params["W2"].T @ dZ2) * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
