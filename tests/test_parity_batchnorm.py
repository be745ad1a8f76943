"""Batch normalisation in the grid: torch's ``BatchNorm1d``, Keras's ``BatchNormalization`` and flax's formula in
JAX, each given the case's epsilon and decay in its own convention, loaded with the reference's gamma, beta and
running statistics before every step; the running variance's convention explained with its predicted size; and
planted batch-normalisation bugs caught at the step, stage, layer and quantity where they start.
"""

import numpy as np
import pytest

import reference.batchnorm
import reference.network
from parity.case import CASES, batch, initial_buffers, initial_params
from parity.harness import run_case, runtime_defaults
from parity.tolerance import EXPLAINED_PREDICTION_ULPS, ulps
from tests.planted import caught

BN_CASES = [name for name in CASES if name.startswith("batchnorm-")]
SGD = CASES["batchnorm-sgd-3steps-float64"]  # (4, 8, 6, 3): layers 1 and 2 normalised, layer 3 the output


def test_the_grid_has_batchnorm_cases_with_each_optimizer_in_both_dtypes_and_with_the_other_techniques():
    cases = [CASES[name] for name in BN_CASES]
    assert {c.optimizer for c in cases} == {"sgd", "momentum", "adam"}
    assert {c.dtype for c in cases} == {"float32", "float64"}
    assert any(c.lambd > 0 and c.keep_prob < 1 for c in cases)
    assert all(c.batchnorm and c.steps > 1 for c in cases)


@pytest.mark.parametrize("framework", ["torch", "keras", "jax"])
def test_every_framework_normalises_like_the_course(framework):
    pytest.importorskip({"jax": "jax", "keras": "keras"}.get(framework, "torch"))
    outcome = run_case(SGD, [framework])
    assert outcome.passed
    quantities = {r.quantity for r in outcome.results}
    assert {"Z_tilde", "dZ_tilde", "dgamma", "dbeta", "gamma", "beta", "running_mean", "running_var"} <= quantities
    assert not any(r.quantity == "db" and r.layer in SGD.batchnorm_layers for r in outcome.results)  # no bias there
    explained = {(r.quantity, r.status) for r in outcome.results if r.status != "pass"}
    assert explained == ({("running_var", "explained")} if framework == "torch" else set())


@pytest.mark.torch
def test_torchs_unbiased_running_variance_is_predicted_exactly():
    """After step 0, torch's running_var exceeds the course's by (1 - decay) var / (m - 1) per unit."""
    pytest.importorskip("torch")
    outcome = run_case(SGD, ["torch"])
    result = next(r for r in outcome.results if (r.step, r.layer, r.quantity) == (0, 1, "running_var"))
    assert result.status == "explained" and result.conventions == ["torch-batchnorm-running-variance"]
    X, _ = batch(SGD)
    params = initial_params(SGD)
    Z = params["W1"] @ X  # layer 1 has no b
    var = Z.var(axis=1)
    predicted = ((1 - SGD.bn_decay) * var / (SGD.m - 1)).max()
    assert result.predicted_max_abs == pytest.approx(predicted, rel=ulps(SGD.dtype, EXPLAINED_PREDICTION_ULPS))
    assert result.max_abs == pytest.approx(predicted, rel=ulps(SGD.dtype, EXPLAINED_PREDICTION_ULPS))  # measured
    assert initial_buffers(SGD)["running_var1"].ravel().tolist() == [1.0] * SGD.layer_dims[1]


# Planted bugs, in the reference ...
def _normalised_with_the_unbiased_variance(Z, gamma, beta, epsilon=1e-5):
    m = Z.shape[1]
    Z_tilde, cache = reference.batchnorm.batchnorm_forward(Z, gamma, beta, epsilon)
    inv_std = 1 / np.sqrt(cache.var * m / (m - 1) + epsilon)
    Z_norm = (Z - cache.mu) * inv_std
    return gamma * Z_norm + beta, reference.batchnorm.BatchNormCache(Z_norm, inv_std, gamma, cache.mu, cache.var)


def _backward_without_the_mean_term(dZ_tilde, cache):
    dZ, dgamma, dbeta = reference.batchnorm.batchnorm_backward(dZ_tilde, cache)
    return dZ + cache.gamma * cache.inv_std * dZ_tilde.mean(axis=1, keepdims=True), dgamma, dbeta


@pytest.mark.parametrize("framework", ["torch", "keras", "jax"])
def test_normalising_with_the_unbiased_variance_is_caught_at_the_first_Z_tilde(monkeypatch, framework):
    monkeypatch.setattr(reference.network, "batchnorm_forward", _normalised_with_the_unbiased_variance)
    _, where = caught(SGD, framework)
    assert where == (0, "forward", 1, "Z_tilde")


@pytest.mark.torch
def test_the_backward_pass_without_its_mean_term_is_caught_at_the_last_normalised_dZ(monkeypatch):
    """dZ_tilde[2] is still right; dZ[2], through the normalisation, is the first wrong number."""
    monkeypatch.setattr(reference.network, "batchnorm_backward", _backward_without_the_mean_term)
    _, where = caught(SGD, "torch")
    assert where == (0, "backward", 2, "dZ")


# ... and in the frameworks' conventions, each the classic confusion of the other's
@pytest.mark.torch
def test_torch_given_keras_momentum_is_caught_at_the_first_running_mean(monkeypatch):
    """BatchNorm1d(momentum=decay): torch's momentum weighs the new batch, so 0.9 there is Keras's 0.1."""
    torch = pytest.importorskip("torch")
    runtime_defaults("torch")  # read (and cached for the process) from the real class, before the planted one
    real = torch.nn.BatchNorm1d

    def keras_momentum(n, eps, momentum, **kwargs):
        return real(n, eps=eps, momentum=1 - momentum, **kwargs)

    monkeypatch.setattr(torch.nn, "BatchNorm1d", keras_momentum)
    divergence, where = caught(SGD, "torch")
    assert where == (0, "update", 1, "running_mean") and divergence.status == "fail"


@pytest.mark.keras
def test_keras_given_torchs_default_epsilon_is_caught_at_the_first_Z_tilde(monkeypatch):
    keras = pytest.importorskip("keras")
    runtime_defaults("keras")  # read (and cached for the process) from the real class, before the planted one
    real = keras.layers.BatchNormalization

    def torch_epsilon(momentum, epsilon, **kwargs):
        return real(momentum=momentum, epsilon=1e-5, **kwargs)

    monkeypatch.setattr(keras.layers, "BatchNormalization", torch_epsilon)
    _, where = caught(SGD, "keras")
    assert where == (0, "forward", 1, "Z_tilde")
