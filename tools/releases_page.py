"""``docs/releases.md``: what each release of NumPy, JAX, PyTorch, Keras and TensorFlow changed on the grid.

Rendered by ``python tools/release_ladder.py render`` from the rungs' baseline records (``docs/releases/``) and
the certified baseline, with ``parity.diff`` between neighbouring releases of one package (the older one first,
so each entry reads as an upgrade). Every number on the page comes from those records; the causes are the ones
found in each release's source or changelog (``CAUSES``), and a rung without one says so.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from parity import baseline
from parity.diff import Diff, diff

# (package, older release, newer release) -> what in the newer release explains the diff, with where it was found.
CAUSES: dict[tuple[str, str, str], str] = {
    ("numpy", "2.3.5", "2.4.6"): (
        "the reference's own float32 matrix-vector product. NumPy's wheels bundle OpenBLAS (the records' `blas`: "
        "0.3.30.0.7 in 2.3.5, 0.3.31.188.0 in 2.4.6), and only the case with one sample (`depth3-m1`, where "
        "`W[1] @ X` is a matrix times a vector, OpenBLAS's sgemv) changed: `W[1] @ X` for its 6 -> 5 layer "
        "differs in 2 of 5 elements between the two releases. Since the reference moved, every framework's error "
        "on the same four step-0 quantities moved with it, within noise."),
    ("numpy", "2.4.6", "2.5.5"): (
        "the same sgemv, back: NumPy 2.5.5 bundles OpenBLAS 0.3.34.237.2, whose `W[1] @ X` for `depth3-m1` is "
        "bit-identical to 2.3.5's (0.3.30.0.7) and differs from 2.4.6's in the same 2 of 5 elements."),
    ("jax", "0.11.2", "0.12.0.1"): (
        "XLA:CPU's float32 matrix product. In both releases a float32 dot compiles to a YNNPACK fusion "
        "(`ynn_fusion` in `jax.jit(f).lower(...).compile().as_text()`). With the batch as rows, as the JAX "
        "adapter and Keras on JAX compute a layer (`X.T @ W.T`, both operands row-major), jaxlib 0.11.2's product "
        "of a 12 -> 20 layer at m = 64 differs from NumPy's OpenBLAS in 790 of 1,280 elements and jaxlib 0.12.0.1's "
        "in none (`W @ X` agrees in both). So the YNNPACK that jaxlib 0.12 bundles accumulates these shapes in "
        "the order OpenBLAS does: Z[1] (a product of the data alone) went from 1-2 ulps to exactly 0; later "
        "layers' products changed within noise. JAX's changelog names no CPU numerics change; the XLA revision "
        "jaxlib pins moved."),
    ("jax", "0.10.2", "0.11.2"): (
        "rounding within noise in the backward pass of JAX and of Keras on JAX (the products and sums behind dW, "
        "db and dZ, in float32 and float64); no forward quantity changed and nothing moved beyond noise. JAX's "
        "changelog for 0.11.0 names no CPU numerics change (it drops Python 3.11 and NumPy 2.0); the XLA revision "
        "jaxlib pins moved."),
    ("keras", "3.13.2", "3.14.1"): (
        "`keras.regularizers.L2`. Keras 3.13.2's `L2.__call__` returns `self.l2 * ops.sum(ops.square(x))`, the "
        "Python float exact in a float64 model; Keras 3.14.1's returns `ops.cast(self.l2, dtype=x.dtype) * "
        "ops.sum(ops.square(x))`, and `ops.cast` of a Python float makes a float32 constant first, so l2 = "
        "lambd / 2m = 0.0175 becomes 0.017500000074505806 and a float64 model's L2 term and its (lambd / m) W come "
        "out 4e-9 relative above the course's (keras/src/regularizers/regularizers.py in each wheel). The "
        "`keras-float32-hyperparameters` convention measures which one the installed Keras does (the default "
        "`l2_factor_float32`) and predicts the float64 L2 cases' divergence only where it happens: they pass "
        "against the course's formula under 3.13 and are explained under 3.14 and later."),
    ("tensorflow", "2.19.1", "2.20.0"): (
        "two things moved at once: TensorFlow 2.19 needs numpy < 2.2, so that rung also runs numpy 2.1.3 (with "
        "OpenBLAS 0.3.27), and TensorFlow's oneDNN went from v3.5.0 to v3.7.3 (`ONEDNN_VERBOSE=1` prints the "
        "version; a float32 `tf.matmul` runs oneDNN's sgemm, `gemm_api`). Only Keras on TensorFlow changed, "
        "so the reference's NumPy computed these cases' numbers the same. The float32 products are oneDNN's; the "
        "float64 activations and dZ[1] that moved are not computed by oneDNN's sgemm and are not traced further "
        "(TensorFlow 2.20's release notes name no CPU numerics change)."),
    ("tensorflow", "2.20.0", "2.21.0"): (
        "not traced: both releases run oneDNN v3.7.3, and the release notes of 2.21.0 name no CPU numerics "
        "change; what changed, within noise, is the backward pass of Keras on TensorFlow (db, dW, dZ) and a "
        "few updated parameters."),
}

_VERSION_FIELDS = ("python", "numpy", "blas", "torch", "triton", "tensorflow", "keras", "jax", "jaxlib", "optax")


def _dtype(case: str) -> str:
    return case.rsplit("-", 1)[-1] if case.endswith(("float32", "float64")) else ""


def _quantity(label: str) -> str:
    """``Z[1] at step 2 (forward)`` -> ``Z[1] (forward)``: one row per quantity, whatever the step."""
    name, _, rest = label.partition(" at step ")
    return f"{name} ({rest.partition('(')[2]}" if "(" in rest else name


def _grouped_table(changes: list[dict], limit: int = 12) -> list[str]:
    """One row per framework, quantity (any step) and dtype: how many results, in which cases, from -> to."""
    groups: dict[tuple, list[tuple[float, float, str]]] = defaultdict(list)
    for m in changes:
        groups[(m["framework"], _quantity(m["key"]), _dtype(m["case"]))].append(
            (float(m["old_ulps"]), float(m["new_ulps"]), m["case"]))
    if not groups:
        return []
    lines = ["| framework | quantity | dtype | results | worst error before (ulps) | after (ulps) |",
             "|---|---|---|---|---|---|"]
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    for (framework, quantity, dtype), moves in ordered[:limit]:
        cases = sorted({case for _, _, case in moves})
        before = f"{min(o for o, _, _ in moves):.3g}-{max(o for o, _, _ in moves):.3g}"
        after = f"{min(n for _, n, _ in moves):.3g}-{max(n for _, n, _ in moves):.3g}"
        shown = ", ".join(cases[:3]) + (f" and {len(cases) - 3} more" if len(cases) > 3 else "")
        lines.append(f"| {framework} | {quantity} | {dtype} | {len(moves)} in {shown} | {before} | {after} |")
    if len(ordered) > limit:
        rest = sum(len(moves) for _, moves in ordered[limit:])
        lines.append(f"| ... | {len(ordered) - limit} more groups | | {rest} | | |")
    return lines


def _below_noise(old: dict, new: dict, d: Diff) -> list[dict]:
    """Results whose status is the same and whose worst error changed (in the records' 3 significant digits)
    without moving beyond the noise rule: a release that rounds some quantity differently, within noise."""
    moved = {(m["case"], m["framework"], m["key"]) for m in d.moved}
    out = []
    for name, case in new["cases"].items():
        for framework, results in case["results"].items():
            before_results = old["cases"].get(name, {}).get("results", {}).get(framework, {})
            for key, (status, ulps) in results.items():
                before = before_results.get(key)
                label = baseline.describe_key(key)
                if before and before[0] == status and before[1] != ulps and (name, framework, label) not in moved:
                    out.append({"case": name, "framework": framework, "key": label, "old_ulps": before[1],
                                "new_ulps": ulps})
    return out


def _versions(record: dict) -> dict[str, str]:
    environment = record.get("environment", {})
    return {name: str(environment.get(name)) for name in _VERSION_FIELDS}


def _entry(package: str, old_name: str, new_name: str, old: dict, new: dict) -> tuple[list[str], dict]:
    d = diff(old, new)
    changed = {name: (a, b) for (name, a), (_, b) in zip(_versions(old).items(), _versions(new).items(),
                                                          strict=True) if a != b}
    below = _below_noise(old, new, d)
    summary = {"package": package, "from": old_name, "to": new_name, "compared": d.compared,
               "verdicts": len(d.verdicts), "statuses": len(d.statuses), "moved": len(d.moved),
               "below": len(below), "regressions": len(d.regressions),
               "versions": ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())}
    lines = [f"### {package}: {old_name} -> {new_name}", ""]
    lines.append(f"Versions that differ: {summary['versions'] or 'none'}. {d.compared:,} quantities compared; "
                 f"{len(d.verdicts)} verdicts and {len(d.statuses)} statuses changed; {len(d.moved)} worst errors "
                 f"moved beyond run-to-run noise and {len(below)} changed within it; {len(d.regressions)} "
                 f"regressions.")
    lines.append("")
    cause = CAUSES.get((package, old_name, new_name))
    if not (d.verdicts or d.statuses or d.moved or below):
        lines += ["Nothing the grid computes changed: every verdict, status and worst error is the same.", ""]
    else:
        lines += [f"**Why:** {cause}" if cause else "**Why:** not yet traced to a change in the release.", ""]
    if d.verdicts:
        lines += ["| case | framework | verdict before | after |", "|---|---|---|---|"]
        lines += [f"| {v['case']} | {v['framework']} | {v['old']} | {v['new']} |" for v in d.verdicts]
        lines.append("")
    if d.statuses:
        lines += ["| case | framework | quantity | status before | after | ulps before -> after |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {s['case']} | {s['framework']} | {s['key']} | {s['old']} | {s['new']} | "
                  f"{s['old_ulps']} -> {s['new_ulps']} |" for s in d.statuses]
        lines.append("")
    if moved := _grouped_table(d.moved):
        lines += ["Worst errors that moved beyond noise, by framework and quantity (any step):", "", *moved, ""]
    if within := _grouped_table(below):
        lines += ["Worst errors that changed within noise (same status; the records keep 3 significant digits):",
                  "", *within, ""]
    return lines, summary


def render(ladder: dict, kept: Path, certified: Path) -> str:
    """The page, from each package's rungs (oldest first) in ``kept`` and the certified baseline."""
    top = baseline.read(certified)
    environment = top.get("environment", {})
    sections, summaries, absent = [], [], []
    for package, steps in ladder.items():
        chain = [(version, kept / f"{package}-{version}.json") for version, _ in steps]
        chain.append((str(environment.get(package) or environment.get(f"{package}-cpu")), certified))
        for (old_name, old_path), (new_name, new_path) in zip(chain, chain[1:], strict=False):
            if not old_path.exists() or not new_path.exists():
                absent.append(f"{package} {old_name} -> {new_name}")
                continue
            lines, summary = _entry(package, old_name, new_name, baseline.read(old_path), baseline.read(new_path))
            sections += lines
            summaries.append(summary)
    head = [
        "# What each release changed",
        "",
        "The grid (every case, every framework, float32 and float64, step by step) run on a ladder of releases: "
        "each rung is the certified set with one package moved to an older release, and each entry below is "
        "`parity diff` between neighbouring releases of that package, read as an upgrade (older -> newer; the "
        "newest is the certified set). A verdict or status change says what a release broke or fixed; a worst "
        "error that moved beyond run-to-run noise (at least a factor 2 and 1 ulp of the error scale, "
        "`parity/tolerance.py`) says that the release computes some quantity with different rounding.",
        "",
        f"Machine: {environment.get('cpu')}, {environment.get('cpu_count')} cores, {environment.get('blas')}, "
        f"Python {environment.get('python')}; certified set: "
        + ", ".join(f"{k} {environment.get(k)}" for k in _VERSION_FIELDS[1:] if environment.get(k)) + ".",
        "",
        "Regenerate: `tox -e releases` (or `python tools/release_ladder.py run --all` then `python "
        "tools/release_ladder.py render`); one rung: `python tools/release_ladder.py run jax-0.11.2`, so a CI "
        "matrix can run the rungs side by side. Generated: do not edit by hand.",
        "",
        "| package | from -> to | quantities compared | verdicts changed | statuses changed | worst errors moved "
        "beyond noise | changed within noise | regressions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    head += [f"| {s['package']} | {s['from']} -> {s['to']} | {s['compared']:,} | {s['verdicts']} | {s['statuses']} "
             f"| {s['moved']} | {s['below']} | {s['regressions']} |" for s in summaries]
    head.append("")
    if absent:
        head += ["Not run yet: " + "; ".join(absent) + ".", ""]
    return "\n".join([*head, "## Each release", "", *sections]).rstrip() + "\n"
