"""A 784-10-10 digit classifier in the module interface's shape (forward_prop(params, X), backward_prop(params,
cache, X, Y)) but without its LAYERS, ACTIVATIONS and LOSS constants, and a backward pass that one-hot encodes
integer labels itself; correct."""

import numpy as np

layers_dims = [784, 10, 10]


def relu(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def one_hot(Y):
    encoded = np.zeros((Y.max() + 1, Y.size))
    encoded[Y, np.arange(Y.size)] = 1
    return encoded


def forward_prop(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward_prop(params, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - one_hot(Y)
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = params["W2"].T @ dZ2 * (cache["Z1"] > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_params(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads["d" + key] for key in params}
