"""Properties every reference function keeps: dtype, no mutation, numerical stability, fused == unfused."""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference
from parity.error_scale import _activation_forward
from parity.tolerance import (
    GRADCHECK_ARBITER_SHARE,
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


def cost_error_scale(params, X, Y, activations, loss_name) -> float:
    """E(J), the cost's rounding in units of eps64, by parity/error_scale.py's forward and cost rules from the
    reference's activation and loss records (not from the backward pass a gradient check judges):
        E(Z[l]) = |W| E(A[l-1]) + |W| |A[l-1]| + |b|,  E(A[l]) = |g'(Z)| E(Z) + |A| (softmax: its Jacobian's),
        E(J) = (1/m) sum |dZ[L]| E(Z[L]) + |J| + (1/m) T, T the loss's own terms (A / (1 - A) for log(1 - A))."""
    loss, m = reference.losses.get_loss(loss_name), X.shape[1]
    A, E_A = X, np.zeros_like(X)
    for l, name in enumerate(activations, start=1):
        g = reference.get_activation(name)
        E_Z = np.abs(params[f"W{l}"]) @ (E_A + np.abs(A)) + np.abs(params[f"b{l}"])
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = g.forward(Z)
        E_A = _activation_forward(g, Z, np.abs(A), E_Z)
    dZ = (loss.scale(A.shape[0]) * (A - Y) if loss.fused_with == activations[-1]
          else loss.gradient(A, Y) * g.derivative(Z, A))
    tiny = np.finfo(np.float64).tiny / np.finfo(np.float64).eps
    return float((np.abs(dZ) * E_Z).sum() / m + abs(reference.cost(A, Y, loss_name))
                 + loss.terms(np.abs(A), np.abs(Y), Z, tiny) / m)


def gradient_check_can_judge(params, X, Y, activations, loss, h: float = 1e-5) -> bool:
    """Whether ``reference.gradient_check`` can resolve its mark on this network: the central difference's own
    error, ||g_num - dJ/dtheta|| <= sqrt(P) eps64 E(J) / h (rounding) + ||g_num(2h) - g_num(h)|| / 3 (truncation,
    h^2/6 J''', estimated by Richardson), within GRADCHECK_ARBITER_SHARE of the mark times the score's
    denominator ||g|| + ||g_num||. Not at a saturated output (E(J) grows as A / (1 - A)) or near a stationary
    point (||g|| -> 0), where a correct backprop scores up to 1 (parity.tolerance)."""
    params = {name: np.asarray(P, dtype=np.float64) for name, P in params.items()}
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    AL, caches = reference.forward(params, X, activations)
    grads = reference.backward(AL, Y, caches, activations, loss)
    g, g_num, g_num_2h = (np.concatenate([gradients[f"d{name}"].ravel() for name in params]) for gradients in (
        grads, *(reference.numerical_gradients(params, X, Y, activations, loss, step) for step in (h, 2 * h))))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        rounding = np.sqrt(g.size) * np.finfo(np.float64).eps * cost_error_scale(params, X, Y, activations, loss) / h
    truncation = np.linalg.norm(g_num_2h - g_num) / 3
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    return bool(rounding + truncation <= GRADCHECK_ARBITER_SHARE * GRADCHECK_MAX_RELATIVE_ERROR * denominator)


@PROPERTY_SETTINGS
@given(networks(hidden=SMOOTH))
def test_backprop_matches_finite_differences_on_random_smooth_networks(network):
    params, X, Y, activations, loss = network
    assume(gradient_check_can_judge(params, X, Y, activations, loss))  # else the draw proves nothing either way
    assert reference.gradient_check(params, X, Y, activations, loss) < GRADCHECK_MAX_RELATIVE_ERROR


def test_a_saturated_output_is_beyond_the_gradient_check_not_a_backprop_error():
    # The draw that once failed the property above: 1-1-1 linear/sigmoid with BCE, float32, m = 4 and seed 3
    # (``networks``' recipe); Y = 0 everywhere and one output at A = 0.9999984, so J's log(1 - A) rounds at
    # eps64 / 1.6e-6 and the gradient check scores 2.4e-7 on a correct backprop.
    params = reference.init_params([1, 1, 1], "xavier", seed=3, dtype=np.float32)
    X, Y = (V.astype(np.float32) for V in make_data(1, 1, 4, "binary_crossentropy", 3))
    network = (params, X, Y, ["linear", "sigmoid"], "binary_crossentropy")
    assert reference.gradient_check(*network) > GRADCHECK_MAX_RELATIVE_ERROR
    assert not gradient_check_can_judge(*network)
    # The same J from the logit, mean(softplus(Z) - Y Z), keeps its precision where A rounds to near 1: its
    # central difference agrees with backprop far under the mark.
    p = {name: P.astype(np.float64) for name, P in params.items()}
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)

    def J_from_logit(p):
        Z = p["W2"] @ (p["W1"] @ X64 + p["b1"]) + p["b2"]
        return float(np.mean(np.logaddexp(0.0, Z) - Y64 * Z))

    g_logit = np.array([(J_from_logit(dict(p, **{name: p[name] + 1e-5}))
                         - J_from_logit(dict(p, **{name: p[name] - 1e-5}))) / 2e-5 for name in p])
    AL, caches = reference.forward(p, X64, ["linear", "sigmoid"])
    grads = reference.backward(AL, Y64, caches, ["linear", "sigmoid"], "binary_crossentropy")
    g = np.array([float(grads[f"d{name}"][0, 0]) for name in p])
    assert np.linalg.norm(g - g_logit) / (np.linalg.norm(g) + np.linalg.norm(g_logit)) < (
        GRADCHECK_ARBITER_SHARE * GRADCHECK_MAX_RELATIVE_ERROR)


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
