"""The course's second part in the reference: L2 regularisation, inverted dropout, batch normalisation and the
initialisation laws. Each gradient is checked against central differences in float64, and each classic slip
is shown to fail the same check (so a pass could have failed)."""

import numpy as np
import pytest

import reference
from parity.tolerance import (
    GRADCHECK_MAX_RELATIVE_ERROR,
    GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR,
    KNOWN_ANSWER_ULPS,
    SAMPLE_STD_RELATIVE,
    ulps,
)

EPSILON = 1e-5  # central differences' step in float64 (see reference.gradcheck)


def relative_error(g, g_num) -> float:
    g, g_num = np.ravel(g), np.ravel(g_num)
    return float(np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num)))


def numerical(f, P: np.ndarray) -> np.ndarray:
    """d f / d P by central differences, P changed in place and restored."""
    g = np.zeros_like(P)
    for index in np.ndindex(P.shape):
        saved = P[index]
        P[index] = saved + EPSILON
        plus = f()
        P[index] = saved - EPSILON
        minus = f()
        P[index] = saved
        g[index] = (plus - minus) / (2 * EPSILON)
    return g


# ---------------------------------------------------------------------------------------------------- L2


def test_l2_hand_worked_example():
    params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([[5.0]])}
    assert reference.l2_cost(params, 0.5, 4) == 0.3125  # 0.5 / 8 * (1 + 4): biases are not in it
    grads = reference.l2_gradients({"dW1": np.zeros((1, 2)), "db1": np.ones((1, 1))}, params, 0.5, 4)
    np.testing.assert_array_equal(grads["dW1"], [[0.125, -0.25]])
    np.testing.assert_array_equal(grads["db1"], [[1.0]])


def _network(seed=0):
    rng = np.random.default_rng(seed)
    params = reference.init_params([3, 4, 1], "xavier", seed=seed)
    params["b1"] = rng.standard_normal((4, 1)) * 0.1
    X = rng.standard_normal((3, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    return params, X, Y, ["tanh", "sigmoid"]


def _regularised_cost(params, X, Y, activations, lambd):
    AL, _ = reference.forward(params, X, activations)
    return reference.cost(AL, Y, "binary_crossentropy") + reference.l2_cost(params, lambd, X.shape[1])


@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_l2_gradients_are_the_derivative_of_the_regularised_cost(lambd):
    params, X, Y, activations = _network()
    AL, caches = reference.forward(params, X, activations)
    grads = reference.l2_gradients(reference.backward(AL, Y, caches, activations, "binary_crossentropy"), params,
                                   lambd, X.shape[1])
    for name in ("W1", "b1", "W2", "b2"):
        g_num = numerical(lambda: _regularised_cost(params, X, Y, activations, lambd), params[name])
        assert relative_error(grads[f"d{name}"], g_num) < GRADCHECK_MAX_RELATIVE_ERROR, name


def test_an_l2_gradient_without_its_1_over_m_fails_the_same_check():
    params, X, Y, activations = _network()
    AL, caches = reference.forward(params, X, activations)
    plain = reference.backward(AL, Y, caches, activations, "binary_crossentropy")
    slipped = plain["dW1"] + 0.7 * params["W1"]  # lambd W, the classic slip (no 1/m)
    g_num = numerical(lambda: _regularised_cost(params, X, Y, activations, 0.7), params["W1"])
    assert relative_error(slipped, g_num) > GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR


def test_l2_refuses_bad_arguments():
    params = {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}
    with pytest.raises(ValueError, match=r"lambd must be a finite number >= 0, got -1"):
        reference.l2_cost(params, -1, 4)
    with pytest.raises(ValueError, match=r"m must be a positive integer \(the batch size\), got 0"):
        reference.l2_cost(params, 0.1, 0)
    with pytest.raises(KeyError, match=r"grads has no 'dW1'"):
        reference.l2_gradients({}, params, 0.1, 4)
    with pytest.raises(ValueError, match=r"dW1 has shape \(2, 1\) but W1 has shape \(1, 2\)"):
        reference.l2_gradients({"dW1": np.ones((2, 1))}, params, 0.1, 4)


# ----------------------------------------------------------------------------------------------- dropout


def test_inverted_dropout_keeps_masked_units_scaled_and_sends_no_gradient_to_dropped_ones():
    A = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    D = np.array([[1, 0], [0, 1]])
    np.testing.assert_array_equal(reference.dropout_forward(A, D, 0.5), [[2, 0], [0, 8]])
    assert reference.dropout_forward(A, D, 0.5).dtype == np.float32
    np.testing.assert_array_equal(reference.dropout_backward(np.ones_like(A), D, 0.5), [[2, 0], [0, 2]])
    np.testing.assert_array_equal(reference.dropout_forward(A, np.ones((2, 2)), 1.0), A)  # keep_prob 1: identity


def test_dropout_backward_is_the_derivative_of_the_dropped_activations():
    rng = np.random.default_rng(1)
    A, C = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    D = reference.dropout_mask((4, 5), 0.6, seed=2)
    g_num = numerical(lambda: float(np.sum(C * reference.dropout_forward(A, D, 0.6))), A)
    assert relative_error(reference.dropout_backward(C, D, 0.6), g_num) < GRADCHECK_MAX_RELATIVE_ERROR
    # the course's slips: the mask not reapplied, or 1/keep_prob forgotten, in the backward pass
    assert relative_error(C / 0.6, g_num) > GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR
    assert relative_error(C * D, g_num) > GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR


def test_the_mask_keeps_each_unit_with_probability_keep_prob_and_inverted_dropout_keeps_the_mean():
    D = reference.dropout_mask((500, 500), 0.8, seed=0)
    assert set(np.unique(D)) == {0.0, 1.0}
    # 250,000 Bernoulli(0.8) draws: the kept fraction's standard error is sqrt(0.16 / N) = 0.08%; 1% is 12 sigma
    assert D.mean() == pytest.approx(0.8, rel=SAMPLE_STD_RELATIVE)
    assert reference.dropout_forward(np.ones((500, 500)), D, 0.8).mean() == pytest.approx(1.0, rel=SAMPLE_STD_RELATIVE)
    np.testing.assert_array_equal(D, reference.dropout_mask((500, 500), 0.8, seed=0))  # seeded


def test_dropout_refuses_bad_masks_and_probabilities():
    A = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\], got 0"):
        reference.dropout_forward(A, np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match=r"the mask D has shape \(2, 3\) but A has shape \(2, 2\)"):
        reference.dropout_forward(A, np.ones((2, 3)), 0.5)
    with pytest.raises(ValueError, match=r"the mask D must hold only 0 and 1; D\(0, 1\) = 0.5"):
        reference.dropout_backward(A, np.array([[1, 0.5], [0, 1]]), 0.5)


# ------------------------------------------------------------------------------------------- batch norm


def _bn_inputs(seed=0, m=7):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((3, m)) * 2 + 1
    gamma, beta = rng.standard_normal((3, 1)), rng.standard_normal((3, 1))
    C = rng.standard_normal((3, m))
    return Z, gamma, beta, C


def _bn_cost(Z, gamma, beta, C):
    """J = (1/m) sum over examples of l_i, l_i = sum_k C_ki Zt_ki + Zt_ki^2 / 2: per-example dZ_tilde = C + Zt."""
    Zt, _ = reference.batchnorm_forward(Z, gamma, beta)
    return float(np.sum(C * Zt + Zt**2 / 2) / Z.shape[1])


def test_batchnorm_normalises_each_unit_over_the_batch():
    Z, gamma, beta, _ = _bn_inputs()
    Zt, cache = reference.batchnorm_forward(Z, np.ones((3, 1)), np.zeros((3, 1)), epsilon=1e-12)
    known = ulps(np.float64, 64 * KNOWN_ANSWER_ULPS)  # a mean and a variance of 7 terms of size ~3
    np.testing.assert_allclose(Zt.mean(axis=1), 0, atol=known)
    np.testing.assert_allclose(Zt.var(axis=1), (cache.var / (cache.var + 1e-12))[:, 0], rtol=known)  # var / (var + eps)
    np.testing.assert_allclose(cache.var[:, 0], Z.var(axis=1), rtol=known)  # the biased variance normalises


def test_batchnorm_backward_is_the_derivative_in_the_courses_layout():
    Z, gamma, beta, C = _bn_inputs()
    m = Z.shape[1]
    Zt, cache = reference.batchnorm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = reference.batchnorm_backward(C + Zt, cache)  # per example, like dZ elsewhere
    # dZ is per example: m dJ/dZ; dgamma and dbeta carry the 1/m, as dW and db do
    assert relative_error(dZ, m * numerical(lambda: _bn_cost(Z, gamma, beta, C), Z)) < GRADCHECK_MAX_RELATIVE_ERROR
    assert relative_error(dgamma, numerical(lambda: _bn_cost(Z, gamma, beta, C), gamma)) < GRADCHECK_MAX_RELATIVE_ERROR
    assert relative_error(dbeta, numerical(lambda: _bn_cost(Z, gamma, beta, C), beta)) < GRADCHECK_MAX_RELATIVE_ERROR
    # the classic slip, differentiating as if mu and var were constants, fails the same check
    naive = gamma * cache.inv_std * (C + Zt)
    assert relative_error(naive, m * numerical(lambda: _bn_cost(Z, gamma, beta, C), Z)) > \
        GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR


def test_running_statistics_keras_decay_is_one_minus_torch_momentum_and_torch_averages_the_unbiased_variance():
    Z, gamma, beta, _ = _bn_inputs(m=5)
    _, cache = reference.batchnorm_forward(Z, gamma, beta)
    mean0, var0 = np.zeros((3, 1)), np.ones((3, 1))
    mean, var = reference.update_running(mean0, var0, cache, 5, decay=0.99)  # Keras: momentum 0.99, biased
    np.testing.assert_array_equal(mean, 0.99 * mean0 + (1 - 0.99) * cache.mu)
    np.testing.assert_array_equal(var, 0.99 * var0 + (1 - 0.99) * cache.var)
    mean_t, var_t = reference.update_running(mean0, var0, cache, 5, decay=1 - 0.1, unbiased=True)  # torch 0.1
    np.testing.assert_array_equal(var_t, (1 - 0.1) * var0 + (1 - (1 - 0.1)) * (cache.var * (5 / 4)))
    np.testing.assert_array_equal(mean_t, (1 - 0.1) * mean0 + (1 - (1 - 0.1)) * cache.mu)
    with pytest.raises(ValueError, match=r"an unbiased variance needs m >= 2 samples, got m = 1"):
        reference.update_running(mean0, var0, cache, 1, unbiased=True)


def test_inference_uses_the_running_statistics_not_the_batch():
    Z, gamma, beta, _ = _bn_inputs()
    running_mean, running_var = np.full((3, 1), 0.5), np.full((3, 1), 4.0)
    out = reference.batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-3)
    np.testing.assert_allclose(out, gamma * (Z - 0.5) / np.sqrt(4.001) + beta, rtol=ulps(np.float64, KNOWN_ANSWER_ULPS))
    with pytest.raises(ValueError, match=r"running_var must have shape \(3, 1\)"):
        reference.batchnorm_inference(Z, gamma, beta, running_mean, np.ones(3))


# --------------------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize("scheme, std", [
    ("he_uniform", np.sqrt(2 / 500)),  # U(-sqrt(6/n), sqrt(6/n)) has He's variance 2/n
    ("glorot_uniform", np.sqrt(2 / 1000)),  # Glorot's 2 / (n_in + n_out), Keras's Dense default
    ("torch_default", np.sqrt(1 / (3 * 500))),  # PyTorch's nn.Linear: kaiming_uniform_(a=sqrt(5))
])
def test_uniform_laws_have_their_documented_bound_and_spread(scheme, std):
    params = reference.init_params([500, 500], scheme, seed=0)
    W = params["W1"]
    bound = np.sqrt(3) * std
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound  # uniform on (-r, r): fills it
    assert W.std() == pytest.approx(std, rel=SAMPLE_STD_RELATIVE)
    assert reference.init_variance(scheme, 500, 500) == pytest.approx(std**2, rel=ulps(np.float64, KNOWN_ANSWER_ULPS))


def test_torch_default_draws_the_bias_too_and_the_normal_laws_keep_their_draws():
    params = reference.init_params([500, 500], "torch_default", seed=0)
    assert np.abs(params["b1"]).max() <= 1 / np.sqrt(500) and params["b1"].std() > 0
    # the normal laws are drawn exactly as before the uniform ones were added (the certified cases start there)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(reference.init_params([5, 4], "he", seed=3)["W1"],
                                  rng.standard_normal((4, 5)) * np.sqrt(2 / 5))


# ------------------------------------------------------------------------------------------ mini-batches


def test_mini_batches_follow_the_given_order_and_keep_the_remainder_last():
    X = np.arange(14.0).reshape(2, 7)  # column j is (j, 7 + j)
    Y = np.arange(7.0).reshape(1, 7)
    order = reference.permutation(7, seed=5)
    batches = reference.mini_batches(X, Y, 3, order)
    assert [b[0].shape[1] for b in batches] == [3, 3, 1]  # ceil(7 / 3) batches, the last one the remainder
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches], axis=1)[0], order)  # every column once
    np.testing.assert_array_equal(batches[0][0], X[:, order[:3]])
    np.testing.assert_array_equal(reference.mini_batches(X, Y, 7)[0][0], X)  # no order: as given
    np.testing.assert_array_equal(order, reference.permutation(7, seed=5))  # seeded


def test_mini_batches_refuse_an_order_that_is_not_a_permutation():
    X, Y = np.zeros((2, 4)), np.zeros((1, 4))
    with pytest.raises(ValueError, match=r"order must be a permutation of 0..3 \(every column once\)"):
        reference.mini_batches(X, Y, 2, [0, 1, 1, 3])
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer, got 0"):
        reference.mini_batches(X, Y, 0)


# ------------------------------------------------------------------------ dropout and batch norm in the network
def _network_with_dropout_and_batchnorm(seed=0):
    rng = np.random.default_rng(seed)
    params = reference.init_params([3, 5, 4, 2], "he", seed=seed)
    for l in (1, 2):
        params[f"b{l}"] = np.zeros((params[f"W{l}"].shape[0], 1))
        params[f"gamma{l}"] = 1 + 0.1 * rng.standard_normal((params[f"W{l}"].shape[0], 1))
        params[f"beta{l}"] = 0.1 * rng.standard_normal((params[f"W{l}"].shape[0], 1))
    X = rng.standard_normal((3, 7))
    Y = np.eye(2)[:, rng.integers(0, 2, 7)]
    dropout = reference.Dropout(0.75, {l: reference.dropout_mask((n, 7), 0.75, seed=l) for l, n in ((1, 5), (2, 4))})
    return params, X, Y, dropout, reference.BatchNorm((1, 2), 1e-3)


def test_network_gradients_through_dropout_and_batch_norm_are_the_derivative_of_its_cost():
    params, X, Y, dropout, batchnorm = _network_with_dropout_and_batchnorm()
    activations = ["tanh", "relu", "softmax"]

    def J():
        AL, _ = reference.forward(params, X, activations, dropout=dropout, batchnorm=batchnorm)
        return reference.cost(AL, Y, "categorical_crossentropy")

    AL, caches = reference.forward(params, X, activations, dropout=dropout, batchnorm=batchnorm)
    grads = reference.backward(AL, Y, caches, activations, "categorical_crossentropy", dropout=dropout)
    for name in ("W1", "W2", "W3", "b3", "gamma1", "beta1", "gamma2", "beta2"):
        assert relative_error(grads[f"d{name}"], numerical(J, params[name])) < GRADCHECK_MAX_RELATIVE_ERROR, name
    # the check could fail: without the masks in the backward pass the gradients are another function's
    wrong = reference.backward(AL, Y, caches, activations, "categorical_crossentropy")
    assert relative_error(wrong["dW1"], numerical(J, params["W1"])) > GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR


def test_dropout_and_batch_norm_refuse_the_output_layer_and_missing_parameters():
    params, X, _, _, _ = _network_with_dropout_and_batchnorm()
    activations = ["tanh", "relu", "softmax"]
    on_output = reference.Dropout(0.5, {3: np.ones((2, 7))})
    with pytest.raises(ValueError, match=r"^dropout masks only hidden layers 1\.\.2; got a mask for layer 3 of 3$"):
        reference.forward(params, X, activations, dropout=on_output)
    with pytest.raises(ValueError, match=r"^batch normalisation covers hidden layers 1\.\.2; got layer 3 of 3$"):
        reference.forward(params, X, activations, batchnorm=reference.BatchNorm((3,)))
    del params["beta2"]
    with pytest.raises(KeyError, match=r"batch normalisation of layer 2 needs params\['beta2'\], shape \(n\[2\], 1\)"):
        reference.forward(params, X, activations, batchnorm=reference.BatchNorm((1, 2)))
    with pytest.raises(ValueError, match=r"^dropout masks are keyed by the layer l = 1, 2, \.\.\.; got 0$"):
        reference.Dropout(0.5, {0: np.ones((5, 7))})
    with pytest.raises(ValueError, match=r"^epsilon must be a positive number, got 0$"):
        reference.BatchNorm((1,), 0)


def test_decoupled_weight_decay_hand_worked_example_and_biases_untouched():
    before = {"W1": np.array([[2.0]]), "b1": np.array([[1.0]])}
    after = {"W1": np.array([[1.9]]), "b1": np.array([[0.9]])}
    out = reference.decoupled_weight_decay(before, after, 0.5, 0.1)
    assert abs(out["W1"][0, 0] - 1.8) <= ulps("float64", KNOWN_ANSWER_ULPS)
    assert out["b1"] is after["b1"]
    with pytest.raises(ValueError, match=r"^weight_decay must be a finite number >= 0, got -1$"):
        reference.decoupled_weight_decay(before, after, -1, 0.1)
