"""Boundaries and branches of the reference that mutation testing showed the other tests left unpinned
(docs/mutation.md): exact thresholds, defaults, dtypes kept through every optimizer, the single-layer API's
checks, and the training loop's bookkeeping."""

import io
import re

import numpy as np
import pytest

import reference
from parity import data
from parity.tolerance import (
    GRADCHECK_COARSE_EPSILON_GROWTH,
    GRADCHECK_MAX_RELATIVE_ERROR,
    KNOWN_ANSWER_ULPS,
    REARRANGEMENT_ULPS,
    ulps,
)

KNOWN = ulps(np.float64, KNOWN_ANSWER_ULPS)


@pytest.fixture
def planar():
    return data.planar(m=40, seed=1)


def test_layer_forward_adds_the_bias():
    # Z = W A_prev + b = [[1, 2]] [[3], [4]] + [[0.5]] = [[11.5]]; linear, so A = Z
    A, Z = reference.layer_forward(np.array([[3.0], [4.0]]), np.array([[1.0, 2.0]]), np.array([[0.5]]), "linear")
    np.testing.assert_array_equal(Z, [[11.5]])
    np.testing.assert_array_equal(A, [[11.5]])


@pytest.mark.parametrize("A_prev, W, b, error, message", [
    (np.ones(3), np.ones((2, 3)), np.ones((2, 1)), ValueError,
     r"W and A_prev must be 2-D, got shapes \(2, 3\) and \(3,\)"),
    (np.ones((3, 4)), np.ones(3), np.ones((2, 1)), ValueError,
     r"W and A_prev must be 2-D, got shapes \(3,\) and \(3, 4\)"),
    (np.ones((4, 5)), np.ones((2, 3)), np.ones((2, 1)), ValueError,
     r"W has shape \(2, 3\): its 3 columns must equal the 4 rows of A_prev \(4, 5\)"),
    (np.ones((3, 5)), np.ones((2, 3)), np.ones((3, 1)), ValueError,
     r"b must have shape \(2, 1\) to match W \(2, 3\), got \(3, 1\)"),
    (np.ones((3, 5), np.float32), np.ones((2, 3)), np.ones((2, 1)), TypeError,
     r"A_prev, W and b must share one dtype, got float32, float64 and float64"),
], ids=["A_prev-1d", "W-1d", "columns", "bias", "dtype"])
def test_layer_forward_names_the_mismatch(A_prev, W, b, error, message):
    with pytest.raises(error, match=message):
        reference.layer_forward(A_prev, W, b, "relu")


def test_layer_backward_names_mismatched_shapes():
    A_prev, W, Z = np.ones((3, 5)), np.ones((2, 3)), np.ones((2, 5))
    with pytest.raises(ValueError, match=r"dA has shape \(2, 4\) but Z has shape \(2, 5\); they must match"):
        reference.layer_backward(np.ones((2, 4)), A_prev, W, Z, "relu")
    for bad_A_prev, bad_W in ((np.ones(3), W), (A_prev, np.ones((3, 3))), (np.ones((3, 4)), W)):
        with pytest.raises(ValueError, match=r"shapes do not fit Z = W A_prev \+ b: W "):
            reference.layer_backward(np.ones((2, 5)), bad_A_prev, bad_W, Z, "relu")


def test_predict_thresholds_at_one_half_and_takes_classes_per_column():
    # sigmoid: exactly 0.5 is not above 0.5, so label 0; integer labels
    labels = reference.training._decide(np.array([[0.5, 0.7]]), "sigmoid")
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, [[0, 1]])
    # softmax: the class index of each column (3 classes, 4 samples, so the axis matters), shape (1, m)
    AL = np.array([[0.1, 0.7, 0.2, 0.3], [0.8, 0.2, 0.1, 0.3], [0.1, 0.1, 0.7, 0.4]])
    classes = reference.training._decide(AL, "softmax")
    assert classes.shape == (1, 4)
    np.testing.assert_array_equal(classes, [[1, 0, 2, 2]])


def test_accuracy_at_the_threshold_and_per_column():
    # AL exactly 0.5 predicts 0, matching a 0 label; a soft label of exactly 0.5 counts as class 0
    assert reference.accuracy(np.array([[0.5]]), np.array([[0.0]]), "sigmoid") == 1.0
    assert reference.accuracy(np.array([[0.2]]), np.array([[0.5]]), "sigmoid") == 1.0
    AL = np.array([[0.1, 0.7, 0.2, 0.3, 0.6], [0.8, 0.2, 0.1, 0.3, 0.2], [0.1, 0.1, 0.7, 0.4, 0.2]])
    Y = np.eye(3)[:, [1, 0, 0, 2, 1]]  # predictions 1, 0, 2, 2, 0: three of five right
    assert reference.accuracy(AL, Y, "softmax") == 0.6


def test_output_gradient_is_none_for_a_pair_without_a_fused_form():
    assert reference.output_gradient(np.array([[0.3]]), np.array([[1.0]]), "mse", "tanh") is None


def test_adam_two_steps_by_hand():
    """g1 = 1, g2 = 2, lr = 0.1, eps = 0 (paper form):
    m1 = 0.1, v1 = 0.001, m_hat = 1, v_hat = 1: step 0.1 -> W = 0.9
    m2 = 0.09 + 0.2 = 0.29, v2 = 0.000999 + 0.004 = 0.004999, m_hat = 0.29 / 0.19, v_hat = 0.004999 / 0.001999
    step = 0.1 * (0.29 / 0.19) / sqrt(0.004999 / 0.001999) = 0.0965152..., W = 0.9 - that"""
    optimizer = reference.Adam(0.1, epsilon=0.0)
    params = {"W1": np.array([[1.0]])}
    for g in (1.0, 2.0):
        params = reference.update(params, {"dW1": np.array([[g]])}, optimizer)
    expected = 0.9 - 0.1 * (0.29 / 0.19) / np.sqrt(0.004999 / 0.001999)
    assert params["W1"][0, 0] == pytest.approx(expected, rel=ulps(np.float64, REARRANGEMENT_ULPS))
    assert optimizer.m["W1"][0, 0] == pytest.approx(0.29, rel=KNOWN)


@pytest.mark.parametrize("optimizer", [reference.SGD(0.1), reference.Momentum(0.1, 0.9),
                                       reference.Momentum(0.1, 0.9, form="velocity"),
                                       reference.Momentum(0.1, 0.9, form="ema"), reference.Adam(0.1),
                                       reference.Adam(0.1, form="epsilon_hat")],
                         ids=["sgd", "heavy-ball", "velocity", "ema", "adam-paper", "adam-epsilon-hat"])
def test_every_optimizer_keeps_float32(optimizer):
    params = {"W1": np.ones((2, 2), np.float32)}
    for _ in range(2):
        params = reference.update(params, {"dW1": np.full((2, 2), 0.5, np.float32)}, optimizer)
    assert params["W1"].dtype == np.float32


def test_zero_momentum_is_plain_gradient_descent():
    params = {"W1": np.array([[1.0]])}
    grads = {"dW1": np.array([[0.5]])}
    assert reference.update(params, grads, reference.Momentum(0.1, beta=0.0))["W1"][0, 0] == 0.95


def test_zero_epsilon_is_allowed_and_booleans_are_not_numbers():
    reference.Adam(0.1, epsilon=0)
    with pytest.raises(ValueError, match=r"epsilon must be a finite number >= 0, got True"):
        reference.Adam(0.1, epsilon=True)
    with pytest.raises(TypeError, match=r"learning_rate must be a number, got bool True"):
        reference.SGD(True)
    with pytest.raises(TypeError, match=r"beta1 must be a number, got str '0.9'"):
        reference.Adam(0.1, beta1="0.9")
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\), got 1"):
        reference.Adam(0.1, beta1=1)


def test_iterate_numbers_its_steps_checks_outputs_first_and_keeps_the_dtype(planar):
    params = reference.init_params([2, 3, 1], "xavier", seed=0, dtype="float32")
    X, Y = planar.X.astype(np.float32), planar.Y.astype(np.float32)
    steps = reference.iterate(params, X, planar.Y.astype(np.int64), ["tanh", "sigmoid"], "binary_crossentropy",
                              reference.SGD(0.5))
    first = [next(steps) for _ in range(3)]
    assert [s.iteration for s in first] == [0, 1, 2]
    assert first[0].AL.shape == (1, 40) and first[0].AL.dtype == np.float32
    assert all(P.dtype == np.float32 for P in first[-1].params.values())  # integer labels did not upcast
    with pytest.raises(ValueError, match=r"binary_crossentropy needs probabilities"):
        next(reference.iterate(params, X, Y, ["tanh", "relu"], "binary_crossentropy", reference.SGD(0.1)))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        next(reference.iterate(params, X, 2 * Y, ["tanh", "sigmoid"], "binary_crossentropy",
                               reference.SGD(0.1)))
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer or None, got 0"):
        next(reference.iterate(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy",
                               reference.SGD(0.1), batch_size=0))


def test_default_seed_is_zero_and_one_sample_batches_and_single_iterations_are_allowed(planar):
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    args = (params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy")
    default = reference.train(*args, reference.SGD(0.5), 3, batch_size=8)[1].cost
    assert default == reference.train(*args, reference.SGD(0.5), 3, batch_size=8, seed=0)[1].cost
    assert len(reference.train(*args, reference.SGD(0.5), 1, batch_size=1)[1].cost) == 1
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer or None, got True"):
        reference.train(*args, reference.SGD(0.5), 1, batch_size=True)
    with pytest.raises(ValueError, match=r"iterations must be a positive integer, got True"):
        reference.train(*args, reference.SGD(0.5), True)
    with pytest.raises(ValueError, match=r"print_every must be a positive integer or None, got 'x'"):
        reference.train(*args, reference.SGD(0.5), 1, print_every="x")


def test_shape_errors_give_the_reshape_hint_only_for_one_dimensional_labels(planar):
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    with pytest.raises(ValueError) as error:
        reference.train(params, planar.X, np.zeros((2, 40)), ["tanh", "sigmoid"], "binary_crossentropy",
                        reference.SGD(0.1), 1)
    assert str(error.value) == "Y has shape (2, 40) but the network's output AL will have shape (1, 40) (n[L], m)"


def test_progress_lines_for_a_regression_show_cost_and_time_only():
    X = np.array([[1.0, 2.0, 3.0]])
    stream = io.StringIO()
    reference.train(reference.init_params([1, 1], "xavier"), X, 2 * X, ["linear"], "mse", reference.SGD(0.01), 2,
                    print_every=1, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    head, _, elapsed = lines[1].partition("  (")
    assert re.fullmatch(r"iteration      2/2  cost [0-9]+\.[0-9]{6}", head)  # no accuracy for a regression
    assert 0 <= float(elapsed.removesuffix(" s)")) < 60


def test_layer_caches_hold_the_bias_and_training_backward_skips_dA0():
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    params["b1"] = params["b1"] + 0.25
    X = np.ones((2, 4))
    AL, caches = reference.forward(params, X, ["tanh", "sigmoid"])
    np.testing.assert_array_equal(caches[0].b, params["b1"])
    Y = np.zeros((1, 4))
    assert "dA0" in reference.backward(AL, Y, caches, ["tanh", "sigmoid"], "binary_crossentropy")
    grads = reference.backward(AL, Y, caches, ["tanh", "sigmoid"], "binary_crossentropy", input_gradient=False)
    assert "dA0" not in grads and "dA1" in grads


def test_the_fused_output_gradient_is_used_where_the_unfused_one_divides_zero_by_zero():
    """sigmoid(40) is exactly 1.0 in float64: dAL = (A - Y)/(A (1 - A)) would divide by 0, A - Y is just 1."""
    params = {"W1": np.array([[0.0]]), "b1": np.array([[40.0]])}
    AL, caches = reference.forward(params, np.array([[1.0]]), ["sigmoid"])
    assert AL[0, 0] == 1.0
    grads = reference.backward(AL, np.array([[0.0]]), caches, ["sigmoid"], "binary_crossentropy")
    np.testing.assert_array_equal(grads["dZ1"], [[1.0]])


def test_softmax_shifts_each_column_by_its_own_maximum():
    """Columns on very different scales: a shift by the global maximum would underflow the second column to 0/0."""
    Z = np.array([[1000.0, 0.0], [0.0, -1.0]])
    A = reference.get_activation("softmax").forward(Z)
    np.testing.assert_allclose(A[:, 1], [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))], rtol=KNOWN)


def test_iterate_shuffles_with_seed_zero_by_default(planar):
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    args = (params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy")
    default = reference.iterate(*args, reference.SGD(0.5), batch_size=8)
    explicit = reference.iterate(*args, reference.SGD(0.5), batch_size=8, seed=0)
    assert [next(default).cost for _ in range(6)] == [next(explicit).cost for _ in range(6)]


def _flip_gradients(dZ, A_prev, W):
    dA_prev, dW, db = _linear_backward(dZ, A_prev, W)
    return dA_prev, -dW, -db


_linear_backward = reference.network.linear_backward


def test_gradient_check_scores_opposite_gradients_as_one_and_exact_ones_as_zero(monkeypatch):
    # g = -g_num gives ||g - g_num|| / (||g|| + ||g_num||) = 2 ||g|| / 2 ||g|| = 1
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    X, Y = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]]), np.array([[1.0, 0.0, 1.0]])
    monkeypatch.setattr(reference.network, "linear_backward", _flip_gradients)
    score = reference.gradient_check(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy")
    assert score == pytest.approx(1.0, rel=KNOWN)
    monkeypatch.undo()
    # a linear unit fitting Y exactly: every gradient, backpropagated or numerical, is exactly 0
    exact = {"W1": np.array([[2.0]]), "b1": np.array([[1.0]])}
    assert reference.gradient_check(exact, np.array([[1.0, 2.0]]), np.array([[3.0, 5.0]]), ["linear"], "mse") == 0.0


def test_gradient_check_error_grows_with_a_coarse_epsilon_and_works_from_float32():
    params = reference.init_params([2, 3, 1], "xavier", seed=0)
    X, Y = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]]), np.array([[1.0, 0.0, 1.0]])
    fine = reference.gradient_check(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy")
    coarse = reference.gradient_check(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy", epsilon=1e-1)
    # the truncation error of a central difference grows as epsilon^2
    assert coarse > GRADCHECK_COARSE_EPSILON_GROWTH * fine
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    numerical = reference.numerical_gradients(params32, X.astype(np.float32), Y.astype(np.float32),
                                              ["tanh", "sigmoid"], "binary_crossentropy")
    assert all(g.dtype == np.float64 for g in numerical.values())  # differences taken in float64, as documented
    assert reference.gradient_check(params32, X, Y, ["tanh", "sigmoid"], "binary_crossentropy") < (
        GRADCHECK_MAX_RELATIVE_ERROR)


def test_documented_defaults_seed_zero_epsilon_and_dA0():
    params = reference.init_params([2, 3, 1])
    np.testing.assert_array_equal(params["W1"], reference.init_params([2, 3, 1], seed=0)["W1"])
    X, Y = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]]), np.array([[1.0, 0.0, 1.0]])
    AL, caches = reference.forward(params, X, ["tanh", "sigmoid"])
    grads = reference.network.backpropagate(AL, Y, caches, ["tanh", "sigmoid"], "binary_crossentropy")
    assert "dA0" in grads  # the default keeps the course's full set of gradients
    numerical = reference.numerical_gradients(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy")
    documented = reference.numerical_gradients(params, X, Y, ["tanh", "sigmoid"], "binary_crossentropy", epsilon=1e-5)
    np.testing.assert_array_equal(numerical["dW1"], documented["dW1"])  # the default epsilon is 1e-5
    # and it is accurate by the gradient check's own measure, a relative error of the whole gradient
    difference = np.linalg.norm(numerical["dW1"] - grads["dW1"])
    assert difference / (np.linalg.norm(numerical["dW1"]) + np.linalg.norm(grads["dW1"])) < GRADCHECK_MAX_RELATIVE_ERROR


def test_target_sums_exactly_at_the_tolerance_are_accepted():
    # two classes: tolerance 8 * 2 * eps = 2**-48, and 0.5 + (0.5 + 2**-48) = 1 + 2**-48 exactly
    Y = np.array([[0.5], [0.5 + 2.0**-48]])
    reference.cost(np.full((2, 1), 0.5), Y, "categorical_crossentropy")
