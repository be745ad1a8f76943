"""Tiny networks worked by hand: every expected number is derived in the comments, not pasted from a run."""

import math

import numpy as np
import pytest

import reference
from parity.tolerance import KNOWN_ANSWER_ULPS, ulps

KNOWN = ulps(np.float64, KNOWN_ANSWER_ULPS)


@pytest.fixture
def relu_linear_network():
    """1 input, 2 ReLU units, 1 linear output, m = 2 samples.

    X = [[1, -1]], W1 = [[1], [-2]], b1 = [[0], [1]], W2 = [[1, 1]], b2 = [[-1]], Y = [[1, 1]], loss MSE.
    """
    params = {
        "W1": np.array([[1.0], [-2.0]]),
        "b1": np.array([[0.0], [1.0]]),
        "W2": np.array([[1.0, 1.0]]),
        "b2": np.array([[-1.0]]),
    }
    return params, np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]]), ["relu", "linear"]


def test_forward_by_hand(relu_linear_network):
    params, X, Y, activations = relu_linear_network
    AL, caches = reference.forward(params, X, activations)
    # Z1 = W1 X + b1: sample 1 (x = 1): [1*1 + 0, -2*1 + 1] = [1, -1]; sample 2 (x = -1): [-1, 2 + 1] = [-1, 3]
    np.testing.assert_array_equal(caches[0].Z, [[1, -1], [-1, 3]])
    # A1 = relu(Z1) zeroes the negatives; it is layer 2's A_prev
    np.testing.assert_array_equal(caches[1].A_prev, [[1, 0], [0, 3]])
    # Z2 = W2 A1 + b2 = [1 + 0 - 1, 0 + 3 - 1] = [0, 2]; linear, so A2 = Z2
    np.testing.assert_array_equal(AL, [[0, 2]])
    # J = mean((0 - 1)^2, (2 - 1)^2) = (1 + 1) / 2 = 1
    assert reference.cost(AL, Y, "mse") == 1.0


def test_backward_by_hand(relu_linear_network):
    params, X, Y, activations = relu_linear_network
    AL, caches = reference.forward(params, X, activations)
    grads = reference.backward(AL, Y, caches, activations, "mse")
    # dA2 = 2 (A2 - Y) / n[L] = 2 [-1, 1] / 1 = [-2, 2]; linear, so dZ2 = dA2 (per example: no 1/m yet)
    np.testing.assert_array_equal(grads["dZ2"], [[-2, 2]])
    # dW2 = (1/m) dZ2 A1^T = (1/2) [-2*1 + 2*0, -2*0 + 2*3] = [-1, 3];  db2 = (1/2)(-2 + 2) = 0
    np.testing.assert_array_equal(grads["dW2"], [[-1, 3]])
    np.testing.assert_array_equal(grads["db2"], [[0]])
    # dA1 = W2^T dZ2 = [[1], [1]] [[-2, 2]] = [[-2, 2], [-2, 2]]
    np.testing.assert_array_equal(grads["dA1"], [[-2, 2], [-2, 2]])
    # dZ1 = dA1 * [Z1 > 0], with Z1 > 0 only at (0, 0) and (1, 1): [[-2, 0], [0, 2]]
    np.testing.assert_array_equal(grads["dZ1"], [[-2, 0], [0, 2]])
    # dW1 = (1/2) dZ1 X^T = (1/2) [[-2*1 + 0*(-1)], [0*1 + 2*(-1)]] = [[-1], [-1]];  db1 = (1/2) [[-2], [2]]
    np.testing.assert_array_equal(grads["dW1"], [[-1], [-1]])
    np.testing.assert_array_equal(grads["db1"], [[-1], [1]])
    # dA0 = W1^T dZ1 = [[1, -2]] [[-2, 0], [0, 2]] = [[-2, -4]]
    np.testing.assert_array_equal(grads["dA0"], [[-2, -4]])


def test_sgd_update_by_hand(relu_linear_network):
    params, X, Y, activations = relu_linear_network
    AL, caches = reference.forward(params, X, activations)
    grads = reference.backward(AL, Y, caches, activations, "mse")
    new = reference.update(params, grads, reference.SGD(0.5))
    # P - 0.5 dP: W1 = [[1 + 0.5], [-2 + 0.5]], b1 = [[0 + 0.5], [1 - 0.5]], W2 = [[1 + 0.5, 1 - 1.5]], b2 = -1
    np.testing.assert_array_equal(new["W1"], [[1.5], [-1.5]])
    np.testing.assert_array_equal(new["b1"], [[0.5], [0.5]])
    np.testing.assert_array_equal(new["W2"], [[1.5, -0.5]])
    np.testing.assert_array_equal(new["b2"], [[-1.0]])


def test_sigmoid_bce_at_zero_by_hand():
    """One sigmoid unit with W = 0, b = 0: Z = 0 for every sample, so A = 1/2."""
    params = {"W1": np.array([[0.0]]), "b1": np.array([[0.0]])}
    X, Y = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]])
    AL, caches = reference.forward(params, X, ["sigmoid"])
    np.testing.assert_array_equal(AL, [[0.5, 0.5]])
    # J = -(log 1/2 + log 1/2) / 2 = log 2
    assert reference.cost(AL, Y, "binary_crossentropy") == pytest.approx(math.log(2), rel=KNOWN)
    grads = reference.backward(AL, Y, caches, ["sigmoid"], "binary_crossentropy")
    # fused dZ = A - Y = [-1/2, 1/2]; dW = (1/2)(-1/2 * 1 + 1/2 * 2) = 1/4; db = (1/2)(-1/2 + 1/2) = 0
    np.testing.assert_array_equal(grads["dZ1"], [[-0.5, 0.5]])
    np.testing.assert_array_equal(grads["dW1"], [[0.25]])
    np.testing.assert_array_equal(grads["db1"], [[0.0]])


def test_softmax_cce_by_hand():
    """Z = [0, ln 3] gives exp(Z) = [1, 3], so A = [1/4, 3/4]; with Y = [0, 1], J = -log(3/4), dZ = A - Y."""
    Z = np.array([[0.0], [math.log(3)]])
    A = reference.get_activation("softmax").forward(Z)
    np.testing.assert_allclose(A, [[0.25], [0.75]], rtol=KNOWN)
    Y = np.array([[0.0], [1.0]])
    assert reference.cost(A, Y, "categorical_crossentropy") == pytest.approx(-math.log(0.75), rel=KNOWN)
    np.testing.assert_allclose(reference.output_gradient(A, Y, "categorical_crossentropy", "softmax"),
                               [[0.25], [-0.25]], rtol=KNOWN)


def test_bce_cost_and_gradient_by_hand():
    """AL = [0.5, 0.8], Y = [1, 1]: J = -(log 0.5 + log 0.8)/2; dAL = (AL - Y)/(AL (1 - AL)) = [-2, -1.25]."""
    AL, Y = np.array([[0.5, 0.8]]), np.array([[1.0, 1.0]])
    expected = -(math.log(0.5) + math.log(0.8)) / 2
    assert reference.cost(AL, Y, "binary_crossentropy") == pytest.approx(expected, rel=KNOWN)
    np.testing.assert_allclose(reference.loss_gradient(AL, Y, "binary_crossentropy"), [[-2, -1.25]], rtol=KNOWN)


def test_activation_derivatives_at_zero():
    """ReLU'(0) = 0 and leaky ReLU'(0) = slope, as the torch and TensorFlow kernels; tanh'(0) = 1, sigmoid'(0) = 1/4."""
    Z = np.array([[-1.0], [0.0], [2.0]])
    ones = np.ones_like(Z)
    np.testing.assert_array_equal(reference.get_activation("relu").backward(ones, Z), [[0], [0], [1]])
    leaky = reference.get_activation("leaky_relu(0.1)")
    np.testing.assert_array_equal(leaky.forward(Z), [[-0.1], [0], [2]])
    np.testing.assert_array_equal(leaky.backward(ones, Z), [[0.1], [0.1], [1]])
    assert reference.get_activation("leaky_relu").slope == 0.01
    zero = np.zeros((1, 1))
    assert reference.get_activation("tanh").backward(np.ones((1, 1)), zero)[0, 0] == 1.0
    assert reference.get_activation("sigmoid").backward(np.ones((1, 1)), zero)[0, 0] == 0.25


def test_layer_functions_match_the_network():
    """layer_forward / layer_backward are the building blocks forward / backward use, step for step: the same
    numbers, bit for bit, as the whole-network functions give for a one-layer network."""
    params = reference.init_params([3, 2], seed=4)
    X = np.random.default_rng(4).standard_normal((3, 6))
    A, Z = reference.layer_forward(X, params["W1"], params["b1"], "tanh")
    AL, caches = reference.forward(params, X, ["tanh"])
    np.testing.assert_array_equal(A, AL)
    np.testing.assert_array_equal(Z, caches[0].Z)
    dA = np.random.default_rng(5).standard_normal(A.shape)
    dA_prev, dW, db = reference.layer_backward(dA, X, params["W1"], Z, "tanh")
    grads = reference.backward(AL, np.zeros_like(AL), caches, ["tanh"], "mse", dAL=dA)
    np.testing.assert_array_equal(dW, grads["dW1"])
    np.testing.assert_array_equal(db, grads["db1"])
    np.testing.assert_array_equal(dA_prev, grads["dA0"])


def test_layer_backward_of_a_tanh_layer_by_hand():
    """One tanh unit, W = [[ln 2]], b = [[0]], X = [[1, -1]], m = 2, with dA = [[1, -1]] coming from above.

    Z = [[ln 2, -ln 2]]; tanh(ln 2) = (4 - 1) / (4 + 1) = 3/5, so A = [[3/5, -3/5]] and tanh'(Z) = 1 - 9/25 = 16/25.
    dZ = dA * tanh'(Z) = [[16/25, -16/25]];  dW = (1/2)(16/25 * 1 + (-16/25)(-1)) = 16/25;
    db = (1/2)(16/25 - 16/25) = 0;  dA_prev = W^T dZ = [[16/25 ln 2, -16/25 ln 2]].
    """
    W, b, X = np.array([[math.log(2)]]), np.array([[0.0]]), np.array([[1.0, -1.0]])
    A, Z = reference.layer_forward(X, W, b, "tanh")
    np.testing.assert_allclose(A, [[0.6, -0.6]], rtol=KNOWN)
    dA_prev, dW, db = reference.layer_backward(np.array([[1.0, -1.0]]), X, W, Z, "tanh")
    np.testing.assert_allclose(dW, [[0.64]], rtol=KNOWN)
    np.testing.assert_array_equal(db, [[0.0]])  # tanh is odd, so the two columns cancel exactly
    np.testing.assert_allclose(dA_prev, [[0.64 * math.log(2), -0.64 * math.log(2)]], rtol=KNOWN)
