"""Properties every reference function keeps: dtype, no mutation, numerical stability, fused == unfused."""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
from parity.tolerance import (
    GRADCHECK_MAX_RELATIVE_ERROR,
    KNOWN_ANSWER_ULPS,
    REARRANGEMENT_ULPS,
    SAMPLE_STD_RELATIVE,
    ulps,
)
from tests.test_reference_gradcheck import make_data

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu(0.2)", "softmax", "linear"]
SMOOTH = ["sigmoid", "tanh", "softmax", "linear"]
LOSS_OUTPUTS = [
    ("binary_crossentropy", "sigmoid"),
    ("categorical_crossentropy", "softmax"),
    ("mse", "linear"),
    ("mse", "tanh"),
]
DTYPES = [np.float32, np.float64]


@st.composite
def networks(draw, hidden=ACTIVATIONS):
    """A random architecture with data: depth 1-4, widths 1-6, m 1-8, a loss with a valid output, a dtype."""
    depth = draw(st.integers(1, 4))
    loss, output = draw(st.sampled_from(LOSS_OUTPUTS))
    n_y = 1 if loss == "binary_crossentropy" else draw(st.integers(2, 4))
    dims = [draw(st.integers(1, 6)) for _ in range(depth)] + [n_y]
    activations = [draw(st.sampled_from(hidden)) for _ in range(depth - 1)] + [output]
    m = draw(st.integers(1, 8))
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**16))
    params = reference.init_params(dims, "xavier", seed=seed, dtype=dtype)
    X, Y = make_data(dims[0], n_y, m, loss, seed)
    return params, X.astype(dtype), Y.astype(dtype), activations, loss


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(networks())
def test_every_quantity_keeps_shape_and_dtype_and_inputs_are_untouched(network):
    params, X, Y, activations, loss = network
    snapshot = copy.deepcopy((params, X, Y))
    dtype = X.dtype
    AL, caches = reference.forward(params, X, activations)
    grads = reference.backward(AL, Y, caches, activations, loss)
    new = reference.update(params, grads, reference.Adam(0.01))
    assert AL.dtype == dtype and AL.shape == Y.shape
    assert isinstance(reference.cost(AL, Y, loss), float)
    for l, cache in enumerate(caches, start=1):
        assert cache.Z.dtype == dtype and cache.Z.shape == (params[f"W{l}"].shape[0], X.shape[1])
        for name in ("W", "b"):
            assert grads[f"d{name}{l}"].shape == params[f"{name}{l}"].shape
            assert grads[f"d{name}{l}"].dtype == dtype
            assert new[f"{name}{l}"].dtype == dtype
        assert grads[f"dZ{l}"].dtype == dtype and grads[f"dA{l - 1}"].dtype == dtype
    old_params, old_X, old_Y = snapshot
    for name in params:
        np.testing.assert_array_equal(params[name], old_params[name])
    np.testing.assert_array_equal(X, old_X)
    np.testing.assert_array_equal(Y, old_Y)


@PROPERTY_SETTINGS
@given(networks(hidden=SMOOTH))
def test_backprop_matches_finite_differences_on_random_smooth_networks(network):
    params, X, Y, activations, loss = network
    assert reference.gradient_check(params, X, Y, activations, loss) < GRADCHECK_MAX_RELATIVE_ERROR


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("output, loss", [("sigmoid", "binary_crossentropy"), ("softmax", "categorical_crossentropy")])
def test_fused_output_gradient_equals_the_unfused_path(output, loss, dtype):
    """dZL = AL - Y (fused) equals dAL = loss_gradient pushed through g'(ZL), to a few ulps."""
    rng = np.random.default_rng(7)
    ZL = (3 * rng.standard_normal((3 if output == "softmax" else 1, 50))).astype(dtype)
    g = reference.get_activation(output)
    AL = g.forward(ZL)
    _, Y = make_data(1, ZL.shape[0], 50, loss, 7)
    Y = Y.astype(dtype)
    fused = reference.output_gradient(AL, Y, loss, output)
    unfused = g.backward(reference.loss_gradient(AL, Y, loss), ZL)
    assert fused.dtype == unfused.dtype == dtype
    np.testing.assert_allclose(unfused, fused, rtol=0, atol=ulps(dtype, REARRANGEMENT_ULPS))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_sigmoid_and_softmax_are_stable_at_1000(dtype):
    """No overflow, no NaN and no warning at |z| = 1000 (numpy errors raise in every test, see conftest)."""
    Z = np.array([[-1000.0, 0.0, 1000.0]], dtype=dtype)
    np.testing.assert_array_equal(reference.get_activation("sigmoid").forward(Z), [[0.0, 0.5, 1.0]])
    columns = np.array([[1000.0, -1000.0], [0.0, 0.0], [-1000.0, 1000.0]], dtype=dtype)
    A = reference.get_activation("softmax").forward(columns)
    np.testing.assert_array_equal(A, [[1, 0], [0, 0], [0, 1]])
    assert A.dtype == dtype
    grads = reference.get_activation("sigmoid").backward(np.ones_like(Z), Z)
    np.testing.assert_array_equal(grads, [[0, 0.25, 0]])


def test_saturated_probability_gives_infinite_cost_without_warning():
    """The reference never clips: log 0 is -inf, so a certain wrong answer costs inf (frameworks clip instead)."""
    assert reference.cost(np.array([[1.0]]), np.array([[0.0]]), "binary_crossentropy") == np.inf
    assert reference.cost(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]), "categorical_crossentropy") == np.inf


def test_soft_labels_are_accepted_by_bce():
    AL, Y = np.array([[0.25, 0.75]]), np.array([[0.25, 0.75]])
    # the cross-entropy of a distribution with itself is its entropy: -(0.25 log 0.25 + 0.75 log 0.75)
    expected = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    known = ulps(np.float64, KNOWN_ANSWER_ULPS)
    assert reference.cost(AL, Y, "binary_crossentropy") == pytest.approx(expected, rel=known)
    np.testing.assert_array_equal(reference.output_gradient(AL, Y, "binary_crossentropy", "sigmoid"), [[0, 0]])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("scheme", sorted(set(reference.SCHEMES) - {"zeros"}))
def test_init_is_seeded_shaped_and_typed(scheme, dtype):
    a = reference.init_params([5, 4, 3], scheme, seed=3, dtype=dtype)
    b = reference.init_params([5, 4, 3], scheme, seed=3, dtype=dtype)
    assert list(a) == ["W1", "b1", "W2", "b2"]
    assert a["W1"].shape == (4, 5) and a["b1"].shape == (4, 1) and a["W2"].shape == (3, 4)
    assert all(v.dtype == dtype for v in a.values())
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["W1"], reference.init_params([5, 4, 3], scheme, seed=4)["W1"])


def test_he_init_has_the_documented_spread():
    """He: W ~ N(0, 2/n[l-1]); over 250,000 draws the sample std is within 1% of sqrt(2/500)."""
    W = reference.init_params([500, 500], "he", seed=0)["W1"]
    assert W.std() == pytest.approx(np.sqrt(2 / 500), rel=SAMPLE_STD_RELATIVE)


def test_zeros_init_warns_about_symmetry():
    with pytest.warns(UserWarning, match="symmetry"):
        params = reference.init_params([2, 3, 1], "zeros")
    assert not any(v.any() for v in params.values())
