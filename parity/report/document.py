"""The machine-readable report, schema ``nn-parity/report/v3``.

    {"schema": "nn-parity/report/v3",
     "environment": {python, numpy, torch, tensorflow, keras, blas, cpu, threads, flags: {...}},
     "frameworks": {framework: {label, family, keras_backend, version, backend_version, applies}},
     "defaults": {framework: the installed defaults the comparison relied on},
     "conventions": {id: {title, frameworks, explanation}}: every convention the cases applied, its text filled in
                    with the defaults read at run time,
     "edges": {edge: what the edge case sets up}, for the edges of the cases run,
     "summary": {cases, comparisons, passed, failed, explained, uninformative, missing,
                 skipped: {framework: reason},
                 coverage: {framework: {compared, missing, absent: {reason: count}}},
                 worst_headroom: {dtype: fraction of the step-local tolerance used},
                 worst_drift: {dtype: {optimizer: largest relative drift of any free-running trajectory}}},
     "cases": [{name, layers, activations, loss, optimizer, learning_rate, dtype, steps, m, edge, data, init,
                input_scale, beta, beta1, beta2, epsilon, lambd,
                frameworks: {framework: {status, dtypes, conventions, coverage}}, skipped: {framework: reason},
                costs: {implementation: [J at each step, run free]},
                drift: {framework: {quantity ("J", "W[1]", "b[1]", ...): [relative drift at each step]}},
                first_divergence: null | result, results: [result, ...]}]}

A result is one step-local framework/step/stage/layer/quantity comparison: framework, step, stage, layer,
quantity (Z, A, J, dA, dZ, dW, db, W, b, and the optimizer state v_dW, v_db, s_dW, s_db, t), max_abs, max_rel,
ulps, worst_index, actual_value and expected_value (at that index), mismatched (elements beyond tolerance) of
size, atol, rtol, budget_ulps, headroom, tolerance_ratio (min over elements of tolerance / |value|: 1 or more
means zeros would pass), status (pass, explained, uninformative, missing, fail) and, for explained ones,
explanation, conventions and predicted_max_abs. Non-finite numbers are written as strings ("inf"). A
``missing`` result is a quantity of the reference's trace that the witness did not produce and its registry row
does not declare absent (``parity.frameworks.Absence``): nothing compared, so it fails the case; ``coverage``
counts per framework the quantities compared, missing, and declared absent by reason.

Changes from v1: every step is compared from the reference's state (step-local); the status "uninformative";
the fields tolerance_ratio, mismatched, size, actual_value, expected_value; the optimizer-state quantities;
``drift`` per case and ``worst_drift`` in the summary; costs are those of the free-running trajectories.

Changes from v2: ``frameworks`` (the registry rows that ran, with their versions), ``conventions`` and ``edges``
(so that a report renders from the document alone), and every field of the case (``Case.to_dict``: its data,
initialisation, input scale and optimizer hyper-parameters).
"""

from __future__ import annotations

import math

from parity import conventions, frameworks
from parity.case import EDGES
from parity.harness import CaseResult

SCHEMA = "nn-parity/report/v3"


def json_safe(value):
    """JSON has no inf or NaN: write them as strings so every parser reads the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def _case(outcome: CaseResult) -> dict:
    case = outcome.case
    frameworks = {}
    for framework, dtypes in outcome.dtypes.items():
        status = outcome.verdict(framework)
        frameworks[framework] = {"status": status, "dtypes": dtypes, "conventions": outcome.variants[framework],
                                 "coverage": outcome.coverage.get(framework)}
    first = outcome.first_divergence
    fields = case.to_dict()
    return {
        "name": case.name,
        "layers": list(fields.pop("layer_dims")),
        **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items() if k != "name"},
        "frameworks": frameworks,
        "skipped": dict(outcome.skipped),
        "costs": outcome.costs,
        "drift": outcome.drift,
        "first_divergence": None if first is None else first.to_dict(),
        "results": [r.to_dict() for r in outcome.results],
    }


def build(outcomes: list[CaseResult], environment: dict, defaults: dict) -> dict:
    results = [r for outcome in outcomes for r in outcome.results]
    worst: dict[str, float] = {}
    for r in results:
        if r.status == "missing":  # nothing measured
            continue
        dtype = next(o.case.dtype for o in outcomes if o.case.name == r.case)
        worst[dtype] = max(worst.get(dtype, 0.0), r.headroom)
    drift: dict[str, dict[str, float]] = {}
    for outcome in outcomes:
        for series in outcome.drift.values():
            largest = max((v for values in series.values() for v in values), default=0.0)
            by_optimizer = drift.setdefault(outcome.case.dtype, {})
            by_optimizer[outcome.case.optimizer] = max(by_optimizer.get(outcome.case.optimizer, 0.0), largest)
    skipped = {fw: reason for outcome in outcomes for fw, reason in outcome.skipped.items()}
    summary = {
        "cases": len(outcomes),
        "comparisons": sum(r.status != "missing" for r in results),
        "passed": sum(r.status == "pass" for r in results),
        "failed": sum(r.status == "fail" for r in results),
        "explained": sum(r.status == "explained" for r in results),
        "uninformative": sum(r.status == "uninformative" for r in results),
        "missing": sum(r.status == "missing" for r in results),
        "skipped": skipped,
        "coverage": _coverage(outcomes),
        "worst_headroom": worst,
        "worst_drift": drift,
    }
    ran = list(dict.fromkeys(fw for outcome in outcomes for fw in [*outcome.dtypes, *outcome.skipped]))
    applied = dict.fromkeys(c for outcome in outcomes for ids in outcome.variants.values() for c in ids)
    return json_safe({
        "schema": SCHEMA, "environment": environment,
        "frameworks": {name: _framework(name, defaults.get(name, {})) for name in frameworks.FRAMEWORKS
                       if name in ran},
        "defaults": defaults,
        "conventions": {c: {"title": conventions.get(c).title, "frameworks": list(conventions.get(c).frameworks),
                            "explanation": conventions.explain(conventions.get(c), defaults)} for c in applied},
        "edges": {o.case.edge: EDGES[o.case.edge] for o in outcomes if o.case.edge},
        "summary": summary,
        "cases": [_case(outcome) for outcome in outcomes]})


def _coverage(outcomes: list[CaseResult]) -> dict:
    """Per framework over the cases: quantities compared, missing, and declared absent by reason."""
    total: dict[str, dict] = {}
    for outcome in outcomes:
        for framework, counts in outcome.coverage.items():
            into = total.setdefault(framework, {"compared": 0, "missing": 0, "absent": {}})
            into["compared"] += counts["compared"]
            into["missing"] += counts["missing"]
            for reason, n in counts["absent"].items():
                into["absent"][reason] = into["absent"].get(reason, 0) + n
    return total


def _framework(name: str, defaults: dict) -> dict:
    row = frameworks.get(name)
    return {"label": row.label, "family": row.family, "keras_backend": row.keras_backend,
            "version": defaults.get("version"), "backend_version": defaults.get("backend_version"),
            "applies": row.applies_text}
