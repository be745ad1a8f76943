"""A report as a list of blocks (headings, paragraphs, tables, figures), built from a report document.

Markdown and HTML render the same blocks (``markdown.py``, ``html.py``), so the two formats always say the same
thing. Everything shown comes from the document: result records, costs, environment and defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from parity.report import figures, teaching


@dataclass
class Heading:
    level: int
    text: str
    anchor: str | None = None


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    name: str
    svg: str  # parity.report.figures' markup, without the shared stylesheet
    caption: str


def _g(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return f"{value:.3g}"


def _ulps(result: dict) -> float:
    value = result["variant_ulps"] if result.get("variant_ulps") is not None else result["ulps"]
    return float(value)


def anchor(name: str) -> str:
    return "case-" + "".join(ch if ch.isalnum() else "-" for ch in name)


def _framework_summary(case: dict, framework: str) -> tuple[str, float, float, list[str]]:
    own = [r for r in case["results"] if r["framework"] == framework]
    worst = max((_ulps(r) for r in own), default=0.0)
    headroom = max((float(r["headroom"]) for r in own), default=0.0)
    explained = sorted({c for r in own if r["status"] == "explained" for c in r["conventions"]})
    return case["frameworks"][framework]["status"], worst, headroom, explained


def parity_blocks(document: dict, with_figures: bool = True) -> list:
    summary = document["summary"]
    budget = max((r["budget_ulps"] for c in document["cases"] for r in c["results"]), default=16)
    blocks: list = [
        Heading(1, "nn-parity report"),
        Paragraph(
            f"{summary['cases']} cases, {summary['comparisons']} comparisons: {summary['passed']} passed, "
            f"{summary['failed']} failed, {summary['explained']} explained, {summary.get('uninformative', 0)} "
            f"uninformative, {summary.get('missing', 0)} missing. The NumPy reference and {_witnesses(document)} "
            f"ran each case from identical initial weights; every "
            f"intermediate quantity was compared in computation order (forward 1..L, cost, backward L..1, update), "
            f"every step from the reference's parameters and optimizer state after the step before."),
    ]
    worst = summary.get("worst_headroom", {})
    if worst:
        blocks.append(Paragraph("Worst headroom (fraction of the step-local tolerance used, against what each "
                                "framework documents): "
                                + ", ".join(f"{d} {v:.2f}" for d, v in sorted(worst.items())) + "."))
    drift = summary.get("worst_drift", {})
    if drift:
        blocks.append(Paragraph("Largest drift of a free-running trajectory from the reference's (a measurement, "
                                "see each case): " + "; ".join(
                                    f"{d}: " + ", ".join(f"{o} {_g(v)}" for o, v in sorted(by.items()))
                                    for d, by in sorted(drift.items())) + "."))
    for framework, reason in summary.get("skipped", {}).items():
        blocks.append(Paragraph(f"{framework} was skipped: {reason}."))
    blocks += [Heading(2, "Case x framework"), _matrix_table(document),
               Heading(2, "Summary"), _summary_table(document), *_skip_reasons(document),
               *_coverage_blocks(document)]
    blocks += _reading_blocks(budget)
    blocks += _technique_blocks(document)
    blocks += _explained_blocks(document)
    blocks.append(Heading(2, "Cases"))
    for case in document["cases"]:
        blocks += _case_blocks(case, document.get("edges", {}), with_figures)
    blocks += environment_blocks(document)
    return blocks


def _witnesses(document: dict) -> str:
    """"PyTorch 2.13.0, Keras 3 (JAX backend) 3.15.1 on jax 0.10.2, ...": each framework that ran, with versions."""
    names = []
    for row in document.get("frameworks", {}).values():
        version = f" {row['version']}" if row.get("version") else ""
        backend = f" on {row['keras_backend']} {row['backend_version']}" if row.get("backend_version") else ""
        names.append(f"{row['label']}{version}{backend}")
    return ", ".join(names) or "no framework"


_MARKS = {"pass": "pass", "explained": "explained", "fail": "**FAIL**", "uninformative": "**uninformative**",
          "missing": "**MISSING**"}


def _matrix_table(document: dict) -> Table:
    """One row per case, one column per framework: its verdict, 'skipped' or '-' (does not apply)."""
    names = list(document.get("frameworks", {}))
    rows = []
    for case in document["cases"]:
        cells = []
        for name in names:
            if name in case["frameworks"]:
                cells.append(_MARKS.get(case["frameworks"][name]["status"], case["frameworks"][name]["status"]))
            else:
                cells.append("skipped" if name in case["skipped"] else "-")
        rows.append([f"[{case['name']}](#{anchor(case['name'])})", *cells])
    return Table(["case", *names], rows)


def _coverage_blocks(document: dict) -> list:
    """What each framework was judged on: the quantities of the reference's trace compared, missing (not produced
    and not declared: each fails its case) and declared absent, with each declaration's reason once."""
    coverage = document["summary"].get("coverage", {})
    if not coverage:
        return []
    reasons = list(dict.fromkeys(r for counts in coverage.values() for r in counts["absent"]))
    rows = [[framework, counts["compared"], counts["missing"],
             ", ".join(f"{n} ({reasons.index(r) + 1})" for r, n in counts["absent"].items()) or "none"]
            for framework, counts in coverage.items()]
    return [Heading(2, "Coverage"),
            Paragraph("Every quantity of the reference's trace is compared in every framework that runs the case, "
                      "unless the framework's registry row declares it absent, with the reason below; a quantity "
                      "missing otherwise fails its case (nothing was compared, so nothing passed)."),
            Table(["framework", "compared", "missing", "declared absent (reason)"], rows),
            *[Paragraph(f"({i}) {reason}.") for i, reason in enumerate(reasons, 1)]]


def _skip_reasons(document: dict) -> list:
    """Each distinct reason a framework skipped cases for, once, with the number of cases."""
    reasons: dict[tuple[str, str], int] = {}
    for case in document["cases"]:
        for framework, reason in case["skipped"].items():
            reasons[framework, reason] = reasons.get((framework, reason), 0) + 1
    return [Paragraph(f"{framework} skipped {n} case{'s' * (n > 1)}: {reason}.")
            for (framework, reason), n in reasons.items()]


def _summary_table(document: dict) -> Table:
    """One row per case x framework; a case is named (and linked) on its first row only, and a skip gives its
    reason's first clause (``_skip_reasons`` gives each whole reason once)."""
    rows = []
    for case in document["cases"]:
        name = f"[{case['name']}](#{anchor(case['name'])})"
        for framework in case["frameworks"]:
            status, worst, headroom, explained = _framework_summary(case, framework)
            rows.append([name, framework, status, _g(worst), f"{headroom:.2f}", ", ".join(explained)])
            name = ""
        for framework, reason in case["skipped"].items():
            rows.append([name, framework, "skipped", "", "", reason.split(" (", 1)[0]])
            name = ""
    return Table(["case", "framework", "status", "worst error (ulps)", "headroom", "explained by"], rows)


def _reading_blocks(budget: float) -> list:
    rows = [[q, eq, *texts, why] for q, eq, texts, why in teaching.quantity_rows()]
    return [
        Heading(2, "How to read the numbers"),
        Paragraph(teaching.TOLERANCE_TEXT.format(budget=f"{budget:g}")),
        Paragraph("Columns: max abs is the largest |difference| in the quantity; max rel divides it by the "
                  "largest |reference value|; ulps is the largest difference in units of eps x E; headroom is "
                  "ulps / tolerance (below 1 passes); tolerance / value is the tolerance ratio (below 1, zeros in "
                  "place of the quantity would fail). 'explained' means the framework follows its own documented "
                  "formula, which differs from the textbook: see the next section."),
        Paragraph(teaching.DRIFT_TEXT),
        Heading(2, "Why the numbers agree"),
        Table(["quantity", "equation", *teaching.COLUMNS.values(), "why they agree"], rows),
    ]


def _technique_blocks(document: dict) -> list:
    """A chapter per technique of the course's second part: the course's equation, each framework's API and
    defaults (read at run time), and why the numbers match or by how much they do not."""
    blocks: list = [Heading(2, "Techniques: regularisation, dropout, mini-batches, batch normalisation, "
                               "initialisation"),
                    Paragraph("Each chapter gives the course's equation, how each framework spells the technique "
                              "and its defaults (read from the installed frameworks), and why their numbers match "
                              "the course's or by how much they do not.")]
    for name, equation, texts, why in teaching.technique_rows(document.get("defaults", {})):
        blocks += [Heading(3, name), Paragraph(f"The course: {equation}"),
                   Table(["framework", "API and defaults"], [[label, text] for label, text in
                                                             zip(teaching.COLUMNS.values(), texts, strict=True)]),
                   Paragraph(f"Why: {why}")]
    return blocks


def _explained_blocks(document: dict) -> list:
    seen: dict[str, list[tuple[dict, dict]]] = {}
    for case in document["cases"]:
        for r in case["results"]:
            if r["status"] == "explained":
                for convention in r["conventions"]:
                    seen.setdefault(convention, []).append((case, r))
    blocks: list = [Heading(2, "Explained divergences")]
    if not seen:
        return blocks + [Paragraph("No framework departed from the textbook in the cases run.")]
    blocks.append(Paragraph(
        "Where a framework documents a formula other than the textbook's, the reference also runs that formula. "
        "A difference is explained when the framework matches its documented variant within tolerance: the "
        "predicted size is |variant - textbook|, the measured size |framework - textbook|. Defaults below were "
        "read from the installed frameworks."))
    names, rows = teaching.defaults_rows(document.get("defaults", {}))
    blocks.append(Table(["default", *names], rows))
    for convention_id, hits in seen.items():
        convention = document["conventions"][convention_id]
        blocks += [Heading(3, convention["title"]), Paragraph(convention["explanation"])]
        worst: dict[tuple[str, str], dict] = {}
        for case, r in hits:
            key = (case["name"], r["framework"])
            if key not in worst or float(r["max_abs"]) > float(worst[key]["max_abs"]):
                worst[key] = r
        rows = [[name, fw, f"{r['quantity']}[{r['layer']}]" if r["layer"] else r["quantity"], str(r["step"]),
                 _g(r["predicted_max_abs"]), _g(r["max_abs"]), _g(r["variant_ulps"])]
                for (name, fw), r in worst.items()]
        blocks.append(Table(["case", "framework", "largest at", "step", "predicted size", "measured size",
                             "ulps from the variant"], rows))
    return blocks


def _case_blocks(case: dict, edges: dict, with_figures: bool) -> list:
    name = case["name"]
    edge = edges.get(case.get("edge"))
    description = (f"{'-'.join(map(str, case['layers']))} network, activations {', '.join(case['activations'])}, "
                   f"{case['loss']}, {case['optimizer']} (learning rate {case['learning_rate']}), {case['dtype']}, "
                   f"{case['steps']} step{'s' if case['steps'] > 1 else ''}, m = {case['m']}.")
    if case.get("lambd"):
        description += f" L2 regularisation, lambd = {case['lambd']:g}."
    if case.get("weight_decay"):
        description += f" Decoupled weight decay {case['weight_decay']:g} (weights only)."
    if case.get("keep_prob", 1) < 1:
        description += f" Inverted dropout on the hidden layers, keep_prob = {case['keep_prob']:g}."
    if case.get("batchnorm"):
        description += (f" Batch normalisation of the hidden layers' Z (epsilon {case['bn_epsilon']:g}, running "
                        f"statistics decay {case['bn_decay']:g}).")
    if edge:
        description += f" Edge case: {edge}."
    blocks: list = [Heading(3, name, anchor(name)), Paragraph(description)]
    first = case["first_divergence"]
    if first:
        blocks.append(Paragraph(f"First divergence: {first['framework']}, step {first['step']}, {first['stage']}, "
                                f"layer {first['layer']}, {first['quantity']}: max abs {_g(first['max_abs'])}, "
                                f"{_g(first['ulps'])} ulps (tolerance {first['budget_ulps']:g})."))
    if with_figures and case["results"]:
        blocks.append(Figure(f"{anchor(name)}-heatmap", figures.error_heatmap(case),
                             "Worst error per layer and quantity, over all steps"))
        if case["steps"] > 1:
            blocks.append(Figure(f"{anchor(name)}-cost", figures.cost_curves(case["costs"], f"{name}: cost per step"),
                                 "Cost of each implementation at each step, trained free, overlaid"))
            if case.get("drift"):
                blocks.append(Figure(f"{anchor(name)}-drift", figures.trajectory_drift(case),
                                     "Drift of each framework's free-running trajectory from the reference's"))
    if case.get("drift") and case["steps"] > 1:
        blocks.append(Paragraph("Drift after the last step (relative, free-running): " + "; ".join(
            f"{fw} W, b {_g(max(v[-1] for k, v in series.items() if k != 'J'))}"
            + (f", J {_g(series['J'][-1])}" if "J" in series else " (J: another definition, not compared)")
            for fw, series in case["drift"].items()) + "."))
    shown_steps = sorted({0, case["steps"] - 1})
    # the cost, and each quantity that did not simply pass at its worst layer (the heatmap shows every layer)
    groups: dict[tuple, list[dict]] = {}
    for r in case["results"]:
        if r["step"] in shown_steps and (r["quantity"] == "J" or r["status"] != "pass"):
            groups.setdefault((r["framework"], r["step"], r["stage"], r["quantity"], r["status"]), []).append(r)
    listed = [(max(group, key=_ulps), len(group)) for group in groups.values()]
    rows = [[r["framework"], str(r["step"]), r["stage"],
             "" if r["layer"] is None else f"{r['layer']}" + (f" (worst of {n})" if n > 1 else ""),
             r["quantity"], _g(r["max_abs"]), _g(r["max_rel"]), _g(_ulps(r)), f"{r['budget_ulps']:g}",
             _g(r.get("tolerance_ratio")), r["status"]]  # the conventions: in the summary's "explained by"
            for r, n in listed]
    steps = "step 0" if case["steps"] == 1 else f"steps 0 and {case['steps'] - 1}"
    blocks.append(Paragraph(
        f"{len(case['results'])} comparisons. Below, at {steps}: the cost and every quantity that did not simply "
        f"pass{' (none did not)' if all(r['quantity'] == 'J' for r, _ in listed) else ''}, at its worst layer. "
        f"The heatmap above gives every layer's quantities; report.json holds every number of every step."))
    blocks.append(Table(["framework", "step", "stage", "layer", "quantity", "max abs", "max rel", "ulps",
                         "tolerance", "tolerance / value", "status"], rows))
    return blocks


def environment_blocks(document: dict) -> list:
    env = document["environment"]
    rows = [[key, str(value)] for key, value in env.items() if key != "flags"]
    rows += [[f"flag: {key}", str(value)] for key, value in env.get("flags", {}).items()]
    return [Heading(2, "Environment"), Table(["what", "value"], rows)]


def train_blocks(document: dict, with_figures: bool = True) -> list:
    """The side-by-side training report: final numbers, cost curves, drift, and the costs along the way."""
    spec, runs = document["spec"], document["runs"]
    blocks: list = [
        Heading(1, "nn-parity: training side by side"),
        Paragraph(f"{'-'.join(map(str, spec['layers']))} network ({', '.join(spec['activations'])}), "
                  f"{spec['loss']}, {spec['optimizer']} with learning rate {spec['learning_rate']}, "
                  f"{spec['iterations']} full-batch iterations in {spec['dtype']}, {spec['init']} initialisation, "
                  f"on {document['data']['name']} (m = {document['data']['m_train']}, test m = "
                  f"{document['data']['m_test']}). Every implementation started from the same weights and used "
                  f"its own layers, loss and optimizer."),
    ]
    for name, reason in document.get("skipped", {}).items():
        blocks.append(Paragraph(f"{name} was skipped: {reason}."))
    rows = [[name, _g(run["cost"][-1]), _g(run["train_accuracy"]), _g(run["test_accuracy"]),
             _g(run["drift"][-1]) if run["drift"] else "", f"{run['ms_per_iteration']:.2f}"]
            for name, run in runs.items()]
    blocks += [Heading(2, "Final"), Table(["implementation", "final cost", "train accuracy", "test accuracy",
                                           "parameter drift from the reference", "ms / iteration"], rows)]
    blocks.append(Paragraph("Parameter drift is max |P - P_ref| / max |P_ref| over every W[l] and b[l]. Rounding "
                            "differences of one step are carried into the next, so drift grows slowly along a "
                            "trajectory; it stays near the dtype's precision unless an implementation computes "
                            "something else."))
    if with_figures:
        blocks.append(Figure("train-cost", figures.cost_curves({n: r["cost"] for n, r in runs.items()},
                                                               "cost per iteration", "iteration"),
                             "Cost of each implementation at each iteration, overlaid"))
        if any(r["drift"] for r in runs.values()):
            blocks.append(Figure("train-drift", figures.drift_curves(runs, document["record_every"]),
                                 "Parameter drift of each framework from the reference"))
    names = list(runs)
    every = max(1, spec["iterations"] // 20)
    cost_rows = [[str(i)] + [_g(runs[n]["cost"][i]) for n in names] +
                 [_g(max(runs[n]["cost"][i] for n in names) - min(runs[n]["cost"][i] for n in names))]
                 for i in list(range(0, spec["iterations"], every)) + [spec["iterations"] - 1]]
    blocks += [Heading(2, "Cost along the way"), Table(["iteration", *names, "largest difference"], cost_rows)]
    blocks += environment_blocks(document)
    return blocks
