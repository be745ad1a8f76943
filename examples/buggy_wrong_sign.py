"""The correct network with one classic slip: the update climbs the gradient instead of descending it.

python -m parity check examples/buggy_wrong_sign.py   ->  first divergence W1 at step 0
"""

from correct import ACTIVATIONS, LAYERS, LOSS, backward_prop, compute_cost, forward_prop  # noqa: F401


def update_params(params, grads, learning_rate):
    return {key: params[key] + learning_rate * grads["d" + key] for key in params}  # the bug: + instead of -
