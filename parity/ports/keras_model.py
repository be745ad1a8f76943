"""A Keras 3 model as its user wrote it (``Sequential`` or functional ``Dense`` layers, compiled with a loss and an
optimizer, on the backend the process runs): read from the user's objects and run with them, step by step.

Reading (``read``): the model's layers in order: ``Dense`` (its activation read from its ``activation`` function:
``"relu"``, ``"leaky_relu"`` with Keras's slope 0.2, ...), ``Activation``, ``ReLU``, ``LeakyReLU`` (slope 0.3 by
default), ``Softmax``; the loss and optimizer are the ones ``compile`` was given (a name is the class ``compile``
makes of it, with its defaults), every hyper-parameter read from them: ``from_logits``, ``learning_rate`` (as the
optimizer holds it, a float32), ``momentum``, ``beta_1``, ``beta_2``, ``epsilon``, ``rho``. The chain is checked by
running it: the layers applied one after another must give the model's own output.

Running (``run``): a probe model is built from the user's own layers (each ``Dense`` called without its activation,
so that Z[l] is an output, then the user's activation), sharing their variables; ``parity.implementations.keras``
then loads each step's start into the variables and the optimizer's own slots, takes the backend's gradients and
applies the user's optimizer, as ``Model.fit``'s train step does.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from parity import layout
from parity.case import Case, batch
from parity.environment import require
from parity.frameworks import REGISTRY
from parity.implementations import keras as keras_adapter
from parity.ports.diagnoses import PortError, Suspect, suspect
from parity.ports.loading import failed_lines, line_of
from parity.tolerance import PORT_CHAIN_RTOL
from parity.trace import Start, Trace

SUPPORTED = (f"Dense layers, each with an activation ({', '.join(keras_adapter.ACTIVATIONS)}) or followed by an "
             f"Activation, ReLU, LeakyReLU or Softmax layer")
LOSS_NAMES = {"categorical_crossentropy": "CategoricalCrossentropy", "binary_crossentropy": "BinaryCrossentropy",
              "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy", "mse": "MeanSquaredError",
              "mean_squared_error": "MeanSquaredError"}
_NOT_DENSE = {"Conv": "a convolution", "LSTM": "a recurrent layer", "GRU": "a recurrent layer", "RNN": "a recurrent "
              "layer", "Embedding": "an embedding", "Attention": "attention", "Pool": "pooling", "Dropout": "dropout",
              "BatchNormalization": "batch normalisation", "Normalization": "normalisation"}


def _keras():
    return require("keras")


@dataclass
class Port:
    model: object
    loss_fn: object
    optimizer: object
    names: dict
    dense: list  # the user's Dense layers
    activation_layers: list  # for each, the Keras layer computing its activation (the user's own, or one made of
    # the Dense's own activation function)
    activations: list[str]  # the reference's names
    loss: str
    framework: str  # the registry row of this backend: keras, keras-jax or keras-torch
    takes_logits: bool
    optimizer_name: str
    hyper: dict
    learning_rate: float
    dtype: str
    sparse: bool = False  # SparseCategoricalCrossentropy: integer targets
    suspects: list[Suspect] = field(default_factory=list)
    absent: dict = field(default_factory=dict)
    step: object = None  # Keras models train through the optimizer's apply, as fit() does

    @property
    def layer_dims(self) -> tuple[int, ...]:
        return (int(self.dense[0].kernel.shape[0]), *(int(d.units) for d in self.dense))

    def params(self) -> dict:
        out = {}
        for l, d in enumerate(self.dense, 1):
            out[f"W{l}"] = layout.parameter_from_framework(f"W{l}", np.asarray(d.kernel.numpy()), "keras").copy()
            out[f"b{l}"] = layout.parameter_from_framework(f"b{l}", np.asarray(d.bias.numpy()), "keras").copy()
        return out

    def initializer(self) -> str:
        """The Dense layers' initializers, read from them (Keras's defaults: GlorotUniform kernels, Zeros biases)."""
        names = sorted({f"{type(d.kernel_initializer).__name__} kernels and {type(d.bias_initializer).__name__} "
                        f"biases" for d in self.dense})
        return f"Keras's Dense with {', '.join(names)}"

    def set_params(self, params: dict) -> None:
        """Start the user's model from ``params`` (reference layout), in its own dtype."""
        for l, d in enumerate(self.dense, 1):
            d.kernel.assign(layout.keras_kernel(params[f"W{l}"]).astype(self.dtype))
            d.bias.assign(layout.framework_bias(params[f"b{l}"]).astype(self.dtype))


def _activation_of(function) -> tuple[str, dict]:
    name = getattr(function, "__name__", type(function).__name__)
    if name == "leaky_relu":  # its default slope, read from the function the model holds
        return "leaky_relu", {"slope": float(inspect.signature(function).parameters["negative_slope"].default)}
    if name in keras_adapter.ACTIVATIONS:  # the names the grid's Keras adapter builds
        return name, {}
    raise PortError(f"the activation {name!r} is not one the reference has ({SUPPORTED})")


def _layer_activation(layer, keras) -> tuple[str, dict] | None:
    layers = keras.layers
    if isinstance(layer, layers.LeakyReLU):
        return "leaky_relu", {"slope": float(layer.negative_slope)}
    if isinstance(layer, layers.ReLU):
        if layer.max_value is not None or layer.negative_slope or layer.threshold:
            raise PortError(f"ReLU({layer.name}) with max_value, negative_slope or threshold; the reference's ReLU "
                            f"is max(Z, 0)")
        return "relu", {}
    if isinstance(layer, layers.Softmax):
        return "softmax", {"axis": layer.axis}
    if isinstance(layer, layers.Activation):
        return _activation_of(layer.activation)
    return None


def _chain(model, where: str):
    """[(Dense, [its activation layers...])] in the model's order, and each activation's (name, details)."""
    keras = _keras()
    chain = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.Flatten)):
            continue
        if isinstance(layer, keras.layers.Dense):
            if not layer.use_bias:
                raise PortError(f"{where}: Dense {layer.name!r} has use_bias=False; the reference's layers have b[l]")
            if layer.bias_regularizer is not None or layer.activity_regularizer is not None:
                raise PortError(f"{where}: Dense {layer.name!r} regularises its bias or its output; the course's L2 "
                                f"is on the weights only (kernel_regularizer=L2(...))")
            try:
                chain.append([layer, None, _activation_of(layer.activation)])
            except PortError as error:
                raise PortError(f"{where}: Dense {layer.name!r}: {error}") from None
            continue
        try:
            activation = _layer_activation(layer, keras)
        except PortError as error:
            raise PortError(f"{where}: {error}") from None
        if activation is None:
            name = type(layer).__name__
            kind = next((text for key, text in _NOT_DENSE.items() if key in name), f"a {name} layer")
            raise PortError(f"{where}: the model has {kind} ({name} {layer.name!r}); the checker reads {SUPPORTED}")
        if not chain or chain[-1][1] is not None or chain[-1][2][0] != "linear":
            raise PortError(f"{where}: {type(layer).__name__} {layer.name!r} follows a layer that already has an "
                            f"activation; the checker reads {SUPPORTED}")
        chain[-1][1], chain[-1][2] = layer, activation
    if not chain:
        raise PortError(f"{where}: the model has no Dense layer")
    return chain


def _loss_object(model, namespace: dict, where: str):
    keras = _keras()
    loss = getattr(model, "loss", None)
    if loss is None:
        found = [v for v in namespace.values() if isinstance(v, keras.losses.Loss)]
        if len(found) != 1:
            raise PortError(f"{where}: the model is not compiled with a loss (model.compile(loss=..., optimizer=...)),"
                            f" and {len(found) or 'no'} keras.losses.Loss objects are in the file")
        loss = found[0]
    if isinstance(loss, str):
        if loss not in LOSS_NAMES:
            raise PortError(f"{where}: the loss {loss!r}; the reference has {', '.join(LOSS_NAMES)}")
        loss = getattr(keras.losses, LOSS_NAMES[loss])()  # what compile() makes of the name
    if not isinstance(loss, keras.losses.Loss):
        raise PortError(f"{where}: the loss is {getattr(loss, '__name__', type(loss).__name__)}, a function; give "
                        f"compile a keras.losses object or one of the names {', '.join(LOSS_NAMES)}")
    return loss


def _loss(loss_fn, last: str, where: str, line: str) -> dict:
    keras = _keras()
    losses = keras.losses
    name = type(loss_fn).__name__
    config = loss_fn.get_config()
    if config.get("reduction", "sum_over_batch_size") != "sum_over_batch_size":
        raise PortError(f"{where}: {name}(reduction={config['reduction']!r}) ({line}); the reference's costs are means")
    if config.get("label_smoothing"):
        raise PortError(f"{where}: {name}(label_smoothing=...) ({line}); the reference has no label smoothing")
    logits = bool(config.get("from_logits"))
    categorical = isinstance(loss_fn, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))
    if categorical or isinstance(loss_fn, losses.BinaryCrossentropy):
        output = "softmax" if categorical else "sigmoid"
        entry = {"loss": "categorical_crossentropy" if categorical else "binary_crossentropy", "output": output,
                 "takes_logits": logits and last == "linear", "suspects": [],
                 "sparse": isinstance(loss_fn, losses.SparseCategoricalCrossentropy)}
        if logits and last == output:
            entry["suspects"] = ["activation_before_from_logits"]
        elif not logits and last == "linear":
            entry["suspects"] = ["logits_as_probabilities"]
        elif last not in (output, "linear"):
            raise PortError(f"{where}: {name} after {last} ({line}); the reference's {entry['loss']} follows a "
                            f"{output} output")
        return entry
    if isinstance(loss_fn, losses.MeanSquaredError):
        return {"loss": "mse", "output": last, "takes_logits": False, "suspects": [], "sparse": False}
    raise PortError(f"{where}: the loss is keras.losses.{name} ({line}); the reference has CategoricalCrossentropy, "
                    f"SparseCategoricalCrossentropy, BinaryCrossentropy and MeanSquaredError")


def _decay(model_dense: list, optimizer, where: str, line: str) -> dict:
    """The Case's decay fields: every Dense's kernel_regularizer L2(l2) (one l2 for all: the course's L2 with
    lambd = 2 m l2, Keras's penalty l2 sum W^2 being (lambd / 2m) sum W^2), and the optimizer's weight_decay
    (decoupled), which must spare the biases (``exclude_from_weight_decay(var_names=["bias"])``)."""
    keras = _keras()
    out = {}
    regularizers = [d.kernel_regularizer for d in model_dense]
    if any(r is not None for r in regularizers):
        l2 = {float(r.l2) if isinstance(r, keras.regularizers.L2) else None for r in regularizers}
        if len(l2) != 1 or None in l2:
            raise PortError(f"{where}: the Dense layers' kernel_regularizers are not one L2(l2) on every layer; the "
                            f"course's L2 is one lambd on every W[l]")
        out["l2_per_sample"] = 2 * l2.pop()
    wd = optimizer.get_config().get("weight_decay")
    if wd:
        if any(optimizer._use_weight_decay(d.bias) for d in model_dense):
            raise PortError(f"{where}: {type(optimizer).__name__}(weight_decay={wd}) ({line}) decays the biases too; "
                            f"the course's decay leaves b alone: optimizer.exclude_from_weight_decay(var_names=["
                            f"\"bias\"])")
        out["weight_decay"] = float(wd)
    return out


def _optimizer(optimizer, where: str, line: str) -> tuple[str, dict, float]:
    keras = _keras()
    config = optimizer.get_config()
    name = type(optimizer).__name__
    for key in ("clipnorm", "global_clipnorm", "clipvalue", "loss_scale_factor",
                "gradient_accumulation_steps"):
        if config.get(key):
            raise PortError(f"{where}: {name}({key}={config[key]}) ({line}); the checker reads optimizers without it")
    if config.get("use_ema") or config.get("amsgrad") or config.get("nesterov") or config.get("centered"):
        raise PortError(f"{where}: {name} with ema, amsgrad, nesterov or centered ({line}); the reference has none")
    lr = config["learning_rate"]
    if not isinstance(lr, (int, float)):
        raise PortError(f"{where}: {name}'s learning rate is a schedule ({line}); the checker reads a constant rate")
    lr = float(lr)
    if isinstance(optimizer, keras.optimizers.SGD):  # each backend has its subclass
        return ("momentum", {"beta": float(config["momentum"])}, lr) if config.get("momentum") else ("sgd", {}, lr)
    if isinstance(optimizer, keras.optimizers.Adam):
        return "adam", {"beta1": float(config["beta_1"]), "beta2": float(config["beta_2"]),
                        "epsilon": float(config["epsilon"])}, lr
    if isinstance(optimizer, keras.optimizers.RMSprop):
        if config.get("momentum"):
            raise PortError(f"{where}: RMSprop(momentum={config['momentum']}) ({line}); the reference's has none")
        return "rmsprop", {"beta2": float(config["rho"]), "epsilon": float(config["epsilon"])}, lr
    raise PortError(f"{where}: the optimizer is keras.optimizers.{name} ({line}); the reference has SGD (with or "
                    f"without momentum), Adam and RMSprop")


def find(namespace: dict, where: str, names: dict, skipped=()) -> tuple[str, object]:
    keras = _keras()
    if names.get("model"):
        model = namespace.get(names["model"])
        if not isinstance(model, keras.Model):
            raise PortError(f"{where}: {names['model']!r} (given with --model) is not a keras.Model")
        return names["model"], model
    found = {n: v for n, v in namespace.items() if not n.startswith("_") and isinstance(v, keras.Model)
             and any(isinstance(layer, keras.layers.Dense) for layer in v.layers)}
    if len(found) == 1:
        return next(iter(found.items()))
    if "model" in found:
        return "model", found["model"]

    if not found:
        raise PortError(f"{where}: no keras.Model with a Dense layer found after running the lines that build it; "
                        f"name it with --model NAME{failed_lines(skipped)}")
    raise PortError(f"{where}: {len(found)} Keras models found ({', '.join(sorted(found))}); say which with --model")


def _backend_row() -> str:
    backend = _keras().backend.backend()
    rows = [row.name for row in REGISTRY.values() if row.module == "keras" and row.keras_backend == backend]
    if not rows:
        raise PortError(f"Keras runs on {backend}, a backend the checker has no registry row for")
    return rows[0]


def _activation_layer(dense, keras):
    """A Keras layer computing the Dense's own activation function (what the Dense applied after Z)."""
    return keras.layers.Activation(dense.activation, dtype=dense.dtype_policy)


def _reference_name(activation: tuple[str, dict]) -> str:
    name, details = activation
    if name == "leaky_relu":  # always with its slope, read from the user's object (a bare name means a default)
        return f"leaky_relu({details['slope']!r})"
    return name


def read(source, where: str, names: dict | None = None) -> Port:
    """The user's Keras model, its compiled loss and optimizer read into a ``Port`` (see the module docstring)."""
    keras = _keras()
    names = names or {}
    model_name, model = find(source.namespace, where, names, source.skipped)
    text = source.path.read_text(encoding="utf-8") if source.path.suffix == ".py" else ""
    chain = _chain(model, where)
    compile_line = line_of(text, "", "compile(") or line_of(text, model_name)
    loss_fn = _loss_object(model, source.namespace, where)
    last = chain[-1][2][0]
    loss = _loss(loss_fn, last, where, compile_line)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise PortError(f"{where}: the model is not compiled with an optimizer (model.compile(optimizer=...))")
    name, hyper, lr = _optimizer(optimizer, where, compile_line)
    hyper.update(_decay([dense for dense, _, _ in chain], optimizer, where, compile_line))
    activations = [_reference_name(a) for _, _, a in chain]
    if loss["output"] != last and loss["loss"] != "mse":  # a logits loss after a linear Dense: its softmax/sigmoid
        activations[-1] = loss["output"]
    absent = {}
    L = len(chain)
    if loss["takes_logits"]:
        why = (f"{type(loss_fn).__name__}(from_logits=True) takes the last Dense's output Z[{L}]: the model has no "
               f"A[{L}]")
        absent = {"A": why, "dA": why}
    dtype = keras.backend.standardize_dtype(chain[0][0].kernel.dtype)
    if dtype not in ("float32", "float64"):
        raise PortError(f"{where}: the model's variables are {dtype}; the checker runs float32 or float64 models")
    suspects = [suspect(id_, where, compile_line, loss=type(loss_fn).__name__, activation=last)
                for id_ in loss["suspects"]]
    layers = [user or _activation_layer(dense, keras) for dense, user, _ in chain]
    return Port(model, loss_fn, optimizer, {"model": model_name, "loss": "the compiled loss",
                                            "optimizer": "the compiled optimizer", "step": None},
                [dense for dense, _, _ in chain], layers, activations, loss["loss"], _backend_row(),
                loss["takes_logits"], name, hyper, lr, dtype, loss["sparse"], suspects, absent)


def _probe(port: Port, where: str, x):
    """A functional model of the user's own layers with every Z[l] and A[l] an output (each Dense called without
    its activation: ``activation`` set to linear on the user's object for the check), checked against the model's
    own output on ``x`` (``tolerance.PORT_CHAIN_RTOL``)."""
    keras = _keras()
    expected = keras_adapter._to_numpy(port.model(x, training=True))
    linear = keras.activations.get("linear")
    saved = [d.activation for d in port.dense]
    inputs = keras.Input(shape=(port.layer_dims[0],), dtype=port.dtype)
    a, outputs, slots = inputs, [], []
    for l, (dense, activation) in enumerate(zip(port.dense, port.activation_layers, strict=True), 1):
        dense.activation = linear
        z = dense(a)
        a = activation(z)
        outputs += [z, a]
        slots += [(l, "Z"), (l, "A")]
    probe = keras.Model(inputs, outputs)
    got = keras_adapter._to_numpy(probe(x, training=True)[-1])
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=PORT_CHAIN_RTOL, atol=0):
        for dense, function in zip(port.dense, saved, strict=True):
            dense.activation = function
        raise PortError(f"{where}: the model's layers applied one after another do not give its output; the checker "
                        f"reads a chain of {SUPPORTED}")
    return probe, slots, saved


def _targets(port: Port, Y: np.ndarray):
    keras = _keras()
    if port.sparse:
        return keras.ops.convert_to_tensor(np.argmax(Y, axis=0))
    return keras.ops.convert_to_tensor(layout.batch_to_framework(Y))


def loading():
    """The state a file starts from when it runs as a script: Keras's default floatx, float32, whatever this
    process set before (a file that sets its own floatx keeps it for the variables it builds)."""
    return keras_adapter.floatx("float32")


def run(port: Port, case: Case, starts: list[Start], source, where: str, timeout: float = 0) -> Trace:
    """The user's layers, loss and optimizer, step s from ``starts[s]``, through the Keras adapter's step."""
    with keras_adapter.floatx(port.dtype):  # the optimizer's state and the loss compute in the model's dtype
        return _run(port, case, starts, where)


def _run(port: Port, case: Case, starts: list[Start], where: str) -> Trace:
    keras = _keras()
    X, Y = batch(case)
    x = keras.ops.convert_to_tensor(layout.batch_to_framework(X))
    y = _targets(port, Y)
    probe, slots, saved = _probe(port, where, x)
    try:
        model = keras_adapter._Model(probe, port.dense, port.loss_fn, port.optimizer, port.activation_layers, {}, {},
                                     slots)
        trace = Trace("your model", X=X, Y=Y, starts=list(starts))
        for s in range(case.steps):
            model.load(starts[s], case)
            keras_adapter.record_step(trace, s, model, case, case.m, *model.step(x, y, value_grads=True),
                                      absent=port.absent)
    finally:
        for dense, function in zip(port.dense, saved, strict=True):
            dense.activation = function
    return trace
