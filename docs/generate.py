"""The documentation's generated pages, written into ``docs/generated/`` when the build starts (``conf.py``): what
the code holds, read from the code, so that no page can drift from it.

    generated/reference-api.md        every name the ``reference`` package exports: signature and docstring
    generated/bench-figures.md        the last benchmark's environment, targets and overhead, from docs/bench/bench.json
    generated/grid-figures.md         the grid's counts and worst errors, from the certified baseline that ships
    generated/tolerances.md           every tolerance of ``parity/tolerance.py`` with the comment that gives its reason
    generated/conventions/<id>.md     one page per explained convention (``parity.conventions``): the frameworks it
                                      applies to, its explanation, and the setting that removes it
                                      (its record's ``remedy``)
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


def measurements() -> dict:
    """For each convention, its first grid case of several steps (else of one) where it applies to an installed
    framework, run there (the runs ``parity.memo`` remembers are read): ({id: (case, [explained results])}, the
    installed frameworks' defaults)."""
    from parity.environment import configure

    configure()  # before any framework is imported
    from parity.case import GRID
    from parity.conventions import CONVENTIONS
    from parity.frameworks import REGISTRY, framework_applies
    from parity.harness import run_cases, runtime_defaults

    defaults = {}
    for name in REGISTRY:
        try:
            defaults[name] = runtime_defaults(name)
        except ImportError:
            continue
    chosen = {}
    several_steps = sorted(GRID, key=lambda case: case.steps < 3)  # a case of several steps first, for the figure
    for convention in CONVENTIONS:
        for case in several_steps:
            names = [f for f in convention.frameworks if f in defaults and framework_applies(case, f)
                     and not defaults[f].get("unsupported_dtypes", {}).get(case.dtype)
                     and convention.applies(case, f, defaults[f])]
            if names:
                chosen[convention.id] = (case, names)
                break
    cases = list({case.name: case for case, _ in chosen.values()}.values())
    frameworks = sorted({f for _, names in chosen.values() for f in names})
    outcomes = {o.case.name: o for o in run_cases(cases, frameworks, drift=False, remember=True)}
    out = {}
    for id_, (case, names) in chosen.items():
        variants = outcomes[case.name].variants
        # the framework where this convention is the most alone among those its variant follows
        name = min(names, key=lambda f: len(variants.get(f, ())))
        out[id_] = (case, [r for r in outcomes[case.name].results if r.framework == name
                           and r.status == "explained" and id_ in r.conventions])
    return out, defaults


def _measured(case, results: list) -> list[str]:
    from parity.report.figures import convention_sizes, standalone

    if not results:
        return [f"In `{case.name}`, where it applies, the difference stayed within the tolerance: a pass.\n"]
    steps = sorted({r.step for r in results})
    predicted = [max(r.predicted_max_abs or 0.0 for r in results if r.step == s) for s in steps]
    measured = [max(r.max_abs for r in results if r.step == s) for s in steps]
    worst = sorted(results, key=lambda r: -r.max_abs)[:6]
    rows = [f"| {r.framework} | {r.quantity}{'' if r.layer is None else f'[{r.layer}]'} | {r.step} | "
            f"{r.predicted_max_abs or 0.0:.3g} | {r.max_abs:.3g} |" for r in worst]
    svg = standalone(convention_sizes(steps, predicted, measured, f"{case.name}, {results[0].framework}: the largest "
                                                                  f"difference at each step"))
    return [f"Measured at this build in the grid case `{case.name}`, {results[0].framework} ({len(results)} quantities "
            f"explained, by this convention and those listed with it); the "
            f"largest differences from the textbook, predicted (|variant - textbook|) and measured "
            f"(|framework - textbook|):\n",
            "| framework | quantity | step | predicted | measured |", "|---|---|---|---|---|", *rows, "",
            "```{raw} html\n" + svg + "\n```\n"]


def conventions(folder: Path) -> None:
    from parity import frameworks
    from parity.conventions import CONVENTIONS, explain

    measured, defaults = measurements()

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
                "## What the framework computes, and why\n",
                explain(convention, defaults).strip() + " (Defaults as installed at this build.)\n"]
        page += ["## The setting that removes it\n", convention.remedy + ".\n"]
        page += ["## Predicted and measured\n"]
        if convention.id in measured:
            page += _measured(*measured[convention.id])
        else:
            page.append("No installed framework it applies to: nothing measured at this build.\n")
        page.append("Every grid case where it applies is measured the same way in the report's *Explained "
                    "divergences* chapter, and `python -m parity check` lists it for a model of your own.\n")
        (folder / f"{convention.id}.md").write_text("\n".join(page), encoding="utf-8")
    index.append("```\n")
    (folder / "index.md").write_text("\n".join(index), encoding="utf-8")


def grid_figures() -> str:
    """The grid's counts and worst errors by status and dtype, read from the certified baseline that ships
    (``parity/baselines/certified.json``), with the environment that produced it."""
    from parity import baseline
    from parity.tolerance import parity_ulps

    record = baseline.read("certified")
    names = {letter: status for status, letter in baseline.STATUSES.items()}
    counts: dict[str, int] = {}
    worst: dict[str, float] = {}
    for case_name, case in record["cases"].items():
        dtype = case_name.rsplit("-", 1)[-1]
        for results in case["results"].values():
            for status, ulps in results.values():
                counts[names.get(status, status)] = counts.get(names.get(status, status), 0) + 1
                if status == "p":
                    worst[dtype] = max(worst.get(dtype, 0.0), float(ulps))
    env = record["environment"]
    packages = ", ".join(f"{k} {env[k]}" for k in ("numpy", "torch", "tensorflow", "keras", "jax", "optax") if k in env)
    total = sum(counts.values())
    return (f"The certified baseline that ships (`parity/baselines/certified.json`, read at this build): "
            f"{len(record['cases'])} cases, {total:,} step-local comparisons: "
            + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            + "; the largest error of a pass, in ulps of its error scale: "
            + ", ".join(f"{dtype} {value:.3g} (tolerance {parity_ulps(dtype):g})"
                        for dtype, value in sorted(worst.items()))
            + f". Environment: Python {env.get('python')}, {env.get('cpu')} ({env.get('cpu_count')} cores), "
            f"{packages}, BLAS {env.get('blas')}.\n")


def bench_figures(docs: Path) -> str:
    """The last benchmark (``docs/bench/bench.json``, which ``python -m parity bench --format json,md --out
    docs/bench`` writes with ``bench.md``): its environment, targets, and the parity check's own cost."""
    import json

    bench = json.loads((docs / "bench" / "bench.json").read_text(encoding="utf-8"))
    env = bench["environment"]
    lines = [f"Run on {env.get('cpu')} ({env.get('cpu_count')} cores), Python {env.get('python')}, numpy "
             f"{env.get('numpy')}, torch {env.get('torch')}, tensorflow {env.get('tensorflow')}, keras "
             f"{env.get('keras')}, jax {env.get('jax')}; GEMM rate "
             + ", ".join(f"{dtype} {rate:.0f} GFLOP/s" for dtype, rate in bench["gemm_gflops"].items()) + ".\n",
             "Targets (`bench.json`'s `targets`):\n"]
    lines += [f"- {t['target']}: **{'met' if t['met'] else 'missed'}** ({t['detail']})" for t in bench["targets"]]
    overhead, suite = bench.get("parity_overhead"), bench.get("suite")
    if overhead:
        lines.append(f"\nThe parity check itself (`parity_overhead`): one case (`{overhead['case']}`, frameworks "
                     f"{', '.join(overhead['frameworks'])}) costs {overhead['overhead_ms']:.0f} ms beyond the "
                     f"frameworks' own {overhead['frameworks_ms']:.0f} ms (the reference's run, its error scales "
                     f"and the comparisons).")
    if suite:
        lines.append(f"The grid as it was then (`suite`), every framework, nothing remembered, without rendering: "
                     f"{suite['cases']} cases, {suite['comparisons']:,} comparisons in {suite['seconds']:.0f} s "
                     f"({suite['cases_per_second']:.1f} cases/s).")
    return "\n".join(lines) + "\n"


def all_pages(docs: Path) -> None:
    generated = docs / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "reference-api.md").write_text(reference_api(), encoding="utf-8")
    (generated / "tolerances.md").write_text(tolerances(), encoding="utf-8")
    (generated / "grid-figures.md").write_text(grid_figures(), encoding="utf-8")
    (generated / "bench-figures.md").write_text(bench_figures(docs), encoding="utf-8")
    conventions(generated / "conventions")
