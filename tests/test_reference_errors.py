"""Bad input fails at the boundary with a message naming the problem and the offending shapes or values."""

import numpy as np
import pytest

import reference


@pytest.fixture
def net():
    params = reference.init_params([2, 3, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((2, 5))
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    return params, X, Y, ["tanh", "sigmoid"]


def test_x_rows_must_match_w1(net):
    params, X, Y, activations = net
    with pytest.raises(ValueError, match=r"X has 3 rows \(features\) but W1 \(3, 2\) expects 2"):
        reference.forward(params, np.ones((3, 5)), activations)


def test_transposed_x_gets_a_hint(net):
    params, X, Y, activations = net
    with pytest.raises(ValueError, match=r"did you pass X\.T\?"):
        reference.forward(params, X.T, activations)


def test_activations_list_must_have_one_name_per_layer(net):
    params, X, Y, _ = net
    with pytest.raises(ValueError, match=r"activations has 3 names .* define 2 layers \(W1\.\.W2\)"):
        reference.forward(params, X, ["relu", "relu", "sigmoid"])


def test_unknown_activation_lists_the_valid_names(net):
    params, X, Y, _ = net
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'; valid names: leaky_relu, linear, relu, "
                                         r"sigmoid, softmax, tanh"):
        reference.forward(params, X, ["relu6", "sigmoid"])


def test_bad_leaky_slope_is_named():
    with pytest.raises(ValueError, match=r"slope must be a number, got 'x'"):
        reference.get_activation("leaky_relu(x)")


def test_unknown_loss_lists_the_valid_names(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; valid names: binary_crossentropy, "
                                         r"categorical_crossentropy, mse"):
        reference.cost(AL, Y, "hinge")


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_nan_or_inf_in_x_is_refused(net, bad):
    params, X, Y, activations = net
    X = X.copy()
    X[1, 3] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf, first at index \(1, 3\)"):
        reference.forward(params, X, activations)


def test_nan_in_y_is_refused(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    Y = Y.copy()
    Y[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"Y contains NaN or inf, first at index \(0, 2\)"):
        reference.cost(AL, Y, "binary_crossentropy")


def test_missing_parameter_is_a_key_error_naming_it(net):
    params, X, Y, activations = net
    del params["b2"]
    with pytest.raises(KeyError, match=r"missing parameter 'b2'"):
        reference.forward(params, X, activations)


def test_misshapen_bias_is_named(net):
    params, X, Y, activations = net
    params["b1"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"b1 must have shape \(3, 1\) to match W1 \(3, 2\), got \(3,\)"):
        reference.forward(params, X, activations)


def test_y_of_another_shape_than_al_is_refused(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    with pytest.raises(ValueError, match=r"Y has shape \(2, 5\) but AL has shape \(1, 5\)"):
        reference.cost(AL, np.zeros((2, 5)), "mse")


def test_one_dimensional_labels_get_the_reshape_hint(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    with pytest.raises(ValueError, match=r"Y has shape \(5,\) but AL has shape \(1, 5\).*Y\.reshape\(1, -1\)"):
        reference.backward(AL, Y.ravel(), reference.forward(params, X, activations)[1], activations,
                           "binary_crossentropy")


def test_one_dimensional_labels_are_refused_by_train(net):
    params, X, Y, activations = net
    with pytest.raises(ValueError, match=r"Y has shape \(5,\) .* \(1, 5\).*Y\.reshape\(1, -1\)"):
        reference.train(params, X, Y.ravel(), activations, "binary_crossentropy", reference.SGD(0.1), 1)


def test_bce_labels_must_lie_in_the_unit_interval(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\], got values from -1.0 to 1.0"):
        reference.cost(AL, 2 * Y - 1, "binary_crossentropy")


def test_cce_targets_must_be_probability_vectors():
    AL = np.full((3, 4), 1 / 3)
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    Y[:, 2] = [0.5, 0.7, 0.0]
    with pytest.raises(ValueError, match=r"1 of 4 columns are not, first column 2 sums to 1\.2"):
        reference.cost(AL, Y, "categorical_crossentropy")


def test_cross_entropy_needs_probabilities_from_the_output_layer():
    with pytest.raises(ValueError, match=r"needs probabilities, but AL has values from -0\.5 to 2\.0; use a sigmoid"):
        reference.cost(np.array([[-0.5, 2.0]]), np.array([[0.0, 1.0]]), "binary_crossentropy")


@pytest.mark.parametrize("make", [reference.SGD, reference.Momentum, reference.Adam], ids=["sgd", "momentum", "adam"])
@pytest.mark.parametrize("rate", [0, -0.1, float("nan"), float("inf")], ids=["zero", "negative", "nan", "inf"])
def test_learning_rate_must_be_positive_and_finite(make, rate):
    with pytest.raises(ValueError, match=r"learning_rate must be finite and > 0, got"):
        make(learning_rate=rate)


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match=r"learning_rate must be a number, got str '0.1'"):
        reference.SGD("0.1")


@pytest.mark.parametrize("kwargs, message", [
    ({"beta": 1.0}, r"beta must be in \[0, 1\), got 1.0"),
    ({"form": "nesterov"}, r"unknown momentum form 'nesterov'; valid forms: heavy_ball, velocity, ema"),
], ids=["beta-one", "unknown-form"])
def test_momentum_hyper_parameters_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reference.Momentum(0.1, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"beta2": -0.1}, r"beta2 must be in \[0, 1\)"),
    ({"epsilon": -1e-8}, r"epsilon must be a finite number >= 0"),
    ({"form": "amsgrad"}, r"unknown Adam form 'amsgrad'; valid forms: paper, epsilon_hat"),
], ids=["beta2-negative", "epsilon-negative", "unknown-form"])
def test_adam_hyper_parameters_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reference.Adam(0.1, **kwargs)


@pytest.mark.parametrize("layer_dims, error, message", [
    ([3], ValueError, r"layer_dims needs at least 2 sizes \(inputs and one layer\), got \[3\]"),
    ([], ValueError, r"at least 2 sizes"),
    ([3, 0, 1], ValueError, r"layer_dims\[1\] must be positive, got 0 in \[3, 0, 1\]"),
    ([3, -2], ValueError, r"layer_dims\[1\] must be positive, got -2"),
    ([3, 2.5], TypeError, r"layer_dims\[1\] must be an integer, got float 2.5"),
], ids=["one-size", "empty", "zero-size", "negative-size", "float-size"])
def test_layer_dims_are_checked(layer_dims, error, message):
    with pytest.raises(error, match=message):
        reference.init_params(layer_dims)


def test_unknown_init_scheme_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown initialisation scheme 'kaiming'; valid names: he, xavier"):
        reference.init_params([2, 1], "kaiming")


def test_empty_batch_is_refused(net):
    params, X, Y, activations = net
    with pytest.raises(ValueError, match=r"empty batch: X has shape \(2, 0\)"):
        reference.forward(params, X[:, :0], activations)


def test_mixed_float_dtypes_are_refused_not_silently_upcast(net):
    params, X, Y, activations = net
    with pytest.raises(TypeError, match=r"X is float32 but the parameters are float64; .*X\.astype\(np\.float64\)"):
        reference.forward(params, X.astype(np.float32), activations)


def test_parameters_of_mixed_dtypes_are_refused(net):
    params, X, Y, activations = net
    params["W2"] = params["W2"].astype(np.float32)
    with pytest.raises(TypeError, match=r"all parameters must share one float dtype, got W1: float64, W2: float32"):
        reference.forward(params, X, activations)


def test_integer_labels_are_converted_to_the_network_dtype(net):
    params, X, Y, activations = net
    AL, _ = reference.forward(params, X, activations)
    assert reference.cost(AL, Y.astype(int), "binary_crossentropy") == reference.cost(AL, Y, "binary_crossentropy")


def test_update_names_a_missing_gradient(net):
    params, X, Y, activations = net
    with pytest.raises(KeyError, match=r"grads has no 'dW1' for parameter 'W1'"):
        reference.update(params, {}, reference.SGD(0.1))


@pytest.mark.parametrize("kwargs, message", [
    ({"iterations": 0}, r"iterations must be a positive integer, got 0"),
    ({"iterations": 1, "batch_size": 0}, r"batch_size must be a positive integer or None, got 0"),
], ids=["zero-iterations", "zero-batch"])
def test_train_checks_its_loop_settings(net, kwargs, message):
    params, X, Y, activations = net
    with pytest.raises(ValueError, match=message):
        reference.train(params, X, Y, activations, "binary_crossentropy", reference.SGD(0.1), **kwargs)
