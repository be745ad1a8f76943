"""JAX with optax, from its own parts: the network is a pure function of its parameters (rows-as-samples,
z = a kernel + bias, flax's ``Dense`` layout), activations from ``jax.nn``, losses from ``optax``, gradients from
JAX's own autodiff and updates from ``optax.sgd``/``optax.adam`` with ``optax.apply_updates``.

- Losses: ``optax.sigmoid_binary_cross_entropy`` and ``optax.softmax_cross_entropy`` take the logits Z[L] (so
  there is no dA[L]: A[L] is computed for comparison but is not on the loss's path); MSE is
  ``optax.squared_error`` (no 1/2, unlike ``optax.l2_loss``). optax's losses are per element (per sample for
  the softmax cross-entropy) and unreduced; J is their ``jnp.mean``, the reduction torch and Keras use.
- Intermediate gradients: the forward pass adds a zero to every Z[l] and A[l] (exact), and ``jax.grad`` with
  respect to those zeros is JAX's own cotangent of Z[l] and A[l], dJ/dZ[l] and dJ/dA[l]; no derivative is written
  by hand.
- float64: ``parity.environment`` turns ``jax_enable_x64`` on when it imports jax; the dtypes really used are
  recorded and asserted after the run.
- The step is ``jax.jit``-compiled, as JAX programs are run: the forward pass, the loss, ``jax.value_and_grad``
  and optax's update are one XLA computation, traced and compiled once per network (activations, loss,
  optimizer and its hyperparameters) and shape, and shared by the step-local and the free runs. XLA may fuse
  operations and order a reduction its own way, so values can differ from op-by-op (eager) execution in the last
  bits, within the same tolerance. Eager JAX compiles every operation of every new shape on its own, which is
  what made it the slowest witness.

Step-local runs load each step's start into optax's own state: ``optimizer.init(params)`` builds it and the
reference's values replace its fields, ``TraceState.trace`` (sgd with momentum: trace = g + beta trace, update
-lr trace, the heavy-ball buffer of torch and the reference) or ``ScaleByAdamState``'s ``count``, ``mu`` and ``nu``
(Adam's t and first and second moments); the new state is read back after the update.

The course's second part: L2 as ``optax.add_decayed_weights`` on the kernels before the optimizer (decoupled
decay: ``optax.adamw``, or the decay after the step's direction); dropout as flax's ``select(mask, a / keep_prob,
0)`` with the shared mask; batch normalisation as flax's ``BatchNorm(use_fast_variance=False)`` formula, its
running statistics arguments and results of the compiled step (flax itself is not installed).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from importlib import metadata
from types import SimpleNamespace

import numpy as np

from parity import layout
from parity.case import Case, batch, dropout_masks, epoch_of, epoch_order, initial_buffers, initial_params, trained
from parity.environment import require
from parity.frameworks import Optimizer, framework_applies, lookup, split_activation
from parity.trace import PARAMETERS, Start, Trace


def _modules():
    jax = require("jax")
    return jax, require("jax.numpy"), require("optax")


def runtime_defaults(framework: str) -> dict:
    """The defaults the comparison relies on, read from the installed jax and optax."""
    jax, _, optax = _modules()
    adam = inspect.signature(optax.adam).parameters
    return {
        "version": jax.__version__,
        "jaxlib_version": metadata.version("jaxlib"),
        "optax_version": optax.__version__,
        "x64": bool(jax.config.jax_enable_x64),
        "leaky_relu_slope": inspect.signature(jax.nn.leaky_relu).parameters["negative_slope"].default,
        "adam_epsilon": adam["eps"].default,
        "adam_epsilon_root": adam["eps_root"].default,
        "adam_beta_1": adam["b1"].default,
        "adam_beta_2": adam["b2"].default,
        "sgd_nesterov": inspect.signature(optax.sgd).parameters["nesterov"].default,
        "adamw_weight_decay": inspect.signature(optax.adamw).parameters["weight_decay"].default,
        "rmsprop_decay": inspect.signature(optax.rmsprop).parameters["decay"].default,
        "rmsprop_epsilon": inspect.signature(optax.rmsprop).parameters["eps"].default,
        "rmsprop_eps_in_sqrt": inspect.signature(optax.rmsprop).parameters["eps_in_sqrt"].default,
        "schedule_dtypes_float64": _schedule_dtypes(),
    }


def _schedule_dtypes() -> dict[str, str]:
    """The dtype each scheduled row computes the rate in with x64 on, at optax's int32 count (``SCHEDULES``)."""
    jax, jnp, optax = _modules()
    probe = SimpleNamespace(learning_rate=0.5, decay_rate=0.5, decay_interval=1, batches_per_epoch=2)
    return {name: str(row(optax, probe)(jnp.asarray(3, jnp.int32)).dtype)
            for name, row in SCHEDULES.items() if row is not None}


# The reference's vocabulary in JAX's and optax's parts (parity.frameworks: COVERAGE).
ACTIVATIONS = {
    "sigmoid": lambda jax, slope: jax.nn.sigmoid,
    "tanh": lambda jax, slope: jax.nn.tanh,
    "relu": lambda jax, slope: jax.nn.relu,
    # a bare name takes jax's own default slope: the leaky-relu-default-slope convention
    "leaky_relu": lambda jax, slope: jax.nn.leaky_relu if slope is None
    else (lambda z: jax.nn.leaky_relu(z, negative_slope=slope)),
    "softmax": lambda jax, slope: (lambda z: jax.nn.softmax(z, axis=-1)),
    "linear": lambda jax, slope: (lambda z: z),
}
# J(Z[L], A[L], y): the mean of optax's per-element (or per-sample) loss; the cross-entropies take logits
LOSSES = {
    "binary_crossentropy": lambda jnp, optax: lambda z, a, y: jnp.mean(optax.sigmoid_binary_cross_entropy(z, y)),
    "categorical_crossentropy": lambda jnp, optax: lambda z, a, y: jnp.mean(optax.softmax_cross_entropy(z, y)),
    "mse": lambda jnp, optax: lambda z, a, y: jnp.mean(optax.squared_error(a, y)),
}
# ``build``: optax's optimizer; ``decoupled``: its form with decoupled weight decay wd on the kernels ``mask``
# selects (wd W joins the step's direction after momentum's trace or the adaptive scaling, before the learning
# rate); ``state``: the course's slot -> the field of optax's ``holder`` state
OPTIMIZERS = {
    "sgd": Optimizer(lambda optax, case, lr: optax.sgd(lr),
                     decoupled=lambda optax, case, mask, lr: optax.chain(
                         optax.add_decayed_weights(case.weight_decay, mask=mask), optax.scale(-lr))),
    # nesterov=False: the trace (heavy-ball) form
    "momentum": Optimizer(lambda optax, case, lr: optax.sgd(lr, momentum=case.beta),
                          decoupled=lambda optax, case, mask, lr: optax.chain(
                              optax.trace(decay=case.beta), optax.add_decayed_weights(case.weight_decay, mask=mask),
                              optax.scale(-lr)),
                          state={"v": "trace"}, holder="TraceState"),
    "adam": Optimizer(lambda optax, case, lr: optax.adam(lr, b1=case.beta1, b2=case.beta2, eps=case.epsilon),
                      decoupled=lambda optax, case, mask, lr: optax.adamw(
                          lr, b1=case.beta1, b2=case.beta2, eps=case.epsilon, weight_decay=case.weight_decay,
                          mask=mask),
                      state={"v": "mu", "s": "nu"}, holder="ScaleByAdamState"),
    # scale_by_rms: nu <- decay nu + (1 - decay) g^2, update g rsqrt(nu + eps) (eps_in_sqrt, its default)
    "rmsprop": Optimizer(lambda optax, case, lr: optax.rmsprop(lr, decay=case.beta2, eps=case.epsilon),
                         decoupled=lambda optax, case, mask, lr: optax.chain(
                             optax.scale_by_rms(decay=case.beta2, eps=case.epsilon),
                             optax.add_decayed_weights(case.weight_decay, mask=mask), optax.scale(-lr)),
                         state={"s": "nu"}, holder="ScaleByRmsState"),
}
# The reference's schedules as functions of optax's update count (0 at the first update), epochs of B =
# case.batches_per_epoch updates: optax's own exponential_decay (staircase: the rate changes every B counts), and
# the course's inverse-time and fixed-interval decay, which optax has no schedule for, as schedule functions.
# ``_optimizer`` injects the schedule with optax.inject_hyperparams, whose state keeps the count and the rate of
# the last update.
SCHEDULES = {
    "constant": None,
    "inverse_time": lambda optax, case: lambda count: case.learning_rate / (
        1 + case.decay_rate * (count // case.batches_per_epoch)),
    "exponential": lambda optax, case: optax.exponential_decay(
        case.learning_rate, transition_steps=case.batches_per_epoch, decay_rate=case.decay_rate, staircase=True),
    "fixed_interval": lambda optax, case: lambda count: case.learning_rate / (
        1 + case.decay_rate * (count // (case.batches_per_epoch * case.decay_interval))),
}
COVERAGE = {"activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS, "schedules": SCHEDULES}


def _activation(name: str):
    base, slope = split_activation(name)
    return lookup(ACTIVATIONS, base, "activation", "jax")(_modules()[0], slope)


def _cost(case: Case):
    """J(Z[L], A[L], y): the mean of optax's per-element (or per-sample) loss."""
    _, jnp, optax = _modules()
    if not framework_applies(case, "jax"):
        raise ValueError(f"case {case.name}: optax's {case.loss} takes logits, which needs a "
                         f"{'sigmoid' if case.loss == 'binary_crossentropy' else 'softmax'} output")
    return lookup(LOSSES, case.loss, "loss", "jax")(jnp, optax)


def _optimizer(case: Case):
    """optax's optimizer for the case, its learning rate the case's schedule (``SCHEDULES``) injected with
    ``optax.inject_hyperparams``, or the constant rate. The injected rate takes the parameters' dtype (optax's
    default, read when the step is traced: one optimizer serves a network's float32 and float64 steps)."""
    optax = _modules()[2]
    schedule = lookup(SCHEDULES, case.schedule, "schedule", "jax")
    if schedule is None:
        return _unscheduled(case, case.learning_rate)
    return optax.inject_hyperparams(lambda learning_rate: _unscheduled(case, learning_rate))(
        learning_rate=schedule(optax, case))


def _unscheduled(case: Case, lr):
    """optax's optimizer for the case at learning rate ``lr``. With L2 regularisation,
    ``optax.add_decayed_weights(lambd / m)`` on the kernels (a mask leaves the biases out) chained before it: the
    gradient gains (lambd / m) W before momentum or Adam sees it, coupled weight decay (the l2-as-weight-decay
    convention). With decoupled weight decay, ``optax.adamw``, or the decay added after the step's direction
    (momentum's trace) and before the scaling."""
    optax = _modules()[2]
    kernels = lambda params: {name: name.startswith("W") for name in params}  # noqa: E731
    row = lookup(OPTIMIZERS, case.optimizer, "optimizer", "jax")
    if case.weight_decay:  # decoupled: wd W joins the step's direction after momentum's trace or Adam's scaling
        return row.decoupled(optax, case, kernels, lr)
    if not case.lambd:
        return row.build(optax, case, lr)
    return optax.chain(optax.add_decayed_weights(case.lambd / case.m, mask=kernels), row.build(optax, case, lr))


def _states(state, kinds, replace=None):
    """The optimizer states of ``kinds`` inside optax's nested state tuples (a chain's, a mask's), in order; with
    ``replace`` (a function of such a state), the whole state rebuilt with each of them replaced."""
    if isinstance(state, kinds):
        return replace(state) if replace else [state]
    if not isinstance(state, tuple):
        return state if replace else []
    children = [_states(child, kinds, replace) for child in state]
    if not replace:
        return [found for child in children for found in child]
    return type(state)(*children) if hasattr(state, "_fields") else type(state)(children)


# Case fields that are data, not the network: they reach the compiled step as its arguments (the batch, the
# starting weights) or not at all (the steps taken), and jax.jit keys on shapes and dtypes itself. (m is not
# among them: L2's decay lambd / m is a constant of the step.)
_DATA_FIELDS = ("name", "dtype", "steps", "data", "init", "edge", "input_scale")


def _network(case: Case) -> tuple:
    """What the compiled step depends on besides shapes and dtypes: every field of the case but its data, so a
    hyper-parameter added to ``Case`` is part of the key without being named here."""
    return tuple((f.name, getattr(case, f.name)) for f in fields(case) if f.name not in _DATA_FIELDS)


_COMPILED: dict[tuple, object] = {}  # _network(case) -> its jitted step (jax.jit keeps one per shape and dtype)


def _compiled_step(case: Case):
    """The jitted step of ``case``'s network: (params, opt_state, zeros, x, y, masks, buffers) -> (J, values,
    parameter gradients, gradients of the values, new params, new opt_state, new buffers). ``values`` and
    ``zeros`` are keyed "Z1", "Zt1" (batch-normalised layers), "A1", ...; ``masks``: {"D1": ...}, the hidden
    layers' dropout masks (rows as samples), and ``buffers``, batch normalisation's running statistics, are
    arguments like the batch, so every step's own reach the one program."""
    keep_prob, normalised, bn_epsilon, decay = case.keep_prob, case.batchnorm_layers, case.bn_epsilon, case.bn_decay
    key = _network(case)
    if key in _COMPILED:
        return _COMPILED[key]
    jax, _, optax = _modules()
    activation_fns = [_activation(name) for name in case.activations]
    cost = _cost(case)
    optimizer = _optimizer(case)

    jnp = jax.numpy

    def loss_fn(params, zeros, x, y, masks, buffers):
        """J and (values, new buffers): the network as a pure function, with a zero added to each value."""
        a, values, new_buffers = x, {}, {}
        for l, g in enumerate(activation_fns, start=1):
            z = a @ params[f"W{l}"]
            z = (z if l in normalised else z + params[f"b{l}"]) + zeros[f"Z{l}"]
            values[f"Z{l}"] = z
            if l in normalised:
                # batch normalisation as flax.linen.BatchNorm(use_fast_variance=False) computes it: the batch mean
                # and biased variance, y = (z - mean) * (rsqrt(var + eps) * gamma) + beta, and running statistics
                # decay running + (1 - decay) batch (flax's momentum is the decay)
                mean = jnp.mean(z, axis=0)
                var = jnp.mean(jnp.square(z - mean), axis=0)
                z = (z - mean) * (jax.lax.rsqrt(var + bn_epsilon) * params[f"gamma{l}"]) + params[f"beta{l}"]
                z = z + zeros[f"Zt{l}"]
                values[f"Zt{l}"] = z
                new_buffers[f"running_mean{l}"] = decay * buffers[f"running_mean{l}"] + (1 - decay) * mean
                new_buffers[f"running_var{l}"] = decay * buffers[f"running_var{l}"] + (1 - decay) * var
            a = g(z)
            if f"D{l}" in masks:  # inverted dropout as flax's Dropout computes it: select(mask, a / keep_prob, 0)
                a = jax.lax.select(masks[f"D{l}"] != 0, a / keep_prob, jnp.zeros_like(a))
            a = a + zeros[f"A{l}"]
            values[f"A{l}"] = a
        L = len(activation_fns)
        return cost(values[f"Z{L}"], values[f"A{L}"], y), (values, new_buffers)

    def step(params, opt_state, zeros, x, y, masks, buffers):
        (J, (values, new_buffers)), (grads, value_grads) = jax.value_and_grad(
            loss_fn, argnums=(0, 1), has_aux=True)(params, zeros, x, y, masks, buffers)
        updates, new_state = optimizer.update(grads, opt_state, params)
        return J, values, grads, value_grads, optax.apply_updates(params, updates), new_state, new_buffers

    _COMPILED[key] = jax.jit(step)
    return _COMPILED[key]


@dataclass
class _Model:
    case: Case
    framework_params: dict  # W1, b1, gamma1, beta1, ... in jax's layout (kernels, vectors), as jax arrays
    optimizer: object
    opt_state: object
    framework_buffers: dict = None  # running_mean1, running_var1, ... (vectors): batch normalisation's statistics

    def step(self, x, y, step: int = 0):
        """One forward, loss, gradient and optax update (one compiled computation) with ``step``'s dropout masks;
        returns (J, values, gradients of the values, parameter gradients), all from before the update, with
        values keyed "Z1", "Zt1", "A1", ..."""
        _, jnp, _ = _modules()
        zeros = {}
        for l, n in enumerate(self.case.layer_dims[1:], start=1):
            for name in ("Z", "Zt", "A") if l in self.case.batchnorm_layers else ("Z", "A"):
                zeros[f"{name}{l}"] = jnp.zeros((x.shape[0], n), x.dtype)
        masks = {f"D{l}": jnp.asarray(layout.batch_to_framework(D), x.dtype)
                 for l, D in dropout_masks(self.case, step).items()}
        (J, values, grads, value_grads, self.framework_params, self.opt_state,
         self.framework_buffers) = _compiled_step(self.case)(
            self.framework_params, self.opt_state, zeros, x, y, masks, self.framework_buffers)
        return J, values, value_grads, grads

    def buffers(self) -> dict:
        """The running statistics in the reference layout."""
        return {name: layout.parameter_from_framework(name, np.asarray(v), "jax").copy()
                for name, v in self.framework_buffers.items()}

    def params(self) -> dict:
        """The current parameters in the reference layout."""
        return {name: layout.parameter_from_framework(name, np.asarray(p), "jax").copy()
                for name, p in self.framework_params.items()}

    def _kinds(self) -> tuple:
        """optax's state class holding this optimizer's slots (none for plain SGD)."""
        holder = OPTIMIZERS[self.case.optimizer].holder
        return (getattr(_modules()[2], holder),) if holder else ()

    def _fields(self):
        """optax's state object for this optimizer (TraceState, ScaleByAdamState), wherever the chain holds it."""
        found = _states(self.opt_state, self._kinds()) if self._kinds() else []
        return found[0] if found else None

    def load(self, start: Start, case: Case) -> None:
        """Set the parameters and optax's state to ``start`` (the reference's state before a step)."""
        _, jnp, _ = _modules()
        dtype = self.case.dtype
        self.framework_params = {
            name: jnp.asarray(layout.parameter_to_framework(name, start.params[name], "jax"), dtype)
            for name in self.framework_params}
        self.framework_buffers = _framework_arrays(start.buffers, dtype)
        self.opt_state = self.optimizer.init(self.framework_params)
        if self.case.scheduled:
            self.opt_state = _counted(self.opt_state, start.t)
        state = self._fields()
        if state is None:
            return
        changes = {}
        for prefix, field in OPTIMIZERS[self.case.optimizer].state.items():
            tree = {}
            for name in self.framework_params:
                value = start.state.get(f"{prefix}_d{name}")
                value = np.zeros_like(start.params[name]) if value is None else value
                tree[name] = jnp.asarray(layout.parameter_to_framework(f"{prefix}_d{name}", value, "jax"), dtype)
            changes[field] = tree
        if "count" in state._fields:  # a NamedTuple: hasattr would find tuple.count
            changes["count"] = jnp.asarray(start.t, dtype=state.count.dtype)
        self.opt_state = _states(self.opt_state, self._kinds(), lambda found: found._replace(**changes))

    def state(self, case: Case) -> tuple[dict, int | None]:
        """optax's state after a step, in the course's names and the reference layout, and Adam's t (count)."""
        state = self._fields()
        out = {}
        if state is None:
            return out, None
        for prefix, field in OPTIMIZERS[self.case.optimizer].state.items():
            for name, value in getattr(state, field).items():
                out[f"{prefix}_d{name}"] = layout.parameter_from_framework(
                    f"{prefix}_d{name}", np.asarray(value), "jax").copy()
        return out, int(state.count) if "count" in state._fields else None

    def learning_rate(self) -> float:
        """The rate of the last update: inject_hyperparams's ``hyperparams["learning_rate"]``, the schedule at the
        update's count."""
        return np.asarray(self.opt_state.hyperparams["learning_rate"])

    def state_dtypes(self) -> str:
        jax = _modules()[0]
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(self.opt_state) if getattr(leaf, "ndim", 0)]
        return ",".join(sorted({str(leaf.dtype) for leaf in leaves})) or "none"


def _counted(state, t: int):
    """inject_hyperparams's state with the updates taken set to ``t``: its ``count``, and (optax 0.2.6 and later,
    which wraps a schedule in a stateful ``WrappedSchedule``) each schedule's own count, which it is called with."""
    _, jnp, _ = _modules()
    count = lambda old: jnp.asarray(t, dtype=old.dtype)  # noqa: E731
    state = state._replace(count=count(state.count))
    if "hyperparams_states" in state._fields:
        state = state._replace(hyperparams_states={
            name: inner._replace(count=count(inner.count)) if hasattr(inner, "_replace") else inner
            for name, inner in state.hyperparams_states.items()})
    return state


def _framework_arrays(named: dict, dtype: str) -> dict:
    """Reference-layout arrays by name, as jax arrays in jax's layout (kernels, vectors)."""
    _, jnp, _ = _modules()
    return {name: jnp.asarray(layout.parameter_to_framework(name, value, "jax"), dtype)
            for name, value in named.items()}


def _build(case: Case, params: dict) -> _Model:
    """The network from ``params``, without a batch-normalised layer's b (beta takes its place)."""
    framework_params = _framework_arrays({k: v for k, v in params.items() if trained(case, k)}, case.dtype)
    optimizer = _optimizer(case)
    return _Model(case, framework_params, optimizer, optimizer.init(framework_params),
                  _framework_arrays(initial_buffers(case), case.dtype))


def _batch(X, Y, dtype: str):
    _, jnp, _ = _modules()
    return jnp.asarray(layout.batch_to_framework(X), dtype), jnp.asarray(layout.batch_to_framework(Y), dtype)


def _batches(case: Case, X, Y):
    """(step, x, y) for every step: the whole batch, or, with mini-batches, an iterator over the epochs, each
    taking the samples in its order (``parity.case.epoch_order``) mini_batch_size rows at a time with
    ``jnp.take``, the last batch holding what remains."""
    _, jnp, _ = _modules()
    x, y = _batch(X, Y, case.dtype)
    size = case.mini_batch_size
    if not size:
        yield from ((s, x, y) for s in range(case.steps))
        return
    for s in range(case.steps):
        k = s % case.batches_per_epoch  # the step's batch within its epoch
        if k == 0:
            order = jnp.asarray(epoch_order(case, epoch_of(case, s)))
        rows = order[k * size:(k + 1) * size]
        yield s, jnp.take(x, rows, axis=0), jnp.take(y, rows, axis=0)


def run(case: Case, framework: str = "jax", starts: list[Start] | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps, each from ``starts[step]`` (step-local) or, without ``starts``,
    free-running from the case's initial weights; each step on its batch (``_batches``)."""
    model = _build(case, starts[0].params if starts else initial_params(case))
    X, Y = batch(case)
    L = case.L
    trace = Trace(framework, X=X, Y=Y, starts=list(starts or []))
    for s, x, y in _batches(case, X, Y):
        if starts:
            model.load(starts[s], case)
        m = x.shape[0]
        J, values, value_grads, grads = model.step(x, y, s)
        if case.scheduled:
            trace.record(s, "update", None, "lr", model.learning_rate())
        names = {"Z": "Z", "Zt": "Z_tilde", "A": "A"}  # the compiled step's keys, in the trace's names
        for l in range(1, L + 1):
            for key, quantity in names.items():
                if f"{key}{l}" in values:
                    trace.record(s, "forward", l, quantity, layout.batch_from_framework(values[f"{key}{l}"]))
        trace.record(s, "cost", None, "J", float(J))
        for l in range(L, 0, -1):
            for key, quantity in (("A", "dA"), ("Zt", "dZ_tilde"), ("Z", "dZ")):
                if key == "A" and l == L and case.loss != "mse":  # a logits loss does not see A[L]: no dA[L]
                    continue
                if f"{key}{l}" in value_grads:
                    trace.record(s, "backward", l, quantity,
                                 layout.batch_grad_from_framework(value_grads[f"{key}{l}"], m))
            for name in PARAMETERS:
                if f"{name}{l}" in grads:
                    trace.record(s, "backward", l, f"d{name}",
                                 layout.parameter_from_framework(f"{name}{l}", grads[f"{name}{l}"], "jax"))
        trace.record_named(s, model.params())
        trace.record_named(s, model.buffers())
        trace.record_state(s, *model.state(case))
    trace.dtypes = {
        "parameters": str(model.framework_params["W1"].dtype),
        "activations": str(values[f"A{L}"].dtype),
        "gradients": str(grads["W1"].dtype),
        "cost": str(J.dtype),
        "optimizer_state": model.state_dtypes(),
    }
    trace.assert_dtype(case.dtype, case.name)
    return trace


def iterate(case: Case, params: dict, X, Y, framework: str = "jax"):
    """Endless training from ``params`` on (X, Y): yields (cost, AL in the reference layout, params getter)."""
    model = _build(case, params)
    x, y = _batch(X, Y, case.dtype)
    step = 0
    while True:
        J, values, _, _ = model.step(x, y, step)
        step += 1
        yield float(J), layout.batch_from_framework(values[f"A{case.L}"]), model.params


def stepper(case: Case, params: dict, X, Y, framework: str = "jax", compiled: bool = False):
    """A function taking one training step from ``params`` on (X, Y), as the witness runs it: one
    ``jax.jit``-compiled computation (always: ``compiled`` asks for nothing more), waited for, since JAX dispatches
    asynchronously, until the new parameters are ready."""
    model = _build(case, params)
    x, y = _batch(X, Y, case.dtype)

    def step():
        model.step(x, y)
        for value in model.framework_params.values():
            value.block_until_ready()

    return step
