"""Nothing passes uncompared. The quantities a case has come from the reference's trace; a witness that leaves one
out fails the case at that quantity (status ``missing``), unless its registry row declares the absence with a
reason. Each plant below deletes quantities from a witness's trace, as an adapter that forgot them would, in every
witness family, and the case must fail at the first deleted quantity in computation order."""

import dataclasses

import pytest

from parity import frameworks, harness, worker
from parity.case import CASES
from parity.compare import AdapterError, compare
from parity.conventions import TEXTBOOK
from parity.trace import Key, computation_order

# three steps of Adam: parameters, moments and t at every step, and a step >= 1 to lose W[L] at
ADAM = dataclasses.replace(CASES["adam-8steps-float32"], steps=3)  # tanh, softmax, categorical cross-entropy
ADAM_BCE = dataclasses.replace(CASES["adam-relu-sigmoid-20steps-float32"], steps=3)  # sigmoid, binary CE

WITNESSES = [
    pytest.param("torch", ADAM, marks=pytest.mark.torch),
    pytest.param("torch-logits", ADAM_BCE, marks=pytest.mark.torch),
    pytest.param("keras", ADAM, marks=pytest.mark.keras),
    pytest.param("keras-jax", ADAM, marks=pytest.mark.keras),
    pytest.param("keras-torch", ADAM, marks=pytest.mark.keras),
    pytest.param("jax", ADAM, marks=pytest.mark.jax),
]

STATE = ("v_dW", "v_db", "s_dW", "s_db", "t")
PLANTS = {  # the table of the issue: which keys a forgetful adapter leaves out
    "every dW[1], every step": lambda case, key: key.quantity == "dW" and key.layer == 1,
    "the updated W[L] at steps >= 1": lambda case, key: (key.stage, key.quantity, key.layer) == (
        "update", "W", case.L) and key.step >= 1,
    "every optimizer-state entry": lambda case, key: key.quantity in STATE,
    "the whole backward stage of step 0": lambda case, key: key.stage == "backward" and key.step == 0,
}


def _installed(framework):
    try:
        harness.runtime_defaults(framework)
    except ImportError as error:
        pytest.skip(f"{error.name} is not installed")


def _dropping(monkeypatch, dropped):
    """Every trace a witness hands to the comparison loses the keys ``dropped`` picks: the ones this process makes
    (``harness.framework_trace``) and the ones a Keras worker sends back whole (``worker.submit``)."""
    real_trace, real_submit = harness.framework_trace, worker.submit

    def forget(case, trace):
        trace.values = {key: value for key, value in trace.values.items() if not dropped(case, key)}
        return trace

    class Forgetful:
        def __init__(self, future, case):
            self.future, self.case = future, case

        def result(self):
            defaults, skipped, actual, free = self.future.result()
            return defaults, skipped, None if actual is None else forget(self.case, actual), free

        def cancel(self):
            return self.future.cancel()

    def submit(backend, function, *args):
        future = real_submit(backend, function, *args)
        return Forgetful(future, args[0]) if function == "framework_runs" else future

    monkeypatch.setattr(harness, "framework_trace", lambda case, *args: forget(case, real_trace(case, *args)))
    monkeypatch.setattr(worker, "submit", submit)


def _first_dropped(case, framework, dropped):
    """The first key in computation order that the reference has, the plant drops and no declaration covers."""
    textbook, _ = harness.reference_trace(case, TEXTBOOK)
    return next(key for key in computation_order(case.L, case.steps) if key in textbook.values
                and dropped(case, key) and frameworks.absence(framework, case, key) is None)


@pytest.mark.parametrize("plant", PLANTS)
@pytest.mark.parametrize("framework, case", WITNESSES)
def test_a_dropped_quantity_fails_the_case_at_the_first_one(framework, case, plant, monkeypatch):
    _installed(framework)
    _dropping(monkeypatch, PLANTS[plant])
    outcome = harness.run_case(case, [framework], drift=False)
    assert not outcome.passed and outcome.verdict(framework) == "missing", f"{plant} went unnoticed"
    first = outcome.first_divergence
    assert (first.key, first.status) == (_first_dropped(case, framework, PLANTS[plant]), "missing")
    assert first.framework == framework and "nothing declares it absent" in first.note
    assert outcome.coverage[framework]["missing"] == sum(r.status == "missing" for r in outcome.results) > 0


DECLARED = [
    pytest.param("torch", ADAM, marks=pytest.mark.torch),  # CrossEntropyLoss: logits
    pytest.param("torch-logits", ADAM_BCE, marks=pytest.mark.torch),  # BCEWithLogitsLoss: logits
    pytest.param("keras", ADAM, marks=pytest.mark.keras),  # _keras_logits on TensorFlow
    pytest.param("jax", ADAM, marks=pytest.mark.jax),  # optax: logits
]


@pytest.mark.parametrize("framework, case", DECLARED)
def test_each_declared_absence_is_needed(framework, case, monkeypatch):
    """Declared: the case passes and the coverage counts dA[L] under its reason, once per step. Declaration
    removed: the same run fails at dA[L] of step 0, missing."""
    _installed(framework)
    row = frameworks.get(framework)
    outcome = harness.run_case(case, [framework], drift=False)
    assert outcome.passed
    assert outcome.coverage[framework]["absent"] == {row.absent[0].reason: case.steps}
    monkeypatch.setitem(frameworks.REGISTRY, framework, dataclasses.replace(row, absent=()))
    outcome = harness.run_case(case, [framework], drift=False)
    first = outcome.first_divergence
    assert (first.key, first.status) == (Key(0, "backward", case.L, "dA"), "missing")


@pytest.mark.torch
def test_the_report_shows_coverage_and_cannot_show_pass_for_a_case_with_a_missing_quantity(monkeypatch):
    from parity.environment import describe
    from parity.report import build
    from parity.report.blocks import parity_blocks
    from parity.report.markdown import render

    _installed("torch")
    declared = harness.run_case(ADAM, ["torch"], drift=False)
    _dropping(monkeypatch, PLANTS["every dW[1], every step"])
    dropped = harness.run_case(ADAM, ["torch"], drift=False)
    document = build([declared, dropped], describe(), {"torch": harness.runtime_defaults("torch")})
    summary = document["summary"]
    assert summary["missing"] == ADAM.steps and summary["coverage"]["torch"]["missing"] == ADAM.steps
    assert summary["coverage"]["torch"]["absent"] == {frameworks.get("torch").absent[0].reason: 2 * ADAM.steps}
    assert [case["frameworks"]["torch"]["status"] for case in document["cases"]] == ["pass", "missing"]
    assert sum(r["status"] == "missing" for case in document["cases"] for r in case["results"]) == ADAM.steps
    text, _ = render(parity_blocks(document, with_figures=False))
    assert "## Coverage" in text and "**MISSING**" in text and frameworks.get("torch").absent[0].reason in text


def test_a_quantity_the_reference_lacks_is_an_error_of_the_adapter():
    case = CASES["sgd-1steps-float64"]
    textbook, E = harness.reference_trace(case, TEXTBOOK)
    witness = dataclasses.replace(textbook, values={**textbook.values, Key(0, "forward", 1, "Z_tilde"): 0.0})
    with pytest.raises(AdapterError, match=r"torch's adapter recorded 1 quantities the reference's trace does not "
                                           r"have, first Z_tilde\[1\] at step 0 \(forward\)"):
        compare(case, "torch", witness, textbook, E, TEXTBOOK)
