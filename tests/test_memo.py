"""Remembered framework runs (parity/memo.py): a run is read back only for exactly the inputs it was computed
from, and everything else (the reference, the error model, the comparisons) is computed afresh."""

import dataclasses
import os

import numpy as np
import pytest

from parity import environment, harness, memo
from parity.case import CASES
from parity.conventions import TEXTBOOK

CASE = CASES["sgd-1steps-float64"]


@pytest.fixture
def folder(tmp_path, monkeypatch, remembered_runs):
    monkeypatch.setenv("NN_PARITY_RUN_CACHE", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _textbook(case=CASE):
    return harness.reference_trace(case, TEXTBOOK)[0]


def test_tests_compute_every_framework_run_unless_they_ask_for_remembered_ones():
    assert os.environ["NN_PARITY_RUN_CACHE"] == "off" and memo.folder() is None
    assert memo.load(memo.key(CASE, "torch", _textbook(), True)) is None


def test_a_stored_run_comes_back_for_the_same_inputs_only(folder):
    textbook = _textbook()
    runs = ({"defaults": 1}, None, "trace", "free")
    memo.store_runs(CASE, "torch", textbook, True, runs)
    assert memo.load_runs(CASE, "torch", textbook, True) == runs
    assert memo.load_runs(CASE, "keras", textbook, True) is None  # another framework
    assert memo.load_runs(CASE, "torch", textbook, False) is None  # without drift
    assert memo.load_runs(dataclasses.replace(CASE, learning_rate=0.2), "torch", textbook, True) is None


def _next_float(array):
    """``array`` with its first element moved by one ulp (a new array)."""
    changed = np.array(array, copy=True)
    changed.flat[0] = np.nextafter(changed.flat[0], np.inf)
    return changed


@pytest.mark.parametrize("change", ["X", "Y", "W1", "t", "state"])
def test_one_bit_of_the_batch_or_of_a_start_is_another_key(change):
    case = CASES["momentum-8steps-float32"] if change == "state" else CASE
    textbook = _textbook(case)
    before = memo.key(case, "torch", textbook, True)
    if change in ("X", "Y"):
        setattr(textbook, change, _next_float(getattr(textbook, change)))
    elif change == "W1":
        textbook.starts[0].params["W1"] = _next_float(textbook.starts[0].params["W1"])
    elif change == "state":
        name = next(iter(textbook.starts[1].state))
        textbook.starts[1].state[name] = _next_float(textbook.starts[1].state[name])
    else:
        textbook.starts[0].t += 1
    assert memo.key(case, "torch", textbook, True) != before


def test_the_namespace_holds_the_code_the_threads_and_the_frameworks_variables(monkeypatch, tmp_path):
    memo.namespace.cache_clear()
    before = memo.namespace()
    variables = environment.configured_variables()
    variables["TF_ENABLE_ONEDNN_OPTS"] = "0" if variables.get("TF_ENABLE_ONEDNN_OPTS") != "0" else "1"
    monkeypatch.setattr(environment, "_configured_variables", variables)
    memo.namespace.cache_clear()
    changed_variable = memo.namespace()
    monkeypatch.undo()
    monkeypatch.setattr(environment, "_configured_threads", 7)
    memo.namespace.cache_clear()
    changed_threads = memo.namespace()
    monkeypatch.undo()
    memo.namespace.cache_clear()
    assert memo.namespace() == before
    assert len({before, changed_variable, changed_threads}) == 3
    monkeypatch.setattr(environment, "_configured_variables", {**environment.configured_variables(),
                                                               "NN_PARITY_VERBOSE": "1"})
    monkeypatch.setenv("KMP_INIT_AT_FORK", "FALSE")  # as importing torch does, after configure()
    memo.namespace.cache_clear()  # neither our own log switch nor a framework's own variable changes a number
    assert memo.namespace() == before
    memo.namespace.cache_clear()

    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "adapter.py"
    source.write_text("x = 1\n")
    first = memo.source_digest([tmp_path / "pkg"])
    source.write_text("x = 2\n")
    assert memo.source_digest([tmp_path / "pkg"]) != first


def test_an_unreadable_file_is_a_miss_and_is_removed(folder):
    memo.store("something", [1, 2])
    path = memo.folder() / "something.pickle"
    path.write_bytes(path.read_bytes()[:5])
    assert memo.load("something") is None and not path.exists()


def test_only_the_most_recent_namespaces_are_kept(folder, monkeypatch):
    for i in range(memo.KEEP + 2):
        old = folder / f"old{i}"
        old.mkdir(parents=True)
        os.utime(old, (1000 + i, 1000 + i))
    memo._open.cache_clear()
    memo.store("something", 1)
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == memo.KEEP and memo.namespace() in kept
    assert f"old{memo.KEEP + 1}" in kept and "old0" not in kept  # the newest stay


@pytest.mark.torch
def test_a_remembered_run_gives_the_same_results_and_computes_nothing(folder):
    pytest.importorskip("torch")
    first, second = {}, {}
    fresh = next(harness.run_cases([CASE], ["torch"], remember=True, counts=first))
    again = next(harness.run_cases([CASE], ["torch"], remember=True, counts=second))
    assert first == {"computed": 1} and second == {"remembered": 1}
    assert fresh.results == again.results
    assert again.defaults["torch"] == fresh.defaults["torch"]


@pytest.mark.torch
def test_a_planted_reference_bug_is_still_caught_with_the_frameworks_remembered(folder, monkeypatch):
    """The comparisons are made afresh: a remembered framework run against a broken reference fails."""
    pytest.importorskip("torch")
    import reference
    from tests import planted

    harness.run_case(CASE, ["torch"], remember=True)
    monkeypatch.setattr(reference.network, "linear_backward", planted.missing_one_over_m)
    counts = {}
    outcome = next(harness.run_cases([CASE], ["torch"], remember=True, counts=counts))
    assert counts == {"remembered": 1} and not outcome.passed
    first = outcome.first_divergence
    assert (first.step, first.stage, first.layer, first.quantity) == (0, "backward", 2, "dW")


@pytest.mark.torch
def test_a_rerun_of_the_report_reads_every_run_and_writes_the_same_report(folder, tmp_path, capsys):
    pytest.importorskip("torch")
    from parity.cli import main

    argv = ["report", "--case", CASE.name, "--framework", "torch", "--format", "json"]
    assert main([*argv, "--out", str(tmp_path / "first")]) == 0
    assert "remembered" not in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "second")]) == 0
    assert "framework runs: 1 remembered" in capsys.readouterr().err
    assert (tmp_path / "first" / "report.json").read_bytes() == (tmp_path / "second" / "report.json").read_bytes()
    assert main([*argv, "--fresh", "--out", str(tmp_path / "third")]) == 0
    assert "remembered" not in capsys.readouterr().err


def test_a_value_that_does_not_pickle_is_not_stored_and_leaves_no_file(folder):
    memo.store("unpicklable", lambda: None)
    assert memo.load("unpicklable") is None and list(memo.folder().iterdir()) == []
