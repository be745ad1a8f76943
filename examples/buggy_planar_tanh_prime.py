"""The course's 2-4-1 planar classifier (tanh hidden layer, sigmoid output) with one classic slip: the tanh
derivative written with Z instead of A.

python -m parity check examples/buggy_planar_tanh_prime.py   ->  first divergence dW1 at step 0
"""

import numpy as np

LAYERS = [2, 4, 1]
ACTIVATIONS = ["tanh", "sigmoid"]
LOSS = "binary_crossentropy"


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def forward_prop(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": sigmoid(Z2)}


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (params["W2"].T @ dZ2) * (1 - cache["Z1"] ** 2)  # the bug: tanh'(Z) is 1 - A1**2, not 1 - Z1**2
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_params(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads["d" + key] for key in params}
