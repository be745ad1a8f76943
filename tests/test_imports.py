"""The dependency graph is a tree (DESIGN.md): no module of ``reference`` or ``parity`` imports, however late, a
module that imports it back, and ``reference`` imports NumPy, the standard library and itself only.

The graph is read from the source with ``ast``, not from an import: every ``import`` and ``from ... import``
statement counts, at module level and inside functions (a lazy import that closes a circle is still a circle),
and ``from parity import harness`` is an edge to the module ``parity.harness``."""

import ast
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reference", "parity")
REFERENCE_MAY_IMPORT = {"numpy", "reference"}  # and the standard library


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Each module of ``PACKAGES`` by its dotted name (a package by its own name), with its file."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _resolve(name: str, known) -> str:
    """``name`` as the longest dotted prefix of it that is a module of ``known``, else ``external:<top name>``."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in known:
            return ".".join(parts[:n])
    return f"external:{parts[0]}"


def _targets(node, module: str, is_package: bool, known) -> list[str]:
    """What one import statement of ``module`` reaches: ``from a import b`` reaches ``a.b`` where that is a module,
    else ``a`` (``b`` is a name defined in it); a relative import counts from ``module``'s package."""
    if isinstance(node, ast.Import):
        return [_resolve(alias.name, known) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else _resolve(base, known)
            for alias in node.names]


def imports(name: str, path: Path, known) -> dict[str, int]:
    """What module ``name`` imports anywhere in its file (functions included), each with the line of its first
    import: modules of ``known`` by name, anything else as ``external:<top name>``."""
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _targets(node, name, path.name == "__init__.py", known):
                if target != name:
                    out[target] = min(out.get(target, node.lineno), node.lineno)
    return out


def graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """module -> {module it imports: line}, inside ``PACKAGES`` only."""
    known = modules(root)
    return {name: {t: line for t, line in imports(name, path, known).items() if not t.startswith("external:")}
            for name, path in known.items()}


def _components(edges: dict[str, dict]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module: each holds at least one cycle."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def _shortest_cycle(edges: dict[str, dict], start: str, members: set[str]) -> list[str]:
    """The shortest path from ``start`` back to itself through ``members`` (breadth first, by name)."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        following = sorted(t for t in edges.get(path[-1], ()) if t in members)
        if start in following:
            return [*path, start]
        for target in following:
            if target not in seen:
                seen.add(target)
                paths.append([*path, target])
    raise AssertionError(f"{start} is on no cycle of its component")


def cycles(edges: dict[str, dict]) -> list[list[str]]:
    """The shortest cycle through each module that is on one, as [a, b, ..., a] from its first module by name,
    each cycle once."""
    found = []
    for component in _components(edges):
        for start in component:
            cycle = _shortest_cycle(edges, start, set(component))[:-1]
            first = cycle.index(min(cycle))
            cycle = cycle[first:] + cycle[:first]
            if [*cycle, cycle[0]] not in found:
                found.append([*cycle, cycle[0]])
    return found


def describe(cycle: list[str], edges: dict[str, dict]) -> str:
    """``a -> b -> a (a line 3, b line 105)``: each import's line, a lazy one included."""
    lines = ", ".join(f"{a} line {edges[a][b]}" for a, b in itertools.pairwise(cycle))
    return f"{' -> '.join(cycle)} ({lines})"


def test_the_cycle_finder_names_a_planted_cycle():
    edges = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 105}, "d": {"a": 1}}
    assert [describe(c, edges) for c in cycles(edges)] == ["a -> b -> c -> a (a line 3, b line 5, c line 105)"]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_module_imports_a_module_that_imports_it_back():
    edges = graph()
    assert "parity.harness" in edges and "reference" in edges  # the walk found the packages
    found = [describe(cycle, edges) for cycle in cycles(edges)]
    assert not found, "import cycles (an import inside a function counts):\n  " + "\n  ".join(found)


def test_reference_imports_numpy_the_standard_library_and_itself_only():
    known = modules()
    allowed = REFERENCE_MAY_IMPORT | set(sys.stdlib_module_names) | {"__future__"}
    wrong = {f"{name} imports {target}" for name, path in known.items() if name.split(".")[0] == "reference"
             for target in imports(name, path, known)
             if target.split(".")[0] != "reference" and target.removeprefix("external:") not in allowed}
    assert not wrong, f"reference/ must import numpy and the standard library only: {sorted(wrong)}"
