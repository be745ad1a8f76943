"""``python -m parity bench``: the document it writes. Timings are figures to read, never asserted here."""

import json

import pytest

from parity import bench
from parity.cli import main


def test_step_flops_counts_forward_dW_and_dA_except_the_input_layer():
    # 784-128-10, m = 1: forward 2(784*128 + 128*10), dW the same, dA only for layer 2: 2(128*10)
    assert bench.step_flops((784, 128, 10), 1) == 2 * (3 * (784 * 128 + 128 * 10) - 784 * 128)


@pytest.mark.slow
def test_bench_json_holds_gemm_rates_and_one_record_per_network_m_dtype_implementation(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    pytest.importorskip("sklearn")
    argv = ["bench", "--quick", "--repeats", "1", "--no-suite", "--dtype", "float64", "--format", "json",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["schema"] == "nn-parity/bench/v1"
    assert set(document["gemm_gflops"]) == {"float64"} and document["gemm_gflops"]["float64"] > 0
    records = {(r["network"], r["m"], r["dtype"], r["implementation"]) for r in document["results"]}
    assert records == {(n.name, n.m, "float64", i) for n in bench.NETWORKS[:2] for i in bench.IMPLEMENTATIONS}
    for r in document["results"]:
        assert r["ms_per_step"] > 0 and r["gflops"] > 0 and r["ratio_to_torch"] > 0
    assert [t["target"] for t in document["targets"]] == [
        "the reference is no slower than PyTorch eager at every size"]
    assert document["parity_overhead"]["overhead_ms"] < document["parity_overhead"]["total_ms"]


def test_bench_refuses_unknown_formats(capsys):
    assert main(["bench", "--format", "csv"]) == 2
    assert "unknown format 'csv'; bench writes json" in capsys.readouterr().err
