"""A learner's file as they have it: a ``.py`` script, one exported from a notebook, or a ``.ipynb`` notebook,
loaded for its definitions only.

Learners' files do more than define a network: they load a data set that is not on this machine, train,
plot, and (in notebooks) run magics such as ``%matplotlib inline`` or ``!pip install``. The checker keeps the
statements that define things, in file order, and skips the rest, saying what it skipped:

    kept      imports, ``def`` and ``class`` statements, ``try`` blocks of imports, and assignments whose value
              calls nothing (``LAYERS = [784, 10, 10]``, ``layers_dims = [5, 4, 4, 1]``), kept only if they
              evaluate from what was kept before them
    skipped   everything else: calls (``data = pd.read_csv(...)``, ``train(...)``, ``plt.show()``), loops,
              ``if __name__ == "__main__":`` blocks, notebook magics and shell lines, imports that fail

The file's own folder is importable while the learner's code runs, as when the file is run as a script, so
helper modules and packages beside it (``dnn_utils``, ``planar_utils``) load; modules imported from that folder
are forgotten afterwards, so two learners' ``dnn_utils`` never mix. Names that only skipped statements
define are remembered (``m`` from ``m, n = data.shape``), so a function that reads one gets a message naming
the variable, the function and the fix instead of a bare ``NameError``.
"""

from __future__ import annotations

import ast
import json
import linecache
import sys
import traceback
import types
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


class LearnerError(ValueError):
    """The learner's code cannot be checked as it is: one line saying why, in the learner's terms."""


@dataclass
class Skipped:
    where: str  # "line 12" or "cell 3, line 2"
    text: str  # the statement's first line
    reason: str  # "top-level code", "notebook magic", "import failed: ..."

    def __str__(self) -> str:
        return f"{self.where}: {self.text} ({self.reason})"


@dataclass
class LearnerSource:
    """The loaded definitions (``namespace``), what was skipped, and the names only skipped code defines."""

    path: Path
    namespace: dict
    skipped: list[Skipped] = field(default_factory=list)
    defined_by_skipped: dict[str, Skipped] = field(default_factory=dict)
    failed_imports: dict[str, Skipped] = field(default_factory=dict)
    isolated: bool = False  # loaded from a file here: its folder goes on sys.path while it runs

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def get(self, name: str):
        return self.namespace.get(name)

    def functions(self) -> dict[str, types.FunctionType]:
        return {name: value for name, value in self.namespace.items() if isinstance(value, types.FunctionType)
                and getattr(value, "__module__", None) == self.namespace.get("__name__")}

    @contextmanager
    def importable(self):
        """The file's folder on ``sys.path`` (as when it runs as a script); modules loaded from it are
        forgotten on leaving, so another learner's helper of the same name loads afresh. A module or functions
        handed over from a running session (Jupyter) are left as they are: their imports are the session's."""
        if not self.isolated:
            yield
            return
        folder = str(self.folder)
        before = set(sys.modules)
        sys.path.insert(0, folder)
        try:
            yield
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
            for name in set(sys.modules) - before:
                origin = getattr(sys.modules[name], "__file__", None) or ""
                if origin and Path(origin).resolve().is_relative_to(self.folder):
                    del sys.modules[name]


# ---- reading ---------------------------------------------------------------------------------------------------

@dataclass
class _Block:
    """A piece of source compiled on its own: the whole .py file, or one notebook cell."""

    filename: str  # what tracebacks show: the file, or "notebook.ipynb, cell 3"
    source: str
    cell: int | None = None

    def where(self, line: int) -> str:
        return f"line {line}" if self.cell is None else f"cell {self.cell}, line {line}"


def _notebook_blocks(path: Path) -> tuple[list[_Block], list[Skipped]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cells = document["cells"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise LearnerError(f"{path.name} is not a readable Jupyter notebook ({type(error).__name__}: {error})"
                           ) from None
    blocks, skipped, number = [], [], 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        text = cell.get("source", "")
        lines = (text if isinstance(text, list) else [text])
        lines = "".join(lines).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            skipped.append(Skipped(f"cell {number}, line 1", lines[0].strip(), "notebook cell magic"))
            continue
        kept = []
        for i, line in enumerate(lines, 1):
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
                skipped.append(Skipped(f"cell {number}, line {i}", stripped, "notebook magic"))
                kept.append("")  # keeps the line numbers of the cell
            else:
                kept.append(line)
        blocks.append(_Block(f"{path} (cell {number})", "\n".join(kept) + "\n", number))
    return blocks, skipped


def _calls_nothing(node: ast.AST) -> bool:
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda))
                   for n in ast.walk(node))


def _assigned_names(node: ast.AST) -> list[str]:
    targets = []
    if isinstance(node, (ast.Assign,)):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    for child in ast.iter_child_nodes(node):  # assignments nested in loops, ifs, withs at top level
        if isinstance(child, ast.stmt) and not isinstance(child, (ast.FunctionDef, ast.ClassDef,
                                                                   ast.AsyncFunctionDef)):
            names += _assigned_names(child)
    return names


def _kind(node: ast.stmt) -> str:
    """``define``, ``import``, ``assign`` (kept if it evaluates) or ``skip``."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "define"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(node, ast.Try) and all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass))
                                         for part in (node.body, node.orelse, node.finalbody,
                                                      *[h.body for h in node.handlers]) for s in part):
        return "import"
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _calls_nothing(node.value):
        return "assign"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # a docstring
        return "define"
    return "skip"


def _first_line(block: _Block, node: ast.stmt) -> str:
    line = block.source.splitlines()[node.lineno - 1].strip()
    return line if len(line) <= 80 else line[:77] + "..."


def load_source(path, kind=None) -> LearnerSource:
    """The learner's file loaded for its definitions only (see the module docstring). ``kind``: another policy
    than ``_kind`` for which statements run, ``kind(node, tree) -> "define" | "import" | "assign" | "skip"`` with
    the block's whole tree (``parity.ports.loading``: a framework model's file, whose model is built by calls)."""
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"no such file: {str(path)!r}")
    skipped: list[Skipped] = []
    if path.suffix == ".ipynb":
        blocks, skipped = _notebook_blocks(path)
    else:
        try:
            blocks = [_Block(str(path), path.read_text(encoding="utf-8"))]
        except UnicodeDecodeError as error:
            raise LearnerError(f"{path.name} is not a text file ({error.reason})") from None
    namespace = {"__name__": f"learner_{path.stem}", "__file__": str(path), "__builtins__": __builtins__}
    source = LearnerSource(path, namespace, skipped, isolated=True)
    with source.importable():
        for block in blocks:
            linecache.cache[block.filename] = (len(block.source), None, block.source.splitlines(True),
                                               block.filename)
            try:
                with warnings.catch_warnings():  # a learner's "\d" in a string is their business, not a failure
                    _quiet_compile()
                    tree = ast.parse(block.source, filename=block.filename)
            except SyntaxError as error:
                raise LearnerError(f"{path.name} {block.where(error.lineno or 0)}: syntax error: {error.msg}"
                                   ) from None
            for node in tree.body:
                _run_statement(source, block, node, _kind(node) if kind is None else kind(node, tree))
    return source


def _quiet_compile() -> None:
    """Inside ``warnings.catch_warnings()``: a learner's invalid escape ("\\d" in a string) warns at compile time
    (DeprecationWarning up to Python 3.11, SyntaxWarning after); it is their code's business, not the check's."""
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)


def _run_statement(source: LearnerSource, block: _Block, node: ast.stmt, kind: str) -> None:
    where, text = block.where(node.lineno), _first_line(block, node)
    if kind == "skip":
        item = Skipped(where, text, "top-level code")
        source.skipped.append(item)
        for name in _assigned_names(node):
            source.defined_by_skipped.setdefault(name, item)
        return
    with warnings.catch_warnings():
        _quiet_compile()
        code = compile(ast.Module([node], type_ignores=[]), block.filename, "exec")
    try:
        exec(code, source.namespace)  # noqa: S102 - the learner's definitions, which is what we are here to run
    except ImportError as error:
        item = Skipped(where, text, f"import failed: {type(error).__name__}: {error}")
        source.skipped.append(item)
        names = [alias.asname or alias.name.split(".")[0] for alias in getattr(node, "names", [])]
        for name in names:
            source.failed_imports.setdefault(name, item)
    except Exception as error:
        if kind == "assign":  # it needs something only skipped code defines (m = X.shape[1])
            item = Skipped(where, text, f"top-level code ({type(error).__name__}: {error})")
            source.skipped.append(item)
            for name in _assigned_names(node):
                source.defined_by_skipped.setdefault(name, item)
            return
        raise LearnerError(f"{source.path.name} {where} raised {describe_exception(error, source)}") from None


# ---- the learner's errors, in the learner's terms ---------------------------------------------------------------

def _learner_frames(error: BaseException, source: LearnerSource) -> list[traceback.FrameSummary]:
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        name = frame.filename
        if name.startswith(str(source.path)):  # the file, or one of the notebook's cells
            frames.append(frame)
            continue
        try:
            if Path(name).resolve().is_relative_to(source.folder):  # a helper module beside the file
                frames.append(frame)
        except (OSError, ValueError):
            continue
    return frames


def _display(frame: traceback.FrameSummary, source: LearnerSource) -> str:
    name = frame.filename
    if name.startswith(str(source.path)):
        shown = source.path.name + name[len(str(source.path)):]
    else:
        shown = Path(name).name
    return f"{shown} line {frame.lineno}, in {frame.name}: {(frame.line or '').strip()}"


def describe_exception(error: BaseException, source: LearnerSource) -> str:
    """``ValueError: message (network.py line 12, in backward_prop: dW = ...)``: the learner's innermost line."""
    frames = _learner_frames(error, source)
    place = f" ({_display(frames[-1], source)})" if frames else ""
    return f"{type(error).__name__}: {error}{place}"


def innermost(error: BaseException, source: LearnerSource) -> traceback.FrameSummary | None:
    frames = _learner_frames(error, source)
    return frames[-1] if frames else None


def name_error_message(error: NameError, function: str, source: LearnerSource) -> str | None:
    """A function read a module-level name that only skipped top-level code (or a failed import) defines."""
    name = getattr(error, "name", None)
    frame = innermost(error, source)
    inside = frame.name if frame is not None else function
    place = f" ({_display(frame, source)})" if frame else ""
    if name in source.defined_by_skipped:
        item = source.defined_by_skipped[name]
        return (f"{inside} reads the module-level variable {name!r}{place}, which only your script's top-level "
                f"code defines ({item.where}: {item.text}); the checker does not run that code. Compute it "
                f"inside the function from its arguments (for the number of samples: m = X.shape[1], or "
                f"m = Y.size for a label vector), or pass it in as an argument.")
    if name in source.failed_imports:
        item = source.failed_imports[name]
        return f"{inside} uses {name!r}{place}, whose import failed ({item.where}: {item.reason})"
    return None
