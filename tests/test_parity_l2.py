"""L2 regularisation in the grid: each framework's own mechanism, its explained divergence with the predicted and
measured sizes, and planted bugs of the L2 kind caught at the step, stage, layer and quantity where they start.

torch (parameter groups, ``weight_decay = lambd / m`` on the weights) and optax (``add_decayed_weights`` on the
kernels, chained before the optimizer) report J and dW without the L2 term, which the ``l2-as-weight-decay``
convention predicts exactly; Keras (``kernel_regularizer=L2(lambd / 2m)``, its loss plus ``model.losses``) reports the
course's J and dW.
"""

import numpy as np
import pytest

import reference
import reference.regularization
from parity import harness
from parity.case import CASES, batch, initial_params
from parity.harness import run_case, runtime_defaults
from parity.implementations import keras as keras_implementation
from parity.implementations import reference as reference_implementation
from parity.implementations import torch as torch_implementation
from parity.tolerance import EXPLAINED_PREDICTION_ULPS, REARRANGEMENT_ULPS, ulps
from parity.trace import Key
from tests.planted import caught

L2_CASES = [name for name in CASES if name.startswith("l2-")]
SGD = CASES["l2-sgd-1steps-float64"]  # (3, 5, 2), tanh, softmax: two layers, so "layer 1" and "layer L" differ


def test_the_grid_has_l2_cases_alone_and_with_each_optimizer_in_both_dtypes():
    cases = [CASES[name] for name in L2_CASES]
    assert {c.optimizer for c in cases} == {"sgd", "momentum", "adam"}
    assert {c.dtype for c in cases} == {"float32", "float64"}
    assert {c.steps > 1 for c in cases} == {True, False}
    assert all(c.lambd > 0 for c in cases)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["l2-sgd-1steps-float64", "l2-momentum-4steps-float32", "l2-adam-1steps-float64"])
def test_torch_weight_decay_is_explained_in_J_and_dW_by_exactly_the_L2_term(name):
    pytest.importorskip("torch")
    case = CASES[name]
    outcome = run_case(case, ["torch"])
    assert outcome.passed
    assert "l2-as-weight-decay" in outcome.variants["torch"]
    explained = {(r.stage, r.quantity) for r in outcome.results if r.status == "explained"}
    assert explained == {("cost", "J"), ("backward", "dW")}
    assert all(r.status == "pass" for r in outcome.results if r.stage == "update")  # the same step
    # the predicted size is the course's term: (lambd / 2m) sum ||W||^2 in J at step 0
    params = initial_params(case)
    J0 = next(r for r in outcome.results if (r.step, r.quantity) == (0, "J"))
    term = reference.l2_cost(params, case.lambd, case.m)
    # the prediction is the textbook J minus the variant's: the term, up to the rounding of that sum
    assert J0.predicted_max_abs == pytest.approx(term, rel=ulps("float64", EXPLAINED_PREDICTION_ULPS))
    # measured: torch's J is the data loss alone
    assert J0.max_abs == pytest.approx(term, rel=ulps(case.dtype, EXPLAINED_PREDICTION_ULPS))


@pytest.mark.keras
def test_keras_kernel_regularizer_gives_the_courses_J_and_dW():
    pytest.importorskip("keras")
    outcome = run_case(CASES["l2-sgd-1steps-float32"], ["keras"])
    assert outcome.passed
    assert all(r.status == "pass" for r in outcome.results), [r for r in outcome.results if r.status != "pass"]


@pytest.mark.jax
def test_optax_add_decayed_weights_is_explained_like_torchs():
    pytest.importorskip("jax")
    outcome = run_case(CASES["l2-adam-1steps-float32"], ["jax"])
    assert outcome.passed
    assert {(r.stage, r.quantity) for r in outcome.results if r.status == "explained"} == {
        ("cost", "J"), ("backward", "dW")}


# Planted bugs. In the reference: the course's classic slip, the L2 gradient without its 1/m. Keras follows the
# course, so its first divergence is the output layer's dW; torch takes the L2 term in its optimizer, so its J
# and dW still agree (explained) and the first divergence is the first weight it updates.
def _without_one_over_m(grads, params, lambd, m):
    return reference.regularization.l2_gradients(grads, params, lambd * m, m)


@pytest.mark.keras
def test_l2_gradient_without_one_over_m_is_caught_at_keras_output_dW(monkeypatch):
    monkeypatch.setattr(reference, "l2_gradients", _without_one_over_m)
    _, where = caught(SGD, "keras")
    assert where == (0, "backward", SGD.L, "dW")


@pytest.mark.torch
def test_l2_gradient_without_one_over_m_is_caught_at_torchs_first_updated_weight(monkeypatch):
    monkeypatch.setattr(reference, "l2_gradients", _without_one_over_m)
    _, where = caught(SGD, "torch")
    assert where == (0, "update", 1, "W")


@pytest.mark.torch
def test_torch_decaying_the_biases_too_is_caught_at_the_first_bias(monkeypatch):
    """One parameter group for everything, torch's default: weight decay reaches the biases, which the course does
    not regularise."""
    monkeypatch.setattr(torch_implementation, "_parameter_groups", lambda case, linears, norms: [
        {"params": [p for linear in linears for p in linear.parameters()], "weight_decay": case.lambd / case.m}])
    divergence, where = caught(SGD, "torch")
    assert where == (0, "update", 1, "b")
    assert divergence.status == "fail"


@pytest.mark.keras
def test_keras_regularizer_without_the_half_is_caught_at_J(monkeypatch):
    """L2(lambd / m): the penalty twice the course's, so J is the first number that differs."""
    monkeypatch.setattr(keras_implementation, "_regularizer",
                        lambda case: keras_implementation._modules()[1].regularizers.L2(case.lambd / case.m))
    _, where = caught(SGD, "keras")
    assert where == (0, "cost", None, "J")


@pytest.mark.jax
def test_optax_weight_decay_after_adam_is_decoupled_and_caught_at_the_first_weight(monkeypatch):
    """add_decayed_weights chained *after* optax.adam is decoupled decay (W - lr (u + wd W)): for Adam that is not
    the course's L2, and the first weight updated shows it."""
    from parity.implementations import jax as jax_implementation

    optax = pytest.importorskip("optax")
    case = CASES["l2-adam-1steps-float64"]

    def decoupled(case):
        mask = lambda params: {name: name.startswith("W") for name in params}  # noqa: E731
        return optax.chain(optax.scale_by_adam(case.beta1, case.beta2, case.epsilon),
                           optax.add_decayed_weights(case.lambd / case.m, mask=mask),
                           optax.scale(-case.learning_rate))

    monkeypatch.setattr(jax_implementation, "_optimizer", decoupled)
    monkeypatch.setattr(jax_implementation, "_COMPILED", {})
    _, where = caught(case, "jax")
    assert where == (0, "update", 1, "W")


def test_the_l2_term_is_the_courses_in_the_reference_trace():
    """The textbook reference's J and dW at step 0 are the data loss's plus the course's terms."""
    case = SGD
    trace = reference_implementation.run(case)
    params, (X, Y) = initial_params(case), batch(case)
    AL, caches = reference.forward(params, X, list(case.activations))
    grads = reference.backward(AL, Y, caches, list(case.activations), case.loss)
    J = reference.cost(AL, Y, case.loss) + reference.l2_cost(params, case.lambd, case.m)
    assert trace.values[Key(0, "cost", None, "J")] == pytest.approx(J, rel=ulps("float64", REARRANGEMENT_ULPS))
    for l in (1, 2):
        expected = grads[f"dW{l}"] + case.lambd / case.m * params[f"W{l}"]
        np.testing.assert_allclose(trace.values[Key(0, "backward", l, "dW")], expected,
                                   rtol=ulps("float64", REARRANGEMENT_ULPS))


# Decoupled weight decay (AdamW and its SGD and momentum forms): every framework's own, weights only.
DECOUPLED = [name for name in CASES if name.startswith("decoupled-decay-")]


def test_the_grid_has_decoupled_decay_with_each_optimizer():
    assert {CASES[name].optimizer for name in DECOUPLED} == {"sgd", "momentum", "adam"}
    assert all(CASES[name].weight_decay > 0 and CASES[name].lambd == 0 for name in DECOUPLED)


@pytest.mark.parametrize("framework", ["torch", "keras", "jax"])
def test_every_framework_decays_decoupled_like_the_reference(framework):
    pytest.importorskip({"jax": "jax", "keras": "keras"}.get(framework, "torch"))
    for name in ("decoupled-decay-sgd-1steps-float32", "decoupled-decay-adam-4steps-float32"):
        outcome = run_case(CASES[name], [framework])
        assert outcome.passed, name


@pytest.mark.torch
def test_torch_has_no_decoupled_decay_for_momentum_and_says_so():
    from parity.frameworks import framework_applies, get

    assert not framework_applies(CASES["decoupled-decay-momentum-4steps-float64"], "torch")
    assert "decoupled weight decay" in get("torch").applies_text and "SGD and Adam" in get("torch").applies_text


@pytest.mark.torch
def test_coupled_adam_where_adamw_belongs_is_caught_at_the_first_weight(monkeypatch):
    """torch's Adam(weight_decay=wd) puts wd W through Adam's normalisation: not decoupled decay. For SGD the two
    are the same map (torch's SGD weight_decay passes), for Adam they differ at the first weight updated."""
    torch = pytest.importorskip("torch")
    runtime_defaults("torch")  # read (and cached for the process) from the real AdamW, before the planted one
    monkeypatch.setattr(torch.optim, "AdamW", torch.optim.Adam)
    assert run_case(CASES["decoupled-decay-sgd-1steps-float64"], ["torch"]).passed
    _, where = caught(CASES["decoupled-decay-adam-4steps-float64"], "torch")
    assert where == (0, "update", 1, "W")


@pytest.mark.keras
def test_keras_decaying_the_biases_too_is_caught_at_the_first_bias(monkeypatch):
    """Keras decays every variable unless told: without exclude_from_weight_decay the biases shrink too."""
    keras = pytest.importorskip("keras")
    monkeypatch.setattr(keras.optimizers.Optimizer, "exclude_from_weight_decay", lambda self, **kwargs: None)
    _, where = caught(CASES["decoupled-decay-sgd-1steps-float32"], "keras")
    assert where == (0, "update", 1, "b")


def test_the_reference_decays_after_the_step_and_never_the_biases():
    case = CASES["decoupled-decay-adam-4steps-float64"]
    trace = reference_implementation.run(case)
    params, (X, Y) = initial_params(case), batch(case)
    AL, caches = reference.forward(params, X, list(case.activations))
    grads = reference.backward(AL, Y, caches, list(case.activations), case.loss)
    stepped = reference.update(params, grads, reference.Adam(case.learning_rate, case.beta1, case.beta2,
                                                              case.epsilon))
    for l in (1, 2):
        expected = stepped[f"W{l}"] - case.learning_rate * case.weight_decay * params[f"W{l}"]
        np.testing.assert_allclose(trace.values[Key(0, "update", l, "W")], expected,
                                   rtol=ulps("float64", REARRANGEMENT_ULPS))
        np.testing.assert_array_equal(trace.values[Key(0, "update", l, "b")], stepped[f"b{l}"])


@pytest.mark.keras
def test_keras_313s_exact_l2_factor_is_read_at_run_time_and_told_from_314s(monkeypatch):
    """Keras 3.14 rounds L2's factor through float32 in a float64 model (``ops.cast``), 3.13 did not: the default
    ``l2_factor_float32`` is measured, and the convention follows it. 3.13's regularizer, planted under the installed
    Keras's measured default, fails at the first number it moves (J); with the default measured as 3.13's, the
    same run is the course's."""
    pytest.importorskip("keras")
    assert keras_implementation.runtime_defaults("keras")["l2_factor_float32"] is (
        keras_implementation._modules()[1].__version__.split(".")[:2] >= ["3", "14"])

    def keras_313_regularizer(case):
        ops, l2 = keras_implementation._modules()[1].ops, case.lambd / (2 * case.m)
        return lambda W: l2 * ops.sum(ops.square(W))  # the Python float, exact in float64

    monkeypatch.setattr(keras_implementation, "_regularizer", keras_313_regularizer)
    try:
        for measured in (True, False):
            harness.runtime_defaults.cache_clear()  # defaults are read once per process
            monkeypatch.setattr(keras_implementation, "_l2_factor_float32", lambda keras, flag=measured: flag)
            outcome = run_case(SGD, ["keras"])
            if measured:
                divergence = outcome.first_divergence
                assert (divergence.step, divergence.stage, divergence.quantity, divergence.status) == (
                    0, "cost", "J", "fail"), divergence
            else:
                assert outcome.passed, outcome.first_divergence
    finally:
        harness.runtime_defaults.cache_clear()  # the next test reads the installed Keras's own
