"""The correct network with one classic slip: softmax normalised over the samples instead of the classes.

python -m parity check examples/buggy_softmax_axis.py   ->  first divergence A2 at step 0
"""

import numpy as np
from correct import ACTIVATIONS, LAYERS, LOSS, backward_prop, compute_cost, relu, update_params  # noqa: F401


def softmax(Z):
    exps = np.exp(Z - np.max(Z, axis=1, keepdims=True))  # the bug: axis=1 runs over samples (columns)
    return exps / np.sum(exps, axis=1, keepdims=True)


def forward_prop(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": softmax(Z2)}
