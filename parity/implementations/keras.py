"""Keras 3, from its own parts, on its TensorFlow, JAX and PyTorch backends: a functional model of ``Dense``
layers (no activation) each followed by an activation layer, so that Z[l] is a model output; ``keras.losses``
objects; ``keras.optimizers.SGD``/``Adam`` applied with the optimizer's own ``apply``. Gradients come from the
backend's own autodiff, as Keras's guides write a custom training step for each:

- ``keras`` (TensorFlow): ``tf.GradientTape`` around the model call, with the outputs Z[l], A[l] as targets;
- ``keras-torch``: ``retain_grad()`` on the model's outputs and ``J.backward()``; each variable's ``.value.grad``;
- ``keras-jax``: ``jax.value_and_grad`` of a pure function of the variables' values, the model's own layers
  called inside ``keras.StatelessScope`` (what ``Layer.stateless_call`` does), with a zero added to each Z[l]
  and A[l] whose gradient is dJ/dZ[l] and dJ/dA[l] (adding 0.0 is exact, so the values are untouched).

A process runs one backend (Keras reads ``KERAS_BACKEND`` at import): the JAX and PyTorch ones run in a worker
process (``parity.worker``), this same module inside it.

float64 really is float64: every layer and the loss get the case's dtype explicitly, and
``keras.config.set_floatx`` is in force while the optimizer is built and run (its learning-rate variable takes
floatx); the dtypes actually used are checked after the run. On TensorFlow a sigmoid or softmax output
carries its logits (``_keras_logits``), and the cross-entropy losses use them instead of the clipped
probabilities: there is then no gradient with respect to A[L], and no 1e-7 clipping. On JAX and PyTorch the
cross-entropies take the probabilities and clip them to [epsilon, 1 - epsilon] (``keras-probability-clipping``).

Step-local runs build the optimizer's variables up front (``optimizer.build``) and load each step's start into
Keras's own objects: ``kernel`` and ``bias``, ``iterations``, and SGD's ``momentums`` (Keras's velocity, -lr times
the reference's buffer, converted by ``parity.layout``) or Adam's ``_momentums`` and ``_velocities`` (the first
and second moments; Keras 3 keeps them in these attributes, read by ``Adam.update_step``).

The course's second part: L2 as ``Dense(kernel_regularizer=L2(lambd / 2m))``, its penalty in J through
``model.losses`` (decoupled decay: the optimizers' ``weight_decay``, biases excluded); dropout as a layer that holds
the shared mask in a non-trainable variable and computes ``Dropout``'s own form; batch normalisation as
``BatchNormalization`` after a bias-free ``Dense``, its moving statistics loaded before each step and read after it
(on JAX, arguments and results of the compiled function, since a stateless call only records their update).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass

import numpy as np

import reference
from parity import layout
from parity.case import Case, batch, dropout_masks, epoch_of, epoch_order, initial_params
from parity.environment import require
from parity.frameworks import REGISTRY, Optimizer, lookup, split_activation
from parity.trace import PARAMETERS, Start, Trace

BACKENDS = {row.name: row.keras_backend for row in REGISTRY.values() if row.module == "keras"}  # name -> backend


def _modules():
    """(the backend's library, keras), after checking that this process runs the backend asked for."""
    keras = require("keras")
    return sys.modules[keras.backend.backend()], keras


def _check_backend(framework: str) -> None:
    backend = require("keras").backend.backend()
    if BACKENDS[framework] != backend:
        raise RuntimeError(f"{framework} needs Keras on {BACKENDS[framework]}, but this process runs it on {backend}: "
                           "a backend is read once per process (run it through parity.worker)")


def runtime_defaults(framework: str = "keras") -> dict:
    """The defaults the comparison relies on, read from the installed Keras and its backend."""
    _check_backend(framework)
    backend_module, keras = _modules()
    adam, dense = keras.optimizers.Adam(), keras.layers.Dense(1)
    return {
        "version": keras.__version__,
        "backend_version": str(backend_module.__version__),
        "backend": keras.backend.backend(),
        "leaky_relu_slope": keras.layers.LeakyReLU().negative_slope,
        "adam_epsilon": adam.epsilon,
        "adam_beta_1": adam.beta_1,
        "adam_beta_2": adam.beta_2,
        "epsilon": keras.config.epsilon(),
        "sgd_learning_rate": float(keras.optimizers.SGD().learning_rate.numpy()),
        "unsupported_dtypes": _unsupported_dtypes(keras),
        "l2_default": keras.regularizers.L2().l2,
        "l2_factor_float32": _l2_factor_float32(keras),
        "adamw_weight_decay": keras.optimizers.AdamW().weight_decay,
        "rmsprop_rho": keras.optimizers.RMSprop().rho,
        "rmsprop_epsilon": keras.optimizers.RMSprop().epsilon,
        "batchnorm_momentum": keras.layers.BatchNormalization().momentum,
        "batchnorm_epsilon": keras.layers.BatchNormalization().epsilon,
        "dense_kernel_initializer": type(dense.kernel_initializer).__name__,
        "dense_bias_initializer": type(dense.bias_initializer).__name__,
        "schedule_dtype_float64": _schedule_dtype(keras),
    }


def _schedule_dtype(keras) -> str:
    """The dtype a LearningRateSchedule computes the rate in during a float64 run: that of its Python-float
    initial rate made a tensor (float32 on TensorFlow, float64 on JAX with x64)."""
    with floatx("float64"):
        rate = keras.optimizers.schedules.InverseTimeDecay(0.5, decay_steps=1, decay_rate=1.0)(0)
        return keras.backend.standardize_dtype(rate.dtype)


def _l2_factor_float32(keras) -> bool:
    """Whether ``keras.regularizers.L2(l2)`` multiplies a float64 weight's sum of squares by l2 rounded through
    float32. Keras 3.14 made ``L2.__call__`` ``ops.cast(self.l2, dtype=x.dtype) * ops.sum(ops.square(x))``, and
    ``ops.cast`` of a Python float makes a float32 constant first (0.1 becomes 0.10000000149011612); Keras 3.13
    computed ``self.l2 * ops.sum(ops.square(x))``, the Python float exact in float64. Measured, not read from the
    version: L2(0.1) of a float64 one."""
    value = keras.regularizers.L2(0.1)(keras.ops.ones((1,), dtype="float64"))
    return float(_to_numpy(value)) != 0.1


def _unsupported_dtypes(keras) -> dict[str, str]:
    """The case dtypes this backend cannot witness, each with the reason, read from the installed Keras.

    Keras's type promotion (``keras.backend.result_type``, keras/src/backend/common/dtypes.py) maps float64 to
    float32 on every backend but TensorFlow ("to be aligned with JAX's default behavior"), and the JAX and torch
    backends' ops cast their inputs to that result type: a float64 model keeps float64 variables but computes
    some products in float32 (torch's ``matmul``, JAX's ``tanh``), about 1e-8 relative, ten million ulps.
    """
    promoted = keras.backend.result_type("float64", "float64")
    if promoted == "float64":
        return {}
    return {"float64": f"Keras {keras.__version__} on {keras.backend.backend()} promotes float64 to {promoted} "
                       "(keras.backend.result_type('float64', 'float64') is "
                       f"{promoted!r}), so its float64 model computes in {promoted} in places"}


def _to_numpy(value) -> np.ndarray:
    _, keras = _modules()
    return np.asarray(keras.ops.convert_to_numpy(value))


@contextlib.contextmanager
def floatx(dtype: str):
    _, keras = _modules()
    saved = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


# The reference's vocabulary in Keras's parts (parity.frameworks: COVERAGE), the same on every backend.
def _named_activation(name: str):
    return lambda keras, slope, dtype: keras.layers.Activation(name, dtype=dtype)


ACTIVATIONS = {
    **{name: _named_activation(name) for name in ("sigmoid", "tanh", "relu", "softmax", "linear")},
    # a bare name takes Keras's own default slope: the leaky-relu-default-slope convention
    "leaky_relu": lambda keras, slope, dtype: keras.layers.LeakyReLU(dtype=dtype) if slope is None
    else keras.layers.LeakyReLU(negative_slope=slope, dtype=dtype),
}
LOSSES = {
    "binary_crossentropy": lambda keras, dtype: keras.losses.BinaryCrossentropy(dtype=dtype),
    "categorical_crossentropy": lambda keras, dtype: keras.losses.CategoricalCrossentropy(dtype=dtype),
    "mse": lambda keras, dtype: keras.losses.MeanSquaredError(dtype=dtype),
}
# weight_decay: every Keras optimizer's is decoupled (W <- W - lr wd W before its step); None: none. ``state``: the
# course's slot -> the optimizer's attribute listing that variable for each parameter
OPTIMIZERS = {
    "sgd": Optimizer(lambda keras, case, lr: keras.optimizers.SGD(learning_rate=lr,
                                                                  weight_decay=case.weight_decay or None)),
    "momentum": Optimizer(lambda keras, case, lr: keras.optimizers.SGD(learning_rate=lr, momentum=case.beta,
                                                                       weight_decay=case.weight_decay or None),
                          state={"v": "momentums"}, velocity=True),
    "adam": Optimizer(lambda keras, case, lr: keras.optimizers.Adam(learning_rate=lr, beta_1=case.beta1,
                                                                    beta_2=case.beta2, epsilon=case.epsilon,
                                                                    weight_decay=case.weight_decay or None),
                      state={"v": "_momentums", "s": "_velocities"}),
    # velocity <- rho velocity + (1 - rho) g^2, variable -= lr g / sqrt(velocity + epsilon): rho is beta2
    "rmsprop": Optimizer(lambda keras, case, lr: keras.optimizers.RMSprop(learning_rate=lr, rho=case.beta2,
                                                                          epsilon=case.epsilon,
                                                                          weight_decay=case.weight_decay or None),
                         state={"s": "_velocities"}),
}
# The reference's schedules as keras.optimizers.schedules objects, the optimizer's learning_rate: a function of
# its ``iterations`` (the updates taken, from 0) with decay_steps the B = case.batches_per_epoch updates of an epoch
# (for fixed_interval, of decay_interval epochs) and staircase=True, so the rate changes at an epoch's first update.
SCHEDULES = {
    "constant": None,
    "inverse_time": lambda schedules, case: schedules.InverseTimeDecay(
        case.learning_rate, decay_steps=case.batches_per_epoch, decay_rate=case.decay_rate, staircase=True),
    "exponential": lambda schedules, case: schedules.ExponentialDecay(
        case.learning_rate, decay_steps=case.batches_per_epoch, decay_rate=case.decay_rate, staircase=True),
    "fixed_interval": lambda schedules, case: schedules.InverseTimeDecay(
        case.learning_rate, decay_steps=case.batches_per_epoch * case.decay_interval, decay_rate=case.decay_rate,
        staircase=True),
}
COVERAGE = {"activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS, "schedules": SCHEDULES}


def _activation_layer(name: str, dtype: str):
    base, slope = split_activation(name)
    return lookup(ACTIVATIONS, base, "activation", "keras")(_modules()[1], slope, dtype)


def _loss(case: Case):
    return lookup(LOSSES, case.loss, "loss", "keras")(_modules()[1], case.dtype)


def _optimizer(case: Case):
    """The case's Keras optimizer, its learning rate the case's schedule (``SCHEDULES``) or the constant rate."""
    keras = _modules()[1]
    schedule = lookup(SCHEDULES, case.schedule, "schedule", "keras")
    lr = schedule(keras.optimizers.schedules, case) if schedule else case.learning_rate
    return lookup(OPTIMIZERS, case.optimizer, "optimizer", "keras").build(keras, case, lr)


def _shared_mask_dropout(keras):
    """A Keras layer for inverted dropout with the shared mask, in the form of Keras's own ``Dropout``.

    ``keras.layers.Dropout(rate)`` calls ``keras.random.dropout``, which on TensorFlow is
    ``tf.nn.experimental.stateless_dropout``: x * (1 / (1 - rate)) times a 0/1 keep mask from a seed generator.
    The mask cannot be given, so this layer keeps the shared mask D in a non-trainable variable (assigned before
    every step, and passed to the compiled JAX function like any variable) and computes x * (1 / keep_prob) * D;
    the backend's autodiff differentiates it as it does Dropout's (tests/test_witness_dropout.py checks Dropout
    itself against this formula)."""

    class SharedMaskDropout(keras.layers.Layer):
        def __init__(self, keep_prob: float, m: int, **kwargs):
            super().__init__(**kwargs)
            self.keep_prob, self.m = keep_prob, m

        def build(self, input_shape):
            self.mask = self.add_weight(shape=(self.m, input_shape[-1]), initializer="ones", trainable=False,
                                        name="dropout_mask")

        def call(self, inputs):
            return inputs * (1.0 / self.keep_prob) * self.mask

        def compute_output_shape(self, input_shape):
            return input_shape  # the batch dimension is the mask's m once data flows

    return SharedMaskDropout


@dataclass
class _Model:
    model: object
    dense_layers: list
    loss_fn: object
    optimizer: object
    activation_layers: list = None  # layer l's activation layer, after its Dense
    dropout_layers: dict = None  # {l: hidden layer l's SharedMaskDropout}, after its activation
    norm_layers: dict = None  # {l: hidden layer l's BatchNormalization}, between its Dense and its activation
    slots: list = None  # (l, quantity) of each model output: Z, Z_tilde (normalised layers), A
    _jax_gradients: object = None  # keras-jax: the compiled gradient function, built on the first step

    def set_masks(self, case: Case, step: int) -> None:
        """Assign the step's shared dropout masks (rows as samples) to the dropout layers' variables."""
        for l, D in dropout_masks(case, step).items():
            self.dropout_layers[l].mask.assign(layout.batch_to_framework(D))

    @property
    def mask_variables(self) -> list:
        return [layer.mask for _, layer in sorted((self.dropout_layers or {}).items())]

    def named_buffers(self):
        """(running_mean1, BatchNormalization's moving_mean), (running_var1, its moving_variance), ..."""
        for l, norm in sorted((self.norm_layers or {}).items()):
            yield f"running_mean{l}", norm.moving_mean
            yield f"running_var{l}", norm.moving_variance

    def buffers(self) -> dict:
        return {name: layout.parameter_from_framework(name, v.numpy(), "keras").copy()
                for name, v in self.named_buffers()}

    @property
    def variables(self) -> list:
        """The trained variables, in the reference's order of names (``named_variables``)."""
        return [v for _, v in self.named_variables()]

    def step(self, x, y, value_grads: bool = False):
        """One forward, loss, backend gradient and optimizer apply; returns (J, values [z1, a1, ...], gradients of
        J with respect to values (if asked) and to the variables), all from before the update."""
        _, keras = _modules()
        J, values, value_grads_, variable_grads = getattr(self, f"_gradients_{keras.backend.backend()}")(
            x, y, value_grads)
        self._apply(variable_grads)
        return J, values, value_grads_, variable_grads

    def _gradients_tensorflow(self, x, y, value_grads):
        tf, _ = _modules()
        with tf.GradientTape() as tape:
            values = self.model(x, training=True)
            J = self.total_loss(y, values[-1])
        targets = (list(values) if value_grads else []) + self.variables
        grads = tape.gradient(J, targets)
        n = len(values) if value_grads else 0
        return J, values, grads[:n], grads[n:]

    def _gradients_torch(self, x, y, value_grads):
        for variable in self.variables:
            variable.value.grad = None
        values = self.model(x, training=True)
        if value_grads:
            for value in values:
                value.retain_grad()
        J = self.total_loss(y, values[-1])
        J.backward()
        grads = [value.grad for value in values] if value_grads else []
        return J.detach(), [value.detach() for value in values], grads, [v.value.grad for v in self.variables]

    def _gradients_jax(self, x, y, value_grads):
        jax, keras = require("jax"), require("keras")
        variables = self.variables
        # not trained, but read (dropout masks) or updated (moving statistics) by the step: arguments of the
        # compiled function like the trained ones, so each step's own values reach it
        buffers = [v for _, v in self.named_buffers()]
        others = self.mask_variables + buffers

        def cost(values, zeros, other_values, x, y):  # the batch an argument: each step's own reaches it
            mapping = list(zip(variables + others, values + other_values, strict=True))
            with keras.StatelessScope(state_mapping=mapping) as scope:
                a, outputs = x, []
                for i, (l, quantity) in enumerate(self.slots):
                    if quantity == "Z":
                        out = self.dense_layers[l - 1](a)
                    elif quantity == "Z_tilde":
                        out = self.norm_layers[l](out, training=True)
                    else:
                        out = self.activation_layers[l - 1](out)
                        if l in self.dropout_layers:
                            out = self.dropout_layers[l](out)
                    out = out + zeros[i]  # + 0.0 is exact, and its gradient is dJ/d(this output)
                    outputs.append(out)
                    if quantity == "A":
                        a = out
                updated = [scope.get_current_value(v) for v in buffers]  # the moving statistics' new values
                return self.total_loss(y, a), (outputs, updated)

        widths = {l: dense.units for l, dense in enumerate(self.dense_layers, start=1)}
        zeros = [jax.numpy.zeros((x.shape[0], widths[l]), x.dtype) for l, _ in self.slots]
        if self._jax_gradients is None:  # traced and compiled once per model, as Keras's own JAX train step is
            self._jax_gradients = jax.jit(jax.value_and_grad(cost, argnums=(0, 1), has_aux=True))
        (J, (values, updated)), (variable_grads, grads) = self._jax_gradients(
            [v.value for v in variables], zeros, [v.value for v in others], x, y)
        for variable, value in zip(buffers, updated, strict=True):
            variable.assign(value)
        return J, values, grads if value_grads else [], variable_grads

    def total_loss(self, y, output):
        """The loss Keras trains on, as ``Model.compute_loss`` forms it: the loss object's value, plus each of
        ``model.losses`` (a kernel_regularizer's penalty, evaluated on the variables' current values) summed."""
        _, keras = _modules()
        losses = [self.loss_fn(y, output)] + [keras.ops.sum(penalty) for penalty in self.model.losses]
        return losses[0] if len(losses) == 1 else keras.ops.sum(losses)

    def _apply(self, grads) -> None:
        _, keras = _modules()
        if keras.backend.backend() == "torch":
            torch = require("torch")
            with torch.no_grad():
                self.optimizer.apply(grads, self.variables)
        else:
            self.optimizer.apply(grads, self.variables)

    def named_variables(self):
        """(W1, the first Dense's kernel), (b1, its bias), (gamma1, beta1: its BatchNormalization's), ...: the
        reference's names for Keras's trained variables."""
        for l, dense in enumerate(self.dense_layers, start=1):
            yield f"W{l}", dense.kernel
            if dense.use_bias:
                yield f"b{l}", dense.bias
            if l in (self.norm_layers or {}):
                yield f"gamma{l}", self.norm_layers[l].gamma
                yield f"beta{l}", self.norm_layers[l].beta

    def params(self) -> dict:
        return {name: layout.parameter_from_framework(name, v.numpy(), "keras").copy()
                for name, v in self.named_variables()}

    def _slots(self, row: Optimizer, variable) -> dict:
        """The optimizer's state variables for ``variable``, by the course's slot (v: first moment, s: second)."""
        index = self.optimizer._get_variable_index(variable)
        return {prefix: getattr(self.optimizer, attribute)[index] for prefix, attribute in row.state.items()}

    def load(self, start: Start, case: Case) -> None:
        """Set the variables and the optimizer's own variables to ``start`` (the reference's state before a step)."""
        row = OPTIMIZERS[case.optimizer]
        self.optimizer.build(self.variables)
        self.optimizer.iterations.assign(start.t)
        for name, variable in self.named_buffers():
            variable.assign(layout.parameter_to_framework(name, start.buffers[name], "keras"))
        for name, variable in self.named_variables():
            variable.assign(layout.parameter_to_framework(name, start.params[name], "keras"))
            for prefix, slot in self._slots(row, variable).items():
                value = start.state.get(f"{prefix}_d{name}")
                value = np.zeros_like(start.params[name]) if value is None else value
                if row.velocity:
                    value = layout.velocity_from_buffer(value, case.learning_rate)
                slot.assign(layout.parameter_to_framework(name, value, "keras"))

    def state(self, case: Case) -> tuple[dict, int | None]:
        """The optimizer's state after a step, in the course's names, the reference's form and layout, and t
        (``iterations``) where the reference's optimizer counts its updates."""
        row, out = OPTIMIZERS[case.optimizer], {}
        for name, variable in self.named_variables():
            for prefix, slot in self._slots(row, variable).items():
                value = layout.parameter_from_framework(name, slot.numpy(), "keras")
                if row.velocity:
                    value = layout.buffer_from_velocity(value, case.learning_rate)
                out[f"{prefix}_d{name}"] = value.copy()
        counted = reference.optimizers.get_optimizer(case.optimizer).counted
        return out, int(self.optimizer.iterations.numpy()) if counted else None


def _regularizer(case: Case):
    """The course's L2 term as Keras's ``L2(l2)``, whose penalty is l2 sum W^2: l2 = lambd / 2m (None: none)."""
    return _modules()[1].regularizers.L2(case.lambd / (2 * case.m)) if case.lambd else None


def _build(case: Case, params: dict) -> _Model:
    _, keras = _modules()
    inputs = keras.Input(shape=(case.layer_dims[0],), dtype=case.dtype)
    a, outputs, slots, dense_layers, activation_layers, dropout_layers, norm_layers = inputs, [], [], [], [], {}, {}
    for l in range(1, case.L + 1):
        normalised = l in case.batchnorm_layers  # no bias: beta takes its place
        dense = keras.layers.Dense(case.layer_dims[l], use_bias=not normalised, dtype=case.dtype,
                                   kernel_regularizer=_regularizer(case))
        activation = _activation_layer(case.activations[l - 1], case.dtype)
        z = dense(a)
        outputs.append(z)
        slots.append((l, "Z"))
        if normalised:  # Keras's momentum weighs the old value: the course's decay itself
            norm_layers[l] = keras.layers.BatchNormalization(momentum=case.bn_decay, epsilon=case.bn_epsilon,
                                                             dtype=case.dtype)
            z = norm_layers[l](z)
            outputs.append(z)
            slots.append((l, "Z_tilde"))
        a = activation(z)
        if case.keep_prob < 1 and l < case.L:  # inverted dropout on the hidden layers, with the shared masks
            dropout_layers[l] = _shared_mask_dropout(keras)(case.keep_prob, case.m, dtype=case.dtype)
            a = dropout_layers[l](a)
        outputs.append(a)
        slots.append((l, "A"))
        dense_layers.append(dense)
        activation_layers.append(activation)
    model = keras.Model(inputs, outputs)
    built = _Model(model, dense_layers, _loss(case), _optimizer(case), activation_layers, dropout_layers, norm_layers,
                   slots)
    for name, variable in built.named_variables():
        variable.assign(layout.parameter_to_framework(name, params[name], "keras"))
    if case.weight_decay:  # the kernels only, as the course's L2: biases, gamma and beta are not decayed
        built.optimizer.exclude_from_weight_decay(
            var_list=[variable for name, variable in built.named_variables() if not name.startswith("W")])
    return built


def _tensors(X, Y):
    """The batch (X, Y) as the backend's tensors, rows as samples."""
    _, keras = _modules()
    return (keras.ops.convert_to_tensor(layout.batch_to_framework(X)),
            keras.ops.convert_to_tensor(layout.batch_to_framework(Y)))


def _batches(case: Case, X, Y):
    """(step, x, y) for every step: the whole batch, or, with mini-batches, epoch after epoch the samples in the
    epoch's order (``parity.case.epoch_order``) mini_batch_size at a time, the last batch holding what remains: on
    TensorFlow a ``tf.data`` pipeline (the order's indices gathered and batched), elsewhere a NumPy iterator (a
    Keras worker on JAX or torch never loads TensorFlow); each batch as the backend's tensors."""
    if not case.mini_batch_size:
        x, y = _tensors(X, Y)
        yield from ((s, x, y) for s in range(case.steps))
        return
    rows_x, rows_y = layout.batch_to_framework(X), layout.batch_to_framework(Y)
    for s in range(case.steps):
        if s % case.batches_per_epoch == 0:
            batches = _epoch_batches(case, rows_x, rows_y, epoch_order(case, epoch_of(case, s)))
        xb, yb = next(batches)
        yield (s, *_tensors(layout.batch_from_framework(xb), layout.batch_from_framework(yb)))


def _epoch_batches(case: Case, rows_x, rows_y, order):
    """One epoch's (x, y) mini-batches, rows as samples, as NumPy arrays."""
    tf, keras = _modules()
    if keras.backend.backend() != "tensorflow":
        return iter([(rows_x[order[k:k + case.mini_batch_size]], rows_y[order[k:k + case.mini_batch_size]])
                     for k in range(0, case.m, case.mini_batch_size)])
    rows_x, rows_y = tf.constant(rows_x), tf.constant(rows_y)
    dataset = tf.data.Dataset.from_tensor_slices(order).map(lambda i: (tf.gather(rows_x, i), tf.gather(rows_y, i)))
    return iter(dataset.batch(case.mini_batch_size, drop_remainder=False).as_numpy_iterator())


def record_step(trace: Trace, s: int, model: _Model, case: Case, m: int, J, values, value_grads, variable_grads,
                absent=()) -> dict:
    """Step s of a Keras run, from ``_Model.step``'s results, into ``trace`` in the reference's layout: the slots'
    values (forward), J, the gradients of the slots' values where the backend has them (dA, dZ_tilde, dZ: no dA[L]
    where the loss reads the logits) and of the variables (dW, db, dgamma, dbeta), then the parameters, buffers and
    optimizer state after the update. ``absent``: quantities of the output layer a user's model does not have
    (``parity.ports``: its declared absences, by name). Returns the slots' values as NumPy arrays."""
    L = case.L
    values = dict(zip(model.slots, (_to_numpy(v) for v in values), strict=True))
    value_grads = dict(zip(model.slots, (None if g is None else _to_numpy(g) for g in value_grads), strict=True))
    names = [name for name, _ in model.named_variables()]
    variable_grads = dict(zip(names, (_to_numpy(g) for g in variable_grads), strict=True))
    for l, quantity in model.slots:
        if not (l == L and quantity in absent):
            trace.record(s, "forward", l, quantity, layout.batch_from_framework(values[l, quantity]))
    trace.record(s, "cost", None, "J", float(_to_numpy(J)))
    for l in range(L, 0, -1):
        for quantity in ("A", "Z_tilde", "Z"):
            if value_grads.get((l, quantity)) is not None and not (l == L and f"d{quantity}" in absent):
                trace.record(s, "backward", l, f"d{quantity}",
                             layout.batch_grad_from_framework(value_grads[l, quantity], m))
        for name in PARAMETERS:
            if f"{name}{l}" in variable_grads:
                trace.record(s, "backward", l, f"d{name}",
                             layout.parameter_from_framework(f"{name}{l}", variable_grads[f"{name}{l}"], "keras"))
    trace.record_named(s, model.params())
    trace.record_named(s, model.buffers())
    trace.record_state(s, *model.state(case))
    return values


def run(case: Case, framework: str = "keras", starts: list[Start] | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps, each from ``starts[step]`` (step-local) or, without ``starts``,
    free-running from the case's initial weights; each step on its batch (``_batches``) at the rate the optimizer's
    schedule gives its ``iterations``."""
    _check_backend(framework)
    _, keras = _modules()
    with floatx(case.dtype):
        model = _build(case, starts[0].params if starts else initial_params(case))
        X, Y = batch(case)
        L = case.L
        trace = Trace(framework, X=X, Y=Y, starts=list(starts or []))
        for s, x, y in _batches(case, X, Y):
            if starts:
                model.load(starts[s], case)
            if case.scheduled:  # the schedule at iterations, before apply() counts this update
                trace.record(s, "update", None, "lr", _to_numpy(model.optimizer.learning_rate))
            m = x.shape[0]
            model.set_masks(case, s)
            values = record_step(trace, s, model, case, m, *model.step(x, y, value_grads=True))
        state = [v for v in model.optimizer.variables if len(v.shape)]
        standardize = keras.backend.standardize_dtype
        trace.dtypes = {
            "parameters": standardize(model.dense_layers[0].kernel.dtype),
            "activations": str(values[L, "A"].dtype),
            "optimizer_state": ",".join(sorted({standardize(v.dtype) for v in state})) or "none",
        }
        if not case.scheduled:  # a schedule computes in the dtype its backend gives a Python float (float32 on
            # TensorFlow, float64 on JAX with x64): cast to each variable's dtype in the update, its rounding compared
            # as the step's lr (the keras-float32-hyperparameters convention)
            trace.dtypes["learning_rate"] = standardize(model.optimizer.learning_rate.dtype)
    trace.assert_dtype(case.dtype, case.name)
    return trace


def iterate(case: Case, params: dict, X, Y, framework: str = "keras"):
    """Endless training from ``params`` on (X, Y): yields (cost, AL in the reference layout, params getter)."""
    _check_backend(framework)
    with floatx(case.dtype):
        model = _build(case, params)
        x, y = _tensors(X, Y)
    step = 0
    while True:
        with floatx(case.dtype):
            model.set_masks(case, step)
            J, values, _, _ = model.step(x, y)
        step += 1
        yield float(_to_numpy(J)), layout.batch_from_framework(_to_numpy(values[-1])), model.params


def stepper(case: Case, params: dict, X, Y, framework: str = "keras", compiled: bool = False):
    """A function taking one training step from ``params`` on (X, Y): eager, or compiled with ``tf.function``
    (a TensorFlow graph, no XLA), for the benchmark (Keras on TensorFlow). The step has no Python control flow
    on tensors, so AutoGraph is off: it would rewrite every Python function the trace calls (ours among them),
    and warns on those it cannot."""
    _check_backend(framework)
    tf, _ = _modules()
    with floatx(case.dtype):
        model = _build(case, params)
        x, y = _tensors(X, Y)
    if not compiled:
        def eager():
            with floatx(case.dtype):
                return model.step(x, y)

        return eager

    @tf.function(jit_compile=False, autograph=False)
    def graph_step():
        with tf.GradientTape() as tape:
            values = model.model(x, training=True)
            J = model.total_loss(y, values[-1])
        model.optimizer.apply(tape.gradient(J, model.variables), model.variables)
        return J

    def run():
        with floatx(case.dtype):
            return graph_step()

    return run
