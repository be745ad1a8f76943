"""Weight decay against the course's L2 regularisation, in each framework's own optimizers (one step, float64).

The course's L2 term (lambd / 2m) sum ||W||^2 adds (lambd / m) W to dW (``reference.l2_gradients``). Frameworks
spell it two ways:
- coupled, added to the gradient: torch ``SGD``/``Adam(weight_decay=wd)`` (g <- g + wd W, every parameter, biases
  included), Keras ``kernel_regularizer=L2(l2)`` (l2 sum W^2 added to the loss, so g gains 2 l2 W: l2 = lambd / 2m);
- decoupled, applied to the weights beside the optimizer's step: torch ``AdamW`` (W <- W (1 - lr wd), then the
  Adam step), Keras's optimizers' ``weight_decay`` (W <- W - lr wd W before the step), optax
  ``add_decayed_weights(wd)`` chained after ``scale_by_adam`` (the update gains wd W, outside Adam's moments).

For SGD the two are the same map, W - lr (dW + wd W), so wd = lambd / m makes every framework match the course.
For Adam they are not: coupled decay goes through Adam's normalisation (the decay term is divided by
sqrt(v_hat)), decoupled decay does not; the reference computes both, and the measured difference between torch's
Adam and AdamW is the predicted one. Biases: the course decays W only, torch's ``weight_decay`` decays every
parameter it is given, so the tests give it the weights alone (a second parameter group for the biases).

Tolerance (``WEIGHT_DECAY_STEP_ULPS``): one step from identical weights, W_new = W - lr (g + wd W): the autograd
gradient g agrees with the reference's to the grid's parity bound (16 ulps of its error scale) and the update adds
three roundings, so each element is within 64 eps (|W| + lr (|g| + wd |W|)). A decay with the wrong factor or sign
moves W by lr wd |W|, about 4e-3 |W| here, eleven orders of magnitude above the bound.
"""

import numpy as np
import pytest

import reference
from parity.tolerance import BUG_MARGIN, CONVENTION_MARGIN, FLOAT32_HYPERPARAMETER_RELATIVE, WEIGHT_DECAY_STEP_ULPS

LAYERS, ACTIVATIONS, LOSS = [3, 4, 2], ["tanh", "sigmoid"], "binary_crossentropy"
# Keras keeps its optimizers' hyperparameters in float32 even in float64 (the keras-float32-hyperparameters
# convention, measured in the grid): a learning rate of 0.1 would move W by 1.5e-9 lr |g|. Rates exact in float32
# (0.125, wd = 0.5 / 16 = 2^-5, l2 = 2^-6) keep these tests about the decay alone.
M, LAMBD, LR = 16, 0.5, 0.125
WD = LAMBD / M  # the weight decay that equals the course's L2 term
EPS = np.finfo(np.float64).eps


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = reference.init_params(LAYERS, "xavier", seed=seed)
    for l in (1, 2):
        params[f"b{l}"] = rng.standard_normal(params[f"b{l}"].shape) * 0.1
    X = rng.standard_normal((LAYERS[0], M))
    Y = (rng.random((LAYERS[-1], M)) > 0.5).astype(np.float64)
    return params, X, Y


def _grads(params, X, Y):
    AL, caches = reference.forward(params, X, ACTIVATIONS)
    return reference.backward(AL, Y, caches, ACTIVATIONS, LOSS), AL


def _bound(params, grads, lr):
    return {k: WEIGHT_DECAY_STEP_ULPS * EPS * (np.abs(P) + lr * (np.abs(grads[f"d{k}"]) + WD * np.abs(P)))
            for k, P in params.items()}


def _assert_close(actual: dict, expected: dict, bound: dict, what: str):
    for name in expected:
        error = np.abs(actual[name] - expected[name])
        worst = np.unravel_index(np.argmax(error - bound[name]), error.shape)
        assert (error <= bound[name]).all(), (
            f"{what}: {name}{tuple(int(i) for i in worst)} is {actual[name][worst]!r}, the reference's "
            f"{expected[name][worst]!r}: off by {error[worst]:.3g}, bound {bound[name][worst]:.3g}")


def _torch_step(params, X, Y, optimizer_class, **options):
    torch = pytest.importorskip("torch")
    layers = []
    for l in (1, 2):
        linear = torch.nn.Linear(LAYERS[l - 1], LAYERS[l], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[f"W{l}"]))
            linear.bias.copy_(torch.from_numpy(params[f"b{l}"][:, 0]))
        layers.append(linear)
    model = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1], torch.nn.Sigmoid())
    weights = [layer.weight for layer in layers]
    biases = [layer.bias for layer in layers]
    # the course decays W only: the biases get a group of their own without decay
    optimizer = optimizer_class([{"params": weights}, {"params": biases, "weight_decay": 0.0}], lr=LR, **options)
    loss = torch.nn.BCELoss()(model(torch.from_numpy(X.T.copy())), torch.from_numpy(Y.T.copy()))
    loss.backward()
    optimizer.step()
    return {**{f"W{l}": layer.weight.detach().numpy().copy() for l, layer in zip((1, 2), layers, strict=True)},
            **{f"b{l}": layer.bias.detach().numpy()[:, None].copy() for l, layer in zip((1, 2), layers, strict=True)}}


@pytest.mark.torch
def test_torch_sgd_weight_decay_is_the_courses_l2_with_wd_lambd_over_m():
    torch = pytest.importorskip("torch")
    params, X, Y = _problem()
    grads, _ = _grads(params, X, Y)
    expected = reference.update(params, reference.l2_gradients(grads, params, LAMBD, M), reference.SGD(LR))
    actual = _torch_step(params, X, Y, torch.optim.SGD, weight_decay=WD)
    _assert_close(actual, expected, _bound(params, grads, LR), "torch SGD(weight_decay=lambd/m)")
    # the check could fail: without the decay, W misses lr wd W
    plain = reference.update(params, grads, reference.SGD(LR))
    assert np.abs(plain["W1"] - actual["W1"]).max() > BUG_MARGIN * _bound(params, grads, LR)["W1"].max()


@pytest.mark.torch
def test_torch_adam_is_coupled_and_adamw_decoupled_by_the_predicted_amount():
    torch = pytest.importorskip("torch")
    params, X, Y = _problem()
    grads, _ = _grads(params, X, Y)
    coupled = reference.update(params, reference.l2_gradients(grads, params, LAMBD, M), reference.Adam(LR))
    adam = _torch_step(params, X, Y, torch.optim.Adam, weight_decay=WD)
    _assert_close(adam, coupled, _bound(params, grads, LR), "torch Adam(weight_decay) against coupled L2")
    # decoupled: W <- W (1 - lr wd), then the Adam step of the plain gradient
    stepped = reference.update(params, grads, reference.Adam(LR))
    decoupled = {k: (stepped[k] - LR * WD * params[k]) if k.startswith("W") else stepped[k] for k in params}
    adamw = _torch_step(params, X, Y, torch.optim.AdamW, weight_decay=WD)
    _assert_close(adamw, decoupled, _bound(params, grads, LR), "torch AdamW against decoupled decay")
    predicted = np.abs(coupled["W1"] - decoupled["W1"]).max()
    measured = np.abs(adam["W1"] - adamw["W1"]).max()
    # at t = 1 Adam's step is lr sign(g) (m_hat / sqrt(v_hat) = g / |g|), so coupled decay changes W only by
    # moving sign(g + wd W) and the size of the step, decoupled moves it by lr wd |W|: they differ at this size
    assert predicted > CONVENTION_MARGIN * _bound(params, grads, LR)["W1"].max()
    assert measured == pytest.approx(predicted, abs=2 * _bound(params, grads, LR)["W1"].max())


@pytest.mark.keras
def test_keras_kernel_regularizer_and_sgd_weight_decay_are_the_courses_l2():
    pytest.importorskip("keras")
    from parity.implementations.keras import floatx

    with floatx("float64"):  # the regulariser's sum and the optimizer's learning rate take floatx
        _keras_l2()


def _keras_l2():
    from parity.environment import require

    keras, tf = require("keras"), require("tensorflow")
    params, X, Y = _problem()
    grads, AL = _grads(params, X, Y)
    expected = reference.update(params, reference.l2_gradients(grads, params, LAMBD, M), reference.SGD(LR))
    for how in ("kernel_regularizer", "optimizer weight_decay"):
        regularizer = keras.regularizers.L2(LAMBD / (2 * M)) if how == "kernel_regularizer" else None
        inputs = keras.Input((LAYERS[0],), dtype="float64")
        dense1 = keras.layers.Dense(LAYERS[1], activation="tanh", kernel_regularizer=regularizer, dtype="float64")
        dense2 = keras.layers.Dense(LAYERS[2], activation="sigmoid", kernel_regularizer=regularizer, dtype="float64")
        model = keras.Model(inputs, dense2(dense1(inputs)))
        for l, dense in ((1, dense1), (2, dense2)):
            dense.kernel.assign(params[f"W{l}"].T)
            dense.bias.assign(params[f"b{l}"][:, 0])
        optimizer = keras.optimizers.SGD(LR, weight_decay=WD if how != "kernel_regularizer" else None)
        optimizer.exclude_from_weight_decay(var_names=["bias"])  # the course decays W only
        x, y = tf.constant(X.T), tf.constant(Y.T)
        with tf.GradientTape() as tape:
            J = keras.losses.BinaryCrossentropy()(y, model(x)) + sum(model.losses)
        variables = [dense1.kernel, dense1.bias, dense2.kernel, dense2.bias]
        optimizer.apply(tape.gradient(J, variables), variables)
        actual = {"W1": dense1.kernel.numpy().T, "b1": dense1.bias.numpy()[:, None],
                  "W2": dense2.kernel.numpy().T, "b2": dense2.bias.numpy()[:, None]}
        _assert_close(actual, expected, _bound(params, grads, LR), f"Keras SGD, L2 by {how}")
        if how == "kernel_regularizer":
            # the reported loss includes the L2 term only when model.losses is added, as here
            course_J = reference.cost(AL, Y, LOSS) + reference.l2_cost(params, LAMBD, M)
            # Keras clips AL to [1e-7, 1 - 1e-7], far outside this AL; its L2 factor is rounded through float32
            assert float(J) == pytest.approx(course_J, rel=FLOAT32_HYPERPARAMETER_RELATIVE)


@pytest.mark.jax
def test_optax_add_decayed_weights_is_the_decoupled_form():
    pytest.importorskip("optax")
    from parity.environment import require

    require("jax")  # with float64 on (jax_enable_x64), as the witness runs it
    optax, jnp = require("optax"), require("jax.numpy")
    params, X, Y = _problem()
    grads, _ = _grads(params, X, Y)
    weights = {k: jnp.asarray(v) for k, v in params.items()}
    gradients = {k: jnp.asarray(grads[f"d{k}"]) for k in params}
    mask = {k: k.startswith("W") for k in params}  # decay W only, as the course does
    chain = optax.chain(optax.scale_by_adam(), optax.add_decayed_weights(WD, mask=mask), optax.scale(-LR))
    updates, _ = chain.update(gradients, chain.init(weights), weights)
    actual = {k: np.asarray(v) for k, v in optax.apply_updates(weights, updates).items()}
    stepped = reference.update(params, grads, reference.Adam(LR))
    decoupled = {k: (stepped[k] - LR * WD * params[k]) if k.startswith("W") else stepped[k] for k in params}
    _assert_close(actual, decoupled, _bound(params, grads, LR), "optax scale_by_adam + add_decayed_weights")
