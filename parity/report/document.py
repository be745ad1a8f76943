"""The machine-readable report, schema ``nn-parity/report/v1``.

    {"schema": "nn-parity/report/v1",
     "environment": {python, numpy, torch, tensorflow, keras, blas, cpu, threads, flags: {...}},
     "defaults": {framework: the installed defaults the comparison relied on},
     "summary": {cases, comparisons, passed, failed, explained, skipped: {framework: reason},
                 worst_headroom: {dtype: fraction of the tolerance used}},
     "cases": [{name, layers, activations, loss, optimizer, learning_rate, dtype, steps, m, edge,
                frameworks: {framework: {status, dtypes, conventions}}, skipped: {framework: reason},
                costs: {implementation: [J at each step]}, first_divergence: null | result,
                results: [result, ...]}]}

A result is one framework/step/stage/layer/quantity: framework, step, stage, layer, quantity, max_abs,
max_rel, ulps, worst_index, atol, rtol, budget_ulps, headroom, status (pass/fail/explained) and, for explained
ones, explanation, conventions and predicted_max_abs. Non-finite numbers are written as strings ("inf").
"""

from __future__ import annotations

import math

from parity.harness import CaseResult

SCHEMA = "nn-parity/report/v1"


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
        own = [r for r in outcome.results if r.framework == framework]
        status = "fail" if any(r.status == "fail" for r in own) else (
            "explained" if any(r.status == "explained" for r in own) else "pass")
        frameworks[framework] = {"status": status, "dtypes": dtypes, "conventions": outcome.variants[framework]}
    first = outcome.first_divergence
    return {
        "name": case.name,
        "layers": list(case.layer_dims),
        "activations": list(case.activations),
        "loss": case.loss,
        "optimizer": case.optimizer,
        "learning_rate": case.learning_rate,
        "dtype": case.dtype,
        "steps": case.steps,
        "m": case.m,
        "edge": case.edge,
        "frameworks": frameworks,
        "skipped": dict(outcome.skipped),
        "costs": outcome.costs,
        "first_divergence": None if first is None else first.to_dict(),
        "results": [r.to_dict() for r in outcome.results],
    }


def build(outcomes: list[CaseResult], environment: dict, defaults: dict) -> dict:
    results = [r for outcome in outcomes for r in outcome.results]
    worst: dict[str, float] = {}
    for r in results:
        dtype = next(o.case.dtype for o in outcomes if o.case.name == r.case)
        worst[dtype] = max(worst.get(dtype, 0.0), r.headroom)
    skipped = {fw: reason for outcome in outcomes for fw, reason in outcome.skipped.items()}
    summary = {
        "cases": len(outcomes),
        "comparisons": len(results),
        "passed": sum(r.status == "pass" for r in results),
        "failed": sum(r.status == "fail" for r in results),
        "explained": sum(r.status == "explained" for r in results),
        "skipped": skipped,
        "worst_headroom": worst,
    }
    return json_safe({"schema": SCHEMA, "environment": environment, "defaults": defaults, "summary": summary,
                    "cases": [_case(outcome) for outcome in outcomes]})
