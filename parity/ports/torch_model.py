"""A PyTorch model as its user wrote it: read from the user's objects, run with them, step by step.

Reading (``read``): the model is traced with ``torch.fx`` (an ``nn.Sequential`` or an ``nn.Module`` whose forward
chains ``nn.Linear`` layers with activation modules or functions: ``nn.ReLU()``, ``F.relu``, ``torch.sigmoid``,
``x.tanh()``, ``nn.LeakyReLU(0.2)``, ``nn.Softmax(dim=1)``); the loss is the ``nn`` loss module of the file, the
optimizer the ``torch.optim`` optimizer over the model's parameters, and every hyper-parameter the reference
needs is read from them (``lr``, ``momentum``, ``betas``, ``eps``, ``alpha``). What the reference has no form
for (a convolution, a recurrent layer, a custom autograd function, weight decay that also decays the biases,
Nesterov momentum, ...) is one ``PortError`` line naming what was found and what is supported.

Running (``run``): step s loads the reference's state into the user's own ``nn.Linear`` weights and biases and
``optimizer.state`` (``parity.implementations.torch``'s state map), then calls the user's training step (their
function, found by name, its arguments bound by name) or, without one, the textbook loop ``zero_grad``,
``loss_fn(model(x), y)``, ``backward``, ``step``. ``model.forward`` is replaced for the step by an ``fx``
interpreter of the same graph and the same modules, which keeps each Z[l] and A[l] and retains their gradients;
the gradients are read when ``optimizer.step()`` begins (a step pre-hook), so a ``zero_grad()`` after the step
hides nothing, and a missing one shows as gradients summed over steps. A hidden layer's ``nn.Dropout`` in training
mode takes the step's shared mask in its own form (A D / keep_prob, as ``parity.implementations.torch`` does: its
own mask comes from torch's generator and cannot be given); one in eval mode runs as it is, and is named.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from parity import layout
from parity.case import Case, batch, dropout_masks
from parity.environment import require
from parity.implementations.torch import _dropped, _Model, _np
from parity.ports.diagnoses import PortError, Suspect, suspect
from parity.ports.loading import failed_lines, line_of
from parity.trace import Start, Trace

STEP_NAMES = ("train_step", "training_step", "train_one_step", "train_batch", "fit_step", "step", "train")
ARGUMENTS = {  # a training step's parameter names -> what the checker gives it
    "model": ("model", "net", "network", "module", "classifier"),
    "x": ("x", "inputs", "input", "xb", "x_batch", "batch_x", "features", "data", "xs", "x_train"),
    "y": ("y", "targets", "target", "labels", "label", "yb", "y_batch", "batch_y", "ys", "y_train"),
    "optimizer": ("optimizer", "opt", "optim", "optimiser"),
    "loss_fn": ("loss_fn", "criterion", "loss", "lossfn", "loss_function", "loss_func", "objective"),
}
STEP_TIMEOUT = 60.0  # seconds a user's training step may take on the checker's small batch


def _torch():
    return require("torch")


@dataclass
class Port:
    """What was read from the user's objects, and the user's objects themselves."""

    model: object
    loss_fn: object
    optimizer: object
    step: object | None  # the user's training step, or None: the textbook loop
    names: dict  # role -> the user's variable or function name
    linears: list
    activations: list[str]  # the reference's names, one per layer
    nodes: dict  # fx node name -> (layer, "Z" or "A"): what the recorder keeps
    loss: str
    framework: str  # the registry row whose conventions apply: "torch" or "torch-logits"
    takes_logits: bool  # the loss is given Z[L]: the model has no A[L]
    optimizer_name: str
    hyper: dict  # the Case's optimizer fields
    learning_rate: float
    dtype: str
    graph: object = None  # the model's torch.fx GraphModule (sharing its modules), which the recorder runs
    dropouts: dict = field(default_factory=dict)  # fx target -> layer, of each hidden layer's nn.Dropout
    keep_prob: float = 1.0
    eval_line: str = ""  # where the file calls .eval(), if it does
    suspects: list[Suspect] = field(default_factory=list)
    absent: dict = field(default_factory=dict)  # quantity -> why the user's model has none

    @property
    def layer_dims(self) -> tuple[int, ...]:
        return (self.linears[0].in_features, *(linear.out_features for linear in self.linears))

    def params(self) -> dict:
        """The user's initial weights in the reference layout."""
        return _Model(self.linears, [], self.loss_fn, self.takes_logits, self.optimizer).params()

    def initializer(self) -> str:
        """How the model's weights were drawn, as far as its objects tell: nn.Linear's own reset_parameters."""
        from parity.implementations.torch import _linear_init

        return f"torch's nn.Linear default, {_linear_init(_torch())}"

    def set_params(self, params: dict) -> None:
        """Start the user's model from ``params`` (reference layout), in its own dtype."""
        torch = _torch()
        with torch.no_grad():
            for l, linear in enumerate(self.linears, 1):
                linear.weight.copy_(torch.from_numpy(layout.torch_weight(params[f"W{l}"])))
                linear.bias.copy_(torch.from_numpy(layout.framework_bias(params[f"b{l}"])))


# ---- finding the objects ------------------------------------------------------------------------------------------

def _instances(namespace: dict, kind) -> dict:
    return {name: value for name, value in namespace.items() if not name.startswith("_") and isinstance(value, kind)}


def _one(found: dict, flag: str, preferred: tuple[str, ...], where: str, what: str, failed: str = ""):
    if len(found) == 1:
        return next(iter(found.items()))
    for name in preferred:
        if name in found:
            return name, found[name]
    if not found:
        raise PortError(f"{where}: no {what} found after running the lines that build it; name it with {flag} NAME "
                        f"(a variable of the file){failed}")
    raise PortError(f"{where}: {len(found)} {what}s found ({', '.join(sorted(found))}); say which with {flag} NAME")


def _named(namespace: dict, name: str, kind, flag: str, where: str, what: str):
    value = namespace.get(name)
    if not isinstance(value, kind):
        raise PortError(f"{where}: {name!r} (given with {flag}) is not {what}")
    return name, value


def find(namespace: dict, where: str, model=None, loss=None, optimizer=None, step=None, skipped=()) -> dict:
    """role -> (name, object): the model, loss module, optimizer and training step (None where there is none)."""
    torch = _torch()
    nn = torch.nn
    modules = {n: v for n, v in _instances(namespace, nn.Module).items()
               if not isinstance(v, nn.modules.loss._Loss) and any(isinstance(m, nn.Linear) for m in v.modules())}
    # a model that is a part of another is not the model
    tops = {n: v for n, v in modules.items()
            if not any(v is not other and any(v is m for m in other.modules()) for other in modules.values())}
    found = {"model": _named(namespace, model, nn.Module, "--model", where, "a torch.nn.Module") if model else
             _one(tops, "--model", ("model", "net", "network"), where, "torch.nn.Module with a Linear layer",
                  failed_lines(skipped))}
    found["loss"] = (_named(namespace, loss, nn.modules.loss._Loss, "--loss-object", where, "a torch.nn loss module")
                     if loss else _one(_instances(namespace, nn.modules.loss._Loss), "--loss-object",
                                       ("loss_fn", "criterion", "loss"), where, "torch.nn loss module",
                                       failed_lines(skipped)))
    found["optimizer"] = (_named(namespace, optimizer, torch.optim.Optimizer, "--optimizer", where,
                                 "a torch.optim optimizer") if optimizer else
                          _one(_instances(namespace, torch.optim.Optimizer), "--optimizer",
                               ("optimizer", "opt"), where, "torch.optim optimizer", failed_lines(skipped)))
    found["step"] = _step_function(namespace, step, where)
    return found


def _step_function(namespace: dict, name: str | None, where: str):
    if name:
        value = namespace.get(name)
        if not callable(value):
            raise PortError(f"{where}: {name!r} (given with --step) is not a function of the file")
        return name, value
    for candidate in STEP_NAMES:
        value = namespace.get(candidate)
        if inspect.isfunction(value) and value.__module__ == namespace.get("__name__"):
            return candidate, value
    return None, None


# ---- reading the architecture --------------------------------------------------------------------------------------

_FUNCTIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "leaky_relu": "leaky_relu", "softmax": "softmax",
              "log_softmax": "log_softmax", "relu_": "relu", "sigmoid_": "sigmoid", "tanh_": "tanh"}
_PASSTHROUGH = ("flatten", "view", "reshape", "float", "double", "contiguous")
_NOT_DENSE = {"Conv": "a convolution", "RNN": "a recurrent layer", "LSTM": "a recurrent layer",
              "GRU": "a recurrent layer", "Embedding": "an embedding", "Attention": "attention",
              "Transformer": "a transformer", "Pool": "pooling", "BatchNorm": "batch normalisation",
              "Dropout": "dropout", "LayerNorm": "layer normalisation"}
SUPPORTED = ("nn.Linear layers, each followed by nn.ReLU / nn.Sigmoid / nn.Tanh / nn.LeakyReLU / nn.Softmax(dim=1) "
             "(or F.relu, torch.sigmoid, x.tanh(), ...) or by nothing")


def _module_activation(module, nn) -> tuple[str, dict] | None:
    """(the reference's name, details) of an activation module, None if it is not one."""
    if isinstance(module, nn.ReLU):
        return "relu", {}
    if isinstance(module, nn.Sigmoid):
        return "sigmoid", {}
    if isinstance(module, nn.Tanh):
        return "tanh", {}
    if isinstance(module, nn.LeakyReLU):
        return "leaky_relu", {"slope": module.negative_slope}
    if isinstance(module, nn.Softmax):
        return "softmax", {"dim": module.dim}
    if isinstance(module, nn.LogSoftmax):
        return "log_softmax", {"dim": module.dim}
    if isinstance(module, nn.Identity):
        return "linear", {}
    return None


def _default_slope(function) -> float:
    """The negative slope a leaky ReLU function takes when none is given, read from its signature (not typed here,
    so a release that changes it is read as it is); torch.nn.functional.leaky_relu's for a builtin or a method."""
    try:
        return inspect.signature(function).parameters["negative_slope"].default
    except (TypeError, ValueError, KeyError):
        return inspect.signature(_torch().nn.functional.leaky_relu).parameters["negative_slope"].default


def _function_activation(node) -> tuple[str, dict] | None:
    name = getattr(node.target, "__name__", str(node.target))
    if name not in _FUNCTIONS:
        return None
    base = _FUNCTIONS[name]
    details = {}
    if base == "leaky_relu":
        slope = node.kwargs.get("negative_slope", node.args[1] if len(node.args) > 1 else _default_slope(node.target))
        details["slope"] = float(slope)
    if base in ("softmax", "log_softmax"):
        details["dim"] = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    return base, details


def _custom_functions(model, namespace: dict, where: str) -> None:
    """``PortError`` where the model's forward calls a ``torch.autograd.Function`` of the file (fx would trace
    through its forward and lose its own backward)."""
    torch = _torch()
    try:
        forward = inspect.getsource(type(model).forward)
    except (OSError, TypeError):
        return
    for name, value in namespace.items():
        if inspect.isclass(value) and issubclass(value, torch.autograd.Function) and f"{name}.apply" in forward:
            raise PortError(f"{where}: the forward calls a custom autograd function ({name}.apply, with its own "
                            f"backward); the checker reads {SUPPORTED}")


def _traced(model, where: str):
    torch = _torch()
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as error:  # noqa: BLE001 - fx says why in its own words
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PortError(f"{where}: torch.fx cannot trace the model's forward ({type(error).__name__}: {first}); the "
                        f"checker reads a forward that chains {SUPPORTED}") from None


def _chain(model, where: str):
    """[(kind, node, detail)] along the traced forward, kind "linear" (detail: the module) or "activation"
    (detail: (name, details)); anything else raises ``PortError``."""
    torch = _torch()
    nn = torch.nn
    graph_module = _traced(model, where)
    chain, previous = [], None
    for node in graph_module.graph.nodes:
        if node.op == "placeholder":
            previous = node
            continue
        if node.op == "output":
            break
        inputs = [a for a in node.all_input_nodes]
        if inputs != [previous]:
            raise PortError(f"{where}: the forward is not a chain of layers ({node.op} {node.target} takes "
                            f"{', '.join(str(i) for i in inputs) or 'no tensor'}); the checker reads {SUPPORTED}")
        previous = node
        if node.op == "call_module":
            module = graph_module.get_submodule(node.target)
            if isinstance(module, nn.Linear):
                chain.append(("linear", node, module))
                continue
            if type(module) is nn.Dropout:
                chain.append(("dropout", node, module))
                continue
            activation = _module_activation(module, nn)
            if activation is None:
                kind = next((text for key, text in _NOT_DENSE.items() if key in type(module).__name__),
                            f"a {type(module).__name__}")
                raise PortError(f"{where}: the model has {kind} (nn.{type(module).__name__} at {node.target!r}); "
                                f"the checker reads dense networks: {SUPPORTED}")
            chain.append(("activation", node, activation))
        elif node.op == "call_function":
            activation = _function_activation(node)
            if activation is None:
                name = getattr(node.target, "__qualname__", str(node.target))
                what = "a custom autograd function" if name.endswith(".apply") or name == "apply" else name
                raise PortError(f"{where}: the forward calls {what} ({name}); the checker reads {SUPPORTED}")
            chain.append(("activation", node, activation))
        elif node.op == "call_method":
            if node.target in _PASSTHROUGH:
                continue
            activation = _function_activation(node)
            if activation is None:
                raise PortError(f"{where}: the forward calls the tensor method .{node.target}(); the checker reads "
                                f"{SUPPORTED}")
            chain.append(("activation", node, activation))
        else:
            raise PortError(f"{where}: the forward reads {node.target} directly ({node.op}); the checker reads "
                            f"{SUPPORTED}")
    return graph_module, chain


def _dropout(l: int, node, module, activations: list, nodes: dict, dropouts: dict, where: str) -> None:
    """Layer l's nn.Dropout, after its activation: its output is A[l] (the course's A = g(Z) D / keep_prob)."""
    if l == 0 or l in dropouts:
        raise PortError(f"{where}: nn.Dropout at {node.target!r} does not follow a layer's activation once; the "
                        f"checker reads dropout after a hidden layer's activation, as the course applies it")
    if len(activations) < l:
        activations.append(("linear", {}, None))
    for name, key in list(nodes.items()):
        if key == (l, "A"):
            del nodes[name]
    nodes[node.name] = (l, "A")
    dropouts[l] = (node.target, module)


def _layers(chain, where: str) -> tuple[list, list, dict, dict]:
    """(linears, one activation per layer as (name, details, node), fx node -> (layer, "Z" or "A"), {layer:
    (its nn.Dropout's target, the module)})."""
    linears, activations, nodes, dropouts = [], [], {}, {}
    for kind, node, detail in chain:
        if kind == "dropout":
            _dropout(len(linears), node, detail, activations, nodes, dropouts, where)
            continue
        if kind == "linear":
            if linears and len(activations) < len(linears):
                activations.append(("linear", {}, None))
            linears.append(detail)
            nodes[node.name] = (len(linears), "Z")
            continue
        if not linears:
            raise PortError(f"{where}: the forward applies {detail[0]} before any nn.Linear; the checker reads "
                            f"{SUPPORTED}")
        if len(activations) == len(linears):
            raise PortError(f"{where}: layer {len(linears)} applies two activations ({activations[-1][0]}, then "
                            f"{detail[0]}); the checker reads {SUPPORTED}")
        activations.append((detail[0], detail[1], node))
        nodes[node.name] = (len(linears), "A")
    if not linears:
        raise PortError(f"{where}: the model has no nn.Linear layer")
    if len(activations) < len(linears):
        activations.append(("linear", {}, None))
    for l, linear in enumerate(linears, 1):
        if linear.bias is None:
            raise PortError(f"{where}: layer {l}'s nn.Linear has bias=False; the reference's layers have a bias b[l]")
    return linears, activations, nodes, dropouts


def _keep_prob(dropouts: dict, L: int, where: str) -> float:
    """The course's keep_prob = 1 - p, where every hidden layer has an nn.Dropout(p) of the same p."""
    if not dropouts:
        return 1.0
    rates = {module.p for _, module in dropouts.values()}
    if set(dropouts) != set(range(1, L)) or len(rates) != 1:
        raise PortError(f"{where}: dropout on layers {sorted(dropouts)} with p = {sorted(rates)}; the reference's "
                        f"dropout is one keep_prob on every hidden layer (1 to {L - 1}), none on the output")
    return 1.0 - rates.pop()


def _loss(loss_fn, activations: list, where: str, line: str) -> dict:
    """The reference's loss for the user's loss module and last activation: {loss, framework, takes_logits,
    output (the reference's last activation), suspects}."""
    nn = _torch().nn
    last = activations[-1][0]
    name = type(loss_fn).__name__
    if getattr(loss_fn, "reduction", "mean") != "mean":
        raise PortError(f"{where}: {name}(reduction={loss_fn.reduction!r}) ({line}); the reference's costs are means "
                        f"over the batch (reduction='mean')")
    if getattr(loss_fn, "weight", None) is not None or getattr(loss_fn, "pos_weight", None) is not None:
        raise PortError(f"{where}: {name} has class weights ({line}); the reference's losses weigh every class alike")
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        if loss_fn.label_smoothing:
            raise PortError(f"{where}: CrossEntropyLoss(label_smoothing={loss_fn.label_smoothing}) ({line}); the "
                            f"reference's cross-entropy has no label smoothing")
        if last == "linear":
            return {"loss": "categorical_crossentropy", "framework": "torch", "takes_logits": True,
                    "output": "softmax", "suspects": []}
        if last == "softmax":
            return {"loss": "categorical_crossentropy", "framework": "torch", "takes_logits": False,
                    "output": "softmax", "suspects": ["softmax_before_cross_entropy"]}
        raise PortError(f"{where}: CrossEntropyLoss after {last} ({line}): it takes the logits of a softmax output; "
                        f"the reference has no {last} output under a cross-entropy")
    if isinstance(loss_fn, nn.NLLLoss):
        if last != "log_softmax":
            raise PortError(f"{where}: nn.NLLLoss after {last} ({line}): it takes log-probabilities; end the model "
                            f"with nn.LogSoftmax(dim=1), or give the logits to nn.CrossEntropyLoss")
        return {"loss": "categorical_crossentropy", "framework": "torch", "takes_logits": False, "output": "softmax",
                "suspects": [], "absent": "nn.LogSoftmax outputs log A[{L}], not A[{L}]: A[{L}] and dA[{L}] are not "
                                          "computed (Z[{L}] and dZ[{L}] are)"}
    if isinstance(loss_fn, nn.BCEWithLogitsLoss):
        if last == "linear":
            return {"loss": "binary_crossentropy", "framework": "torch-logits", "takes_logits": True,
                    "output": "sigmoid", "suspects": []}
        if last == "sigmoid":
            return {"loss": "binary_crossentropy", "framework": "torch-logits", "takes_logits": False,
                    "output": "sigmoid", "suspects": ["sigmoid_before_logits_loss"]}
        raise PortError(f"{where}: BCEWithLogitsLoss after {last} ({line}): it takes the logits of a sigmoid output")
    if isinstance(loss_fn, nn.BCELoss):
        if last != "sigmoid":
            raise PortError(f"{where}: nn.BCELoss takes probabilities, but the model ends in {last} ({line}): end it "
                            f"with nn.Sigmoid(), or give the logits to nn.BCEWithLogitsLoss")
        return {"loss": "binary_crossentropy", "framework": "torch", "takes_logits": False, "output": "sigmoid",
                "suspects": []}
    if isinstance(loss_fn, nn.MSELoss):
        return {"loss": "mse", "framework": "torch", "takes_logits": False, "output": last, "suspects": []}
    raise PortError(f"{where}: the loss is nn.{name} ({line}); the reference has nn.MSELoss, nn.BCELoss, "
                    f"nn.BCEWithLogitsLoss and nn.CrossEntropyLoss")


def _weight_decay(optimizer, linears, where: str, line: str) -> dict:
    """The Case's decay fields for the optimizer's weight_decay, which must be one value on every weight and 0 on
    every bias (the course's L2 leaves b alone): AdamW's is decoupled (``weight_decay``); SGD's, Adam's and
    RMSprop's adds wd W to the gradient, the course's L2 with lambd = wd m (``l2_per_sample``, times the checker's
    m; the l2-as-weight-decay convention: torch's J and .grad leave the penalty out)."""
    torch = _torch()
    name = type(optimizer).__name__
    by_tensor = {id(p): group["weight_decay"] for group in optimizer.param_groups for p in group["params"]}
    weights = {by_tensor[id(linear.weight)] for linear in linears}
    biases = {by_tensor[id(linear.bias)] for linear in linears}
    if biases != {0} and biases != {0.0}:
        raise PortError(f"{where}: {name}(weight_decay={max(biases)}) ({line}) decays the biases too; the course's "
                        f"L2 and weight decay leave b alone: give the biases a parameter group with weight_decay=0")
    if len(weights) != 1:
        raise PortError(f"{where}: {name} decays the layers' weights by different amounts ({sorted(weights)})")
    wd = float(weights.pop())
    if not wd:
        return {}
    return {"weight_decay": wd} if type(optimizer) is torch.optim.AdamW else {"l2_per_sample": wd}


def _optimizer(optimizer, linears, where: str, line: str) -> tuple[str, dict, float]:
    """(the reference's optimizer, the Case's hyper-parameter fields, the learning rate), read from the user's
    optimizer; what the reference has no form for raises ``PortError``."""
    torch = _torch()
    name = type(optimizer).__name__
    groups = optimizer.param_groups
    owned = {id(p) for group in groups for p in group["params"]}
    model = {id(p) for linear in linears for p in (linear.weight, linear.bias)}
    if owned != model:
        raise PortError(f"{where}: the optimizer ({line}) does not hold exactly the model's parameters "
                        f"({len(owned)} tensors against the model's {len(model)}): build it with model.parameters()")
    settings = [{k: v for k, v in group.items() if k not in ("params", "weight_decay")} for group in groups]
    if any(s != settings[0] for s in settings):
        raise PortError(f"{where}: the optimizer's parameter groups have different settings ({line}); the reference "
                        f"takes one learning rate and one set of hyper-parameters (weight decay aside)")
    g = settings[0]
    decay = _weight_decay(optimizer, linears, where, line)
    for flag in ("maximize", "nesterov", "amsgrad", "centered"):
        if g.get(flag):
            raise PortError(f"{where}: {name}({flag}=True) ({line}); the reference has no {flag} form")
    lr = float(g["lr"])
    if type(optimizer) is torch.optim.SGD:
        if not g.get("momentum"):
            return "sgd", decay, lr
        if g.get("dampening"):
            raise PortError(f"{where}: SGD(dampening={g['dampening']}) ({line}); the reference's momentum is torch's "
                            f"heavy ball v = momentum v + dW (dampening=0)")
        return "momentum", {"beta": float(g["momentum"]), **decay}, lr
    if type(optimizer) in (torch.optim.Adam, torch.optim.AdamW):
        beta1, beta2 = (float(b) for b in g["betas"])
        return "adam", {"beta1": beta1, "beta2": beta2, "epsilon": float(g["eps"]), **decay}, lr
    if type(optimizer) is torch.optim.RMSprop:
        if g.get("momentum"):
            raise PortError(f"{where}: RMSprop(momentum={g['momentum']}) ({line}); the reference's RMSprop has none")
        return "rmsprop", {"beta2": float(g["alpha"]), "epsilon": float(g["eps"]), **decay}, lr
    raise PortError(f"{where}: the optimizer is torch.optim.{name} ({line}); the reference has SGD (with or without "
                    f"momentum), Adam, AdamW and RMSprop")


def built_at(model, text: str, model_name: str, needle: str) -> str:
    """"line N" where the part ``needle`` names (``Softmax``, ``softmax(``) was written: inside the model's class
    where the file defines it (its ``__init__`` or ``forward``), else at or after the model's assignment."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = ast.Module([], [])
    lines = text.splitlines()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == type(model).__name__:
            for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                if needle in lines[number - 1]:
                    return f"line {number}"
    return line_of(text, model_name, needle)


def _static_suspects(ids: list[str], activations: list, where: str, text: str, model,
                     model_name: str, loss_name: str) -> list[Suspect]:
    found = []
    last_node = activations[-1][2]
    last_line = built_at(model, text, model_name, _needle(activations[-1][0])) if last_node is not None else ""
    for id_ in ids:
        found.append(suspect(id_, where, last_line or line_of(text, model_name), loss=loss_name))
    name, details, node = activations[-1]
    if name == "softmax" and details.get("dim") not in (None, 1, -1):
        found.append(suspect("softmax_over_batch", where, last_line, dim=details.get("dim")))
    return found


def _needle(activation: str) -> str:
    return {"softmax": "oftmax(", "sigmoid": "igmoid(", "relu": "elu(", "tanh": "anh(", "leaky_relu": "eaky"}.get(
        activation, activation)


def read(source, where: str, names: dict | None = None) -> Port:
    """The user's model, loss and optimizer read into a ``Port`` (see the module docstring)."""
    names = names or {}
    found = find(source.namespace, where, names.get("model"), names.get("loss"), names.get("optimizer"),
                 names.get("step"), source.skipped)
    (model_name, model), (loss_name, loss_fn), (optimizer_name, optimizer) = (found["model"], found["loss"],
                                                                              found["optimizer"])
    text = source.path.read_text(encoding="utf-8") if source.path.suffix == ".py" else ""
    _custom_functions(model, source.namespace, where)
    graph_module, chain = _chain(model, where)
    linears, activations, nodes, dropouts = _layers(chain, where)
    keep_prob = _keep_prob(dropouts, len(linears), where)
    loss = _loss(loss_fn, activations, where, line_of(text, loss_name) or loss_name)
    name, hyper, lr = _optimizer(optimizer, linears, where, line_of(text, optimizer_name) or optimizer_name)
    reference_names = []
    for activation, details, _node in activations:
        if activation == "leaky_relu":  # always with its slope, read from the user's object
            activation = f"leaky_relu({details['slope']!r})"
        reference_names.append(activation)
    if loss["output"] != activations[-1][0]:  # a logits loss after the last Linear: its softmax or sigmoid
        reference_names[-1] = loss["output"]
    absent = {}
    if loss["takes_logits"] or "absent" in loss:
        why = loss.get("absent", "{loss} takes the last Linear's output Z[{L}] (the logits): the model computes no "
                                 "A[{L}]").format(loss=type(loss_fn).__name__, L=len(linears))
        absent = {"A": why, "dA": why}
    dtypes = {str(p.dtype).removeprefix("torch.") for p in model.parameters()}
    if len(dtypes) != 1 or dtypes - {"float32", "float64"}:
        raise PortError(f"{where}: the model's parameters are {', '.join(sorted(dtypes))}; the checker runs float32 "
                        f"or float64 models")
    suspects = _static_suspects(loss["suspects"], activations, where, text, model, model_name,
                                type(loss_fn).__name__)
    return Port(model, loss_fn, optimizer, found["step"][1],
                {"model": model_name, "loss": loss_name, "optimizer": optimizer_name, "step": found["step"][0]},
                linears, reference_names, nodes, loss["loss"], loss["framework"], loss["takes_logits"], name, hyper,
                lr, dtypes.pop(), graph=graph_module, suspects=suspects, absent=absent,
                dropouts={target: l for l, (target, _) in dropouts.items()}, keep_prob=keep_prob,
                eval_line=line_of(text, "", ".eval()"))


# ---- running the user's objects ------------------------------------------------------------------------------------

def _recorder(port: Port):
    """An ``fx`` interpreter of the model's graph (the same modules, so the same parameters) that keeps the
    tensors of ``port.nodes`` with their gradients retained, on the first forward of each step."""
    torch = _torch()

    class Recorder(torch.fx.Interpreter):
        def __init__(self):
            super().__init__(port.graph, garbage_collect_values=False)
            self.outputs, self.recording, self.calls = {}, False, 0
            self.masks, self.eval_dropout = {}, False

        def run_node(self, node):
            value = super().run_node(node)
            if self.recording and node.name in port.nodes and torch.is_tensor(value):
                if value.requires_grad:
                    value.retain_grad()
                self.outputs[port.nodes[node.name]] = value
            return value

        def call_module(self, target, args, kwargs):
            """A hidden layer's nn.Dropout in training mode applies the step's shared mask D in nn.Dropout's own
            form, A D / keep_prob (``parity.implementations.torch._dropped``); in eval mode it is what it is, the
            identity, and the check remembers that it met one."""
            layer = port.dropouts.get(target)
            if layer is not None and self.fetch_attr(target).training:
                return _dropped(args[0], self.masks[layer], port.keep_prob)
            if layer is not None:
                self.eval_dropout = True
            return super().call_module(target, args, kwargs)

        def forward(self, *args, **kwargs):
            self.calls += 1
            try:
                return self.run(*args)
            finally:
                self.recording = False

    return Recorder()


@dataclass
class _Seen:
    """What one step showed: the first loss value, and the gradients when ``optimizer.step()`` began."""

    J: object = None
    grads: dict = field(default_factory=dict)
    stepped: bool = False


@contextmanager
def _installed(port: Port, recorder, seen: list):
    """The recorder as the model's forward, a forward hook on the loss module and a step pre-hook on the
    optimizer, for the duration of the check; ``inplace`` activations computed out of place (the same values, and
    Z[l] is not overwritten by A[l])."""
    inplace = [m for m in port.model.modules() if getattr(m, "inplace", False) is True]
    for module in inplace:
        module.inplace = False

    def on_loss(module, inputs, output):
        if seen[-1].J is None:
            seen[-1].J = output.detach().clone()

    def on_step(optimizer, args, kwargs):
        if not seen[-1].stepped:
            seen[-1].stepped = True
            seen[-1].grads = _grads(port, recorder)

    handles = [port.loss_fn.register_forward_hook(on_loss), port.optimizer.register_step_pre_hook(on_step)]
    port.model.forward = recorder.forward
    try:
        yield
    finally:
        del port.model.forward
        for handle in handles:
            handle.remove()
        for module in inplace:
            module.inplace = True


def _grads(port: Port, recorder) -> dict:
    out = {}
    for l, linear in enumerate(port.linears, 1):
        for q, p in (("dW", linear.weight), ("db", linear.bias)):
            if p.grad is not None:
                out[(l, q)] = p.grad.detach().clone()
    for (l, q), tensor in recorder.outputs.items():
        if tensor.grad is not None:
            out[(l, "d" + q)] = tensor.grad.detach().clone()
    return out


def _targets(port: Port, Y: np.ndarray):
    """Y as a user gives it: class indices for cross-entropy (torch's usual targets), else (m, n) floats."""
    torch = _torch()
    if port.loss == "categorical_crossentropy":
        return torch.from_numpy(np.argmax(Y, axis=0))
    return torch.from_numpy(layout.batch_to_framework(Y))


class _Expired(BaseException):
    """The training step's time ran out: a BaseException, so that neither the user's ``except Exception`` nor
    torch.fx's rewording of errors catches it on its way out."""


@contextmanager
def _time_limit(seconds: float, what: str):
    """``PortError`` if the block runs longer than ``seconds`` (SIGALRM: the main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise PortError(f"{what} did not return within {seconds:g} s on the checker's batch (an endless loop?)"
                        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _bound(port: Port, where: str, x, y) -> dict:
    """The user's training step's arguments, bound by their names (``ARGUMENTS``)."""
    given = {"model": port.model, "x": x, "y": y, "optimizer": port.optimizer, "loss_fn": port.loss_fn}
    kwargs = {}
    for name, parameter in inspect.signature(port.step).parameters.items():
        role = next((role for role, names in ARGUMENTS.items() if name.lower() in names), None)
        if role is not None:
            kwargs[name] = given[role]
        elif parameter.default is parameter.empty and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                                              parameter.VAR_KEYWORD):
            raise PortError(f"{where}: {port.names['step']}'s argument {name!r} is not one the checker can give; it "
                            f"gives the model, x, y, the optimizer and the loss function, bound by name "
                            f"({', '.join(n for names in ARGUMENTS.values() for n in names[:2])}, ...)")
    return kwargs


def _take_step(port: Port, source, where: str, x, y, timeout: float) -> None:
    from parity.learner.source import describe_exception

    if port.step is None:
        port.optimizer.zero_grad()
        port.loss_fn(port.model(x), y).backward()
        port.optimizer.step()
        return
    kwargs = _bound(port, where, x, y)
    try:
        with _time_limit(timeout, f"{where}: {port.names['step']}"):
            port.step(**kwargs)
    except PortError:
        raise
    except Exception as error:  # noqa: BLE001 - the user's code failed: say where, in their file
        raise PortError(f"{where}: {port.names['step']} raised {describe_exception(error, source)}") from None


def loading():
    """The state a file starts from when it runs as a script: nothing to set for torch here."""
    return contextlib.nullcontext()


def run(port: Port, case: Case, starts: list[Start], source, where: str, timeout: float = STEP_TIMEOUT) -> Trace:
    """The user's objects, step s from ``starts[s]``, every quantity recorded in the reference layout."""
    torch = _torch()
    X, Y = batch(case)
    x = torch.from_numpy(layout.batch_to_framework(X))
    y = _targets(port, Y)
    adapter = _Model(port.linears, [], port.loss_fn, port.takes_logits, port.optimizer)
    trace = Trace("your model", X=X, Y=Y, starts=list(starts))
    recorder, seen = _recorder(port), []
    for parameter in port.model.parameters():  # the first step starts with no gradient, as the reference's does
        parameter.grad = None
    with _installed(port, recorder, seen):
        for s in range(case.steps):
            adapter.load(starts[s], case)
            seen.append(_Seen())
            recorder.outputs, recorder.recording, recorder.calls = {}, True, 0
            recorder.masks = {l: torch.from_numpy(layout.batch_to_framework(D))
                              for l, D in dropout_masks(case, s).items()}
            _take_step(port, source, where, x, y, timeout)
            if recorder.calls == 0:
                raise PortError(f"{where}: {port.names['step']} never calls the model ({port.names['model']})")
            if seen[-1].J is None:
                raise PortError(f"{where}: {port.names['step']} never calls the loss object ({port.names['loss']}); "
                                f"the checker reads the cost from it")
            if not seen[-1].stepped:
                seen[-1].grads = _grads(port, recorder)
            _record(trace, s, case, port, recorder.outputs, seen[-1], adapter)
    if recorder.eval_dropout and not any(x.bug.id == "dropout_in_eval_mode" for x in port.suspects):
        port.suspects.append(suspect("dropout_in_eval_mode", where, port.eval_line))
    return trace


def _record(trace: Trace, s: int, case: Case, port: Port, outputs: dict, seen: _Seen, adapter) -> None:
    L, m = case.L, case.m
    for l in range(1, L + 1):
        if (l, "Z") in outputs:
            trace.record(s, "forward", l, "Z", layout.batch_from_framework(_np(outputs[(l, "Z")])))
        A = outputs.get((l, "A"), outputs.get((l, "Z")) if port.activations[l - 1] == "linear" else None)
        if A is not None and not (l == L and "A" in port.absent):  # log A[L] (LogSoftmax) is not A[L]
            trace.record(s, "forward", l, "A", layout.batch_from_framework(_np(A)))
    trace.record(s, "cost", None, "J", float(seen.J))
    for l in range(L, 0, -1):
        grads = seen.grads
        dA = grads.get((l, "dA"), grads.get((l, "dZ")) if port.activations[l - 1] == "linear" else None)
        if dA is not None and not (l == L and "dA" in port.absent):
            trace.record(s, "backward", l, "dA", layout.batch_grad_from_framework(_np(dA), m))
        if (l, "dZ") in grads:
            trace.record(s, "backward", l, "dZ", layout.batch_grad_from_framework(_np(grads[(l, "dZ")]), m))
        if (l, "dW") in grads:
            trace.record(s, "backward", l, "dW", layout.W_from_torch(_np(grads[(l, "dW")])))
        if (l, "db") in grads:
            trace.record(s, "backward", l, "db", layout.b_from_framework(_np(grads[(l, "db")])))
    trace.record_named(s, adapter.params())
    trace.record_state(s, *adapter.state(case))
