"""``parity.report.figures``: the SVG figures say what the document says, and stay small."""

import math
from xml.etree import ElementTree

from parity.report import figures

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str):
    return ElementTree.fromstring(figures.standalone(svg))


def _result(framework, layer, quantity, ulps, status="pass", step=0):
    return {"framework": framework, "layer": layer, "quantity": quantity, "ulps": ulps, "variant_ulps": None,
            "status": status, "budget_ulps": 16.0, "step": step}


CASE = {
    "name": "tiny", "layers": [2, 3, 1], "dtype": "float32", "steps": 2,
    "frameworks": {"torch": {}, "keras": {}},
    "results": [_result("torch", 1, "Z", 0.5), _result("torch", 1, "Z", 3.25, step=1), _result("torch", 2, "dW", 0.0),
                _result("keras", 1, "Z", 40.0), _result("keras", 2, "W", 1.5, "explained"),
                _result("torch", None, "J", 99.0)],
}


def _texts(svg: str) -> list[str]:
    return [element.text for element in _parse(svg).iter(f"{SVG}text")]


def test_the_heatmap_prints_each_cells_worst_error_over_steps_and_marks_explained_ones():
    texts = _texts(figures.error_heatmap(CASE))
    assert "3.2" in texts and "0.5" not in texts  # torch Z[1]: the worse of its two steps
    assert "40" in texts and "1.5*" in texts  # beyond tolerance; explained
    assert "0" not in texts  # an exact zero is a cell of the darkest shade without a number (LABEL_FLOOR_ULPS)
    assert "99" not in texts  # J has no layer: it is not a heatmap cell
    assert {"torch", "keras", "Z", "dW", "W", "l=1", "l=2"} <= set(texts)


def test_the_heatmap_shades_follow_the_log_scale_and_white_text_marks_what_is_under_tolerance():
    root = _parse(figures.error_heatmap(CASE))
    groups = {element.get("class"): [t.text for t in element] for element in root.iter(f"{SVG}g")}
    assert "40" in groups["s"] and "3.2" in groups["s w"] and "0" not in groups["s w"]
    shades: dict[str, int] = {}
    for element in root.iter(f"{SVG}path"):
        if element.get("class", "").startswith("h"):
            shades[element.get("class")] = shades.get(element.get("class"), 0) + element.get("d").count("M")
    top = math.log10(16) + 1  # 0.01 ulps is shade 0, ten times the tolerance the last one
    expected = round((math.log10(40) + 2) / (top + 2) * (figures._SHADES - 1))
    assert shades[f"h{expected}"] >= 2  # the cell itself and its swatch in the colour scale
    assert shades["h0"] >= 2  # the exact zero, drawn at 0.01 ulps, and its swatch


def test_line_charts_draw_one_line_per_implementation_with_a_legend():
    costs = {"reference": [0.7, 0.6, 0.5], "torch": [0.7, 0.6, 0.5]}
    svg = figures.cost_curves(costs, "tiny: cost per step")
    root = _parse(svg)
    lines = [p for p in root.iter(f"{SVG}path") if p.get("class") == "ln"]
    assert len(lines) == 4  # two curves, two legend swatches
    assert {"reference", "torch", "cost J", "step"} <= set(_texts(svg))


def test_drift_is_drawn_on_a_log_axis_with_the_dtypes_epsilon():
    case = {**CASE, "steps": 3, "drift": {"torch": {"J": [0.0, 1e-7, 2e-7], "W[1]": [1e-8, 1e-7, 1e-6],
                                                    "b[1]": [0.0, 0.0, 0.0]}}}
    texts = _texts(figures.trajectory_drift(case))
    assert "eps (float32)" in texts and "torch: W, b" in texts and "torch: J" in texts
    assert any(t and t.startswith("1e-") for t in texts)  # decade ticks


def test_a_standalone_file_carries_the_stylesheet_and_figures_stay_small():
    svg = figures.error_heatmap(CASE)
    assert "<style>" not in svg and "<style>" in figures.standalone(svg)
    assert len(svg) < 4000
