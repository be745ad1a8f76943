"""Figures for the reports, drawn from the report documents (never from recomputed numbers), as SVG text.

Each figure is a few kilobytes of vector markup written here directly (no plotting library, no rasterising):
the HTML report inlines it, the Markdown report links it as ``figures/NAME.svg``. Every figure uses the same
small stylesheet (``STYLE``); the HTML page declares it once, a standalone file carries its own copy.

Three kinds: the heatmap of each case's worst error per layer and quantity (its cells print the number, so the
figure is also a table), and line charts of the cost and of the free-running drift (log scale) per step.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from parity.frameworks import REGISTRY
from parity.trace import QUANTITIES, STAGES, UNLAYERED

QUANTITY_ROWS = tuple(q for stage in STAGES for q in QUANTITIES[stage] if q not in UNLAYERED)  # per layer
STYLES = {"reference": ("#000000", "", "circle"), **{name: row.style for name, row in REGISTRY.items()}}

# The classes every figure uses; html.py puts it in the page once, standalone() in each file.
STYLE = (".f text{font:10px sans-serif;fill:#222}.f .s{font-size:8px}.f .t{font-size:11px}.f .w,.f .w text{fill:#fff}"
         ".f .ax{stroke:#444;fill:none}.f .g{stroke:#ddd}.f .ln{fill:none;stroke-width:1.5}")

# viridis at 9 evenly spaced points (matplotlib's colormap data), interpolated linearly between them
_VIRIDIS = ((68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129),
            (92, 200, 99), (170, 220, 50), (253, 231, 37))


def _colour(fraction: float) -> str:
    """viridis at ``fraction`` in [0, 1], as #rrggbb."""
    x = min(max(fraction, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    t = x - i
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(_VIRIDIS[i], _VIRIDIS[i + 1], strict=True))


def _n(value: float) -> str:
    """A coordinate to a tenth of a pixel, without a trailing .0."""
    return f"{round(value, 1):g}"


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "", extra: str = "") -> str:
    cls_attr = f' class="{cls}"' if cls else ""
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{anchor_attr}{cls_attr}{extra}>{html.escape(text)}</text>'


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg class="f" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img"><title>{html.escape(title)}</title>'
            + "".join(body) + "</svg>")


def standalone(svg: str) -> str:
    """``svg`` as a file of its own: its namespace (HTML's inline SVG needs none) and the shared stylesheet."""
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1).replace(
        "</title>", f"</title><style>{STYLE}</style>", 1)


def _measured_ulps(result: dict) -> float:
    """The error against what the framework documents (its variant where one exists), in ulps."""
    value = result["variant_ulps"] if result.get("variant_ulps") is not None else result["ulps"]
    return float(value) if not isinstance(value, str) else float("inf")


def _label(value: float) -> str:
    """A cell's ulps in a few characters: two significant digits, one below the colour scale's 0.01 floor."""
    if math.isinf(value):
        return "inf"
    if 0 < value < 0.01:
        return f"{value:.0e}".replace("e-0", "e-")
    return f"{value:.2g}".replace("e+0", "e").replace("e+", "e")


LABEL_FLOOR_ULPS = 0.1  # heatmap cells below it (exact, or within a tenth of an ulp) carry no number
_SHADES = 12  # the heatmap's colour classes .h0 .. .h11: viridis from 0.01 ulps to ten times the tolerance
# a shade fills the colour scale's swatches and strokes the heatmap's cells: a cell is one horizontal stroke of
# the cell's height ("M x y h w", see error_heatmap), a few bytes where a closed rectangle takes three times more
STYLE += "".join(f".f .h{k}{{fill:{_colour(k / (_SHADES - 1))};stroke:{_colour(k / (_SHADES - 1))}}}"
                 for k in range(_SHADES))


def error_heatmap(case: dict) -> str:
    """Worst error (over all steps) per layer and quantity, one panel per framework, log colour scale in
    ``_SHADES`` steps: from 0.01 ulps (dark) to ten times the tolerance (yellow); each cell prints its ulps, *
    when a convention explains it. Cells of one shade are one path, so a figure stays a few kilobytes."""
    frameworks = list(case["frameworks"])
    L = len(case["layers"]) - 1
    budget = max((r["budget_ulps"] for r in case["results"]), default=16)
    rows = [q for q in QUANTITY_ROWS if any(r["quantity"] == q for r in case["results"])]
    cell_w, cell_h, top, gap = 34, 15, 30, 10
    left = max(34, 5 * max(map(len, rows), default=0) + 6)  # room for the longest row label (running_mean)
    top_scale = math.log10(budget) + 1
    body = [_text(4, 12, "worst error per layer and quantity, in ulps (* explained by a convention)", cls="t")]
    shades: dict[int, list[str]] = {}
    labels: dict[bool, list[str]] = {True: [], False: []}  # white text (dark cells), black text
    axis: list[str] = []
    for p, framework in enumerate(frameworks):
        x0 = left + p * (L * cell_w + gap)
        body.append(_text(x0 + L * cell_w / 2, top - 4, framework, "middle"))
        worst: dict[tuple[int, int], float] = {}
        explained: set[tuple[int, int]] = set()
        for r in case["results"]:
            if r["framework"] != framework or r["layer"] is None:
                continue
            cell = (rows.index(r["quantity"]), r["layer"] - 1)
            worst[cell] = max(worst.get(cell, -1.0), _measured_ulps(r))
            if r["status"] == "explained":
                explained.add(cell)
        for (i, j), value in sorted(worst.items()):
            shown = math.log10(max(value, 1e-2)) if not math.isinf(value) else top_scale
            x, y = x0 + j * cell_w, top + i * cell_h
            shade = round(min(max((shown + 2) / (top_scale + 2), 0.0), 1.0) * (_SHADES - 1))
            shades.setdefault(shade, []).append(f"M{x} {y + cell_h / 2:g}h{cell_w}")
            if value >= LABEL_FLOOR_ULPS or (i, j) in explained:  # below it a cell's shade says enough
                labels[shown < math.log10(budget)].append(
                    f'<text x="{x + cell_w // 2}" y="{y + 11}">{_label(value)}{"*" if (i, j) in explained else ""}'
                    '</text>')
        axis += [f'<text x="{_n(x0 + (j + 0.5) * cell_w)}" y="{top + len(rows) * cell_h + 11}">l={j + 1}</text>'
                 for j in range(L)]
    body += [f'<path class="h{k}" stroke-width="{cell_h}" d="{"".join(cells)}"/>'
             for k, cells in sorted(shades.items())]
    body += [f'<g class="s{" w" * white}" text-anchor="middle">{"".join(texts)}</g>'
             for white, texts in labels.items() if texts]
    body.append(f'<g class="s l" text-anchor="middle">{"".join(axis)}</g>')  # the layers under each panel
    body.append('<g class="s q" text-anchor="end">' + "".join(
        f'<text x="{left - 3}" y="{top + i * cell_h + 11}">{quantity}</text>' for i, quantity in enumerate(rows))
        + "</g>")
    width = left + len(frameworks) * (L * cell_w + gap) + 6
    scale_y = top + len(rows) * cell_h + 20
    body.append('<g stroke-width="8">' + "".join(f'<path class="h{k}" d="M{left + k * 14} {scale_y + 4}h14"/>'
                                                 for k in range(_SHADES)) + "</g>")  # the scale's swatches
    legend = (f"0.01 .. {_label(10 * budget)} ulps; white text: under the tolerance, {budget:g}; "
              f"no text: under {LABEL_FLOOR_ULPS:g}")
    body.append(_text(left + _SHADES * 14 + 4, scale_y + 8, legend, cls="s"))
    # wide enough for the legend too: 8 px sans-serif runs at most 5 px a character (a browser measured 4.6)
    needed = left + _SHADES * 14 + 4 + 5 * len(legend)
    return _svg(max(width, 420, needed), scale_y + 14, body, f"{case['name']}: worst error per layer and quantity")


def _ticks(low: float, high: float, log: bool) -> list[float]:
    if log:
        return [10.0 ** e for e in range(math.floor(low), math.ceil(high) + 1)]
    span = high - low
    step = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 5:
            step *= factor
            break
    start = math.floor(low / step) * step
    return [start + k * step for k in range(int(round((high - start) / step)) + 1)]


_DASHES = {"-": "", "--": "6 3", ":": "1.5 2", "-.": "6 2 1.5 2"}


def _marker(shape: str, x: float, y: float) -> str:
    """The path data of one marker at (x, y): a series' markers are one path, so each costs a few bytes."""
    if shape == "square":
        return f"M{x - 2.5:.1f} {y - 2.5:.1f}h5v5h-5z"
    if shape == "triangle":
        return f"M{x:.1f} {y - 3:.1f}l3 5.5h-6z"
    if shape == "diamond":
        return f"M{x:.1f} {y - 3.5:.1f}l3 3.5l-3 3.5l-3-3.5z"
    if shape == "cross":
        return f"M{x - 2.5:.1f} {y - 2.5:.1f}l5 5m0-5l-5 5"
    return f"M{x - 2.5:.1f} {y:.1f}a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0"  # a circle, as two arcs


@dataclass(frozen=True)
class _Plot:
    """A line chart's plotting area: the data ranges [x_low, x_high] x [y_low, y_high] (y in log10 of the value
    where ``log``) mapped linearly onto the rectangle of ``width`` x ``height`` pixels at (left, top), y down."""

    x_low: float
    x_high: float
    y_low: float
    y_high: float
    log: bool
    left: int
    top: int
    width: int
    height: int

    def px(self, x: float) -> float:
        """px = left + (x - x_low) / (x_high - x_low) * width."""
        return self.left + (x - self.x_low) / (self.x_high - self.x_low) * self.width

    def py(self, y: float) -> float:
        """py = top + (y_high - v) / (y_high - y_low) * height, with v = log10(y) on a log axis, else y."""
        value = math.log10(y) if self.log else y
        return self.top + (self.y_high - value) / (self.y_high - self.y_low) * self.height


def _line_chart(series: list[tuple[str, list[float], list[float], tuple, str]], title: str, xlabel: str,
                ylabel: str, log: bool = False, hline: tuple[float, str] | None = None) -> str:
    """Lines (label, x, y, (colour, dashes, marker), extra dashes) on shared axes; ``log`` for a log y axis."""
    width, height, left, right, top, bottom = 560, 230, 58, 170, 22, 36
    plot = _Plot(*_data_ranges(series, log, hline), log, left, top, width - left - right, height - top - bottom)
    body = [_text(left, 14, title, cls="t"), *_axes(plot, xlabel, ylabel, height)]
    if hline:
        y = plot.py(hline[0])
        body.append(f'<path d="M{left} {y:.1f}h{plot.width}" stroke="#888"/>')
        series = [*series, (hline[1], [], [], ("#888888", "-", ""), "")]
    for k, line in enumerate(series):
        body += _series_marks(plot, line, width - right, top + 6 + k * 13)
    return _svg(width, max(height, top + 12 + len(series) * 13), body, title)


def _data_ranges(series: list[tuple], log: bool, hline: tuple[float, str] | None) -> tuple[float, ...]:
    """(x_low, x_high, y_low, y_high) over every series' finite points and the horizontal line: an empty range
    widened to one unit (x, log y) or to 5% of the value (linear y); a log axis out to whole decades, a linear
    one padded by 5% of its span each side."""
    xs = [x for _, x_values, _, _, _ in series for x in x_values]
    ys = [y for _, _, y_values, _, _ in series for y in y_values if np.isfinite(y)]
    if hline:
        ys.append(hline[0])
    if log:
        ys = [math.log10(y) for y in ys if y > 0]
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y_low, y_high = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if x_high == x_low:
        x_high = x_low + 1
    if y_high == y_low:
        widen = 1.0 if log else abs(y_low) * 0.05 + 1e-12
        y_low, y_high = y_low - widen, y_high + widen
    if log:
        y_low, y_high = math.floor(y_low), math.ceil(y_high)
    pad = 0.0 if log else (y_high - y_low) * 0.05
    return x_low, x_high, y_low - pad, y_high + pad


def _axes(plot: _Plot, xlabel: str, ylabel: str, height: int) -> list[str]:
    """The plotting area's frame, the y grid lines with their labels (1eN on a log axis), the whole-number x
    ticks' labels, and the two axis labels (the y one rotated), for a figure ``height`` pixels high."""
    left, top = plot.left, plot.top
    body = [f'<rect class="ax" x="{left}" y="{top}" width="{plot.width}" height="{plot.height}"/>']
    for tick in _ticks(plot.y_low, plot.y_high, plot.log):
        value = math.log10(tick) if plot.log else tick
        if plot.y_low - 1e-9 <= value <= plot.y_high + 1e-9:
            y = plot.py(tick)
            body.append(f'<path class="g" d="M{left} {y:.1f}h{plot.width}"/>')
            body.append(_text(left - 4, y + 3, f"1e{round(value)}" if plot.log else f"{tick:.4g}", "end", "s"))
    for tick in _ticks(plot.x_low, plot.x_high, False):
        if plot.x_low - 1e-9 <= tick <= plot.x_high + 1e-9 and float(tick).is_integer():
            body.append(_text(plot.px(tick), top + plot.height + 12, f"{tick:g}", "middle", "s"))
    body.append(_text(left + plot.width / 2, height - 6, xlabel, "middle"))
    middle = top + plot.height / 2
    body.append(_text(12, middle, ylabel, "middle", extra=f' transform="rotate(-90 12 {middle:.1f})"'))
    return body


def _series_marks(plot: _Plot, line: tuple, legend_x: int, legend_y: int) -> list[str]:
    """One series (label, x, y, (colour, dashes, marker), extra dashes): its line through the finite points
    (positive ones on a log axis), its markers where it has 30 points or fewer, and its legend entry at
    (legend_x, legend_y)."""
    label, x_values, y_values, (colour, dashes, marker), extra = line
    dash = extra or _DASHES.get(dashes, dashes)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    points = [(plot.px(x), plot.py(y)) for x, y in zip(x_values, y_values, strict=True)
              if np.isfinite(y) and (not plot.log or y > 0)]
    body = []
    if points:
        path = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points)
        body.append(f'<path class="ln" d="{path}" stroke="{colour}"{dash_attr}/>')
        if marker and len(points) <= 30:
            markers = "".join(_marker(marker, x, y) for x, y in points)
            body.append(f'<path d="{markers}" fill="none" stroke="{colour}"/>')
    body.append(f'<path class="ln" d="M{legend_x + 8} {legend_y}h22" stroke="{colour}"{dash_attr}/>')
    body.append(_text(legend_x + 34, legend_y + 3, label, cls="s"))
    return body


def cost_curves(costs: dict[str, list[float]], title: str, xlabel: str = "step") -> str:
    """The cost J of every implementation at every step, overlaid (distinct line styles show agreement)."""
    series = [(name, list(range(len(values))), [float(v) for v in values], STYLES.get(name, ("#7f7f7f", "-", "")), "")
              for name, values in costs.items()]
    return _line_chart(series, title, xlabel, "cost J")


def convention_sizes(steps: list[int], predicted: list[float], measured: list[float], title: str) -> str:
    """A convention's predicted size (|variant - textbook|) and measured one (|framework - textbook|) at each step,
    the largest over its explained quantities, on a log axis: the two lie on each other when the convention
    accounts for the whole difference (the documentation's convention pages)."""
    series = [("predicted", steps, predicted, ("#1f77b4", "-", "circle"), ""),
              ("measured", steps, measured, ("#d62728", "4,3", "cross"), "")]
    return _line_chart(series, title, "step", "max abs difference", log=True)


def trajectory_drift(case: dict) -> str:
    """Each framework's free-running drift from the reference at each step, log scale: solid, the largest over
    the parameters W[l], b[l]; dotted, the cost J."""
    eps = float(np.finfo(np.dtype(case["dtype"])).eps)
    tiny = eps / 100  # exact agreement, drawn just below the dtype's epsilon
    series = []
    for framework, drift in case["drift"].items():
        style = STYLES.get(framework, ("#7f7f7f", "-", ""))
        steps = list(range(case["steps"]))
        params = np.max([np.asarray(v, dtype=float) for k, v in drift.items() if k != "J"], axis=0)
        series.append((f"{framework}: W, b", steps, [max(float(v), tiny) for v in params], style, ""))
        if "J" in drift:  # left out where the framework reports another J by convention (l2-as-weight-decay)
            series.append((f"{framework}: J", steps, [max(float(v), tiny) for v in drift["J"]], (style[0], "", ""),
                           "1.5 2"))
    return _line_chart(series, "free-running trajectories: drift (a measurement, not a verdict)", "step",
                       "relative drift", log=True, hline=(eps, f"eps ({case['dtype']})"))


def drift_curves(runs: dict, record_every: int) -> str:
    """Relative parameter drift of each framework from the reference, log scale."""
    series = [(name, list(run["drift_iterations"]), [max(float(v), 1e-17) for v in run["drift"]],
               (*STYLES.get(name, ("#7f7f7f", "-", ""))[:2], ""), "")  # no markers: hundreds of points
              for name, run in runs.items() if run.get("drift")]
    return _line_chart(series, "parameter drift from the reference", f"iteration (recorded every {record_every})",
                       "max |P - P_ref| / max |P_ref|", log=True)
