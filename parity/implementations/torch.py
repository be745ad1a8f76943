"""PyTorch, from its own parts: ``nn.Linear`` layers, ``torch.nn`` activation modules, loss modules and
``torch.optim`` optimizers; intermediates kept with ``retain_grad()``, gradients from ``.backward()``.

Two framework names run here:
- ``torch``: the loss on probabilities where torch has one (``BCELoss`` after ``nn.Sigmoid``, ``MSELoss``);
  ``CrossEntropyLoss`` always takes the logits Z[L] (it applies log-softmax itself), with probability targets.
- ``torch-logits``: ``BCEWithLogitsLoss`` on Z[L], for sigmoid outputs with binary cross-entropy.
With a logits loss there is no dA[L] (A[L] is computed for comparison but is not on the loss's path).
"""

from __future__ import annotations

import inspect

from parity import layout
from parity.case import Case, batch, initial_params
from parity.environment import require
from parity.trace import Trace


def _torch():
    return require("torch")


def runtime_defaults() -> dict:
    """The defaults the comparison relies on, read from the installed torch."""
    torch = _torch()
    adam = inspect.signature(torch.optim.Adam).parameters
    return {
        "version": torch.__version__,
        "leaky_relu_slope": torch.nn.LeakyReLU().negative_slope,
        "adam_epsilon": adam["eps"].default,
        "adam_beta_1": adam["betas"].default[0],
        "adam_beta_2": adam["betas"].default[1],
        "sgd_learning_rate": inspect.signature(torch.optim.SGD).parameters["lr"].default,
    }


def _activation_module(name: str):
    nn = _torch().nn
    if name.startswith("leaky_relu("):
        return nn.LeakyReLU(negative_slope=float(name[len("leaky_relu("):-1]))
    return {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": nn.LeakyReLU,  # torch's own default slope: the leaky-relu-default-slope convention
        "softmax": lambda: nn.Softmax(dim=1),
        "linear": nn.Identity,
    }[name]()


def _loss(case: Case, framework: str):
    """(loss module, whether it takes the logits Z[L] rather than A[L])."""
    nn = _torch().nn
    if case.loss == "binary_crossentropy":
        return (nn.BCEWithLogitsLoss(), True) if framework == "torch-logits" else (nn.BCELoss(), False)
    if case.loss == "categorical_crossentropy":
        if case.activations[-1] != "softmax":
            raise ValueError(f"case {case.name}: torch's CrossEntropyLoss needs a softmax output")
        return nn.CrossEntropyLoss(), True
    return nn.MSELoss(), False


def _optimizer(case: Case, parameters):
    optim = _torch().optim
    if case.optimizer == "sgd":
        return optim.SGD(parameters, lr=case.learning_rate)
    if case.optimizer == "momentum":
        return optim.SGD(parameters, lr=case.learning_rate, momentum=0.9)
    return optim.Adam(parameters, lr=case.learning_rate)


def run(case: Case, framework: str = "torch") -> Trace:
    torch = _torch()
    dtype = {"float32": torch.float32, "float64": torch.float64}[case.dtype]
    params = initial_params(case)
    X, Y = batch(case)
    m, L = case.m, case.L
    linears, activations = [], []
    for l in range(1, L + 1):
        linear = torch.nn.Linear(case.layer_dims[l - 1], case.layer_dims[l], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layout.torch_weight(params[f"W{l}"])))
            linear.bias.copy_(torch.from_numpy(layout.framework_bias(params[f"b{l}"])))
        linears.append(linear)
        activations.append(_activation_module(case.activations[l - 1]))
    loss_fn, takes_logits = _loss(case, framework)
    optimizer = _optimizer(case, [p for linear in linears for p in linear.parameters()])
    x = torch.from_numpy(layout.batch_to_framework(X))
    y = torch.from_numpy(layout.batch_to_framework(Y))
    trace = Trace(framework)
    for s in range(case.steps):
        optimizer.zero_grad()
        a, Zs, As = x, [], []
        for linear, g in zip(linears, activations, strict=True):
            z = linear(a)
            z.retain_grad()
            a = g(z)
            a.retain_grad()
            Zs.append(z)
            As.append(a)
        J = loss_fn(Zs[-1] if takes_logits else As[-1], y)
        J.backward()
        for l in range(1, L + 1):
            trace.record(s, "forward", l, "Z", layout.batch_from_framework(Zs[l - 1].detach()))
            trace.record(s, "forward", l, "A", layout.batch_from_framework(As[l - 1].detach()))
        trace.record(s, "cost", None, "J", J.item())
        for l in range(L, 0, -1):
            if As[l - 1].grad is not None:
                trace.record(s, "backward", l, "dA", layout.batch_grad_from_framework(As[l - 1].grad, m))
            trace.record(s, "backward", l, "dZ", layout.batch_grad_from_framework(Zs[l - 1].grad, m))
            trace.record(s, "backward", l, "dW", layout.W_from_torch(linears[l - 1].weight.grad))
            trace.record(s, "backward", l, "db", layout.b_from_framework(linears[l - 1].bias.grad))
        optimizer.step()
        for l in range(1, L + 1):
            trace.record(s, "update", l, "W", layout.W_from_torch(linears[l - 1].weight.detach()))
            trace.record(s, "update", l, "b", layout.b_from_framework(linears[l - 1].bias.detach()))
    state = [v for p_state in optimizer.state.values() for v in p_state.values() if torch.is_tensor(v) and v.ndim]
    trace.dtypes = {
        "parameters": str(linears[0].weight.dtype).removeprefix("torch."),
        "activations": str(As[-1].dtype).removeprefix("torch."),
        "optimizer_state": ",".join(sorted({str(v.dtype).removeprefix("torch.") for v in state})) or "none",
    }
    trace.assert_dtype(case.dtype, case.name)
    return trace

