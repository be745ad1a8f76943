"""``reference.domain_checks(False)``: the formulas evaluated outside their probability domain, as the course's
published unit tests feed them (AL above 1, labels like 2), with every other check left on.

Each expected value is the hand formula computed here with numpy; the clear errors come back after the block
(after an exception too, and nested blocks restore the outer setting); a formula with no finite value raises
naming itself. numpy errors raise in every test (conftest), so no path here may even warn.
"""

import threading

import numpy as np
import pytest

import reference
from parity.tolerance import KNOWN_ANSWER_ULPS, ulps

KNOWN = ulps("float64", KNOWN_ANSWER_ULPS)

BCE_LABELS_MESSAGE = "binary_crossentropy labels must lie in [0, 1], got values from -1.0 to 2.0"
AL3 = np.array([[0.8, 0.9, 0.4]])
Y3 = np.array([[2.0, 0.5, -1.0]])


def bce(AL, Y):
    return -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))


def bce_gradient(AL, Y):
    return (AL - Y) / (AL * (1 - AL)) / AL.shape[0]


def softmax(Z):
    e = np.exp(Z - Z.max(axis=0))
    return e / e.sum(axis=0)


def bce_labels_error() -> str:
    with pytest.raises(ValueError) as raised:
        reference.cost(AL3, Y3, "binary_crossentropy")
    return str(raised.value)


# ---- each relaxed check computes the hand formula --------------------------------------------------------------


def test_bce_cost_with_labels_outside_the_unit_interval():
    with reference.domain_checks(False):
        J = reference.cost(AL3, Y3, "binary_crossentropy")
    np.testing.assert_allclose(J, bce(AL3, Y3), rtol=KNOWN)


def test_bce_cost_with_outputs_outside_the_unit_interval():
    # where Y is exactly 1 (or 0), the log of 1 - AL (of AL) is multiplied by 0 and not taken: J stays defined
    AL, Y = np.array([[1.2, -0.5]]), np.array([[1.0, 0.0]])
    with reference.domain_checks(False):
        J = reference.cost(AL, Y, "binary_crossentropy")
    np.testing.assert_allclose(J, -(np.log(1.2) + np.log(1 - -0.5)) / 2, rtol=KNOWN)


def test_bce_gradient_with_al_above_one_and_a_label_of_two():
    AL, Y = np.array([[1.2, 0.4], [0.3, 1.5]]), np.array([[1.0, 2.0], [0.0, 1.0]])
    with reference.domain_checks(False):
        dAL = reference.loss_gradient(AL, Y, "binary_crossentropy")
    np.testing.assert_allclose(dAL, bce_gradient(AL, Y), rtol=KNOWN)


def test_cce_cost_and_gradient_with_targets_that_are_not_distributions():
    AL, Y = np.array([[0.7, 0.2], [0.3, 0.8]]), np.array([[2.0, 0.0], [0.0, 3.0]])
    with reference.domain_checks(False):
        J = reference.cost(AL, Y, "categorical_crossentropy")
        dAL = reference.loss_gradient(AL, Y, "categorical_crossentropy")
    np.testing.assert_allclose(J, -np.mean(np.sum(Y * np.log(AL), axis=0)), rtol=KNOWN)
    np.testing.assert_allclose(dAL, -Y / AL, rtol=KNOWN)


def test_cce_cost_and_gradient_with_outputs_outside_the_unit_interval():
    AL, Y = np.array([[1.5, -0.5], [-0.5, 0.5]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    with reference.domain_checks(False):
        J = reference.cost(AL, Y, "categorical_crossentropy")
        dAL = reference.loss_gradient(AL, Y, "categorical_crossentropy")
    np.testing.assert_allclose(J, -(np.log(1.5) + np.log(0.5)) / 2, rtol=KNOWN)
    np.testing.assert_allclose(dAL, -Y / AL, rtol=KNOWN)


def test_fused_sigmoid_bce_gradient_with_labels_outside_the_unit_interval():
    with reference.domain_checks(False):
        dZL = reference.output_gradient(AL3, Y3, "binary_crossentropy", "sigmoid")
    np.testing.assert_allclose(dZL, AL3 - Y3, rtol=KNOWN)


def test_fused_softmax_cce_gradient_for_targets_of_any_sum_is_the_softmax_backward():
    """AL - Y holds only for columns summing to 1; for any Y the gradient through softmax is AL sum_k Y[k] - Y."""
    Z = np.array([[0.5, -1.0], [0.0, 2.0], [1.0, 0.0]])
    AL, Y = softmax(Z), np.array([[2.0, 0.0], [0.0, 0.5], [1.0, 0.0]])
    with reference.domain_checks(False):
        dZL = reference.output_gradient(AL, Y, "categorical_crossentropy", "softmax")
        unfused = reference.get_activation("softmax").backward(
            reference.loss_gradient(AL, Y, "categorical_crossentropy"), Z)
    np.testing.assert_allclose(dZL, AL * Y.sum(axis=0) - Y, rtol=KNOWN)
    np.testing.assert_allclose(dZL, unfused, rtol=KNOWN, atol=KNOWN)


def test_backward_and_train_use_the_relaxed_checks():
    params = {"W1": np.array([[0.5, -1.0]]), "b1": np.array([[0.25]])}
    X, Y = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 1.0]]), np.array([[2.0, -1.0, 0.5]])
    with reference.domain_checks(False):
        AL, caches = reference.forward(params, X, ["sigmoid"])
        grads = reference.backward(AL, Y, caches, ["sigmoid"], "binary_crossentropy")
        _, history = reference.train(params, X, Y, ["sigmoid"], "binary_crossentropy", reference.SGD(0.1), 1)
    A = 1 / (1 + np.exp(-(params["W1"] @ X + params["b1"])))
    np.testing.assert_allclose(AL, A, rtol=KNOWN)
    np.testing.assert_allclose(grads["dW1"], (A - Y) @ X.T / 3, rtol=KNOWN)
    np.testing.assert_allclose(grads["db1"], (A - Y).mean(axis=1, keepdims=True), rtol=KNOWN)
    np.testing.assert_allclose(history.cost[0], bce(A, Y), rtol=KNOWN)


def test_input_inside_the_domain_gives_what_it_gives_with_the_checks_on():
    cases = [(np.array([[0.5, 0.8]]), np.array([[1.0, 0.0]])), (np.array([[1.0]]), np.array([[0.0]]))]  # J = inf
    for AL, Y in cases:
        on = reference.cost(AL, Y, "binary_crossentropy"), reference.output_gradient(AL, Y, "binary_crossentropy",
                                                                                       "sigmoid")
        with reference.domain_checks(False):
            off = reference.cost(AL, Y, "binary_crossentropy"), reference.output_gradient(
                AL, Y, "binary_crossentropy", "sigmoid")
        assert on[0] == off[0]
        np.testing.assert_array_equal(on[1], off[1])


# ---- the errors come back, unchanged ---------------------------------------------------------------------------


def test_the_error_comes_back_after_the_block_with_its_text_unchanged():
    before = bce_labels_error()
    assert before == BCE_LABELS_MESSAGE
    with reference.domain_checks(False):
        reference.cost(AL3, Y3, "binary_crossentropy")
    assert bce_labels_error() == before


def test_the_error_comes_back_after_an_exception_inside_the_block():
    with pytest.raises(KeyError), reference.domain_checks(False):
        raise KeyError("inside")
    assert bce_labels_error() == BCE_LABELS_MESSAGE


def test_nested_blocks_restore_the_enclosing_setting():
    with reference.domain_checks(False):
        with reference.domain_checks(True):
            assert bce_labels_error() == BCE_LABELS_MESSAGE
            with reference.domain_checks(False):
                reference.cost(AL3, Y3, "binary_crossentropy")
            assert bce_labels_error() == BCE_LABELS_MESSAGE
        reference.cost(AL3, Y3, "binary_crossentropy")
    assert bce_labels_error() == BCE_LABELS_MESSAGE


DOMAIN_ERRORS = [
    (np.array([[-0.5, 2.0]]), np.array([[0.0, 1.0]]), "binary_crossentropy",
     "binary_crossentropy needs probabilities, but AL has values from -0.5 to 2.0; use a sigmoid output layer"),
    (np.array([[1.5], [-0.5]]), np.array([[1.0], [0.0]]), "categorical_crossentropy",
     "categorical_crossentropy needs probabilities, but AL has values from -0.5 to 1.5; use a softmax output layer"),
    (np.array([[0.5], [0.5]]), np.array([[1.0], [1.0]]), "categorical_crossentropy",
     "categorical_crossentropy targets must be probability vectors (columns >= 0 summing to 1, e.g. one-hot); "
     "1 of 1 columns are not, first column 0 sums to 2.0 with minimum 1.0"),
]


@pytest.mark.parametrize(("AL", "Y", "loss", "message"), DOMAIN_ERRORS, ids=["bce-AL", "cce-AL", "cce-targets"])
def test_every_domain_error_comes_back(AL, Y, loss, message):
    with reference.domain_checks(False):
        reference.cost(AL, Y, loss)
        reference.loss_gradient(AL, Y, loss)
    for call in (reference.cost, reference.loss_gradient):
        with pytest.raises(ValueError) as raised:
            call(AL, Y, loss)
        assert str(raised.value) == message


def test_a_new_thread_starts_with_the_checks_on():
    seen = []

    def worker():
        try:
            reference.cost(AL3, Y3, "binary_crossentropy")
        except ValueError as error:
            seen.append(str(error))

    with reference.domain_checks(False):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        reference.cost(AL3, Y3, "binary_crossentropy")
    assert seen == [BCE_LABELS_MESSAGE]


# ---- every other check stays on --------------------------------------------------------------------------------


def test_shape_dtype_nan_and_name_checks_still_raise_inside():
    with reference.domain_checks(False):
        with pytest.raises(ValueError, match=r"Y has shape \(3, 1\) but AL has shape \(1, 3\)"):
            reference.cost(AL3, Y3.T, "binary_crossentropy")
        with pytest.raises(ValueError, match=r"Y has shape \(3,\).*Y\.reshape\(1, -1\)"):
            reference.cost(AL3, Y3.ravel(), "binary_crossentropy")
        with pytest.raises(ValueError, match=r"Y contains NaN or inf, first at index \(0, 1\)"):
            reference.cost(AL3, np.array([[2.0, np.nan, -1.0]]), "binary_crossentropy")
        with pytest.raises(ValueError, match=r"Y contains NaN or inf, first at index \(0, 0\)"):
            reference.loss_gradient(AL3, np.array([[np.inf, 0.5, -1.0]]), "binary_crossentropy")
        with pytest.raises(TypeError, match=r"AL must be a float32 or float64 array"):
            reference.cost(np.array([[2, 0, 1]]), Y3, "binary_crossentropy")
        with pytest.raises(TypeError, match=r"Y is float32 but the parameters are float64"):
            reference.cost(AL3, Y3.astype(np.float32), "binary_crossentropy")
        with pytest.raises(ValueError, match=r"unknown loss 'bce'"):
            reference.cost(AL3, Y3, "bce")
        with pytest.raises(ValueError, match=r"X contains NaN or inf"):
            reference.forward({"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}, np.array([[np.nan], [0.0]]),
                              ["sigmoid"])


# ---- a formula with no finite value raises, naming itself -------------------------------------------------------


def test_a_log_of_a_negative_raises_naming_the_function_and_the_element():
    with reference.domain_checks(False), pytest.raises(
        ValueError, match=r"^binary_crossentropy is not defined at AL\[0, 1\] = 1\.2 \(with Y\[0, 1\] = 0\.5\): "
                          r"the cost J .* is nan there"):
        reference.cost(np.array([[0.5, 1.2]]), np.array([[1.0, 0.5]]), "binary_crossentropy")


def test_a_division_by_zero_raises_naming_the_gradient():
    with reference.domain_checks(False), pytest.raises(
        ValueError, match=r"^binary_crossentropy_gradient is not defined at AL\[0, 0\] = 0\.0 \(with Y\[0, 0\] = 2\.0\)"
                          r": dAL .* is inf there"):
        reference.loss_gradient(np.array([[0.0, 0.4]]), np.array([[2.0, 1.0]]), "binary_crossentropy")


def test_cce_of_a_negative_output_raises():
    with reference.domain_checks(False), pytest.raises(
        ValueError, match=r"^categorical_crossentropy is not defined at AL\[1, 0\] = -0\.5 \(with Y\[1, 0\] = 1\.0\)"):
        reference.cost(np.array([[1.5], [-0.5]]), np.array([[0.0], [1.0]]), "categorical_crossentropy")


def test_backward_raises_where_its_gradient_is_undefined():
    params = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    X, Y = np.array([[0.0, 1.0]]), np.array([[2.0, 1.0]])
    with reference.domain_checks(False):
        AL, caches = reference.forward(params, X, ["linear"])  # AL = [[0, 1]]: BCE's dAL divides by AL (1 - AL)
        with pytest.raises(ValueError, match=r"^binary_crossentropy_gradient is not defined at AL\[0, 0\] = 0\.0"):
            reference.backward(AL, Y, caches, ["linear"], "binary_crossentropy")


# ---- the argument ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", [0, 1, None, "False", np.False_], ids=["0", "1", "None", "str", "np.bool"])
def test_enabled_must_be_a_bool(enabled):
    with pytest.raises(TypeError, match=r"domain_checks takes True or False"):
        reference.domain_checks(enabled)
    assert bce_labels_error() == BCE_LABELS_MESSAGE
