"""A framework model's file loaded for what builds the model, its loss and its optimizer.

``parity.learner.source`` loads a learner's NumPy file for its definitions only; a framework model is built by
calls (``nn.Sequential(...)``, ``torch.optim.SGD(model.parameters(), lr=0.1)``, ``model.compile(...)``), so this
policy runs those too, and still skips whatever trains, reads data that is not here, or draws:

    run       imports, ``def`` and ``class`` statements, assignments (their calls included), and the calls that
              build or configure a model: ``model.add(...)``, ``model.compile(...)``, ``model.build(...)``, seeds,
              ``model.apply(init)``, ``nn.init.constant_(...)``, ``model.eval()`` and ``model.train()``
    skipped   loops and ``with`` blocks (a training loop), ``if __name__ == "__main__":``, any other bare call
              (``train(...)``, ``plt.show()``), and an assignment that trains: ``.fit(...)``, ``.backward()``,
              ``.step()``, ``train_on_batch``, or a call of a function of the file that loops or trains
              (``losses = [train_step(X, Y) for _ in range(50)]``)

An assignment that fails (a data file that is not here) is skipped and listed, as for learners. The user's file
is never written: its statements are compiled from the text read. ``line_of`` and ``failed_lines`` point the
readers' messages at the user's lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from parity.learner.source import LearnerSource, _kind, load_source

BUILDS = ("add", "compile", "build", "manual_seed", "seed", "set_seed", "set_random_seed", "to", "double",
          "float", "train", "eval", "set_floatx", "apply", "load_state_dict", "exclude_from_weight_decay")
TRAINS = ("fit", "train_on_batch", "backward", "step", "evaluate", "predict", "fit_generator")


def _training_functions(tree: ast.Module) -> set[str]:
    """The file's functions that train: a loop in the body, or a call of ``backward``, ``step``, ``fit``, ..."""
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and (any(isinstance(n, (ast.For, ast.While, ast.AsyncFor)) for n in ast.walk(node))
                 or any(name in TRAINS for name in _called(node)))}


def _called(node: ast.AST) -> list[str]:
    """The names a statement calls: ``f`` for ``f(...)``, ``fit`` for ``model.fit(...)``."""
    names = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            func = n.func
            names.append(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


class ModelPolicy:
    """This module's policy (see the module docstring), one per file: it remembers the training functions of every
    block it has seen, so a notebook cell calling a function of an earlier cell is judged by it."""

    def __init__(self):
        self.training: set[str] = set()
        self._seen: set[int] = set()

    def __call__(self, node: ast.stmt, tree: ast.Module) -> str:
        if id(tree) not in self._seen:
            self._seen.add(id(tree))
            self.training |= _training_functions(tree)
        kind = _kind(node)
        if kind != "skip":
            return kind
        trains = any(name in TRAINS or name in self.training for name in _called(node))
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and not trains:
            return "assign"
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not trains:
            func = node.value.func
            initialises = isinstance(func, ast.Attribute) and func.attr.endswith("_") and "init" in ast.unparse(func)
            if isinstance(func, ast.Attribute) and (func.attr in BUILDS or initialises):
                return "assign"  # kept if it runs, listed as skipped if it fails
        return "skip"


def load_model_file(path) -> LearnerSource:
    """The file's namespace after the statements that build its model (``ModelPolicy``)."""
    return load_source(Path(path), kind=ModelPolicy())


def framework_of(path) -> str | None:
    """"torch" or "keras" when the file imports that framework (and so holds a model, not NumPy code); None
    otherwise. Read from the text, before anything runs."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    for framework, words in (("keras", ("import keras", "from keras", "tensorflow.keras", "tf.keras")),
                             ("torch", ("import torch", "from torch"))):
        if any(word in text for word in words):
            return framework
    return None


def line_of(text: str, name: str, needle: str | None = None) -> str:
    """"line N" of the first line assigning ``name`` (``model = ...``) or, given ``needle``, of the first line
    holding it at or after that assignment (a module's class name, ``Softmax(``); "" where neither is found."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*{re.escape(name)}\s*(:[^=]*)?=", line)), 0)
    if needle is None:
        return f"line {start + 1}" if start or (lines and re.match(rf"\s*{re.escape(name)}\s*=", lines[0])) else ""
    for i in list(range(start, len(lines))) + list(range(0, start)):
        if needle in lines[i]:
            return f"line {i + 1}"
    return ""


def failed_lines(skipped) -> str:
    """The statements that raised while the file was loaded (``m = nn.Linear(4)``), for a "not found" message."""
    failed = [str(item) for item in skipped if "Error" in item.reason]
    return f"; these lines failed: {'; '.join(failed[:3])}" if failed else ""
