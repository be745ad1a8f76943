"""Dropout masks drawn the wrong way round: ``rng.random(A1.shape) > keep_prob`` keeps a unit with probability
1 - keep_prob. Given the same masks the reference computes the same A, so only the masks' keep rate shows it."""
import numpy as np


def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    cross_entropy = -np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m
    weights = [parameters["W" + str(l)] for l in (1, 2, 3)]
    return cross_entropy + lambd / (2 * m) * sum(np.sum(np.square(W)) for W in weights)


def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = np.dot(dZ3, A2.T) / m + lambd / m * W3
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = dA2 * (A2 > 0)
    dW2 = np.dot(dZ2, A1.T) / m + lambd / m * W2
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = dA1 * (A1 > 0)
    dW1 = np.dot(dZ1, X.T) / m + lambd / m * W1
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    rng = np.random.default_rng(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    D1 = (rng.random(A1.shape) > keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    D2 = (rng.random(A2.shape) > keep_prob).astype(int)
    A2 = A2 * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = dZ3.sum(axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3 * D2 / keep_prob
    dZ2 = dA2 * (A2 > 0)
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2 * D1 / keep_prob
    dZ1 = dA1 * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
