"""The documentation's generated pages, written into ``docs/generated/`` when the build starts (``conf.py``): what
the code holds, read from the code, so that no page can drift from it.

    generated/reference-api.md        every name the ``reference`` package exports: signature and docstring
    generated/tolerances.md           every tolerance of ``parity/tolerance.py`` with the comment that gives its reason
    generated/conventions/<id>.md     one page per explained convention (``parity.conventions``): the frameworks it
                                      applies to, its explanation, and the setting that removes it
                                      (``parity.ports.diagnoses.REMEDIES``)
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _fence(text: str) -> str:
    return "```text\n" + text.strip("\n") + "\n```\n"


def reference_api() -> str:
    import reference

    by_module: dict[str, list[str]] = {}
    for name in reference.__all__:
        obj = getattr(reference, name)
        by_module.setdefault(getattr(obj, "__module__", "reference"), []).append(name)
    parts = ["# The reference's API\n",
             "Every name `import reference` exports, grouped by the module that defines it, with its signature and "
             "docstring as the code has them (this page is generated at each build: `docs/generate.py`).\n"]
    for module_name in sorted(by_module):
        module = __import__(module_name, fromlist=["_"])
        parts.append(f"\n## `{module_name}`\n")
        if module.__doc__:
            parts.append(_fence(inspect.cleandoc(module.__doc__)))
        for name in sorted(by_module[module_name]):
            obj = getattr(reference, name)
            try:
                signature = str(inspect.signature(obj)) if callable(obj) else ""
            except (TypeError, ValueError):
                signature = ""
            parts.append(f"\n### `{name}{signature}`\n")
            doc = inspect.getdoc(obj) if callable(obj) or inspect.isclass(obj) else None
            parts.append(_fence(doc) if doc else f"A value: `{obj!r}`.\n" if not callable(obj) else "")
    return "\n".join(parts)


def tolerances() -> str:
    """Each top-level constant of parity/tolerance.py with the comment block above it (its reason)."""
    path = ROOT / "parity" / "tolerance.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    parts = ["# Tolerances and their reasons\n",
             "Every tolerance nn-parity uses lives in `parity/tolerance.py`, each with the error model that gives "
             "its value; no test or comparison writes a literal. This page is that file's constants and comments, "
             "generated at each build.\n"]
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        comment, i = [], node.lineno - 2
        while i >= 0 and lines[i].startswith("#"):
            comment.insert(0, lines[i].lstrip("# ").rstrip())
            i -= 1
        value = ast.get_source_segment(source, node.value)
        parts.append(f"\n## `{node.targets[0].id} = {value}`\n\n" + (" ".join(comment) or "(no comment)") + "\n")
    return "\n".join(parts)


def conventions(folder: Path) -> None:
    from parity import frameworks
    from parity.conventions import CONVENTIONS
    from parity.ports.diagnoses import REMEDIES

    folder.mkdir(parents=True, exist_ok=True)
    index = ["# Explained conventions\n",
             "Where a framework documents a formula other than the textbook's, the reference also runs that formula, "
             "and a difference is *explained* only when the framework matches it within tolerance (see "
             "[How a verdict is reached](../../verdicts.md)). One page per convention, generated from "
             "`parity.conventions` at each build.\n", "```{toctree}\n:maxdepth: 1\n"]
    for convention in CONVENTIONS:
        index.append(convention.id)
        labels = ", ".join(frameworks.REGISTRY[name].label for name in convention.frameworks
                           if name in frameworks.REGISTRY)
        page = [f"# {convention.title}\n", f"Convention id `{convention.id}`; applies to: {labels}.\n",
                "## What the framework computes, and why\n", convention.explanation.strip() + "\n"]
        if REMEDIES.get(convention.id):
            page += ["## The setting that removes it\n", REMEDIES[convention.id] + ".\n"]
        page += ["## Where it is measured\n",
                 "Every grid case where it applies runs the framework against the textbook and against this "
                 "variant: the report's *Explained divergences* chapter gives, per case and framework, the predicted "
                 "size (|variant - textbook|) beside the measured one (|framework - textbook|), and "
                 "`python -m parity check` lists it with both sizes for a model of your own.\n"]
        (folder / f"{convention.id}.md").write_text("\n".join(page), encoding="utf-8")
    index.append("```\n")
    (folder / "index.md").write_text("\n".join(index), encoding="utf-8")


def all_pages(docs: Path) -> None:
    generated = docs / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "reference-api.md").write_text(reference_api(), encoding="utf-8")
    (generated / "tolerances.md").write_text(tolerances(), encoding="utf-8")
    conventions(generated / "conventions")
