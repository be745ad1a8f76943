"""A function that does not fit on a screen is several ideas (DESIGN.md, third review): no function or method in
parity/ is longer than ``LIMIT`` lines, counted from its ``def`` line to its last line (decorators not included),
except the ones named, each with its reason, in ``ALLOWED``.
"""

import ast
from pathlib import Path

LIMIT = 60
ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    # table data: the case grid, one row per line, read as a table rather than as steps
    "parity/case.py::_grid": "the case grid is table data",
}


def function_lengths(package: Path, root: Path = ROOT) -> dict[str, int]:
    """"path::qualified.name" -> end_lineno - lineno + 1, for every function and method (nested ones included)
    of every module under ``package``."""
    lengths = {}

    def walk(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lengths[f"{path}::{prefix}{child.name}"] = child.end_lineno - child.lineno + 1
                walk(child, path, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, path, f"{prefix}{child.name}.")
            else:
                walk(child, path, prefix)

    for file in sorted(package.rglob("*.py")):
        walk(ast.parse(file.read_text(encoding="utf-8")), file.relative_to(root).as_posix(), "")
    return lengths


def too_long(limit: int = LIMIT) -> dict[str, int]:
    """The functions of parity/ over ``limit`` lines and not in ``ALLOWED``."""
    return {name: n for name, n in function_lengths(ROOT / "parity").items() if n > limit and name not in ALLOWED}


def test_no_function_in_parity_is_longer_than_the_limit():
    over = too_long()
    assert not over, (f"{len(over)} function(s) in parity/ over {LIMIT} lines; split each into helpers named "
                      "from the domain: " + ", ".join(f"{name} ({n} lines)" for name, n in sorted(over.items())))


def test_the_allow_list_names_only_functions_still_over_the_limit():
    lengths = function_lengths(ROOT / "parity")
    stale = {name: lengths.get(name) for name in ALLOWED if lengths.get(name, 0) <= LIMIT}
    assert not stale, f"remove from ALLOWED (gone, or now within {LIMIT} lines): {stale}"


def test_the_length_check_finds_a_function_over_a_lower_limit():
    # the check can fail: at a limit the longest non-allowed function exceeds, it names that function
    lengths = {name: n for name, n in function_lengths(ROOT / "parity").items() if name not in ALLOWED}
    longest = max(lengths, key=lengths.get)
    assert longest in too_long(lengths[longest] - 1)
