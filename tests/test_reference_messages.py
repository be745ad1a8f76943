"""Every refusal of the reference, with its exact message: the user reads these words, so they are part of the API
(and pinning them lets mutation testing tell a changed message from an equivalent one)."""

import numpy as np
import pytest

import reference

PARAMS = {"W1": np.ones((3, 2)), "b1": np.zeros((3, 1)), "W2": np.ones((1, 3)), "b2": np.zeros((1, 1))}
X = np.ones((2, 5))
ACTS = ["tanh", "sigmoid"]


def message(error_type, function, *args, **kwargs) -> str:
    with pytest.raises(error_type) as raised:
        function(*args, **kwargs)
    return raised.value.args[0]


def test_parameter_messages():
    assert message(KeyError, reference.forward, {"b1": np.zeros((3, 1))}, X, ACTS) == (
        "params has no weights: expected keys 'W1', 'b1', ...; got ['b1']")
    assert message(KeyError, reference.forward, {k: v for k, v in PARAMS.items() if k != "b1"}, X, ACTS) == (
        "missing parameter 'b1': a 2-layer network needs W1..W2 and b1..b2")
    assert message(ValueError, reference.forward, {**PARAMS, "W1": np.ones(3)}, X, ACTS) == (
        "W1 must be 2-D (n[1], n[0]), got shape (3,)")
    assert message(ValueError, reference.forward, {**PARAMS, "W2": np.ones((1, 4))}, X, ACTS) == (
        "W2 has shape (1, 4): its 4 columns must equal the 3 units of layer 1 (W1 (3, 2))")
    assert message(TypeError, reference.forward, {k: v.astype(np.int64) for k, v in PARAMS.items()}, X, ACTS) == (
        "parameters must be float32 or float64 arrays, got int64")


def test_input_messages():
    assert message(TypeError, reference.forward, PARAMS, X, 5) == (
        "activations must be a list with one name per layer, got 5")
    assert message(ValueError, reference.forward, PARAMS, np.ones(5), ACTS) == (
        "X must be 2-D with samples as columns, got shape (5,) (samples are columns: reshape a label vector with "
        ".reshape(1, -1))")
    assert message(ValueError, reference.forward, PARAMS, np.ones((2, 5, 1)), ACTS) == (
        "X must be 2-D with samples as columns, got shape (2, 5, 1)")
    assert message(ValueError, reference.forward, PARAMS, np.ones((3, 5)), ACTS) == (
        "X has 3 rows (features) but W1 (3, 2) expects 2")
    assert message(ValueError, reference.forward, PARAMS, np.ones((5, 2)), ACTS) == (
        "X has 5 rows (features) but W1 (3, 2) expects 2 (samples are columns: did you pass X.T?)")
    assert message(TypeError, reference.cost, np.full((1, 2), 0.5), np.array([["a", "b"]]), "mse") == (
        "Y must be a numeric array, got dtype <U1")
    assert message(TypeError, reference.cost, np.ones((1, 2), dtype=np.int64), np.ones((1, 2)), "mse") == (
        "AL must be a float32 or float64 array, got int64")


def test_label_shape_messages():
    AL = np.full((1, 4), 0.5)
    assert message(ValueError, reference.cost, AL, np.zeros(4), "mse") == (
        "Y has shape (4,) but AL has shape (1, 4); a 1-D label vector of shape (m,) must be given as a row: "
        "Y.reshape(1, -1)")
    assert message(ValueError, reference.cost, np.full((2, 4), 0.5), np.zeros((4, 2)), "mse") == (
        "Y has shape (4, 2) but AL has shape (2, 4); Y looks transposed: samples are columns, so both are (n[L], m)")
    assert message(ValueError, reference.cost, AL, np.zeros((2, 4)), "mse") == (
        "Y has shape (2, 4) but AL has shape (1, 4)")
    params = reference.init_params([2, 1], "xavier")
    assert message(ValueError, reference.train, params, X, np.zeros(5), ["sigmoid"], "binary_crossentropy",
                   reference.SGD(0.1), 1) == (
        "Y has shape (5,) but the network's output AL will have shape (1, 5) (n[L], m); reshape a label vector "
        "with Y.reshape(1, -1)")


def test_loss_messages():
    assert message(ValueError, reference.cost, np.array([[1.5], [-0.5]]), np.array([[1.0], [0.0]]),
                   "categorical_crossentropy") == (
        "categorical_crossentropy needs probabilities, but AL has values from -0.5 to 1.5; use a softmax output layer")
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    Y[:, 1] = [1.5, -0.5, 0.0]  # sums to 1, but is no distribution
    assert message(ValueError, reference.cost, np.full((3, 4), 1 / 3), Y, "categorical_crossentropy") == (
        "categorical_crossentropy targets must be probability vectors (columns >= 0 summing to 1, e.g. one-hot); "
        "1 of 4 columns are not, first column 1 sums to 1.0 with minimum -0.5")


def test_target_sums_are_checked_to_a_few_ulps_per_class():
    """Tolerance 8 n eps on a column sum: 4 eps off passes with 3 classes, 100 eps off does not, whatever m."""
    eps = np.finfo(np.float64).eps
    Y = np.zeros((3, 1000))
    Y[0] = 0.5
    Y[1] = 0.5 + 4 * eps
    reference.cost(np.full((3, 1000), 1 / 3), Y, "categorical_crossentropy")
    Y[1] = 0.5 + 100 * eps
    with pytest.raises(ValueError, match="1000 of 1000 columns are not"):
        reference.cost(np.full((3, 1000), 1 / 3), Y, "categorical_crossentropy")


def test_backward_and_update_messages():
    AL, caches = reference.forward(PARAMS, X, ACTS)
    Y = np.zeros((1, 5))
    assert message(ValueError, reference.backward, AL, Y, caches, ["tanh"], "binary_crossentropy") == (
        "activations has 1 names but caches hold 2 layers")
    assert message(ValueError, reference.backward, AL, Y, caches, ACTS, "binary_crossentropy", dAL=np.ones((1, 4))) == (
        "dAL has shape (1, 4) but AL has shape (1, 5)")
    grads = reference.backward(AL, Y, caches, ACTS, "binary_crossentropy")
    assert message(TypeError, reference.update, PARAMS, grads, object()) == (
        "optimizer must be one of SGD, Momentum, Adam, RMSprop, got object")
    assert message(ValueError, reference.update, PARAMS, {**grads, "dW1": np.ones((2, 3))}, reference.SGD(0.1)) == (
        "dW1 has shape (2, 3) but W1 has shape (3, 2)")


def test_activation_and_initialisation_messages():
    assert message(TypeError, reference.get_activation, 3) == "an activation is named by a string, got int 3"
    assert message(ValueError, reference.get_activation, "leaky_relu(inf)") == (
        "leaky_relu slope must be finite, got inf in 'leaky_relu(inf)'")
    assert reference.get_activation("leaky_relu(0.2)").name == "leaky_relu"
    assert message(TypeError, reference.init_params, 5) == "layer_dims must be a list of layer sizes, got int"
    assert message(TypeError, reference.init_params, [2, 1], dtype="int32") == (
        "dtype must be float32 or float64, got int32")


def test_the_symmetry_warning_is_worded_for_the_learner_and_points_at_their_line():
    with pytest.warns(UserWarning) as record:
        reference.init_params([2, 1], "zeros")
    assert str(record[0].message) == (
        "zero initial weights make every unit of a layer compute the same thing and receive the same gradient, so "
        "they never differ (symmetry is never broken); use 'he' or 'xavier' to train")
    assert not record[0].filename.endswith("initialization.py")  # the caller's line, not the library's
