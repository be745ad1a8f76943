"""Training the reference, PyTorch and Keras side by side, from identical weights, on the same data.

The three run in lockstep, one full-batch iteration each at a time, so that their costs can be printed
together while they train. Each framework uses its own layers, loss and optimizer (``implementations``);
every ``record_every`` iterations the parameters of each framework are compared with the reference's
(the *drift*: the largest |difference| over all W[l], b[l], relative to the largest |reference value|).
Accuracies are computed from each implementation's final parameters with one and the same forward pass.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

import reference
from parity.case import Case
from parity.data import Split
from parity.frameworks import FRAMEWORKS, framework_applies, in_process
from parity.frameworks import get as get_framework
from parity.harness import relative_drift

# the reference and every framework this process runs itself (parity.frameworks.in_process)
IMPLEMENTATIONS = ("reference", *(name for name in FRAMEWORKS if in_process(name)))


@dataclass
class TrainRun:
    implementation: str
    cost: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)  # on the training data, before each update
    drift_iterations: list[int] = field(default_factory=list)
    drift: list[float] = field(default_factory=list)  # relative parameter difference from the reference
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    seconds: float = 0.0


@dataclass
class TrainResult:
    spec: Case
    data: str
    m_train: int
    m_test: int
    runs: dict[str, TrainRun]
    skipped: dict[str, str]
    record_every: int


def _iterators(spec: Case, params: dict, X, Y, implementations, skipped: dict):
    """One endless iterator per implementation, each yielding (cost, AL, params getter)."""
    from parity.conventions import TEXTBOOK
    from parity.harness import runtime_defaults
    from parity.implementations.reference import optimizer_for

    loss = spec.loss
    optimizer = optimizer_for(spec, TEXTBOOK)
    iterators = {}
    for name in implementations:
        if name == "reference":
            steps = reference.iterate(params, X, Y, list(spec.activations), loss, optimizer)
            iterators[name] = ((s.cost, s.AL, (lambda p=s.params: p)) for s in steps)
            continue
        if not framework_applies(spec, name):
            skipped[name] = f"it applies to {get_framework(name).applies_text} only"
            continue
        try:
            runtime_defaults(name)
        except ImportError as error:
            skipped[name] = f"{error.name or name} is not installed"
            continue
        module = importlib.import_module(f"parity.implementations.{get_framework(name).module}")
        iterators[name] = module.iterate(spec, params, X, Y, name)
    return iterators


def train_side_by_side(spec: Case, split: Split, params: dict, implementations=IMPLEMENTATIONS, *,
                       print_every: int | None = None, stream: TextIO | None = None,
                       record_every: int | None = None) -> TrainResult:
    """Train every implementation for ``spec.steps`` iterations from ``params`` on ``split.train``."""
    stream = stream or sys.stdout
    X, Y = split.train.X.astype(spec.dtype), split.train.Y.astype(spec.dtype)
    iterations = spec.steps
    record_every = record_every or max(1, iterations // 100)
    skipped: dict[str, str] = {}
    iterators = _iterators(spec, params, X, Y, implementations, skipped)
    runs = {name: TrainRun(name) for name in iterators}
    latest: dict[str, object] = {}
    output = spec.activations[-1]
    started = time.perf_counter()
    for i in range(iterations):
        for name, iterator in iterators.items():
            t0 = time.perf_counter()
            cost, AL, get_params = next(iterator)
            runs[name].seconds += time.perf_counter() - t0
            runs[name].cost.append(cost)
            acc = reference.accuracy(AL, Y, output)
            if acc is not None:
                runs[name].accuracy.append(acc)
            latest[name] = get_params
        last = i + 1 == iterations
        if "reference" in latest and (i % record_every == 0 or last):
            reference_params = latest["reference"]()
            for name in iterators:
                if name != "reference":
                    runs[name].drift_iterations.append(i)
                    runs[name].drift.append(relative_drift(latest[name](), reference_params))
        if print_every and ((i + 1) % print_every == 0 or last):
            print(_progress_line(i, iterations, runs, time.perf_counter() - started), file=stream, flush=True)
    for name, run in runs.items():
        final = latest[name]()
        run.train_accuracy = _accuracy(final, split.train, spec)
        run.test_accuracy = _accuracy(final, split.test, spec) if split.test is not None else None
    return TrainResult(spec, split.train.name, split.train.m, split.test.m if split.test else 0, runs, skipped,
                       record_every)


def _accuracy(params: dict, dataset, spec: Case) -> float | None:
    AL, _ = reference.forward(params, dataset.X.astype(spec.dtype), list(spec.activations))
    return reference.accuracy(AL, dataset.Y.astype(spec.dtype), spec.activations[-1])


def _progress_line(i: int, iterations: int, runs: dict[str, TrainRun], elapsed: float) -> str:
    width = 20
    done = round(width * (i + 1) / iterations)
    bar = "#" * done + "." * (width - done)
    costs = "  ".join(f"{name} {run.cost[-1]:.6f}" for name, run in runs.items())
    line = f"[{bar}] {i + 1:>6}/{iterations}  cost: {costs}"
    if all(run.accuracy for run in runs.values()):
        line += "  accuracy: " + " ".join(f"{run.accuracy[-1]:.4f}" for run in runs.values())
    drifts = [f"{name} {run.drift[-1]:.1e}" for name, run in runs.items() if run.drift]
    if drifts:
        line += "  drift: " + " ".join(drifts)
    return line + f"  ({elapsed:.1f} s)"
