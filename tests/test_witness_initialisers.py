"""The frameworks' default initialisers against the reference's laws, checked statistically.

torch's ``nn.Linear`` draws W and b from U(-1/sqrt(n_in), 1/sqrt(n_in)) (``kaiming_uniform_`` with a = sqrt(5),
and its bias rule): the reference's ``torch_default``. Keras's ``Dense`` draws its kernel from
``glorot_uniform``, U(-r, r) with r = sqrt(6 / (n_in + n_out)), and zero biases: the reference's
``glorot_uniform``. Each is a 500 x 500 layer: 250,000 draws, whose sample standard deviation is within
``SAMPLE_STD_RELATIVE`` (1%, an 11-sigma bound for uniform draws) of the law's, and whose largest |W| fills the
bound (the largest of 250,000 uniform draws is within 1e-4 r of r with probability 1 - e^-25). The two laws'
standard deviations differ by a factor sqrt(3) at this size: far outside the bound, so a swapped default
fails.
"""

import numpy as np
import pytest

import reference
from parity.tolerance import SAMPLE_STD_RELATIVE

N = 500


def _law(scheme):
    return np.sqrt(reference.init_variance(scheme, N, N)), float(reference.SCHEMES[scheme].scale(N, N))


@pytest.mark.torch
def test_torch_linear_default_is_the_references_torch_default():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    linear = torch.nn.Linear(N, N, dtype=torch.float64)
    W, b = linear.weight.detach().numpy(), linear.bias.detach().numpy()
    std, bound = _law("torch_default")
    assert W.std() == pytest.approx(std, rel=SAMPLE_STD_RELATIVE)
    assert bound * (1 - 1e-4) < np.abs(W).max() <= bound
    assert np.abs(b).max() <= float(reference.SCHEMES["torch_default"].bias(N, N)) and b.std() > 0
    assert W.std() != pytest.approx(_law("glorot_uniform")[0], rel=SAMPLE_STD_RELATIVE)  # the check could fail


@pytest.mark.keras
def test_keras_dense_default_is_the_references_glorot_uniform():
    pytest.importorskip("keras")
    from parity.environment import require

    keras = require("keras")
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(N, dtype="float64")
    dense.build((None, N))
    W, b = dense.kernel.numpy(), dense.bias.numpy()
    std, bound = _law("glorot_uniform")
    assert W.std() == pytest.approx(std, rel=SAMPLE_STD_RELATIVE)
    assert bound * (1 - 1e-4) < np.abs(W).max() <= bound
    assert not b.any()  # Keras's biases start at zero, as the course's do
    assert W.std() != pytest.approx(_law("torch_default")[0], rel=SAMPLE_STD_RELATIVE)
