"""PyTorch, from its own parts: ``nn.Linear`` layers, ``torch.nn`` activation modules, loss modules and
``torch.optim`` optimizers; intermediates kept with ``retain_grad()``, gradients from ``.backward()``.

Two framework names run here:
- ``torch``: the loss on probabilities where torch has one (``BCELoss`` after ``nn.Sigmoid``, ``MSELoss``);
  ``CrossEntropyLoss`` always takes the logits Z[L] (it applies log-softmax itself), with probability targets.
- ``torch-logits``: ``BCEWithLogitsLoss`` on Z[L], for sigmoid outputs with binary cross-entropy.
With a logits loss there is no dA[L] (A[L] is computed for comparison but is not on the loss's path).

Step-local runs load each step's start into torch's own objects: the parameters into ``nn.Linear.weight`` and
``.bias``, the optimizer's state into ``optimizer.state[p]`` (``momentum_buffer``; Adam's ``exp_avg``,
``exp_avg_sq`` and ``step``), and read the state back after ``optimizer.step()`` for comparison.

The course's second part: L2 as ``weight_decay = lambd / m`` on a weights-only parameter group (decoupled decay:
``AdamW``, or SGD's ``weight_decay``, the same map); dropout as the shared mask in ``nn.Dropout``'s own form
(``_dropped``); batch normalisation as ``nn.BatchNorm1d`` after a bias-free ``nn.Linear``, its ``running_mean`` and
``running_var`` loaded before each step and read after it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import reference
from parity import layout
from parity.case import Case, batch, dropout_masks, epoch_of, epoch_order, initial_params
from parity.environment import require, torch_device
from parity.frameworks import Optimizer, lookup, split_activation
from parity.trace import Start, Trace


def _torch():
    return require("torch")


def runtime_defaults(framework: str) -> dict:
    """The defaults the comparison relies on, read from the installed torch."""
    torch = _torch()
    adam = inspect.signature(torch.optim.Adam).parameters
    return {
        "version": str(torch.__version__),
        "leaky_relu_slope": torch.nn.LeakyReLU().negative_slope,
        "adam_epsilon": adam["eps"].default,
        "adam_beta_1": adam["betas"].default[0],
        "adam_beta_2": adam["betas"].default[1],
        "sgd_learning_rate": inspect.signature(torch.optim.SGD).parameters["lr"].default,
        "sgd_weight_decay": inspect.signature(torch.optim.SGD).parameters["weight_decay"].default,
        "adamw_weight_decay": inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default,
        "rmsprop_alpha": inspect.signature(torch.optim.RMSprop).parameters["alpha"].default,
        "rmsprop_epsilon": inspect.signature(torch.optim.RMSprop).parameters["eps"].default,
        "dropout_p": inspect.signature(torch.nn.Dropout).parameters["p"].default,
        "batchnorm_momentum": inspect.signature(torch.nn.BatchNorm1d).parameters["momentum"].default,
        "batchnorm_epsilon": inspect.signature(torch.nn.BatchNorm1d).parameters["eps"].default,
        "linear_init": _linear_init(torch),
    }


def _linear_init(torch) -> str:
    """How ``nn.Linear.reset_parameters`` draws W, read from its source."""
    source = inspect.getsource(torch.nn.Linear.reset_parameters)
    if "kaiming_uniform_(self.weight, a=math.sqrt(5))" in source:
        return "kaiming_uniform_(weight, a=sqrt(5)) and a bias bound 1/sqrt(fan_in)"
    return "changed from kaiming_uniform_(a=sqrt(5)): see torch.nn.Linear.reset_parameters"


# The reference's vocabulary in torch's parts (parity.frameworks: COVERAGE). Each entry builds the part.
ACTIVATIONS = {
    "sigmoid": lambda nn, slope: nn.Sigmoid(),
    "tanh": lambda nn, slope: nn.Tanh(),
    "relu": lambda nn, slope: nn.ReLU(),
    # a bare name takes torch's own default slope: the leaky-relu-default-slope convention
    "leaky_relu": lambda nn, slope: nn.LeakyReLU() if slope is None else nn.LeakyReLU(negative_slope=slope),
    "softmax": lambda nn, slope: nn.Softmax(dim=1),
    "linear": lambda nn, slope: nn.Identity(),
}
# (loss module, whether it takes the logits Z[L] rather than A[L]), for "torch" and "torch-logits"
LOSSES = {
    "binary_crossentropy": lambda nn, framework: (nn.BCEWithLogitsLoss(), True) if framework == "torch-logits"
    else (nn.BCELoss(), False),
    "categorical_crossentropy": lambda nn, framework: (nn.CrossEntropyLoss(), True),
    "mse": lambda nn, framework: (nn.MSELoss(), False),
}
# ``parameters``: parameter groups, the weights with the case's weight decay (``_parameter_groups``); ``state``:
# the course's slot -> torch's key in ``optimizer.state[p]``; ``counter``: the per-parameter step torch keeps
OPTIMIZERS = {
    "sgd": Optimizer(lambda optim, parameters, case: optim.SGD(parameters, lr=case.learning_rate)),
    "momentum": Optimizer(
        lambda optim, parameters, case: optim.SGD(parameters, lr=case.learning_rate, momentum=case.beta),
        state={"v": "momentum_buffer"}),
    # decoupled weight decay: AdamW, the weights' group carrying it
    "adam": Optimizer(lambda optim, parameters, case: (optim.AdamW if case.weight_decay else optim.Adam)(
        parameters, lr=case.learning_rate, betas=(case.beta1, case.beta2), eps=case.epsilon),
        state={"v": "exp_avg", "s": "exp_avg_sq"}, counter="step"),
    # the course's form: param -= lr grad / (sqrt(square_avg) + eps); torch's alpha is the course's beta2
    "rmsprop": Optimizer(lambda optim, parameters, case: optim.RMSprop(
        parameters, lr=case.learning_rate, alpha=case.beta2, eps=case.epsilon),
        state={"s": "square_avg"}, counter="step"),
}
# The reference's schedules (reference.schedules) as torch.optim.lr_scheduler objects, stepped once at the end of
# every epoch (``scheduler.step()`` after the epoch's last batch), so epoch e runs at the factor of last_epoch = e.
# torch has no inverse-time or fixed-interval decay: LambdaLR with the course's factor; ExponentialLR is chainable
# (each step() multiplies the optimizer's current rate by gamma).
SCHEDULES = {
    "constant": None,
    "inverse_time": lambda lr_scheduler, optimizer, case: lr_scheduler.LambdaLR(
        optimizer, lambda epoch: 1 / (1 + case.decay_rate * epoch)),
    "exponential": lambda lr_scheduler, optimizer, case: lr_scheduler.ExponentialLR(optimizer, gamma=case.decay_rate),
    "fixed_interval": lambda lr_scheduler, optimizer, case: lr_scheduler.LambdaLR(
        optimizer, lambda epoch: 1 / (1 + case.decay_rate * (epoch // case.decay_interval))),
}
COVERAGE = {"activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS, "schedules": SCHEDULES}


def _activation_module(name: str):
    base, slope = split_activation(name)
    return lookup(ACTIVATIONS, base, "activation", "torch")(_torch().nn, slope)


def _loss(case: Case, framework: str):
    """(loss module, whether it takes the logits Z[L] rather than A[L])."""
    if case.loss == "categorical_crossentropy" and case.activations[-1] != "softmax":
        raise ValueError(f"case {case.name}: torch's CrossEntropyLoss needs a softmax output")
    return lookup(LOSSES, case.loss, "loss", framework)(_torch().nn, framework)


def _parameter_groups(case: Case, linears, norms: dict) -> list[dict]:
    """torch.optim parameter groups: the weights, with the course's L2 as coupled weight decay lambd / m (the
    optimizer adds wd W to each weight's gradient: the l2-as-weight-decay convention) or the case's decoupled
    weight_decay (AdamW's; for plain SGD the coupled form is the same map), and the biases and batch
    normalisation's gamma and beta, which neither regularises, with none."""
    others = [linear.bias for linear in linears if linear.bias is not None]
    others += [p for _, norm in sorted(norms.items()) for p in (norm.weight, norm.bias)]
    return [{"params": [linear.weight for linear in linears], "weight_decay": case.lambd / case.m + case.weight_decay},
            {"params": others, "weight_decay": 0.0}]


def _optimizer(case: Case, linears, norms: dict):
    return lookup(OPTIMIZERS, case.optimizer, "optimizer", "torch").build(
        _torch().optim, _parameter_groups(case, linears, norms), case)


@dataclass
class _Model:
    linears: list
    activations: list
    loss_fn: object
    takes_logits: bool
    optimizer: object
    keep_prob: float = 1.0
    norms: dict = field(default_factory=dict)  # {l: hidden layer l's nn.BatchNorm1d}, between Linear and g
    scheduler: object = None  # the case's lr_scheduler, None for a constant rate

    def forward(self, x, keep_grads: bool = False, masks: dict | None = None):
        """Z[l], Z_tilde[l] (None where nothing normalises) and A[l] for l = 1..L, as (m, n) tensors; ``keep_grads``
        retains their .grad; ``masks``: layer l's dropout mask D[l], as a (m, n[l]) tensor, applied after its
        activation (``_dropped``)."""
        a, Zs, Zts, As = x, [], [], []
        for l, (linear, g) in enumerate(zip(self.linears, self.activations, strict=True), start=1):
            z = linear(a)
            zt = self.norms[l](z) if l in self.norms else None
            a = g(z if zt is None else zt)
            if masks and l in masks:
                a = _dropped(a, masks[l], self.keep_prob)
            if keep_grads:
                for tensor in (z, zt, a):
                    if tensor is not None:
                        tensor.retain_grad()
            Zs.append(z)
            Zts.append(zt)
            As.append(a)
        return Zs, Zts, As

    def step(self, x, y, keep_grads: bool = False, masks: dict | None = None):
        """One forward, loss, backward, optimizer step; returns (J, Zs, Zts, As) from before the update."""
        self.optimizer.zero_grad()
        Zs, Zts, As = self.forward(x, keep_grads, masks)
        J = self.loss_fn(Zs[-1] if self.takes_logits else As[-1], y)
        J.backward()
        self.optimizer.step()
        return J, Zs, Zts, As

    def named_parameters(self):
        """(W1, weight of the first Linear), (b1, its bias), (gamma1, beta1: its BatchNorm1d's weight and bias),
        ...: the reference's names for torch's tensors."""
        for l, linear in enumerate(self.linears, start=1):
            yield f"W{l}", linear.weight
            if linear.bias is not None:
                yield f"b{l}", linear.bias
            if l in self.norms:
                yield f"gamma{l}", self.norms[l].weight
                yield f"beta{l}", self.norms[l].bias

    def named_buffers(self):
        """(running_mean1, BatchNorm1d's running_mean), (running_var1, ...), ... for the normalised layers."""
        for l, norm in sorted(self.norms.items()):
            yield f"running_mean{l}", norm.running_mean
            yield f"running_var{l}", norm.running_var

    def buffers(self) -> dict:
        return {name: layout.parameter_from_framework(name, _np(t), "torch").copy() for name, t in self.named_buffers()}

    def params(self) -> dict:
        """The current parameters in the reference layout."""
        return {name: layout.parameter_from_framework(name, _np(p), "torch").copy()
                for name, p in self.named_parameters()}

    def load_schedule(self, start: Start, case: Case, step: int) -> None:
        """The scheduler as it stands when step ``step`` begins: the rate the optimizer holds (``start.lr``, the
        previous step's), ``last_epoch`` the previous step's epoch, and, where the step opens an epoch, the
        ``scheduler.step()`` that ends the one before."""
        if self.scheduler is None:
            return
        for group in self.optimizer.param_groups:
            group["lr"] = start.lr
        self.scheduler.last_epoch = epoch_of(case, max(step - 1, 0))
        if step and step % case.batches_per_epoch == 0:
            self.scheduler.step()

    def learning_rate(self) -> float:
        """The rate every parameter group steps with (one: the case has one learning rate)."""
        rates = {group["lr"] for group in self.optimizer.param_groups}
        if len(rates) != 1:
            raise AssertionError(f"torch's parameter groups have different learning rates: {sorted(rates)}")
        return rates.pop()

    def load(self, start: Start, case: Case) -> None:
        """Set the parameters and ``optimizer.state`` to ``start`` (the reference's state before a step)."""
        torch = _torch()
        row = OPTIMIZERS[case.optimizer]
        with torch.no_grad():
            for name, t in self.named_buffers():
                t.copy_(_tensor_of(layout.parameter_to_framework(name, start.buffers[name], "torch")))
            for name, p in self.named_parameters():
                p.copy_(_tensor_of(layout.parameter_to_framework(name, start.params[name], "torch")))
                state = self.optimizer.state[p]
                entries = {key: start.state.get(f"{prefix}_d{name}") for prefix, key in row.state.items()}
                if all(value is None for value in entries.values()) and start.t == 0:
                    state.clear()  # torch's own fresh state: zero moments, a buffer made from the first gradient
                    continue
                for key, value in entries.items():
                    value = _tensor_of(layout.parameter_to_framework(name, value, "torch")) if value is not None \
                        else torch.zeros_like(p)
                    if key in state:
                        state[key].copy_(value)
                    else:
                        state[key] = value.clone()
                if row.counter in state:
                    state[row.counter].fill_(float(start.t))
                elif row.counter:  # torch's own step tensor: a float scalar of the default dtype, on the CPU
                    state[row.counter] = torch.tensor(float(start.t))

    def state(self, case: Case) -> tuple[dict, int | None]:
        """The optimizer's state after a step, in the course's names and the reference layout, and t where the
        reference's optimizer counts its updates (``counted``)."""
        row = OPTIMIZERS[case.optimizer]
        out, t = {}, None
        for name, p in self.named_parameters():
            state = self.optimizer.state[p]
            for prefix, key in row.state.items():
                out[f"{prefix}_d{name}"] = layout.parameter_from_framework(name, _np(state[key]), "torch").copy()
            if reference.optimizers.get_optimizer(case.optimizer).counted:
                t = int(state[row.counter].item())
        return out, t


def _dropped(a, D, keep_prob: float):
    """Inverted dropout with the shared mask, in the form of torch's own: ``nn.Dropout(p)`` computes input *
    noise with noise = bernoulli(1 - p) / (1 - p) (aten's ``_dropout_impl``); its mask comes from torch's generator
    and cannot be given, so here the noise is the shared mask D / keep_prob, and autograd differentiates the
    product as it does nn.Dropout's (tests/test_witness_dropout.py checks nn.Dropout itself against this formula)."""
    return a * D.div(keep_prob)


def _masks(case: Case, step: int) -> dict:
    """The step's shared dropout masks as (m, n[l]) tensors."""
    return {l: _tensor(D) for l, D in dropout_masks(case, step).items()}


def _build(case: Case, params: dict, framework: str) -> _Model:
    torch = _torch()
    dtype = {"float32": torch.float32, "float64": torch.float64}[case.dtype]
    linears, activations, norms = [], [], {}
    for l in range(1, case.L + 1):
        normalised = l in case.batchnorm_layers  # no bias: beta takes its place
        linear = torch.nn.Linear(case.layer_dims[l - 1], case.layer_dims[l], bias=not normalised, dtype=dtype,
                                 device=torch_device())
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layout.torch_weight(params[f"W{l}"])))
            if not normalised:
                linear.bias.copy_(torch.from_numpy(layout.framework_bias(params[f"b{l}"])))
        if normalised:  # torch's momentum weighs the new batch: 1 - the course's decay
            norms[l] = torch.nn.BatchNorm1d(case.layer_dims[l], eps=case.bn_epsilon, momentum=1 - case.bn_decay,
                                            dtype=dtype, device=torch_device())
            with torch.no_grad():
                norms[l].weight.copy_(torch.from_numpy(layout.framework_bias(params[f"gamma{l}"])))
                norms[l].bias.copy_(torch.from_numpy(layout.framework_bias(params[f"beta{l}"])))
        linears.append(linear)
        activations.append(_activation_module(case.activations[l - 1]))
    loss_fn, takes_logits = _loss(case, framework)
    optimizer = _optimizer(case, linears, norms)
    schedule = lookup(SCHEDULES, case.schedule, "schedule", "torch")
    scheduler = schedule(torch.optim.lr_scheduler, optimizer, case) if schedule else None
    return _Model(linears, activations, loss_fn, takes_logits, optimizer, case.keep_prob, norms, scheduler)


def _tensor(array):
    return _tensor_of(layout.batch_to_framework(array))


def _tensor_of(array):
    return _torch().from_numpy(array).to(torch_device())


def _np(tensor):
    """A tensor's values as a NumPy array, from whichever device it is on."""
    return tensor.detach().cpu().numpy()


class _EpochOrder:
    """A ``torch.utils.data.Sampler`` (duck-typed: ``__iter__`` and ``__len__``): the sample indices in the order
    epoch ``epoch`` takes them (``parity.case.epoch_order``), the shared shuffle every witness uses."""

    def __init__(self, case: Case):
        self.case, self.epoch = case, 0

    def __iter__(self):
        return iter(epoch_order(self.case, self.epoch).tolist())

    def __len__(self) -> int:
        return self.case.m


def _batches(case: Case, X, Y):
    """(step, x, y) for every step: the whole batch each step, or, with mini-batches, a ``DataLoader`` over a
    ``TensorDataset`` of the samples with the epoch's order as its sampler (``drop_last=False``: the last batch
    holds what remains), epoch after epoch."""
    torch = _torch()
    x, y = _tensor(X), _tensor(Y)
    if not case.mini_batch_size:
        yield from ((s, x, y) for s in range(case.steps))
        return
    sampler = _EpochOrder(case)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=case.mini_batch_size,
                                         sampler=sampler, drop_last=False)
    for s in range(case.steps):
        if s % case.batches_per_epoch == 0:
            sampler.epoch = epoch_of(case, s)
            batches = iter(loader)
        yield (s, *next(batches))


def run(case: Case, framework: str = "torch", starts: list[Start] | None = None) -> Trace:
    """Every intermediate of ``case.steps`` steps, each from ``starts[step]`` (step-local) or, without ``starts``,
    free-running from the case's initial weights; each step on its batch (``_batches``) at its learning rate."""
    torch = _torch()
    model = _build(case, starts[0].params if starts else initial_params(case), framework)
    X, Y = batch(case)
    L = case.L
    trace = Trace(framework, X=X, Y=Y, starts=list(starts or []))
    for s, x, y in _batches(case, X, Y):
        if starts:
            model.load(starts[s], case)
            model.load_schedule(starts[s], case, s)
        elif model.scheduler is not None and s and s % case.batches_per_epoch == 0:
            model.scheduler.step()  # the end of an epoch
        if case.scheduled:
            trace.record(s, "update", None, "lr", model.learning_rate())
        m = x.shape[0]
        # gradients are read after optimizer.step(): SGD and Adam leave .grad as it was
        J, Zs, Zts, As = model.step(x, y, keep_grads=True, masks=_masks(case, s))
        linears = model.linears
        for l in range(1, L + 1):
            trace.record(s, "forward", l, "Z", layout.batch_from_framework(_np(Zs[l - 1])))
            if Zts[l - 1] is not None:
                trace.record(s, "forward", l, "Z_tilde", layout.batch_from_framework(_np(Zts[l - 1])))
            trace.record(s, "forward", l, "A", layout.batch_from_framework(_np(As[l - 1])))
        trace.record(s, "cost", None, "J", J.item())
        for l in range(L, 0, -1):
            if As[l - 1].grad is not None:
                trace.record(s, "backward", l, "dA", layout.batch_grad_from_framework(_np(As[l - 1].grad), m))
            if Zts[l - 1] is not None:
                trace.record(s, "backward", l, "dZ_tilde", layout.batch_grad_from_framework(_np(Zts[l - 1].grad), m))
            trace.record(s, "backward", l, "dZ", layout.batch_grad_from_framework(_np(Zs[l - 1].grad), m))
            trace.record(s, "backward", l, "dW", layout.W_from_torch(_np(linears[l - 1].weight.grad)))
            if linears[l - 1].bias is not None:
                trace.record(s, "backward", l, "db", layout.b_from_framework(_np(linears[l - 1].bias.grad)))
            if l in model.norms:
                trace.record(s, "backward", l, "dgamma", layout.b_from_framework(_np(model.norms[l].weight.grad)))
                trace.record(s, "backward", l, "dbeta", layout.b_from_framework(_np(model.norms[l].bias.grad)))
        trace.record_named(s, model.params())
        trace.record_named(s, model.buffers())
        trace.record_state(s, *model.state(case))
    state = [v for p_state in model.optimizer.state.values() for v in p_state.values()
             if torch.is_tensor(v) and v.ndim]
    trace.dtypes = {
        "parameters": str(model.linears[0].weight.dtype).removeprefix("torch."),
        "activations": str(As[-1].dtype).removeprefix("torch."),
        "optimizer_state": ",".join(sorted({str(v.dtype).removeprefix("torch.") for v in state})) or "none",
    }
    trace.assert_dtype(case.dtype, case.name)
    return trace


def iterate(case: Case, params: dict, X, Y, framework: str = "torch"):
    """Endless training from ``params`` on (X, Y): yields (cost, AL in the reference layout, params getter)."""
    model = _build(case, params, framework)
    x, y = _tensor(X), _tensor(Y)
    step = 0
    while True:
        J, _, _, As = model.step(x, y, masks=_masks(case, step))
        step += 1
        yield J.item(), layout.batch_from_framework(_np(As[-1])), model.params


def stepper(case: Case, params: dict, X, Y, framework: str = "torch", compiled: bool = False):
    """A function taking one training step (forward, loss, backward, optimizer.step()) from ``params`` on (X, Y),
    eager, for the benchmark; torch has no compiled step here."""
    if compiled:
        raise ValueError(f"{framework} has no compiled step; the bench times its eager one")
    model = _build(case, params, framework)
    x, y = _tensor(X), _tensor(Y)
    return lambda: model.step(x, y)
