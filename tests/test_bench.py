"""``python -m parity bench``: the document it writes. Timings are figures to read, never asserted here: the
arithmetic that turns timings into rates, ratios and targets runs on a fake clock, with hand-derived answers."""

import json
import logging

import numpy as np
import pytest

from parity import bench
from parity.cli import main
from parity.tolerance import REARRANGEMENT_ULPS, ulps

REARRANGED = ulps(np.float64, REARRANGEMENT_ULPS)
PLANAR = bench.NETWORKS[0]  # 2-4-1, m = 400


def test_step_flops_counts_forward_dW_and_dA_except_the_input_layer():
    # 784-128-10, m = 1: forward 2(784*128 + 128*10), dW the same, dA only for layer 2: 2(128*10)
    assert bench.step_flops((784, 128, 10), 1) == 2 * (3 * (784 * 128 + 128 * 10) - 784 * 128)


class Clock:
    """A clock that moves only when a fake step says so; ``seconds`` stands in for ``bench._seconds``."""

    def __init__(self):
        self.now = 0.0

    def seconds(self, function) -> float:
        started = self.now
        function()
        return self.now - started

    def step(self, duration: float, slow_call: int | None = None):
        """A step taking ``duration`` seconds (powers of two, so every sum and difference is exact), except
        call number ``slow_call``, which the machine delays 100 times."""
        calls = []

        def step():
            calls.append(None)
            self.now += duration * (100 if len(calls) == slow_call else 1)

        return step


def test_gemm_rate_is_the_best_of_the_repeats(monkeypatch):
    durations = iter([3 * 2.0**-10, 2.0**-10, 2 * 2.0**-10])
    monkeypatch.setattr(bench, "_seconds", lambda function: next(durations))
    # 2 n^3 = 1024 FLOPs in the fastest time, 2^-10 s: 1024 * 1024 FLOP/s = 0.001048576 GFLOP/s
    assert bench.gemm_gflops("float64", size=8, repeats=3) == pytest.approx(0.001048576, rel=REARRANGED)


# Seconds per step of each implementation on the 2-4-1 planar network (22,400 FLOPs per step: forward
# 2 * 400 * (2*4 + 4*1) = 9,600, dW the same, dA[1] 2 * 400 * 4 = 3,200); in float64 the reference is the slower.
SECONDS = {("reference", "float32"): 2.0**-10, ("torch", "float32"): 2.0**-9, ("keras", "float32"): 2.0**-8,
           ("keras-function", "float32"): 2.0**-11, ("reference", "float64"): 2.0**-8,
           ("torch", "float64"): 2.0**-9, ("keras", "float64"): 2.0**-9, ("keras-function", "float64"): 2.0**-10,
           ("jax", "float32"): 2.0**-9, ("jax", "float64"): 2.0**-7}
GEMM_RATES = {"float32": 64.0, "float64": 32.0}
# implementation, dtype: ms per step = 1000 s, GFLOP/s = 22,400 / s / 1e9, times torch's time, share of the GEMM rate
EXPECTED = {
    ("reference", "float32"): (0.9765625, 0.0229376, 0.5, 0.0229376 / 64),
    ("torch", "float32"): (1.953125, 0.0114688, 1.0, 0.0114688 / 64),
    ("keras", "float32"): (3.90625, 0.0057344, 2.0, 0.0057344 / 64),
    ("keras-function", "float32"): (0.48828125, 0.0458752, 0.25, 0.0458752 / 64),
    ("reference", "float64"): (3.90625, 0.0057344, 2.0, 0.0057344 / 32),
    ("torch", "float64"): (1.953125, 0.0114688, 1.0, 0.0114688 / 32),
    ("keras", "float64"): (1.953125, 0.0114688, 1.0, 0.0114688 / 32),
    ("keras-function", "float64"): (0.9765625, 0.0229376, 0.5, 0.0229376 / 32),
    ("jax", "float32"): (1.953125, 0.0114688, 1.0, 0.0114688 / 64),
    ("jax", "float64"): (7.8125, 0.0028672, 4.0, 0.0028672 / 32),
}


@pytest.fixture
def fake_clock(monkeypatch):
    import parity.harness

    clock = Clock()
    monkeypatch.setattr(bench, "_seconds", clock.seconds)
    monkeypatch.setattr(bench, "_settle", lambda: None)
    monkeypatch.setattr(bench, "gemm_gflops", lambda dtype: GEMM_RATES[dtype])
    monkeypatch.setattr(parity.harness, "runtime_defaults", lambda framework: {})
    return clock


def test_each_record_takes_rate_ratio_and_efficiency_from_its_own_timing(fake_clock, monkeypatch):
    """The median of the timed steps (the delayed one ignored), against torch's time in the same group and the
    GEMM rate of the record's own dtype; the target names the one size where the reference was slower."""
    warmup, repeats = 2, 3
    monkeypatch.setattr(bench, "_stepper", lambda name, network, dtype, params, X, Y: fake_clock.step(
        SECONDS[name, dtype], slow_call=warmup + 2))
    document = bench.run(networks=(PLANAR,), warmup=warmup, repeats=repeats)
    assert {key: document[key] for key in ("schema", "gemm_gflops", "gemm_size", "warmup", "repeats", "skipped")} == {
        "schema": "nn-parity/bench/v1", "gemm_gflops": GEMM_RATES, "gemm_size": bench.GEMM_SIZE, "warmup": warmup,
        "repeats": repeats, "skipped": {}}
    records = {(r["implementation"], r["dtype"]): r for r in document["results"]}
    assert list(records) == [(name, dtype) for dtype in ("float32", "float64") for name in bench.IMPLEMENTATIONS]
    for key, (ms, gflops, ratio, efficiency) in EXPECTED.items():
        r = records[key]
        assert (r["network"], r["layers"], r["m"]) == (PLANAR.name, [2, 4, 1], 400)
        assert r["ms_per_step"] == ms and r["ratio_to_torch"] == ratio, key
        assert r["gflops"] == pytest.approx(gflops, rel=REARRANGED), key
        assert r["efficiency"] == pytest.approx(efficiency, rel=REARRANGED), key
    assert document["targets"] == [{
        "target": "the reference is the fastest implementation at every size and dtype", "met": False,
        "detail": "2-4-1 planar m=400 float32: reference 0.977 ms, fastest peer keras-function 0.488 ms (2.00x its "
                  "time); 2-4-1 planar m=400 float64: reference 3.91 ms, fastest peer keras-function 0.977 ms (4.00x "
                  "its time)"}]


def test_a_missing_framework_is_skipped_and_leaves_no_ratio(fake_clock, monkeypatch):
    import parity.harness

    def runtime_defaults(framework):
        if framework == "torch":
            raise ImportError("No module named 'torch'", name="torch")
        return {}

    monkeypatch.setattr(parity.harness, "runtime_defaults", runtime_defaults)
    monkeypatch.setattr(bench, "_stepper", lambda name, network, dtype, params, X, Y: fake_clock.step(2.0**-10))
    document = bench.run(dtypes=("float64",), networks=(PLANAR,), warmup=0, repeats=1)
    assert document["skipped"] == {"torch": "torch is not installed"}
    assert [(r["implementation"], r["ratio_to_torch"]) for r in document["results"]] == [
        ("reference", None), ("keras", None), ("keras-function", None), ("jax", None)]
    # compared with the peers that ran; a tie is not behind
    assert document["targets"] == [{
        "target": "the reference is the fastest implementation at every size and dtype", "met": True,
        "detail": "2-4-1 planar m=400 float64: reference 0.977 ms, fastest peer keras 0.977 ms (1.00x its time)"}]


def test_implementations_take_turns_each_after_a_pause_and_an_untimed_step_of_its_own(fake_clock, monkeypatch):
    """Rounds in which every implementation takes a turn, in an order rotated by one each round; a turn is a pause
    (the previous library's threads stop spinning), an untimed step, then its share of the timed steps (7 in 3
    rounds: 3, 2, 2). A machine that slows down for a round (here round 1, 8 times slower) slows every
    implementation's steps in it alike."""
    calls = []
    monkeypatch.setattr(bench, "_settle", lambda: calls.append("pause"))
    slow_round = 1

    def stepper(name):
        def step():
            calls.append(name)
            this_round = (calls.count("pause") - 1) // 3  # 3 turns a round, each after a pause; -1 while warming up
            fake_clock.now += 2.0**-10 * (8 if this_round == slow_round else 1)
        return step

    times = bench.time_interleaved({name: stepper(name) for name in "abc"}, warmup=2, repeats=7)
    assert calls[:6] == list("aabbcc")

    def turns(order, timed):
        return [call for name in order for call in ["pause", name, *[name] * timed]]

    assert calls[6:] == turns("abc", 3) + turns("bca", 2) + turns("cab", 2)
    assert times == {name: [2.0**-10] * 3 + [8 * 2.0**-10] * 2 + [2.0**-10] * 2 for name in "abc"}


@pytest.mark.parametrize("efficiency, met", [(0.8, True), (0.79, False)])
def test_the_gemm_target_is_met_from_80_percent_at_the_largest_size(efficiency, met):
    largest = bench.NETWORKS[-1]
    timing = bench.Timing(largest.name, list(largest.layers), largest.m, "float32", "reference", 10.0, 40.0,
                          ratio_to_torch=None, efficiency=efficiency)
    assert bench.targets([timing], {"float32": 50.0}) == [{
        "target": "the reference reaches 80% of the GEMM rate at the largest size (float32)", "met": met,
        "detail": f"40.0 GFLOP/s of 50.0 ({100 * efficiency:.0f}%)"}]


def test_parity_overhead_is_the_total_less_the_frameworks_own_runs(fake_clock, monkeypatch):
    import parity.harness

    # a parity check of one case takes 2^-5 s; each framework's own run, 2^-7 s: 31.25 - 2 * 7.8125 = 15.625 ms
    check, own = fake_clock.step(2.0**-5), fake_clock.step(2.0**-7)
    monkeypatch.setattr(parity.harness, "run_case", lambda *args, **options: check())
    monkeypatch.setattr(parity.harness, "framework_trace", lambda *args, **options: own())
    overhead = bench.parity_overhead(repeats=3)
    assert overhead == {"case": "digits-784-10-10-relu-softmax-float32", "frameworks": ["torch", "keras"],
                        "total_ms": 31.25, "frameworks_ms": 15.625, "overhead_ms": 15.625}


@pytest.mark.slow
def test_bench_json_holds_gemm_rates_and_one_record_per_network_m_dtype_implementation(tmp_path, capfd, caplog,
                                                                                     monkeypatch):
    """The real run: every figure in bench.json agrees with the others it is derived from; no framework's
    warning on the way (TensorFlow's AutoGraph warned of our own functions, traced into the compiled step). The
    GEMM that measures the machine's rate is made small: at 2048 it took 5 of the test's 9 seconds."""
    monkeypatch.setattr(bench, "GEMM_SIZE", 256)
    monkeypatch.setattr(bench, "_settle", lambda: None)  # no timing here is read as a figure
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    pytest.importorskip("sklearn")
    argv = ["bench", "--quick", "--repeats", "1", "--no-suite", "--dtype", "float64", "--format", "json,md",
            "--out", str(tmp_path)]
    capfd.readouterr()  # what importing the frameworks above wrote (importorskip, unlike the bench, shows it)
    assert main(argv) == 0
    err = capfd.readouterr().err
    assert "WARNING" not in err and "AutoGraph" not in err, err
    assert [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.WARNING] == []  # TensorFlow's logs
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["schema"] == "nn-parity/bench/v1"
    assert (document["repeats"], document["gemm_size"], document["skipped"]) == (1, bench.GEMM_SIZE, {})
    assert "suite" not in document and {"cpu", "blas", "numpy"} <= set(document["environment"])
    assert document["machine"]["blas"][0]["architecture"] and "torch" in document["machine"]  # the kernel it ran
    rate = document["gemm_gflops"]
    assert set(rate) == {"float64"} and rate["float64"] > 0
    records = [(r["network"], r["m"], r["dtype"], r["implementation"]) for r in document["results"]]
    assert records == [(n.name, n.m, "float64", i) for n in bench.NETWORKS[:2] for i in bench.IMPLEMENTATIONS]
    # The arithmetic (rates, ratios to torch, efficiency, the targets' rule, the overhead) is checked against
    # hand-worked numbers on the fake clock above; a real run must fill every record with measured, finite numbers.
    for r in document["results"]:
        assert 0 < r["ms_per_step"] < float("inf") and r["gflops"] > 0 and r["efficiency"] > 0, r
    assert {r["ratio_to_torch"] for r in document["results"] if r["implementation"] == "torch"} == {1.0}
    assert [t["target"] for t in document["targets"]] == [
        "the reference is the fastest implementation at every size and dtype"]
    table = (tmp_path / "bench.md").read_text()  # the README's table, one row per network, m and dtype
    assert table.count("\n| ") == 1 + len(bench.NETWORKS[:2]) and "| reference | torch |" in table
    assert all(f"{r['ms_per_step']:.3g}" in table for r in document["results"])
    overhead = document["parity_overhead"]
    assert (overhead["case"], overhead["frameworks"]) == ("digits-784-10-10-relu-softmax-float32", ["torch", "keras"])
    assert overhead["total_ms"] > 0 and overhead["frameworks_ms"] > 0  # measured (their difference: fake clock)


def test_bench_refuses_unknown_formats(capsys):
    assert main(["bench", "--format", "csv"]) == 2
    assert "unknown format 'csv'; bench writes json and md" in capsys.readouterr().err


def test_the_benchmark_records_the_blas_kernel_and_whether_a_variable_forces_it(monkeypatch):
    pytest.importorskip("threadpoolctl")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    info = bench.machine()
    pools = info["blas"]
    assert pools and all(pool["user_api"] == "blas" and pool["num_threads"] >= 1 for pool in pools)
    assert "numpy" in pools[0]["filepath"] and pools[0]["architecture"]  # NumPy's own BLAS comes first
    assert info["environment"]["OPENBLAS_CORETYPE"] is None
    assert "the processor's own kernel" in bench.kernel_line(info)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    forced = bench.machine()
    assert forced["environment"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert "OPENBLAS_CORETYPE=Haswell forces it" in bench.kernel_line(forced)
