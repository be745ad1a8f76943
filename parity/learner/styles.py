"""The ways learners write a network, each read unchanged: one registry row per style.

    module    this project's interface: LAYERS, ACTIVATIONS, LOSS, forward_prop(params, X) -> cache dict,
              backward_prop(params, cache, X, Y) -> grads, update_params(params, grads, learning_rate)
    deep      the course's L-layer API: L_model_forward(X, parameters) -> (AL, caches) with the course's cache
              tuples ((A_prev, W, b), Z), L_model_backward(AL, Y, caches) -> grads,
              update_parameters(parameters, grads, learning_rate), compute_cost(AL, Y),
              initialize_parameters_deep(layer_dims); ReLU hidden layers and one sigmoid unit by default
    shallow   the course's one-hidden-layer API: forward_propagation(X, parameters) -> (A2, cache),
              backward_propagation(parameters, cache, X, Y), update_parameters(parameters, grads, learning_rate),
              compute_cost(A2, Y) or compute_cost(A2, Y, parameters), initialize_parameters(n_x, n_h, n_y);
              tanh hidden layer and one sigmoid unit by default
    arrays    separate arrays, as MNIST-from-scratch tutorials write them: init_params() -> W1, b1, W2, b2,
              forward_prop(W1, b1, W2, b2, X) -> Z1, A1, Z2, A2, backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) ->
              dW1, db1, dW2, db2, update_params(W1, b1, ..., dW1, ..., alpha) -> W1, b1, ...; arguments are
              bound by name (case-insensitive: w1, dw1), in any order, and results are read by the names in the
              function's own ``return`` statement

Every style turns the learner's functions into the same four calls, in the reference's names and layout:

    forward(params, X)                   -> {"Z1", "A1", ..., "ZL", "AL"} as far as the learner exposes them
    cost(AL, Y, params)                  -> J, or None when the learner has no cost function
    backward(params, X, Y, values, raw)  -> {"dW1", "db1", ..., and "dZl", "dAl" where the learner returns them}
    update(params, grads, learning_rate) -> {"W1", "b1", ...}

Each stage is fed the *reference's* inputs (``values``: the reference's Z and A, in the learner's own cache
structure; ``grads``: the reference's gradients), so every stage is judged on its own: a wrong forward pass
cannot hide or fake a backward-pass bug, and every wrong stage is reported, not only the first.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from parity.learner.source import LearnerError, LearnerSource

ROLES = ("forward", "backward", "update", "cost", "init")


@dataclass
class Architecture:
    """What the learner's network is: sizes, activations, loss, and where each was read from."""

    layers: tuple[int, ...] | None
    activations: tuple[str, ...] | None
    loss: str | None
    sources: dict[str, str] = field(default_factory=dict)  # "layers" -> "init_params()'s W shapes", ...
    integer_labels: bool = False  # the learner's code one-hot encodes Y itself


class Style:
    """One way of writing the network (a row of ``STYLES``), bound to the learner's functions."""

    name = ""
    title = ""
    names: dict[str, tuple[str, ...]] = {}  # role -> the function names this style uses, first found wins

    def __init__(self, source: LearnerSource, functions: dict, call):
        self.source, self.fn, self.call = source, functions, call
        self.notes: list[str] = []

    # -- to be given by each style
    def architecture(self) -> Architecture:
        raise NotImplementedError

    def forward(self, params, X):
        raise NotImplementedError

    def backward(self, params, X, Y, values, raw):
        raise NotImplementedError

    def update(self, params, grads, learning_rate):
        raise NotImplementedError

    def cost(self, AL, Y, params):
        if self.fn.get("cost") is None:
            return None
        return self.call("cost", self.fn["cost"], AL, Y)

    def init_shapes(self, layers) -> dict | None:
        """The learner's initialiser's parameters for ``layers`` (to check their shapes), or None."""
        return None

    # -- shared helpers
    def _dict(self, role: str, value, what: str) -> dict:
        if not isinstance(value, dict):
            raise LearnerError(f"{self.source.path.name}: {self.fn_name(role)} should return {what}, "
                               f"got {type(value).__name__}")
        return value

    def _pair(self, role: str, result, what: str) -> tuple:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LearnerError(f"{self.source.path.name}: {self.fn_name(role)} should return {what}, "
                               f"got {type(result).__name__}")
        return result

    def fn_name(self, role: str) -> str:
        function = self.fn.get(role)
        return getattr(function, "__name__", role)


def _arity(function) -> int:
    try:
        return len([p for p in inspect.signature(function).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty])
    except (TypeError, ValueError):
        return 0


def _parameters(function) -> list[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def _layers_of(params: dict) -> int:
    return len([k for k in params if re.fullmatch(r"W\d+", k)])


def _with_reference_values(cache, values: dict):
    """The learner's own cache dict with the reference's Z and A in place of theirs (their other keys kept)."""
    if not isinstance(cache, dict):
        return cache
    fed = dict(cache)
    for key in cache:
        if key in values:
            fed[key] = values[key]
    L = max((int(k[1:]) for k in values if re.fullmatch(r"A\d+", k)), default=0)
    if "AL" in fed and f"A{L}" in values:
        fed["AL"] = values[f"A{L}"]
    return fed


def _picked(cache: dict, L: int) -> dict:
    out = {}
    for l in range(1, L + 1):
        for q in ("Z", "A"):
            if f"{q}{l}" in cache:
                out[f"{q}{l}"] = cache[f"{q}{l}"]
    if f"A{L}" not in out and "AL" in cache:
        out[f"A{L}"] = cache["AL"]
    return out


def _gradients(grads: dict, L: int, dA_shift: int = 0) -> dict:
    """The learner's grads in the reference's names; ``dA_shift`` 1 reads the older convention, where the key
    dA{l} holds the gradient of layer l's input, that is dA[l - 1]."""
    out = {}
    for l in range(1, L + 1):
        for q in ("dW", "db", "dZ"):
            if f"{q}{l}" in grads:
                out[f"{q}{l}"] = grads[f"{q}{l}"]
    for key, value in grads.items():
        match = re.fullmatch(r"dA(\d+)", key)
        if match and 1 <= int(match.group(1)) - dA_shift <= L:
            out[f"dA{int(match.group(1)) - dA_shift}"] = value
    return out


# ---- the project's own module interface ------------------------------------------------------------------------

class ModuleStyle(Style):
    name, title = "module", "this project's module interface (LAYERS, ACTIVATIONS, LOSS, forward_prop, ...)"
    names = {"forward": ("forward_prop",), "backward": ("backward_prop",), "update": ("update_params",),
             "cost": ("compute_cost",), "init": ()}

    def architecture(self):
        """LAYERS, ACTIVATIONS and LOSS where the module has them; without them, the sizes from a literal
        ``layers_dims`` list, the activations from the forward pass's ``A1 = relu(Z1)`` assignments and the loss
        from the output activation (what is still unknown is asked for by the checker, with its flag)."""
        get = self.source.get
        layers, activations, loss = get("LAYERS"), get("ACTIVATIONS"), get("LOSS")
        sources = {"layers": "LAYERS", "activations": "ACTIVATIONS", "loss": "LOSS"}
        if layers is None:
            layers, sources["layers"] = _literal_layers(self.source)
        if activations is None and isinstance(layers, (list, tuple)) and len(layers) >= 2:
            found = activations_from_source(self.fn["forward"], len(layers) - 1)
            activations = tuple(found.get(l) for l in range(1, len(layers)))
            activations, sources["activations"] = (None, "ACTIVATIONS") if None in activations else (
                activations, f"{self.fn_name('forward')}'s source")
        if loss is None and activations is not None:
            loss = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}.get(activations[-1])
            sources["loss"] = "the output activation"
        return Architecture(layers, activations, loss, sources)

    def forward(self, params, X):
        cache = self._dict("forward", self.call("forward", self.fn["forward"], params, X), "a cache dict")
        return _picked(cache, _layers_of(params)), cache

    def backward(self, params, X, Y, values, raw):
        grads = self.call("backward", self.fn["backward"], params, _with_reference_values(raw, values), X, Y)
        return _gradients(self._dict("backward", grads, "a dict of gradients"), _layers_of(params))

    def update(self, params, grads, learning_rate):
        return self._dict("update", self.call("update", self.fn["update"], params, grads, learning_rate),
                          "the new parameters as a dict")


# ---- the course's L-layer API ----------------------------------------------------------------------------------

def _course_caches(caches, L: int) -> bool:
    """Whether ``caches`` is the course's list of ((A_prev, W, b), Z) tuples, one per layer."""
    try:
        return len(caches) == L and all(len(c) == 2 and len(c[0]) == 3 and isinstance(c[1], np.ndarray)
                                        for c in caches)
    except TypeError:
        return False


class DeepStyle(Style):
    name, title = "deep", "the course's L-layer API (L_model_forward, L_model_backward, ...)"
    names = {"forward": ("L_model_forward",), "backward": ("L_model_backward",),
             "update": ("update_parameters", "update_params"), "cost": ("compute_cost",),
             "init": ("initialize_parameters_deep",)}
    DEFAULT_LAYERS = (5, 4, 4, 1)  # three hidden layers: the loops run; W2 is square, so a missing transpose shows

    def architecture(self):
        layers, where = _literal_layers(self.source)
        if layers is None:
            layers, where = self.DEFAULT_LAYERS, "the checker's default"
        L = len(layers) - 1
        return Architecture(tuple(layers), ("relu",) * (L - 1) + ("sigmoid",), "binary_crossentropy",
                            {"layers": where, "activations": "the course's default (ReLU hidden, sigmoid output)",
                             "loss": "the course's default"})

    def forward(self, params, X):
        result = self._pair("forward", self.call("forward", self.fn["forward"], X, params), "(AL, caches)")
        AL, caches = result
        L = _layers_of(params)
        values = {f"A{L}": AL}
        if _course_caches(caches, L):
            for l in range(1, L + 1):
                values[f"Z{l}"] = caches[l - 1][1]
                if l < L:
                    values[f"A{l}"] = caches[l][0][0]
        else:
            self.notes.append(f"{self.fn_name('forward')}'s caches are not the course's ((A_prev, W, b), Z) "
                              "tuples: only AL is compared, and the backward pass is given your own caches")
        return values, caches

    def backward(self, params, X, Y, values, raw):
        L = _layers_of(params)
        caches = raw
        if _course_caches(raw, L):
            A = [X] + [values[f"A{l}"] for l in range(1, L)]
            caches = [((A[l - 1], params[f"W{l}"], params[f"b{l}"]), values[f"Z{l}"]) for l in range(1, L + 1)]
        grads = self._dict("backward", self.call("backward", self.fn["backward"], values[f"A{L}"], Y, caches),
                           "a dict of gradients")
        # The course's dA keys: today dA{l} is the gradient of A[l] (dA0 ... dA{L-1}); older versions stored
        # the gradient of layer l's input under dA{l} (dA1 ... dAL). The key set says which.
        shift = 1 if ("dA0" not in grads and f"dA{L}" in grads) else 0
        if shift:
            self.notes.append(f"{self.fn_name('backward')} uses the older convention of the dA keys (dA{{l}} is "
                              "the gradient of layer l's input): read as such")
        return _gradients(grads, L, shift)

    def update(self, params, grads, learning_rate):
        return self._dict("update", self.call("update", self.fn["update"], params, grads, learning_rate),
                          "the new parameters as a dict")

    def init_shapes(self, layers):
        if self.fn.get("init") is None:
            return None
        return self.call("init", self.fn["init"], list(layers))


def _literal_layers(source: LearnerSource):
    for name in ("layers_dims", "layer_dims", "LAYERS_DIMS"):
        value = source.get(name)
        if isinstance(value, (list, tuple)) and len(value) >= 2 and all(isinstance(n, int) and n > 0
                                                                         for n in value):
            return tuple(value), f"{name} in {source.path.name}"
    return None, None


# ---- the course's one-hidden-layer API -------------------------------------------------------------------------

class ShallowStyle(Style):
    name, title = "shallow", "the course's one-hidden-layer API (forward_propagation, backward_propagation, ...)"
    names = {"forward": ("forward_propagation",), "backward": ("backward_propagation",),
             "update": ("update_parameters", "update_params"), "cost": ("compute_cost",),
             "init": ("initialize_parameters",)}
    DEFAULT_LAYERS = (2, 4, 1)  # the planar data set's 2 features, 4 hidden units, 1 output

    def architecture(self):
        return Architecture(self.DEFAULT_LAYERS, ("tanh", "sigmoid"), "binary_crossentropy",
                            {"layers": "the course's planar network (2-4-1)",
                             "activations": "the course's default (tanh hidden, sigmoid output)",
                             "loss": "the course's default"})

    def forward(self, params, X):
        result = self._pair("forward", self.call("forward", self.fn["forward"], X, params), "(A2, cache)")
        AL, cache = result
        L = _layers_of(params)
        values = _picked(self._dict("forward", cache, "(A2, cache) with a cache dict"), L)
        values[f"A{L}"] = AL
        return values, cache

    def cost(self, AL, Y, params):
        function = self.fn.get("cost")
        if function is None:
            return None
        if _arity(function) >= 3:  # the older compute_cost(A2, Y, parameters)
            return self.call("cost", function, AL, Y, params)
        return self.call("cost", function, AL, Y)

    def backward(self, params, X, Y, values, raw):
        grads = self.call("backward", self.fn["backward"], params, _with_reference_values(raw, values), X, Y)
        return _gradients(self._dict("backward", grads, "a dict of gradients"), _layers_of(params))

    def update(self, params, grads, learning_rate):
        return self._dict("update", self.call("update", self.fn["update"], params, grads, learning_rate),
                          "the new parameters as a dict")

    def init_shapes(self, layers):
        if self.fn.get("init") is None or len(layers) != 3:
            return None
        return self.call("init", self.fn["init"], *layers)


# ---- separate arrays, bound by name ----------------------------------------------------------------------------

NUMBERED = re.compile(r"(dw|db|dz|da|w|b|z|a)(\d+)", re.IGNORECASE)
CANONICAL = {"dw": "dW", "db": "db", "dz": "dZ", "da": "dA", "w": "W", "b": "b", "z": "Z", "a": "A"}
RATE_NAMES = ("alpha", "learning_rate", "lr", "eta", "rate", "learningrate")
ONE_HOT_HINTS = ("one_hot", "onehot", "one_hot_encode", "to_categorical", "np.eye", "get_dummies", "eye(")
ACTIVATION_HINTS = (("leaky", "leaky_relu"), ("relu", "relu"), ("softmax", "softmax"), ("sigmoid", "sigmoid"),
                    ("logistic", "sigmoid"), ("tanh", "tanh"))


def canonical(name: str) -> str | None:
    """``w1`` -> ``W1``, ``dZ2`` -> ``dZ2``, ``x`` -> ``X``, ``alpha`` -> ``learning_rate``; None if unknown."""
    lowered = name.lower()
    if lowered in ("x", "y", "m"):
        return {"x": "X", "y": "Y", "m": "m"}[lowered]
    if lowered in RATE_NAMES:
        return "learning_rate"
    if lowered in ("al", "a_l"):
        return "AL"
    match = NUMBERED.fullmatch(lowered.replace("_", ""))
    if match:
        return f"{CANONICAL[match.group(1)]}{match.group(2)}"
    return None


def _function_tree(function) -> ast.FunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def returned_names(function) -> list[str] | None:
    """The names in the function's own last ``return`` statement (``return Z1, A1, Z2, A2``), in order."""
    tree = _function_tree(function)
    if tree is None:
        return None
    returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value is not None]
    if not returns:
        return None
    value = returns[-1].value
    items = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
    if not all(isinstance(item, ast.Name) for item in items):
        return None
    return [item.id for item in items]


def _source_text(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _called_functions(function, namespace: dict, depth: int = 2) -> list:
    """The module's own functions that ``function`` calls, followed ``depth`` levels down."""
    found, frontier = [], [function]
    for _ in range(depth):
        following = []
        for f in frontier:
            tree = _function_tree(f)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    callee = namespace.get(node.func.id)
                    if inspect.isfunction(callee) and callee not in found and callee is not function:
                        found.append(callee)
                        following.append(callee)
        frontier = following
    return found


def encodes_labels_itself(function, namespace: dict) -> bool:
    """Whether the learner's backward pass one-hot encodes integer labels itself (``one_hot(Y)``)."""
    texts = [_source_text(function)] + [_source_text(f) for f in _called_functions(function, namespace)]
    code = " ".join(texts).lower()
    own = [name.lower() for name in [getattr(f, "__name__", "") for f in _called_functions(function, namespace)]]
    return any(hint in code for hint in ONE_HOT_HINTS) or any("hot" in name for name in own)


def activations_from_source(function, L: int) -> dict[int, str]:
    """Activations read from the forward pass's assignments ``A1 = ReLU(Z1)``, ``a2 = np.tanh(z2)``,
    ``A1 = np.maximum(Z1, 0)``: layer -> name, for the layers where a known function is applied."""
    tree = _function_tree(function)
    found = {}
    if tree is None:
        return found
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        target = canonical(node.targets[0].id)
        if not target or not target.startswith("A") or target == "AL":
            continue
        layer = int(target[1:])
        value = node.value
        if isinstance(value, ast.Call):
            callee = ast.unparse(value.func).lower()
            if callee in ("np.maximum", "numpy.maximum"):
                found[layer] = "relu"
                continue
            for hint, name in ACTIVATION_HINTS:
                if hint in callee:
                    found[layer] = name
                    break
    return {l: a for l, a in found.items() if 1 <= l <= L}


class ArraysStyle(Style):
    name, title = "arrays", "separate arrays (init_params() -> W1, b1, ...; forward_prop(W1, b1, ..., X) -> Z1, ...)"
    names = {"forward": ("forward_prop", "forward_propagation", "forward"),
             "backward": ("backward_prop", "backward_propagation", "backward", "back_prop"),
             "update": ("update_params", "update_parameters", "update"), "cost": ("compute_cost",),
             "init": ("init_params", "initialize_parameters", "init")}

    def _bind(self, role: str, available: dict) -> dict:
        function = self.fn[role]
        kwargs = {}
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            name = canonical(parameter.name)
            if name in available:
                kwargs[parameter.name] = available[name]
            elif parameter.default is parameter.empty:
                known = ", ".join(sorted(k for k in available if k != "m"))
                raise LearnerError(f"{self.source.path.name}: {self.fn_name(role)}'s argument {parameter.name!r} is "
                                   f"not a name the checker can bind (it binds {known}, case-insensitive); "
                                   f"rename it, or give it a default")
        return kwargs

    def _results(self, role: str, result) -> dict:
        names = returned_names(self.fn[role])
        values = result if isinstance(result, tuple) else (result,)
        if names is None or len(names) != len(values):
            raise LearnerError(f"{self.source.path.name}: cannot tell what {self.fn_name(role)} returns: its "
                               f"return statement should list names such as `return Z1, A1, Z2, A2`")
        out = {}
        for name, value in zip(names, values, strict=True):
            key = canonical(name)
            if key is not None:
                out[key] = value
        return out

    def _call(self, role: str, available: dict) -> dict:
        return self._results(role, self.call(role, self.fn[role], **self._bind(role, available)))

    def architecture(self):
        if self.fn.get("init") is None:
            raise LearnerError(f"{self.source.path.name}: no init_params() to read the layer sizes from; give them "
                               f"with --layers (for example --layers 784,10,10) or name the function with --init")
        if _arity(self.fn["init"]) > 0:
            raise LearnerError(f"{self.source.path.name}: {self.fn_name('init')} takes arguments, so the layer sizes "
                               f"cannot be read from it; give them with --layers (for example --layers 784,10,10)")
        params = self._call("init", {})
        L = _layers_of(params)
        if L == 0:
            raise LearnerError(f"{self.source.path.name}: {self.fn_name('init')} returned no W1; its return "
                               f"statement should list W1, b1, W2, b2, ...")
        layers = [np.shape(params["W1"])[1]] + [np.shape(params[f"W{l}"])[0] for l in range(1, L + 1)]
        found = activations_from_source(self.fn["forward"], L)
        activations = tuple(found.get(l) for l in range(1, L + 1))
        where = f"{self.fn_name('forward')}'s source"
        if None in activations:
            missing = [l for l, a in enumerate(activations, 1) if a is None]
            raise LearnerError(f"{self.source.path.name}: cannot tell the activation of layer(s) "
                               f"{', '.join(map(str, missing))} from {self.fn_name('forward')}; give them with "
                               f"--activations (for example --activations relu,softmax)")
        loss = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}.get(activations[-1])
        integer = encodes_labels_itself(self.fn["backward"], self.source.namespace)
        return Architecture(tuple(int(n) for n in layers), activations, loss,
                            {"layers": f"{self.fn_name('init')}()'s W shapes", "activations": where,
                             "loss": "the output activation"}, integer_labels=integer)

    def forward(self, params, X):
        values = self._call("forward", {**params, "X": X})
        L = _layers_of(params)
        if "AL" in values:
            values[f"A{L}"] = values.pop("AL")
        return values, values

    def cost(self, AL, Y, params):
        if self.fn.get("cost") is None:
            return None
        L = _layers_of(params)
        try:
            bound = self._bind("cost", {**params, "AL": AL, f"A{L}": AL, "Y": Y})
        except LearnerError as error:  # the cost is optional: a cost the checker cannot call is left out, said so
            self.notes.append(f"the cost is not compared: {error}")
            return None
        return self.call("cost", self.fn["cost"], **bound)

    def backward(self, params, X, Y, values, raw):
        m = int(np.shape(X)[1])
        available = {**params, **values, "X": X, "Y": Y, "m": m, "AL": values[f"A{_layers_of(params)}"]}
        return self._call("backward", available)

    def update(self, params, grads, learning_rate):
        return self._call("update", {**params, **grads, "learning_rate": learning_rate})


STYLES = {style.name: style for style in (ModuleStyle, DeepStyle, ShallowStyle, ArraysStyle)}


def _takes_numbered_arrays(function) -> bool:
    return any((canonical(p) or "")[:1] in ("W", "b") and canonical(p) not in (None,) for p in _parameters(function))


def _takes_params_first(function) -> bool:
    """The module interface's forward, ``forward_prop(params, X)``: a parameter dict, then the inputs (the
    course's L-layer and one-hidden-layer forwards take X first)."""
    names = [name.lower() for name in _parameters(function)]
    return len(names) >= 2 and names[0] in ("params", "parameters") and canonical(names[1]) == "X"


def detect(source: LearnerSource, overrides: dict[str, str]) -> tuple[type[Style], dict]:
    """The style of the learner's file and its functions, role -> function. Names given on the command line
    (``--forward NAME``, ...) are used as they are, and the style is then read from the signatures."""
    namespace = source.namespace
    given = {role: _named_function(source, name, role) for role, name in overrides.items() if name}
    forward = given.get("forward")
    style = _style_of_given_forward(source, forward, given) if forward is not None else _style_from_names(source)
    functions = _functions_of_style(namespace, style, given)
    if style is ArraysStyle and "forward" not in given:  # the arrays style's forward takes numbered arrays
        functions["forward"] = next(namespace[n] for n in ArraysStyle.names["forward"]
                                    if callable(namespace.get(n)) and _takes_numbered_arrays(namespace[n]))
    _require_roles(source, style, functions)
    return style, functions


def _named_function(source: LearnerSource, name: str, role: str):
    """The learner's function ``name``, given on the command line with ``--{role}``; an error in the learner's
    words where the file has no such name or it is not a function."""
    value = source.namespace.get(name)
    if value is None:
        functions = ", ".join(sorted(source.functions())) or "none"
        raise LearnerError(f"{source.path.name} defines no function {name!r} (given with --{role}); "
                           f"its functions are: {functions}")
    if not callable(value):
        raise LearnerError(f"{source.path.name}: {name} (given with --{role}) is not a function")
    return value


def _functions_of_style(namespace: dict, style: type[Style], given: dict) -> dict:
    """role -> function: the ones given on the command line, and for every other role the first of ``style``'s
    conventional names (``style.names[role]``) that the file defines as a function."""
    found = dict(given)
    for role in ROLES:
        if role not in found:
            for name in style.names.get(role, ()):
                if callable(namespace.get(name)):
                    found[role] = namespace[name]
                    break
    return found


def _style_of_given_forward(source: LearnerSource, forward, given: dict) -> type[Style]:
    """The style of a file whose forward pass was named on the command line, read from the signatures: numbered
    arrays (W1, b1, ...) -> arrays; a LAYERS list or a forward taking (params, X) -> module; otherwise the backward
    pass's arity, (AL, Y, caches) -> deep, (parameters, cache, X, Y) -> shallow."""
    namespace = source.namespace
    if _takes_numbered_arrays(forward):
        return ArraysStyle
    if "LAYERS" in namespace or _takes_params_first(forward):
        return ModuleStyle
    backward = (given.get("backward") or _functions_of_style(namespace, DeepStyle, given).get("backward")
                or _functions_of_style(namespace, ShallowStyle, given).get("backward"))
    style = DeepStyle if backward is not None and _arity(backward) == 3 else ShallowStyle
    if style is ShallowStyle and backward is not None and _arity(backward) != 4:
        raise LearnerError(f"{source.path.name}: cannot tell the style from {getattr(backward, '__name__', '')}"
                           f"'s arguments; the backward pass should take (AL, Y, caches) or "
                           f"(parameters, cache, X, Y)")
    return style


def _style_from_names(source: LearnerSource) -> type[Style]:
    """The style of a file with no forward pass named on the command line, from the names it defines, in this
    order: LAYERS or forward_prop(params, X) -> module, L_model_forward -> deep, forward_propagation without
    numbered arrays -> shallow, a forward of the arrays style taking numbered arrays -> arrays; none of them is an
    error naming the known ones."""
    namespace = source.namespace
    if "LAYERS" in namespace or any(callable(namespace.get(n)) and _takes_params_first(namespace[n])
                                    for n in ModuleStyle.names["forward"]):
        return ModuleStyle
    if callable(namespace.get("L_model_forward")):
        return DeepStyle
    if callable(namespace.get("forward_propagation")) and not _takes_numbered_arrays(
            namespace["forward_propagation"]):
        return ShallowStyle
    if any(callable(namespace.get(n)) and _takes_numbered_arrays(namespace[n]) for n in ArraysStyle.names["forward"]):
        return ArraysStyle
    functions = ", ".join(sorted(source.functions())) or "none"
    known = ", ".join(dict.fromkeys(name for row in STYLES.values() for name in row.names["forward"]))
    raise LearnerError(f"{source.path.name}: found no forward pass the checker knows ({known}); name yours "
                       f"with --forward NAME (its functions: {functions})")


def _require_roles(source: LearnerSource, style: type[Style], functions: dict) -> None:
    """The forward, backward and update passes are required (the cost and init are optional): an error naming the
    style's conventional names and the flag that names the learner's own."""
    for role, flag in (("forward", "--forward"), ("backward", "--backward"), ("update", "--update")):
        if functions.get(role) is None:
            expected = " or ".join(style.names[role])
            raise LearnerError(f"{source.path.name}: no {role} function found (expected {expected} for "
                               f"{style.title}); name yours with {flag} NAME")
