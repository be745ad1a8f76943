"""Batch normalisation in PyTorch's ``BatchNorm1d`` and Keras's ``BatchNormalization`` against the reference's.

Both frameworks normalise a batch (m, n) over its rows, samples as rows, with the biased batch variance, scale by
gamma (torch ``weight``) and shift by beta (``bias``): the reference's ``batchnorm_forward`` on Z = x^T. Their
conventions differ from each other, and the reference names each:
- running statistics: torch's ``momentum`` m_t weighs the new batch, running <- (1 - m_t) running + m_t batch,
  default 0.1; Keras's ``momentum`` weighs the old value, moving <- momentum moving + (1 - momentum) batch, default
  0.99. The reference's ``decay`` is Keras's momentum and 1 - torch's.
- the running variance: torch averages the unbiased m / (m - 1) var (``unbiased=True``), Keras the biased var.
- epsilon: 1e-5 in torch, 1e-3 in Keras (read from the installed frameworks below).

Gradients: J is the mean over the batch of a per-example loss, so the frameworks' gradients with respect to
gamma and beta are the reference's dgamma, dbeta (the 1/m is in both), and x.grad is dZ^T / m (the reference's dZ
is per example). Tolerance: ``BATCHNORM_NORMWISE`` (reason in parity.tolerance), normwise per quantity.

Inference mode (torch's ``eval()``, Keras's ``training=False``) normalises with the running statistics instead:
the reference's ``batchnorm_inference``, on a batch and statistics chosen so that the batch's own would differ.
"""

import inspect

import numpy as np
import pytest

import reference
from parity.compare import measure
from parity.tolerance import BATCHNORM_NORMWISE, BUG_MARGIN, CONVENTION_MARGIN

N, M = 3, 8


def _inputs():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((N, M)) * 2 + 1
    gamma, beta = rng.standard_normal((N, 1)), rng.standard_normal((N, 1))
    C = rng.standard_normal((N, M))  # per-example loss l_i = sum_k C_ki Zt_ki + Zt_ki^2 / 2
    return Z, gamma, beta, C


def _normwise(actual, expected) -> float:
    """max |a - e| / max |e| (``parity.compare.measure``'s max_rel)."""
    return measure(actual, expected, np.ones_like(expected), "float64").max_rel


def _reference(epsilon, decay, unbiased):
    Z, gamma, beta, C = _inputs()
    Zt, cache = reference.batchnorm_forward(Z, gamma, beta, epsilon)
    dZ, dgamma, dbeta = reference.batchnorm_backward(C + Zt, cache)
    mean, var = reference.update_running(np.zeros((N, 1)), np.ones((N, 1)), cache, M, decay, unbiased)
    return {"Z_tilde": Zt, "dZ": dZ / M, "dgamma": dgamma, "dbeta": dbeta, "running_mean": mean, "running_var": var}


def _assert_matches(actual: dict, expected: dict, framework: str):
    for name, value in expected.items():
        error = _normwise(actual[name], value)
        assert error <= BATCHNORM_NORMWISE, f"{framework} {name}: normwise error {error:.3g}"


@pytest.mark.torch
def test_torch_batchnorm1d_is_the_reference_with_decay_1_minus_momentum_and_the_unbiased_running_variance():
    torch = pytest.importorskip("torch")
    defaults = inspect.signature(torch.nn.BatchNorm1d).parameters
    epsilon, momentum = defaults["eps"].default, defaults["momentum"].default
    assert (epsilon, momentum) == (1e-5, 0.1)  # the defaults the docstring names, read from the installed torch
    Z, gamma, beta, C = _inputs()
    layer = torch.nn.BatchNorm1d(N, dtype=torch.float64)  # its defaults: running mean 0, running var 1
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma[:, 0]))
        layer.bias.copy_(torch.from_numpy(beta[:, 0]))
    x = torch.from_numpy(Z.T.copy()).requires_grad_(True)
    out = layer(x)  # training mode
    (torch.from_numpy(C.T.copy()) * out + out**2 / 2).sum(dim=1).mean().backward()
    actual = {"Z_tilde": out.detach().numpy().T, "dZ": x.grad.numpy().T, "dgamma": layer.weight.grad.numpy()[:, None],
              "dbeta": layer.bias.grad.numpy()[:, None], "running_mean": layer.running_mean.numpy()[:, None],
              "running_var": layer.running_var.numpy()[:, None]}
    expected = _reference(epsilon, decay=1 - momentum, unbiased=True)
    _assert_matches(actual, expected, "torch BatchNorm1d")
    # each convention is measured, not assumed: Keras's form of the running variance (biased) is 8/7 away
    biased = _reference(epsilon, decay=1 - momentum, unbiased=False)["running_var"]
    assert _normwise(actual["running_var"], biased) > BUG_MARGIN * BATCHNORM_NORMWISE


@pytest.mark.keras
def test_keras_batchnormalization_is_the_reference_with_decay_momentum_and_the_biased_running_variance():
    pytest.importorskip("keras")
    from parity.environment import require

    keras, tf = require("keras"), require("tensorflow")
    defaults = inspect.signature(keras.layers.BatchNormalization).parameters
    epsilon, momentum = defaults["epsilon"].default, defaults["momentum"].default
    assert (epsilon, momentum) == (1e-3, 0.99)
    Z, gamma, beta, C = _inputs()
    layer = keras.layers.BatchNormalization(dtype="float64")
    layer.build((None, N))
    layer.gamma.assign(gamma[:, 0])
    layer.beta.assign(beta[:, 0])
    x = tf.constant(Z.T)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, training=True)
        J = tf.reduce_mean(tf.reduce_sum(tf.constant(C.T) * out + out**2 / 2, axis=1))
    dx, dgamma, dbeta = tape.gradient(J, [x, layer.gamma, layer.beta])
    actual = {"Z_tilde": out.numpy().T, "dZ": dx.numpy().T, "dgamma": dgamma.numpy()[:, None],
              "dbeta": dbeta.numpy()[:, None], "running_mean": layer.moving_mean.numpy()[:, None],
              "running_var": layer.moving_variance.numpy()[:, None]}
    expected = _reference(epsilon, decay=momentum, unbiased=False)
    _assert_matches(actual, expected, "Keras BatchNormalization")
    # torch's epsilon would be measurably different here: 1e-5 against 1e-3 at variances near 4
    other = _reference(1e-5, decay=momentum, unbiased=False)["Z_tilde"]
    assert _normwise(actual["Z_tilde"], other) > CONVENTION_MARGIN * BATCHNORM_NORMWISE


def _inference_inputs():
    """A new batch and running statistics far from the batch's own, so that using the batch's would show."""
    Z, gamma, beta, _ = _inputs()
    rng = np.random.default_rng(1)
    running_mean, running_var = rng.standard_normal((N, 1)), rng.uniform(0.5, 2.0, (N, 1))
    return 3 * Z - 1, gamma, beta, running_mean, running_var


@pytest.mark.torch
def test_torch_eval_mode_is_the_references_inference_with_the_running_statistics():
    torch = pytest.importorskip("torch")
    Z, gamma, beta, running_mean, running_var = _inference_inputs()
    layer = torch.nn.BatchNorm1d(N, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        for tensor, value in ((layer.weight, gamma), (layer.bias, beta), (layer.running_mean, running_mean),
                              (layer.running_var, running_var)):
            tensor.copy_(torch.from_numpy(value[:, 0]))
    layer.eval()
    out = layer(torch.from_numpy(Z.T.copy())).detach().numpy().T
    expected = reference.batchnorm_inference(Z, gamma, beta, running_mean, running_var, 1e-5)
    assert _normwise(out, expected) <= BATCHNORM_NORMWISE
    training = reference.batchnorm_forward(Z, gamma, beta, 1e-5)[0]  # the batch's own statistics instead
    assert _normwise(out, training) > BUG_MARGIN * BATCHNORM_NORMWISE
    np.testing.assert_array_equal(layer.running_var.numpy(), running_var[:, 0])  # eval() leaves them alone


@pytest.mark.keras
def test_keras_training_false_is_the_references_inference_with_the_moving_statistics():
    pytest.importorskip("keras")
    from parity.environment import require

    keras, tf = require("keras"), require("tensorflow")
    Z, gamma, beta, running_mean, running_var = _inference_inputs()
    layer = keras.layers.BatchNormalization(epsilon=1e-3, dtype="float64")
    layer.build((None, N))
    for variable, value in ((layer.gamma, gamma), (layer.beta, beta), (layer.moving_mean, running_mean),
                            (layer.moving_variance, running_var)):
        variable.assign(value[:, 0])
    out = layer(tf.constant(Z.T), training=False).numpy().T
    expected = reference.batchnorm_inference(Z, gamma, beta, running_mean, running_var, 1e-3)
    assert _normwise(out, expected) <= BATCHNORM_NORMWISE
    training = reference.batchnorm_forward(Z, gamma, beta, 1e-3)[0]
    assert _normwise(out, training) > BUG_MARGIN * BATCHNORM_NORMWISE
