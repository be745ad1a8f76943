"""Keras 3 on the TensorFlow backend, from its own parts: a functional model of ``Dense`` layers (no activation)
each followed by an activation layer, so that Z[l] is a model output; ``keras.losses`` objects;
``keras.optimizers.SGD``/``Adam`` applied with the optimizer's own ``apply``; gradients from ``tf.GradientTape``.

float64 really is float64: every layer and the loss get the case's dtype explicitly, and
``keras.config.set_floatx`` is in force while the optimizer is built and run (its learning-rate variable takes
floatx); the dtypes actually used are checked after the run. On this backend a sigmoid or softmax output
carries its logits (``_keras_logits``), and the cross-entropy losses use them instead of the clipped
probabilities: there is then no gradient with respect to A[L], and no 1e-7 clipping.

Step-local runs build the optimizer's variables up front (``optimizer.build``) and load each step's start into
Keras's own objects: ``kernel`` and ``bias``, ``iterations``, and SGD's ``momentums`` (Keras's velocity, -lr times
the reference's buffer, converted by ``parity.layout``) or Adam's ``_momentums`` and ``_velocities`` (the first
and second moments; Keras 3 keeps them in these attributes, read by ``Adam.update_step``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from parity import layout
from parity.case import Case, batch, initial_params
from parity.environment import require
from parity.trace import Start, Trace


def _modules():
    return require("tensorflow"), require("keras")


def runtime_defaults() -> dict:
    """The defaults the comparison relies on, read from the installed Keras."""
    tf, keras = _modules()
    adam = keras.optimizers.Adam()
    return {
        "version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "backend": keras.backend.backend(),
        "leaky_relu_slope": keras.layers.LeakyReLU().negative_slope,
        "adam_epsilon": adam.epsilon,
        "adam_beta_1": adam.beta_1,
        "adam_beta_2": adam.beta_2,
        "epsilon": keras.config.epsilon(),
        "sgd_learning_rate": float(keras.optimizers.SGD().learning_rate.numpy()),
    }


@contextlib.contextmanager
def floatx(dtype: str):
    _, keras = _modules()
    saved = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


def _activation_layer(name: str, dtype: str):
    _, keras = _modules()
    if name.startswith("leaky_relu("):
        return keras.layers.LeakyReLU(negative_slope=float(name[len("leaky_relu("):-1]), dtype=dtype)
    if name == "leaky_relu":
        # Keras's own default slope: the leaky-relu-default-slope convention
        return keras.layers.LeakyReLU(dtype=dtype)
    return keras.layers.Activation(name, dtype=dtype)


def _loss(case: Case):
    _, keras = _modules()
    return {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "mse": keras.losses.MeanSquaredError,
    }[case.loss](dtype=case.dtype)


def _optimizer(case: Case):
    _, keras = _modules()
    if case.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=case.learning_rate)
    if case.optimizer == "momentum":
        return keras.optimizers.SGD(learning_rate=case.learning_rate, momentum=0.9)
    return keras.optimizers.Adam(learning_rate=case.learning_rate)


@dataclass
class _Model:
    model: object
    dense_layers: list
    loss_fn: object
    optimizer: object

    @property
    def variables(self) -> list:
        return [v for dense in self.dense_layers for v in (dense.kernel, dense.bias)]

    def step(self, x, y, value_grads: bool = False):
        """One forward, loss, tape gradient and optimizer apply; returns (J, values [z1, a1, ...], gradients of
        J with respect to values (if asked) and to the variables), all from before the update."""
        tf, _ = _modules()
        with tf.GradientTape() as tape:
            values = self.model(x, training=True)
            J = self.loss_fn(y, values[-1])
        targets = (list(values) if value_grads else []) + self.variables
        grads = tape.gradient(J, targets)
        n = len(values) if value_grads else 0
        self.optimizer.apply(grads[n:], self.variables)
        return J, values, grads[:n], grads[n:]

    def named_variables(self):
        """(W1, the first Dense's kernel), (b1, its bias), ...: the reference's names for Keras's variables."""
        for l, dense in enumerate(self.dense_layers, start=1):
            yield f"W{l}", dense.kernel
            yield f"b{l}", dense.bias

    def params(self) -> dict:
        return {name: layout.parameter_from_framework(name, v.numpy(), "keras").copy()
                for name, v in self.named_variables()}

    def _slots(self, optimizer_name: str, variable) -> dict:
        """The optimizer's state variables for ``variable``, by course prefix (v: first moment, s: second)."""
        index = self.optimizer._get_variable_index(variable)
        if optimizer_name == "momentum":
            return {"v": self.optimizer.momentums[index]}
        if optimizer_name == "adam":
            return {"v": self.optimizer._momentums[index], "s": self.optimizer._velocities[index]}
        return {}

    def load(self, start: Start, case: Case) -> None:
        """Set the variables and the optimizer's own variables to ``start`` (the reference's state before a step)."""
        self.optimizer.build(self.variables)
        self.optimizer.iterations.assign(start.t)
        for name, variable in self.named_variables():
            variable.assign(layout.parameter_to_framework(name, start.params[name], "keras"))
            for prefix, slot in self._slots(case.optimizer, variable).items():
                value = start.state.get(f"{prefix}_d{name}")
                value = np.zeros_like(start.params[name]) if value is None else value
                if case.optimizer == "momentum":
                    value = layout.velocity_from_buffer(value, case.learning_rate)
                slot.assign(layout.parameter_to_framework(name, value, "keras"))

    def state(self, case: Case) -> tuple[dict, int | None]:
        """The optimizer's state after a step, in the course's names, the reference's form and layout, and t."""
        out = {}
        for name, variable in self.named_variables():
            for prefix, slot in self._slots(case.optimizer, variable).items():
                value = layout.parameter_from_framework(name, slot.numpy(), "keras")
                if case.optimizer == "momentum":
                    value = layout.buffer_from_velocity(value, case.learning_rate)
                out[f"{prefix}_d{name}"] = value.copy()
        return out, int(self.optimizer.iterations.numpy()) if case.optimizer == "adam" else None


def _build(case: Case, params: dict) -> _Model:
    _, keras = _modules()
    inputs = keras.Input(shape=(case.layer_dims[0],), dtype=case.dtype)
    a, outputs, dense_layers = inputs, [], []
    for l in range(1, case.L + 1):
        dense = keras.layers.Dense(case.layer_dims[l], dtype=case.dtype)
        z = dense(a)
        a = _activation_layer(case.activations[l - 1], case.dtype)(z)
        outputs += [z, a]
        dense_layers.append(dense)
    model = keras.Model(inputs, outputs)
    for l, dense in enumerate(dense_layers, start=1):
        dense.kernel.assign(layout.keras_kernel(params[f"W{l}"]))
        dense.bias.assign(layout.framework_bias(params[f"b{l}"]))
    return _Model(model, dense_layers, _loss(case), _optimizer(case))


def run(case: Case, framework: str = "keras", starts: list[Start] | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps, each from ``starts[step]`` (step-local) or, without ``starts``,
    free-running from the case's initial weights."""
    tf, _ = _modules()
    with floatx(case.dtype):
        model = _build(case, starts[0].params if starts else initial_params(case))
        X, Y = batch(case)
        x, y = tf.constant(layout.batch_to_framework(X)), tf.constant(layout.batch_to_framework(Y))
        m, L = case.m, case.L
        trace = Trace(framework, X=X, Y=Y, starts=list(starts or []))
        for s in range(case.steps):
            if starts:
                model.load(starts[s], case)
            J, values, value_grads, variable_grads = model.step(x, y, value_grads=True)
            for l in range(1, L + 1):
                trace.record(s, "forward", l, "Z", layout.batch_from_framework(values[2 * l - 2]))
                trace.record(s, "forward", l, "A", layout.batch_from_framework(values[2 * l - 1]))
            trace.record(s, "cost", None, "J", float(J))
            for l in range(L, 0, -1):
                dA = value_grads[2 * l - 1]
                if dA is not None:
                    trace.record(s, "backward", l, "dA", layout.batch_grad_from_framework(dA, m))
                trace.record(s, "backward", l, "dZ", layout.batch_grad_from_framework(value_grads[2 * l - 2], m))
                trace.record(s, "backward", l, "dW", layout.W_from_keras(variable_grads[2 * l - 2]))
                trace.record(s, "backward", l, "db", layout.b_from_framework(variable_grads[2 * l - 1]))
            for name, value in model.params().items():
                trace.record(s, "update", int(name[1:]), name[0], value)
            trace.record_state(s, *model.state(case))
        state = [v for v in model.optimizer.variables if len(v.shape)]
        trace.dtypes = {
            "parameters": str(model.dense_layers[0].kernel.dtype),
            "activations": str(values[-1].dtype.name),
            "optimizer_state": ",".join(sorted({str(v.dtype) for v in state})) or "none",
            "learning_rate": str(model.optimizer.learning_rate.dtype),
        }
    trace.assert_dtype(case.dtype, case.name)
    return trace


def iterate(case: Case, params: dict, X, Y, framework: str = "keras"):
    """Endless training from ``params`` on (X, Y): yields (cost, AL in the reference layout, params getter)."""
    tf, _ = _modules()
    with floatx(case.dtype):
        model = _build(case, params)
        x, y = tf.constant(layout.batch_to_framework(X)), tf.constant(layout.batch_to_framework(Y))
    while True:
        with floatx(case.dtype):
            J, values, _, _ = model.step(x, y)
        yield float(J), layout.batch_from_framework(values[-1]), model.params


def stepper(case: Case, params: dict, X, Y, compiled: bool = False):
    """A function taking one training step from ``params`` on (X, Y): eager, or compiled with ``tf.function``
    (a TensorFlow graph, no XLA), for the benchmark."""
    tf, _ = _modules()
    with floatx(case.dtype):
        model = _build(case, params)
        x, y = tf.constant(layout.batch_to_framework(X)), tf.constant(layout.batch_to_framework(Y))
    if not compiled:
        def eager():
            with floatx(case.dtype):
                return model.step(x, y)

        return eager

    @tf.function(jit_compile=False)
    def graph_step():
        with tf.GradientTape() as tape:
            values = model.model(x, training=True)
            J = model.loss_fn(y, values[-1])
        model.optimizer.apply(tape.gradient(J, model.variables), model.variables)
        return J

    def run():
        with floatx(case.dtype):
            return graph_step()

    return run
