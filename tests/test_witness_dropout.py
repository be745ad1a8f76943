"""Dropout in PyTorch's ``nn.Dropout`` and Keras's ``Dropout`` against the reference's inverted dropout.

Neither layer takes a mask: each draws its own from its random generator. So the mask enters as data read back
from the layer: on inputs with no zero, D = (output != 0) is exactly the layer's mask, and the reference applies
that same D (``reference.dropout_forward(A, D, keep_prob)``). Both layers take the drop rate p = 1 - keep_prob
and scale the kept units by 1 / keep_prob at training time (inverted dropout), so forward and backward must then
agree elementwise within ``DROPOUT_SCALE_ULPS``; at inference both are the identity.
"""

import numpy as np
import pytest

import reference
from parity.tolerance import DROPOUT_SCALE_ULPS

KEEP_PROB = 0.8
SHAPE = (50, 40)  # 2,000 units: about 400 dropped


def _inputs():
    rng = np.random.default_rng(0)
    A = rng.uniform(1, 2, SHAPE) * rng.choice([-1, 1], SHAPE)  # no zeros, so output != 0 is the mask
    C = rng.standard_normal(SHAPE)
    return A, C


def _assert_within_ulps(actual, expected, what):
    error = np.abs(actual - expected)
    bound = DROPOUT_SCALE_ULPS * np.spacing(np.abs(expected))
    assert (error <= bound).all(), f"{what}: largest difference {error.max():.3g}, bound {bound.max():.3g}"


def _check(out, grad, A, C, framework):
    D = (out != 0).astype(np.float64)
    assert 0.15 < 1 - D.mean() < 0.25, f"{framework} dropped {1 - D.mean():.0%} of the units, not about 20%"
    _assert_within_ulps(out, reference.dropout_forward(A, D, KEEP_PROB), f"{framework} forward")
    _assert_within_ulps(grad, reference.dropout_backward(C, D, KEEP_PROB), f"{framework} backward")
    # the check could fail: without the 1/keep_prob, or with the mask left out of the backward pass
    assert np.abs(out - A * D).max() > 0.2
    assert np.abs(grad - C / KEEP_PROB).max() > 0.5


@pytest.mark.torch
def test_torch_dropout_is_inverted_dropout_with_its_own_mask():
    torch = pytest.importorskip("torch")
    A, C = _inputs()
    torch.manual_seed(0)
    layer = torch.nn.Dropout(p=1 - KEEP_PROB)
    x = torch.from_numpy(A.copy()).requires_grad_(True)
    out = layer(x)  # training mode
    out.backward(torch.from_numpy(C.copy()))
    _check(out.detach().numpy(), x.grad.numpy(), A, C, "torch nn.Dropout")
    layer.eval()
    np.testing.assert_array_equal(layer(torch.from_numpy(A)).numpy(), A)  # inference: the identity


@pytest.mark.keras
def test_keras_dropout_is_inverted_dropout_with_its_own_mask():
    pytest.importorskip("keras")
    from parity.environment import require

    keras, tf = require("keras"), require("tensorflow")
    A, C = _inputs()
    layer = keras.layers.Dropout(rate=1 - KEEP_PROB, seed=0, dtype="float64")
    x = tf.constant(A)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, training=True)
        J = tf.reduce_sum(tf.constant(C) * out)
    _check(out.numpy(), tape.gradient(J, x).numpy(), A, C, "Keras Dropout")
    np.testing.assert_array_equal(layer(x, training=False).numpy(), A)
