"""A from-scratch 784-10-10 digit classifier in the course's style, written correctly.

Check it with:  python -m parity check examples/correct.py
"""

import numpy as np

LAYERS = [784, 10, 10]
ACTIVATIONS = ["relu", "softmax"]
LOSS = "categorical_crossentropy"


def relu(Z):
    return np.maximum(Z, 0)


def relu_derivative(Z):
    return Z > 0


def softmax(Z):
    exps = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return exps / np.sum(exps, axis=0, keepdims=True)


def forward_prop(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(AL, Y):
    m = Y.shape[1]
    return -np.sum(Y * np.log(AL)) / m


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = params["W2"].T @ dZ2
    dZ1 = dA1 * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dZ2": dZ2, "dA1": dA1}


def update_params(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads["d" + key] for key in params}
