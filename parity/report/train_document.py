"""The side-by-side training document, schema ``nn-parity/train/v1``.

    {"schema": "nn-parity/train/v1", "environment": {...},
     "spec": {layers, activations, loss, optimizer, learning_rate, iterations, dtype, init},
     "data": {name, m_train, m_test}, "record_every": N, "skipped": {implementation: reason},
     "runs": {implementation: {cost: [J per iteration], accuracy: [...], drift_iterations: [...],
              drift: [relative parameter difference from the reference], train_accuracy, test_accuracy,
              ms_per_iteration}}}
"""

from __future__ import annotations

from dataclasses import asdict

from parity.report.document import json_safe
from parity.side_by_side import TrainResult

SCHEMA = "nn-parity/train/v1"


def build_train(result: TrainResult, environment: dict) -> dict:
    spec = result.spec
    runs = {}
    for name, run in result.runs.items():
        entry = asdict(run)
        entry.pop("implementation")
        entry["ms_per_iteration"] = 1000 * entry.pop("seconds") / spec.steps
        runs[name] = entry
    return json_safe({
        "schema": SCHEMA,
        "environment": environment,
        "spec": {"layers": list(spec.layer_dims), "activations": list(spec.activations), "loss": spec.loss,
                 "optimizer": spec.optimizer, "learning_rate": spec.learning_rate, "iterations": spec.steps,
                 "dtype": spec.dtype, "init": spec.init},
        "data": {"name": result.data, "m_train": result.m_train, "m_test": result.m_test},
        "record_every": result.record_every,
        "skipped": result.skipped,
        "runs": runs,
    })
