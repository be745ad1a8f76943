"""The harness itself: planted bugs in the reference are caught and located; explained divergences are
checks, not waivers; dtypes are really the ones asked for."""

from dataclasses import replace

import numpy as np
import pytest

import reference
import reference.activations
import reference.network
from parity import frameworks as registry
from parity.assertions import failure_message
from parity.case import CASES, Case
from parity.harness import run_case
from parity.tolerance import EXPLAINED_PREDICTION_ULPS, REARRANGEMENT_ULPS, parity_ulps, ulps
from parity.trace import Key, Trace
from tests import planted

pytestmark = pytest.mark.torch
FRAMEWORKS = ["torch"]

# Two hidden tanh layers of 4 and 3 units and one sigmoid output: rectangular weights, so a missing transpose
# fails loudly; the square case below is the one where it is silent.
TANH_CASE = Case("harness-tanh", (3, 4, 3, 1), ("tanh", "tanh", "sigmoid"), "binary_crossentropy", m=8)
SQUARE_CASE = Case("harness-square", (3, 3, 3), ("tanh", "softmax"), "categorical_crossentropy", m=8)


def first(case):
    pytest.importorskip("torch")
    outcome = run_case(case, FRAMEWORKS)
    assert not outcome.passed, "the planted bug went unnoticed"
    divergence = outcome.first_divergence
    return outcome, (divergence.step, divergence.stage, divergence.layer, divergence.quantity)


def test_db_summed_over_all_axes_is_located_at_the_first_layer_with_several_units(monkeypatch):
    monkeypatch.setattr(reference.network, "linear_backward", planted.db_summed_over_all_axes)
    # layer 3 has one unit, where summing over all axes happens to be right; layer 2 has three
    _, where = first(TANH_CASE)
    assert where == (0, "backward", 2, "db")


def test_missing_one_over_m_is_located_at_the_output_layers_dW(monkeypatch):
    monkeypatch.setattr(reference.network, "linear_backward", planted.missing_one_over_m)
    _, where = first(TANH_CASE)
    assert where == (0, "backward", 3, "dW")


def test_tanh_derivative_applied_to_Z_is_located_at_the_last_tanh_layer(monkeypatch):
    monkeypatch.setitem(reference.activations.ACTIVATIONS, "tanh",
                        replace(reference.ACTIVATIONS["tanh"], backward=planted.tanh_prime_of_Z))
    _, where = first(TANH_CASE)
    assert where == (0, "backward", 2, "dZ")


def test_W_instead_of_its_transpose_is_caught_even_when_W_is_square(monkeypatch):
    monkeypatch.setattr(reference.network, "linear_backward", planted.W_instead_of_its_transpose)
    _, where = first(SQUARE_CASE)
    assert where == (0, "backward", 1, "dA")


def test_relu_derivative_of_one_at_zero_is_caught_by_the_zero_preactivation_case(monkeypatch):
    monkeypatch.setitem(reference.activations.ACTIVATIONS, "relu",
                        replace(reference.ACTIVATIONS["relu"], backward=planted.relu_prime_one_at_zero))
    _, where = first(CASES["edge-relu-zero-preactivation-float64"])
    assert where == (0, "backward", 1, "dZ")


def test_failure_message_names_case_framework_step_stage_layer_quantity_and_tolerance(monkeypatch):
    monkeypatch.setattr(reference.network, "linear_backward", planted.missing_one_over_m)
    outcome, _ = first(TANH_CASE)
    message = failure_message(outcome)
    assert message.startswith("case harness-tanh (float64): ")
    line = message.splitlines()[1]
    assert line.startswith("first divergence: torch, step 0, backward, layer 3, dW: worst element (in ulps) at "
                           "index (0, ")
    budget = f"(tolerance {parity_ulps('float64'):g} ulps: atol "
    for part in ("max abs error ", "max rel ", "ulps of the step's error scale", budget, " beyond tolerance"):
        assert part in line
    # both values at the worst element: the planted reference's dW lacks 1/m, so it is m = 8 times torch's
    worst = outcome.first_divergence
    assert worst.expected_value == pytest.approx(8 * worst.actual_value, rel=ulps("float64", REARRANGEMENT_ULPS))
    assert f"(torch {worst.actual_value:.6g}, reference {worst.expected_value:.6g})" in line
    assert "then (" in message  # the later divergences follow, in computation order


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_bce_guards_are_explained_and_predicted_at_saturation(dtype):
    pytest.importorskip("torch")
    outcome = run_case(CASES[f"edge-saturated-sigmoid-{dtype}"], ["torch", "torch-logits"])
    assert outcome.passed
    explained = [r for r in outcome.results if r.status == "explained"]
    assert explained and {r.framework for r in explained} == {"torch"}
    assert all(r.conventions == ["torch-bce-guards"] for r in explained)
    dZ = next(r for r in explained if r.quantity == "dZ" and r.layer == 2)
    # the floor scales the gradient by p (1 - p) / 1e-12 ~ 0.09: the difference is most of dZ itself
    assert dZ.max_rel > 0.5
    # measured and predicted differ only by the framework's rounding against its variant
    assert dZ.predicted_max_abs == pytest.approx(dZ.max_abs, rel=ulps(dtype, EXPLAINED_PREDICTION_ULPS))
    # BCEWithLogitsLoss works on Z and has no guard: it follows the textbook exactly
    assert all(r.status == "pass" for r in outcome.results if r.framework == "torch-logits")


def test_torch_bce_log_clamp_is_explained_in_the_cost():
    pytest.importorskip("torch")
    outcome = run_case(CASES["edge-bce-log-clamp-float64"], ["torch"])
    J = next(r for r in outcome.results if r.quantity == "J")
    assert J.status == "explained" and J.conventions == ["torch-bce-guards"]
    # a float64 cost difference of about 7 (110 vs the clamped 100, averaged): rounding is ~1e-15 of it
    assert J.predicted_max_abs == pytest.approx(J.max_abs, rel=ulps(np.float64, EXPLAINED_PREDICTION_ULPS))


@pytest.mark.keras
def test_keras_uses_the_logits_on_the_tensorflow_backend_so_saturation_needs_no_explanation():
    pytest.importorskip("keras")
    outcome = run_case(CASES["edge-saturated-sigmoid-float64"], ["keras"])
    assert [r.status for r in outcome.results] == ["pass"] * len(outcome.results)
    assert not any(r.quantity == "dA" and r.layer == 2 for r in outcome.results)  # no dJ/dA[L] on that path


def _where(result):
    return result.step, result.stage, result.layer, result.quantity


# For each Keras divergence: the conventions Keras's variant applies (in registry order), the ones the divergence
# needs (removing any of them turns every explained comparison into a failure), where it first appears, and the
# stages it reaches.
KERAS_DIVERGENCES = [
    # epsilon-hat moves every step; the float32 betas move 1 - beta^t by ~1e-8 relative: each alone is ~1e8 ulps
    pytest.param("adam-1steps-float64", ["keras-float32-hyperparameters", "keras-adam-epsilon-hat"],
                 {"keras-float32-hyperparameters", "keras-adam-epsilon-hat"}, (0, "update", 1, "W"), {"update"},
                 id="adam-epsilon-hat-and-float32-betas"),
    # the buffer is zero at step 0, so the float32-rounded beta first acts in step 1's update; the velocity form
    # gives the same iterates up to rounding, so it explains nothing that could be measured
    pytest.param("momentum-8steps-float64", ["keras-momentum-velocity", "keras-float32-hyperparameters"],
                 {"keras-float32-hyperparameters"}, (1, "update", 1, "W"), {"update"}, id="momentum-float32-beta"),
    # the slope acts in A[1] = g(Z[1]) and everything downstream of it; Z[1] itself agrees with the textbook
    pytest.param("edge-leaky-relu-default-slope-float32", ["leaky-relu-default-slope"],
                 {"leaky-relu-default-slope"}, (0, "forward", 1, "A"), {"forward", "cost", "backward", "update"},
                 id="leaky-relu-default-slope"),
]


@pytest.mark.keras
@pytest.mark.parametrize("name, attached, decisive, first_explained, stages", KERAS_DIVERGENCES)
def test_keras_divergences_are_explained_by_their_convention(name, attached, decisive, first_explained, stages,
                                                               monkeypatch):
    pytest.importorskip("keras")
    import parity.conventions as conventions

    outcome = run_case(CASES[name], ["keras"])
    assert outcome.passed and outcome.variants["keras"] == attached
    explained = [r for r in outcome.results if r.status == "explained"]
    assert explained and all(r.conventions == attached for r in explained)
    assert _where(explained[0]) == first_explained and {r.stage for r in explained} == stages
    upstream = outcome.results[:outcome.results.index(explained[0])]
    assert all(r.status == "pass" for r in upstream)  # what is computed before the convention acts agrees
    where = [_where(r) for r in explained]
    every = list(conventions.CONVENTIONS)
    for convention in attached:
        monkeypatch.setattr(conventions, "CONVENTIONS", [c for c in every if c.id != convention])
        without = {_where(r): r.status for r in run_case(CASES[name], ["keras"]).results}
        if convention in decisive:
            assert [without[key] for key in where] == ["fail"] * len(where), f"without {convention}"
        else:  # the parameters W, b stay explained by the decisive conventions alone
            parameters = [key for key in where if key[3] in ("W", "b")]
            assert parameters and {without[key] for key in parameters} == {"explained"}, f"without {convention}"


@pytest.mark.keras
def test_an_explained_divergence_is_still_a_check(monkeypatch):
    """Were Keras's Adam to lose its epsilon-hat form, the documented variant would no longer match: fail."""
    pytest.importorskip("keras")
    import parity.conventions as conventions

    kept = [c for c in conventions.CONVENTIONS if c.id != "keras-adam-epsilon-hat"]
    monkeypatch.setattr(conventions, "CONVENTIONS", kept)
    outcome = run_case(CASES["adam-1steps-float64"], ["keras"])
    assert not outcome.passed
    assert outcome.first_divergence.stage == "update"


def test_dtype_check_refuses_a_silently_downcast_run():
    trace = Trace("torch", dtypes={"parameters": "float32"})
    with pytest.raises(AssertionError, match=r"torch ran case c in \{'parameters': 'float32'\}, not float64"):
        trace.assert_dtype("float64", "c")
    trace = Trace("keras", values={Key(0, "forward", 1, "Z"): np.zeros(2, np.float32)}, dtypes={})
    with pytest.raises(AssertionError, match=r"non-float64 values for c: \['Z\[1\] at step 0 \(forward\)'\]"):
        trace.assert_dtype("float64", "c")


@pytest.mark.parametrize("framework", ["torch", pytest.param("keras", marks=pytest.mark.keras),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_float64_runs_really_run_in_float64(framework):
    pytest.importorskip(framework)
    outcome = run_case(CASES["adam-8steps-float64"], [framework])
    assert set(outcome.dtypes[framework].values()) == {"float64"}


def test_unknown_framework_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match=f"unknown framework 'mxnet'; valid names: {', '.join(registry.FRAMEWORKS)}"):
        run_case(CASES["sgd-1steps-float64"], ["mxnet"])


def test_a_framework_that_is_not_installed_is_skipped_with_the_reason(monkeypatch):
    import parity.harness as harness

    def missing(framework):
        raise ImportError("No module named 'torch'", name="torch")

    monkeypatch.setattr(harness, "runtime_defaults", missing)
    outcome = run_case(CASES["sgd-1steps-float64"], ["torch"])
    assert outcome.skipped == {"torch": "torch is not installed"} and outcome.results == []


@pytest.mark.jax
def test_jax_leaky_relu_derivative_at_exactly_zero_is_explained_where_torch_and_keras_take_the_slope():
    """jax.nn.leaky_relu is where(x >= 0, x, slope x): at Z = 0 its derivative is 1. The zero-preactivation case
    puts a whole unit there; found by the fuzzer, now a grid case and the jax-leaky-relu-at-zero convention."""
    pytest.importorskip("jax")
    case = CASES["edge-leaky-relu-zero-preactivation-float64"]
    outcome = run_case(case, ["jax", "torch"])
    assert outcome.passed
    assert outcome.verdict("torch") == "pass"
    dZ = next(r for r in outcome.results if (r.framework, r.step, r.layer, r.quantity) == ("jax", 0, 1, "dZ"))
    assert dZ.status == "explained" and dZ.conventions == ["jax-leaky-relu-at-zero"]
    # (1 - slope) |dA| at the zero unit
    assert dZ.max_abs == pytest.approx(dZ.predicted_max_abs, rel=ulps(case.dtype, EXPLAINED_PREDICTION_ULPS))
    assert dZ.variant_ulps < 1


@pytest.mark.jax
@pytest.mark.torch
@pytest.mark.keras
def test_the_report_spreads_jax_and_torch_to_the_keras_workers_with_the_same_numbers(monkeypatch):
    """The report sends JAX to the Keras-on-JAX worker and PyTorch to the Keras-on-torch one (``harness.SPREAD``):
    the same functions in another process, so bit for bit the same results, drift included, as in this process.
    A run that starts no Keras worker spreads nothing."""
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    from parity import harness, worker

    sent, submit = [], worker.submit

    def recorded(backend, function, case, framework, *args):
        sent.append((backend, case.name, framework))
        return submit(backend, function, case, framework, *args)

    monkeypatch.setattr(worker, "submit", recorded)
    cases = [CASES["adam-8steps-float32"], CASES["hidden-softmax-float64"]]
    mine = ["torch", "torch-logits", "jax"]
    here = [harness.run_case(case, mine) for case in cases]
    assert sent == []
    spread = list(harness.run_cases(cases, [*mine, "keras-jax", "keras-torch"], spread=True))
    assert [s for s in sent if s[2] in mine] == [
        ("torch", cases[0].name, "torch"), ("jax", cases[0].name, "jax"),  # torch-logits: no logits loss here
        ("torch", cases[1].name, "torch"), ("torch", cases[1].name, "torch-logits"), ("jax", cases[1].name, "jax")]
    for a, b in zip(here, spread, strict=True):
        assert a.results == [r for r in b.results if r.framework in mine]
        assert a.drift == {fw: d for fw, d in b.drift.items() if fw in mine}
        assert a.costs == {fw: c for fw, c in b.costs.items() if fw in ["reference", *mine]}
    sent.clear()
    list(harness.run_cases(cases[:1], mine, spread=True))
    assert sent == []
