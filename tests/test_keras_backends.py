"""Keras on its JAX and PyTorch backends: worker processes, what they really compute, and the clipping convention.

Keras reads its backend once per process, so ``keras-jax`` and ``keras-torch`` run in ``parity.worker``
processes. These tests check that the worker really runs the backend it names, that its errors come back as
errors, that the float64 skip rests on a measured fact (not on a guess), and that the explained probability
clipping is still a check: a framework that clipped differently would fail where it starts.
"""

import dataclasses

import numpy as np
import pytest

from parity import worker
from parity.case import CASES
from parity.compare import compare
from parity.conventions import TEXTBOOK, variant_for
from parity.harness import framework_trace, reference_trace, run_case, runtime_defaults
from parity.tolerance import FLOAT32_IN_FLOAT64_RELATIVE
from parity.trace import Key

BACKENDS = [pytest.param("keras-jax", "jax", marks=pytest.mark.keras),
            pytest.param("keras-torch", "torch", marks=pytest.mark.keras)]


def _defaults(framework):
    try:
        return runtime_defaults(framework)
    except ImportError as error:
        pytest.skip(f"{error.name} is not installed")


@pytest.mark.parametrize("framework, backend", BACKENDS)
def test_the_worker_runs_keras_on_the_backend_it_names(framework, backend):
    defaults = _defaults(framework)
    assert defaults["backend"] == backend
    assert defaults["version"] and defaults["backend_version"]
    described = worker.call(backend, "describe")
    assert described["flags"]["KERAS_BACKEND"] == backend


@pytest.mark.parametrize("framework, backend", BACKENDS)
def test_an_error_in_the_worker_comes_back_with_its_traceback(framework, backend):
    _defaults(framework)
    case = CASES["sgd-1steps-float32"]
    with pytest.raises(worker.WorkerError, match=r"(?s)AttributeError in the Keras-on-.* worker.*Traceback"):
        framework_trace(case, framework, [None])  # a start that is not a Start


@pytest.mark.parametrize("framework, backend, name, layer, quantity", [
    pytest.param("keras-torch", "torch", "hidden-relu-float64", 1, "Z", marks=pytest.mark.keras),  # torch matmul
    pytest.param("keras-jax", "jax", "hidden-tanh-float64", 1, "A", marks=pytest.mark.keras),  # jax tanh
])
def test_float64_is_skipped_because_keras_really_computes_it_in_float32(framework, backend, name, layer, quantity):
    """The skip's reason is measured: run anyway, the first affected quantity is off by float32 rounding (about
    1e-8 relative, millions of float64 ulps), while the quantity before it is exact to float64 rounding."""
    defaults = _defaults(framework)
    case = CASES[name]
    assert "float64" in defaults["unsupported_dtypes"]
    outcome = run_case(case, [framework], drift=False)
    assert framework in outcome.skipped and "float32" in outcome.skipped[framework]
    textbook, _ = reference_trace(case, TEXTBOOK)
    actual = framework_trace(case, framework, textbook.starts)
    key = Key(0, "forward", layer, quantity)
    relative = np.max(np.abs(actual.values[key] - textbook.values[key])) / np.max(np.abs(textbook.values[key]))
    low, high = FLOAT32_IN_FLOAT64_RELATIVE  # float32 rounding, not float64's and not a formula's error
    assert low < relative < high, f"{framework} {quantity}[{layer}] differs by {relative:.2e} relative"
    assert actual.values[key].dtype == np.float64  # stored as float64: only the computation is float32


@pytest.mark.parametrize("framework, backend", BACKENDS)
def test_probability_clipping_is_explained_on_its_edge_case(framework, backend):
    _defaults(framework)
    case = CASES["edge-probability-clip-float32"]
    outcome = run_case(case, [framework], drift=False)
    assert outcome.passed
    explained = {(r.quantity, r.layer) for r in outcome.results if r.status == "explained"}
    assert {("J", None), ("dA", 2), ("dZ", 2), ("dW", 2), ("db", 2)} <= explained
    assert all("keras-probability-clipping" in r.conventions for r in outcome.results if r.status == "explained")


@pytest.mark.parametrize("framework, backend", BACKENDS)
def test_a_different_clip_fails_at_the_first_quantity_it_changes(framework, backend):
    """A Keras that clipped at 1e-6 instead of its documented epsilon matches neither the textbook nor the
    documented variant: the comparison fails, first at J (the cost is computed before any gradient)."""
    defaults = _defaults(framework)
    case = CASES["edge-probability-clip-float32"]
    textbook, textbook_E = reference_trace(case, TEXTBOOK)
    variant = variant_for(case, framework, defaults)
    actual, _ = reference_trace(case, dataclasses.replace(variant, probability_clip=1e-6), textbook.starts)
    documented, documented_E = reference_trace(case, variant, textbook.starts)
    results = compare(case, framework, actual, textbook, textbook_E, variant, documented, documented_E)
    failed = [r for r in results if r.status == "fail"]
    assert failed and (failed[0].stage, failed[0].quantity) == ("cost", "J")
    assert {("dZ", 2), ("dW", 2), ("db", 2)} <= {(r.quantity, r.layer) for r in failed}
