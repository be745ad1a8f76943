"""``python -m parity report``: the JSON document, its schema, exit codes and bad input."""

import inspect
import json
from xml.etree import ElementTree

import pytest

import reference.network
from parity.cli import main
from tests import planted

CASES = ["sgd-1steps-float32", "edge-saturated-sigmoid-float64"]
RESULT_FIELDS = {"framework", "step", "stage", "layer", "quantity", "max_abs", "max_rel", "ulps", "atol", "rtol",
                 "status", "worst_index", "headroom", "budget_ulps", "explanation", "conventions", "predicted_max_abs",
                 "tolerance_ratio", "mismatched", "size", "actual_value", "expected_value"}


def report(tmp_path, *extra):
    argv = ["report", "--format", "json", "--out", str(tmp_path), *extra]
    for name in CASES:
        argv += ["--case", name]
    return main(argv)


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    out = tmp_path_factory.mktemp("report")
    assert report(out) == 0
    return json.loads((out / "report.json").read_text())


def test_report_follows_schema_v3(document):
    assert document["schema"] == "nn-parity/report/v3"
    for key in ("python", "numpy", "torch", "tensorflow", "keras", "blas", "cpu", "flags"):
        assert key in document["environment"]
    assert "tensorflow_onednn_enabled" in document["environment"]["flags"]
    assert [case["name"] for case in document["cases"]] == CASES
    for case in document["cases"]:
        assert {"name", "layers", "activations", "loss", "optimizer", "dtype", "steps", "first_divergence",
                "results", "drift", "costs"} <= set(case)
        assert set(case["drift"]) == set(case["frameworks"])
        for series in case["drift"].values():
            assert set(series) == {"J"} | {f"{q}[{l}]" for l in range(1, len(case["layers"])) for q in "Wb"}
            assert all(len(values) == case["steps"] for values in series.values())
        assert case["first_divergence"] is None
        for result in case["results"]:
            assert RESULT_FIELDS <= set(result)
            assert result["status"] in ("pass", "explained")
            assert 0 <= result["tolerance_ratio"] < 1  # informative: zeros in its place would fail


def test_summary_counts_add_up(document):
    summary = document["summary"]
    results = [r for case in document["cases"] for r in case["results"]]
    assert summary["cases"] == 2 and summary["comparisons"] == len(results)
    assert summary["passed"] + summary["failed"] + summary["explained"] + summary["uninformative"] == len(results)
    assert summary["uninformative"] == 0
    assert summary["failed"] == 0 and summary["explained"] > 0  # torch BCELoss at saturation
    assert 0 < summary["worst_headroom"]["float32"] < 1


def test_explained_results_carry_their_reason_and_predicted_size(document):
    explained = [r for case in document["cases"] for r in case["results"] if r["status"] == "explained"]
    documented = {"torch": ["torch-bce-guards"], "keras-jax": ["keras-probability-clipping"],
                  "keras-torch": ["keras-probability-clipping"]}
    assert all(r["conventions"] == documented[r["framework"]] and r["explanation"] for r in explained)
    assert all(isinstance(r["predicted_max_abs"], float) for r in explained)


def test_the_defaults_relied_on_are_read_from_the_installed_frameworks(document, tmp_path, monkeypatch):
    """The document quotes what the installed objects say, and reads it at run time: give torch's LeakyReLU and
    both Adams other defaults and the report quotes those instead, while the default-slope cases, compared with
    each framework's own slope, still pass against the new one."""
    import torch
    from keras import layers, optimizers

    from parity import harness

    torch_adam = inspect.signature(torch.optim.Adam).parameters
    assert document["defaults"]["torch"]["adam_epsilon"] == torch_adam["eps"].default
    assert document["defaults"]["torch"]["leaky_relu_slope"] == torch.nn.LeakyReLU().negative_slope
    assert document["defaults"]["keras"]["adam_epsilon"] == optimizers.Adam().epsilon
    assert document["defaults"]["keras"]["leaky_relu_slope"] == layers.LeakyReLU().negative_slope

    class TorchLeakyReLU(torch.nn.LeakyReLU):
        def __init__(self, negative_slope=0.125, inplace=False):
            super().__init__(negative_slope, inplace)

    class TorchAdam(torch.optim.Adam):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=2.0**-20, **kwargs):
            super().__init__(params, lr, betas, eps, **kwargs)

    class KerasLeakyReLU(layers.LeakyReLU):
        def __init__(self, negative_slope=0.25, **kwargs):
            super().__init__(negative_slope=negative_slope, **kwargs)

    class KerasAdam(optimizers.Adam):
        def __init__(self, epsilon=2.0**-16, **kwargs):
            super().__init__(epsilon=epsilon, **kwargs)

    monkeypatch.setattr(torch.nn, "LeakyReLU", TorchLeakyReLU)
    monkeypatch.setattr(torch.optim, "Adam", TorchAdam)
    monkeypatch.setattr(layers, "LeakyReLU", KerasLeakyReLU)
    monkeypatch.setattr(optimizers, "Adam", KerasAdam)
    harness.runtime_defaults.cache_clear()  # read again now, and again after this test
    try:
        argv = ["report", "--case", "edge-leaky-relu-default-slope-float32", "--case",
                "edge-leaky-relu-default-slope-float64", "--format", "json", "--out", str(tmp_path),
                "--framework", "torch,torch-logits,keras"]  # the patched classes live in this process, not in workers
        assert main(argv) == 0
    finally:
        harness.runtime_defaults.cache_clear()
    changed = json.loads((tmp_path / "report.json").read_text())
    assert {key: changed["defaults"]["torch"][key] for key in ("leaky_relu_slope", "adam_epsilon")} == {
        "leaky_relu_slope": 0.125, "adam_epsilon": 2.0**-20}
    assert {key: changed["defaults"]["keras"][key] for key in ("leaky_relu_slope", "adam_epsilon")} == {
        "leaky_relu_slope": 0.25, "adam_epsilon": 2.0**-16}
    explained = [r for case in changed["cases"] for r in case["results"] if r["status"] == "explained"]
    assert {r["framework"] for r in explained} == {"torch", "torch-logits", "keras"}
    assert all(r["conventions"][-1] == "leaky-relu-default-slope" for r in explained)


def test_a_failing_report_exits_1_and_names_the_first_divergence(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")

    monkeypatch.setattr(reference.network, "linear_backward", planted.missing_one_over_m)
    assert main(["report", "--case", "sgd-1steps-float64", "--framework", "torch", "--out", str(tmp_path)]) == 1
    case = json.loads((tmp_path / "report.json").read_text())["cases"][0]
    first = case["first_divergence"]
    assert (first["step"], first["stage"], first["layer"], first["quantity"]) == (0, "backward", 2, "dW")
    assert "first divergence: torch, step 0, backward, layer 2, dW" in capsys.readouterr().err


def test_list_names_every_case(capsys):
    from parity.case import GRID

    assert main(["report", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == [case.name for case in GRID]


@pytest.mark.parametrize("argv, message", [
    (["--case", "no-such-case"], "unknown case 'no-such-case'"),
    (["--case", "sgd-1steps", "--framework", "mxnet"], "unknown framework 'mxnet'; valid names: torch, torch-logits"),
    (["--format", "pdf"], "unknown format 'pdf'; available formats: md, html, json"),
], ids=["unknown-case", "unknown-framework", "unknown-format"])
def test_bad_report_arguments_exit_2_with_one_line(tmp_path, capsys, argv, message):
    assert main(["report", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unwritable_output_directory_is_reported_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["report", "--case", "sgd-1steps-float32", "--out", str(blocker / "out")]) == 2
    assert "cannot write to output directory" in capsys.readouterr().err


def test_two_runs_give_identical_documents(tmp_path):
    """Deterministic: the same cases give byte-identical report.json (it holds no timestamps or timings)."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        argv = ["report", "--case", "adam-8steps-float32", "--case", "edge-saturated-sigmoid-float64",
                "--case", "digits-784-10-10-relu-softmax-float32", "--format", "json", "--out", str(out)]
        assert main(argv) == 0
    assert (first / "report.json").read_text() == (second / "report.json").read_text()


def test_the_environment_describes_torch_where_it_ran_in_the_keras_on_torch_worker(monkeypatch):
    """The report runs torch in the Keras-on-torch worker (harness.SPREAD), where the main process may never
    import it: its flags are asked of the worker, in the same place and with the same values as torch's here."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    import sys

    from parity import worker
    from parity.cli.report import _environment
    from parity.environment import describe, require

    require("tensorflow")
    here = describe()["flags"]
    worker.call("torch", "runtime_defaults", "torch")  # the worker has torch loaded, as after the report's runs
    monkeypatch.delitem(sys.modules, "torch")  # as in a report's main process
    assert "torch_num_threads" not in describe()["flags"]
    flags = _environment(["torch", "keras"])["flags"]
    assert list(flags.items()) == list(here.items())


def test_markdown_and_html_reports_teach_and_are_self_contained(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    argv = ["report", "--case", "adam-8steps-float32", "--case", "edge-saturated-sigmoid-float64",
            "--format", "md,html", "--out", str(tmp_path)]
    assert main(argv) == 0
    md = (tmp_path / "report.md").read_text()
    for heading in ("## Summary", "## How to read the numbers", "## Why the numbers agree", "## Explained divergences",
                    "### torch BCELoss clamps log at -100", "### Keras Adam adds epsilon-hat", "## Environment"):
        assert heading in md
    # the equation in the course's notation, and each framework's way of computing it
    assert "dW[l] = (1/m) dZ[l] A[l-1]^T" in md and "linear.weight.grad is dW itself" in md
    # defaults are read from the installed frameworks, not written in
    assert "its epsilon argument (default 1e-07) is epsilon_hat" in md and "default epsilon = 1e-08" in md
    figures = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert figures == ["case-adam-8steps-float32-cost.svg", "case-adam-8steps-float32-drift.svg",
                       "case-adam-8steps-float32-heatmap.svg", "case-edge-saturated-sigmoid-float64-heatmap.svg"]
    for name in figures:  # each file is a well-formed SVG with its own copy of the stylesheet
        svg = ElementTree.parse(tmp_path / "figures" / name).getroot()
        namespace = "{http://www.w3.org/2000/svg}"
        assert svg.tag == f"{namespace}svg" and svg.find(f"{namespace}style") is not None
    html = (tmp_path / "report.html").read_text()
    assert html.count("<figure><svg ") == 4 and html.count("<style>") == 1  # inline, one shared stylesheet
    assert "data:image" not in html
    assert "http://" not in html and "https://" not in html and "<script" not in html  # readable offline
