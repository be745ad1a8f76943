"""nn-parity's NumPy reference: dense neural networks in the course's notation, samples as columns.

    X (n_x, m)   W[l] (n[l], n[l-1])   b[l] (n[l], 1)
    Z[l] = W[l] A[l-1] + b[l]          A[l] = g[l](Z[l])
    dW[l] = (1/m) dZ[l] A[l-1]^T       db[l] = (1/m) sum_columns dZ[l]     dA[l-1] = W[l]^T dZ[l]

Imports numpy only. Every function keeps the float dtype it is given and never changes its inputs.
"""

from reference._validate import domain_checks
from reference.activations import ACTIVATIONS, get_activation
from reference.batchnorm import (
                                 BatchNorm,
                                 BatchNormCache,
                                 batchnorm_backward,
                                 batchnorm_forward,
                                 batchnorm_inference,
                                 update_running,
)
from reference.dropout import Dropout, dropout_backward, dropout_forward
from reference.dropout import mask as dropout_mask
from reference.gradcheck import gradient_check, numerical_gradients
from reference.initialization import SCHEMES, init_params
from reference.initialization import variance as init_variance
from reference.losses import LOSSES, cost, loss_gradient, output_gradient
from reference.minibatch import mini_batches, permutation
from reference.network import LayerCache, backward, forward, layer_backward, layer_forward, linear_backward
from reference.optimizers import SGD, Adam, Momentum, RMSprop, update
from reference.regularization import decoupled_weight_decay, l2_cost, l2_gradients
from reference.schedules import SCHEDULES, get_schedule
from reference.training import History, Step, accuracy, iterate, predict, train

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "BatchNorm",
    "BatchNormCache",
    "Dropout",
    "History",
    "LOSSES",
    "LayerCache",
    "Momentum",
    "RMSprop",
    "SCHEDULES",
    "SCHEMES",
    "SGD",
    "Step",
    "accuracy",
    "backward",
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_inference",
    "cost",
    "decoupled_weight_decay",
    "domain_checks",
    "dropout_backward",
    "dropout_forward",
    "dropout_mask",
    "forward",
    "get_activation",
    "get_schedule",
    "gradient_check",
    "init_params",
    "init_variance",
    "iterate",
    "l2_cost",
    "l2_gradients",
    "layer_backward",
    "layer_forward",
    "linear_backward",
    "loss_gradient",
    "mini_batches",
    "numerical_gradients",
    "output_gradient",
    "permutation",
    "predict",
    "train",
    "update",
    "update_running",
]
