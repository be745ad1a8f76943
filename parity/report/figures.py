"""Figures for the reports, drawn from the report documents (never from recomputed numbers), as PNG bytes.

matplotlib is imported here only, with the non-interactive Agg backend, so reports render on machines with
no display.
"""

from __future__ import annotations

import io

import numpy as np

from parity.frameworks import REGISTRY
from parity.trace import QUANTITIES, STAGES

QUANTITY_ROWS = tuple(q for stage in STAGES for q in QUANTITIES[stage] if q not in ("J", "t"))  # per layer
STYLES = {"reference": ("black", "-", "o"), **{name: row.style for name, row in REGISTRY.items()}}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _measured_ulps(result: dict) -> float:
    """The error against what the framework documents (its variant where one exists), in ulps."""
    value = result["variant_ulps"] if result.get("variant_ulps") is not None else result["ulps"]
    return float(value) if not isinstance(value, str) else float("inf")


def error_heatmap(case: dict) -> bytes:
    """Worst error (over all steps) per layer and quantity, one panel per framework, log colour scale."""
    plt = _pyplot()
    frameworks = list(case["frameworks"])
    L = len(case["layers"]) - 1
    figure, axes = plt.subplots(1, len(frameworks), figsize=(1.2 + 1.1 * L * len(frameworks), 3.4), squeeze=False)
    budget = max((r["budget_ulps"] for r in case["results"]), default=16)
    rows = [q for q in QUANTITY_ROWS if any(r["quantity"] == q for r in case["results"])]
    for axis, framework in zip(axes[0], frameworks, strict=True):
        grid = np.full((len(rows), L), np.nan)
        explained = np.zeros_like(grid, dtype=bool)
        for r in case["results"]:
            if r["framework"] != framework or r["layer"] is None:
                continue
            i, j = rows.index(r["quantity"]), r["layer"] - 1
            grid[i, j] = np.nanmax([grid[i, j], _measured_ulps(r)])
            explained[i, j] |= r["status"] == "explained"
        shown = np.log10(np.maximum(grid, 1e-2))
        image = axis.imshow(shown, vmin=-2, vmax=np.log10(budget) + 1, cmap="viridis", aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            if not np.isnan(value):
                label = f"{value:.2g}" + ("*" if explained[i, j] else "")
                axis.text(j, i, label, ha="center", va="center", fontsize=7,
                          color="white" if shown[i, j] < np.log10(budget) else "black")
        axis.set_xticks(range(L), [f"l={l}" for l in range(1, L + 1)])
        axis.set_yticks(range(len(rows)), rows)
        axis.set_title(framework, fontsize=9)
    figure.colorbar(image, ax=list(axes[0]), label=f"log10 ulps (tolerance {budget:g} ulps = {np.log10(budget):.1f})")
    figure.suptitle("worst error per layer and quantity (* explained by a convention)", fontsize=9)
    return _png(figure)


def cost_curves(costs: dict[str, list[float]], title: str, xlabel: str = "step") -> bytes:
    """The cost J of every implementation at every step, overlaid (distinct line styles show agreement)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 3.0))
    for name, values in costs.items():
        colour, style, marker = STYLES.get(name, ("gray", "-", "."))
        steps = np.arange(len(values))
        axis.plot(steps, values, linestyle=style, color=colour, label=name,
                  marker=marker if len(values) <= 30 else None, markersize=4, markerfacecolor="none")
    axis.set_xlabel(xlabel)
    axis.set_ylabel("cost J")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=8)
    return _png(figure)


def trajectory_drift(case: dict) -> bytes:
    """Each framework's free-running drift from the reference at each step, log scale: solid, the largest over
    the parameters W[l], b[l]; dotted, the cost J."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 3.0))
    tiny = np.finfo(np.dtype(case["dtype"])).eps / 100  # exact agreement, drawn just below the dtype's epsilon
    for framework, series in case["drift"].items():
        colour, style, marker = STYLES.get(framework, ("gray", "-", "."))
        steps = np.arange(case["steps"])
        params = np.max([np.asarray(v, dtype=float) for k, v in series.items() if k != "J"], axis=0)
        axis.semilogy(steps, np.maximum(params, tiny), linestyle=style, color=colour, marker=marker, markersize=4,
                      markerfacecolor="none", label=f"{framework}: W, b")
        axis.semilogy(steps, np.maximum(np.asarray(series["J"], dtype=float), tiny), linestyle=":", color=colour,
                      linewidth=1, label=f"{framework}: J")
    axis.axhline(np.finfo(np.dtype(case["dtype"])).eps, color="gray", linewidth=1, label=f"eps ({case['dtype']})")
    axis.set_xlabel("step")
    axis.set_ylabel("relative drift from the reference")
    axis.set_title("free-running trajectories: drift (a measurement, not a verdict)", fontsize=9)
    axis.legend(fontsize=7)
    return _png(figure)


def drift_curves(runs: dict, record_every: int) -> bytes:
    """Relative parameter drift of each framework from the reference, log scale."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 3.0))
    for name, run in runs.items():
        if run.get("drift"):
            colour, style, marker = STYLES.get(name, ("gray", "-", "."))
            axis.semilogy(run["drift_iterations"], np.maximum(np.asarray(run["drift"], dtype=float), 1e-17),
                          linestyle=style, color=colour, label=name)
    axis.set_xlabel(f"iteration (recorded every {record_every})")
    axis.set_ylabel("max |P - P_ref| / max |P_ref|")
    axis.set_title("parameter drift from the reference", fontsize=9)
    axis.legend(fontsize=8)
    return _png(figure)
