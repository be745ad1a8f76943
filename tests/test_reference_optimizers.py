"""The optimizers' forms, worked by hand on one parameter, and their documented equivalences."""

import math

import numpy as np
import pytest

import reference
from parity.tolerance import EQUIVALENT_FORMS_ULPS, KNOWN_ANSWER_ULPS, SIX_SIGNIFICANT_DIGITS, ulps

KNOWN = ulps(np.float64, KNOWN_ANSWER_ULPS)
EQUIVALENT = ulps(np.float64, EQUIVALENT_FORMS_ULPS)


def run(optimizer, gradients, w0=1.0):
    """Apply ``optimizer`` to one parameter W = [[w0]] with the given gradient sequence; return W after each step."""
    params, trajectory = {"W1": np.array([[w0]])}, []
    for g in gradients:
        params = reference.update(params, {"dW1": np.array([[g]])}, optimizer)
        trajectory.append(params["W1"][0, 0])
    return trajectory


@pytest.mark.parametrize("form, expected", [
    # v1 = 1, W = 1 - 0.1*1 = 0.9;  v2 = 0.9*1 + 1 = 1.9, W = 0.9 - 0.1*1.9 = 0.71
    ("heavy_ball", [0.9, 0.71]),
    # v1 = -0.1*1 = -0.1, W = 0.9;  v2 = 0.9*(-0.1) - 0.1 = -0.19, W = 0.9 - 0.19 = 0.71
    ("velocity", [0.9, 0.71]),
    # v1 = 0.1*1 = 0.1, W = 1 - 0.1*0.1 = 0.99;  v2 = 0.9*0.1 + 0.1 = 0.19, W = 0.99 - 0.019 = 0.971
    ("ema", [0.99, 0.971]),
])
def test_momentum_two_steps_by_hand(form, expected):
    trajectory = run(reference.Momentum(0.1, beta=0.9, form=form), [1.0, 1.0])
    np.testing.assert_allclose(trajectory, expected, rtol=KNOWN)


def test_adam_first_step_by_hand():
    """At t = 1, m = 0.1 g and v = 0.001 g^2, so m_hat = g and v_hat = g^2.

    paper:       step = lr g / (|g| + eps)                 = 1e-3 * 1e-5 / (1e-5 + 1e-8)            = 9.99001e-4
    epsilon_hat: step = lr sqrt(0.001) / 0.1 * m / (sqrt(v) + eps_hat)
                      = 1e-3 * 0.0316228 / 0.1 * 1e-6 / (3.16228e-7 + 1e-7)                      = 7.59747e-4
    """
    g = 1e-5
    paper = run(reference.Adam(1e-3, epsilon=1e-8), [g], w0=0.0)[0]
    assert -paper == pytest.approx(1e-3 * g / (g + 1e-8), rel=KNOWN)
    hat = run(reference.Adam(1e-3, epsilon=1e-7, form="epsilon_hat"), [g], w0=0.0)[0]
    assert -hat == pytest.approx(1e-3 * math.sqrt(1e-3) / 0.1 * 1e-6 / (math.sqrt(1e-13) + 1e-7), rel=KNOWN)
    assert -hat == pytest.approx(7.59747e-4, rel=SIX_SIGNIFICANT_DIGITS)  # the docstring's printed digits


GRADIENTS = list(np.random.default_rng(11).standard_normal(10))


def test_heavy_ball_and_velocity_forms_give_the_same_iterates():
    """At a constant learning rate Keras's velocity is -lr times torch's buffer: same iterates, to rounding."""
    a = run(reference.Momentum(0.05, 0.9, form="heavy_ball"), GRADIENTS)
    b = run(reference.Momentum(0.05, 0.9, form="velocity"), GRADIENTS)
    np.testing.assert_allclose(a, b, rtol=0, atol=EQUIVALENT)


def test_course_ema_momentum_is_heavy_ball_with_a_scaled_learning_rate():
    """v_ema = (1 - beta) v_heavy_ball, so EMA momentum at rate a is heavy-ball momentum at rate a (1 - beta)."""
    a = run(reference.Momentum(0.05, 0.9, form="ema"), GRADIENTS)
    b = run(reference.Momentum(0.05 * (1 - 0.9), 0.9, form="heavy_ball"), GRADIENTS)
    np.testing.assert_allclose(a, b, rtol=0, atol=EQUIVALENT)


def test_adam_forms_agree_when_epsilon_hat_is_rescaled_each_step():
    """paper(eps) and epsilon_hat(eps_hat) coincide when eps_hat = eps sqrt(1 - beta2^t) at every step t."""
    paper = run(reference.Adam(0.01, epsilon=1e-3), GRADIENTS)
    params, hat = {"W1": np.array([[1.0]])}, []
    optimizer = reference.Adam(0.01, epsilon=1e-3, form="epsilon_hat")
    for t, g in enumerate(GRADIENTS, start=1):
        optimizer.epsilon = 1e-3 * math.sqrt(1 - 0.999**t)
        params = reference.update(params, {"dW1": np.array([[g]])}, optimizer)
        hat.append(params["W1"][0, 0])
    np.testing.assert_allclose(paper, hat, rtol=0, atol=EQUIVALENT)


def test_adam_forms_differ_by_the_documented_amount_at_default_epsilons():
    """With torch's eps = 1e-8 against Keras's eps_hat = 1e-7 the first steps differ measurably (not a bug)."""
    paper = run(reference.Adam(1e-3, epsilon=1e-8), [1e-5], w0=0.0)[0]
    hat = run(reference.Adam(1e-3, epsilon=1e-7, form="epsilon_hat"), [1e-5], w0=0.0)[0]
    # the docstring's table: 9.99e-4 against 7.60e-4, a difference of 2.4e-4 (a third of a step)
    assert abs(paper - hat) > 2e-4


def test_optimizer_state_is_kept_per_parameter_and_counts_steps():
    optimizer = reference.Adam(0.01)
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    grads = {"dW1": np.ones((2, 2)), "db1": np.ones((2, 1))}
    reference.update(params, grads, optimizer)
    reference.update(params, grads, optimizer)
    assert optimizer.t == 2
    assert set(optimizer.m) == {"W1", "b1"} and optimizer.m["b1"].shape == (2, 1)


def test_update_returns_new_arrays_and_leaves_the_old_ones():
    params = {"W1": np.ones((1, 1))}
    new = reference.update(params, {"dW1": np.ones((1, 1))}, reference.SGD(0.5))
    assert params["W1"][0, 0] == 1.0 and new["W1"][0, 0] == 0.5


def test_rmsprop_first_step_by_hand_in_both_forms():
    """S = (1 - 0.9) g^2 = 1e-9 for g = 1e-4, so sqrt(S) = 3.16228e-5, near the epsilon of 1e-8:

    course:      step = lr g / (sqrt(S) + eps) = 0.1 * 1e-4 / (3.16228e-5 + 1e-8)  = 0.316128
    eps_in_sqrt: step = lr g / sqrt(S + eps)   = 0.1 * 1e-4 / sqrt(1e-9 + 1e-8)   = 0.0953463
    """
    g = 1e-4
    course = reference.optimizers.RMSprop(0.1, beta2=0.9, epsilon=1e-8)
    assert -run(course, [g], w0=0.0)[0] == pytest.approx(0.1 * g / (math.sqrt(1e-9) + 1e-8), rel=KNOWN)
    assert course.state()["s_dW1"][0, 0] == pytest.approx(1e-9, rel=KNOWN)
    inside = reference.optimizers.RMSprop(0.1, beta2=0.9, epsilon=1e-8, form="eps_in_sqrt")
    assert -run(inside, [g], w0=0.0)[0] == pytest.approx(0.1 * g / math.sqrt(1e-9 + 1e-8), rel=KNOWN)
    assert -run(reference.optimizers.RMSprop(0.1, 0.9, 1e-8), [g], w0=0.0)[0] == pytest.approx(
        0.316128, rel=SIX_SIGNIFICANT_DIGITS)  # the docstring's printed digits
    assert -run(reference.optimizers.RMSprop(0.1, 0.9, 1e-8, "eps_in_sqrt"), [g], w0=0.0)[0] == pytest.approx(
        0.0953463, rel=SIX_SIGNIFICANT_DIGITS)
