"""``python -m parity bench``: how fast is a full training step (forward, backward, update) in each library?

For each network, batch size m and dtype, every implementation builds the same network from the same weights
and takes gradient-descent steps on the same data; after ``warmup`` steps, ``repeats`` steps are timed one by one,
the implementations of a row taking turns (``time_interleaved``: a machine that slows down for a while slows them
alike; each turn starts after the previous library's threads have stopped spinning), and the median is reported
with its quartiles (a median ignores the odd step delayed by the machine). The GEMM rate is measured before and
after the rows, so a reader sees how far the machine itself moved. Implementations:

    reference        the NumPy reference: ``reference.iterate`` (checks its inputs once, then pure array work)
    torch            PyTorch eager: nn.Linear layers, loss module, optimizer.step()
    keras            Keras eager: a GradientTape step and optimizer.apply
    keras-function   the same Keras step compiled with ``tf.function`` (TensorFlow graph, no XLA)
    jax              JAX's step as the witness runs it: forward, optax loss, ``jax.value_and_grad`` and the optax
                     update in one ``jax.jit``-compiled XLA computation (timed until its results are ready)

GFLOP/s counts the matrix products only: 2 m n[l] n[l-1] per layer forward, the same again for dW[l], and again
for dA[l-1] except at the input layer, which no update needs. ``gemm_gflops`` is the machine's own measured rate
for a large square matrix product in NumPy (all cores), the practical ceiling; efficiency = achieved / that.
The targets (``TARGETS``) are checked here, in the benchmark, never in timed tests. ``machine`` records the
BLAS library, the kernel it chose and its threads, the variables that force a kernel, and the frameworks'
oneDNN and MKL use, beside the GEMM rate measured.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

import reference
from parity.case import Case
from parity.data import digits, one_hot, planar
from parity.frameworks import DEFAULT_WITNESSES, REGISTRY, check_names, get

SCHEMA = "nn-parity/bench/v1"
# what the bench times of each registry row (its ``bench``): implementation -> (framework, its compiled step?)
TIMED = {name: (row.name, name != row.name) for row in REGISTRY.values() for name in row.bench}
IMPLEMENTATIONS = ("reference", *TIMED)
GEMM_SIZE = 2048


@dataclass(frozen=True)
class Network:
    name: str
    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    m: int
    data: str


NETWORKS = (
    Network("2-4-1 planar", (2, 4, 1), ("tanh", "sigmoid"), "binary_crossentropy", 400, "planar"),
    Network("64-32-10 digits", (64, 32, 10), ("relu", "softmax"), "categorical_crossentropy", 1797, "digits"),
    Network("784-128-10", (784, 128, 10), ("relu", "softmax"), "categorical_crossentropy", 1024, "pixels"),
    Network("784-128-10", (784, 128, 10), ("relu", "softmax"), "categorical_crossentropy", 10000, "pixels"),
)


@dataclass
class Timing:
    network: str
    layers: list[int]
    m: int
    dtype: str
    implementation: str
    ms_per_step: float
    gflops: float
    ratio_to_torch: float | None = None  # ms_per_step / torch's ms_per_step, same network, m, dtype and run
    efficiency: float | None = None  # gflops / the GEMM rate of the dtype
    quartiles_ms: list[float] | None = None  # the first and third quartiles of the timed steps: their spread


def step_flops(layers, m: int) -> float:
    """Matrix-product FLOPs of one training step (see the module docstring)."""
    products = [layers[l] * layers[l - 1] for l in range(1, len(layers))]
    return 2.0 * m * (3 * sum(products) - products[0])


def gemm_gflops(dtype: str, size: int | None = None, repeats: int = 5) -> float:
    """The best of ``repeats`` timings of a size x size x size NumPy matrix product (``GEMM_SIZE``), in GFLOP/s."""
    size = size or GEMM_SIZE
    rng = np.random.default_rng(0)
    A = rng.standard_normal((size, size)).astype(dtype)
    B = rng.standard_normal((size, size)).astype(dtype)
    A @ B
    best = min(_seconds(lambda: A @ B) for _ in range(repeats))
    return 2.0 * size**3 / best / 1e9


KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS")


def machine() -> dict:
    """What the timings ran on: NumPy's BLAS with its kernel and threads (threadpoolctl), the environment
    variables that choose a kernel, and the frameworks' own math libraries (oneDNN, MKL) where they are loaded.

    ``OPENBLAS_CORETYPE`` forces OpenBLAS's kernel (this project's machines set it to Haswell for old OpenBLAS
    builds): the benchmark reports the kernel OpenBLAS really chose, so a run with the variable set is never
    mistaken for the processor's limit. Run ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m parity
    bench`` to measure with the processor's own kernel; tests and CI leave the variables alone.
    """
    import os

    info = {"environment": {name: os.environ.get(name) for name in KERNEL_VARIABLES}}
    try:
        import threadpoolctl

        # Every BLAS loaded in the process (NumPy's first; torch and scikit-learn may bring their own), and the
        # OpenMP runtimes beside them, which carry no kernel.
        pools = [{k: pool.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads",
                                           "threading_layer", "prefix", "filepath")}
                 for pool in threadpoolctl.threadpool_info()]
        blas = [pool for pool in pools if pool["user_api"] == "blas"]
        blas.sort(key=lambda pool: "numpy" not in (pool["filepath"] or ""))
        info["blas"] = blas
        info["openmp"] = [pool for pool in pools if pool["user_api"] == "openmp"]
    except ImportError:
        info["blas"] = "threadpoolctl is not installed: the kernel and threads are not known"
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = {"threads": torch.get_num_threads(), "mkldnn (oneDNN)": torch.backends.mkldnn.is_available(),
                         "mkl": torch.backends.mkl.is_available(),
                         "blas": next((part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ")
                                       .split() if part.startswith("BLAS_INFO=")), None)}
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        info["tensorflow"] = {"oneDNN": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (on by default on x86)"),
                              "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()}
    return info


def kernel_line(info: dict) -> str:
    """``OpenBLAS 0.3.31 (Haswell kernel, 2 threads; OPENBLAS_CORETYPE=Haswell)``: one line for the terminal."""
    pools = info.get("blas")
    if not isinstance(pools, list) or not pools:
        return str(pools or "no BLAS found by threadpoolctl")
    pool = pools[0]  # NumPy's
    forced = info["environment"].get("OPENBLAS_CORETYPE")
    note = f"; OPENBLAS_CORETYPE={forced} forces it" if forced else "; the processor's own kernel"
    return (f"{pool['internal_api']} {pool['version']} ({pool['architecture']} kernel, {pool['num_threads']} "
            f"threads{note})")


def _seconds(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _data(network: Network, dtype: str):
    if network.data == "planar":
        dataset = planar(m=network.m, seed=1)
        X, Y = dataset.X, dataset.Y
    elif network.data == "digits":
        dataset = digits()
        X, Y = dataset.X[:, : network.m], dataset.Y[:, : network.m]
    else:
        rng = np.random.default_rng(0)
        X = rng.uniform(0, 1, (network.layers[0], network.m))
        Y = one_hot(rng.integers(0, network.layers[-1], network.m), network.layers[-1])
    return X.astype(dtype), Y.astype(dtype)


def _stepper(implementation: str, network: Network, dtype: str, params: dict, X, Y):
    """A function that takes one training step, built once (outside the timing)."""
    case = Case(f"bench-{network.name}", network.layers, network.activations, network.loss, learning_rate=0.01,
                dtype=dtype, m=network.m)
    if implementation == "reference":
        steps = reference.iterate(params, X, Y, list(network.activations), network.loss, reference.SGD(0.01))
        return lambda: next(steps)
    framework, compiled = TIMED[implementation]
    adapter = importlib.import_module(f"parity.implementations.{get(framework).module}")
    return adapter.stepper(case, params, X, Y, framework, compiled=compiled)


ROUNDS = 3
SETTLE_SECONDS = 0.25  # longer than Intel OpenMP's KMP_BLOCKTIME (200 ms), the longest spin of the pools here
TIMING = (f"in turns: {ROUNDS} rounds, in each of which every implementation (in an order rotated by one each round) "
          f"pauses {SETTLE_SECONDS} s, takes an untimed step, then its share of the timed steps; ms_per_step is the "
          f"median of the timed steps, quartiles_ms their spread")


def time_interleaved(steppers: dict, warmup: int, repeats: int, rounds: int = ROUNDS) -> dict[str, list[float]]:
    """Seconds of ``repeats`` steps of each of ``steppers`` (name -> step function), taken in ``rounds`` rounds:
    each round gives every implementation a turn, in an order rotated by one each round, and a turn is a pause of
    ``SETTLE_SECONDS``, one untimed step, then its share of the timed steps, one after another.

    Why turns: this machine is shared, and its speed moves by a fifth or more within minutes (its GEMM rate is
    measured before and after); a slow spell then falls on every implementation's turns alike, not on whichever
    ran at that moment. Why the pause: after its last step a library's worker threads keep spinning for a while
    (Intel's OpenMP, torch's, 200 ms by default; OpenBLAS's and Eigen's less), taking a core from the next
    library; measured here, torch's step right after the reference's took 5 ms longer (45.7 ms against 38.8). The
    untimed step brings the implementation's own data back into the caches the previous one evicted."""
    for step in steppers.values():
        for _ in range(warmup):
            step()
    names = list(steppers)
    rounds = max(1, min(rounds, repeats))
    shares = [repeats // rounds + (r < repeats % rounds) for r in range(rounds)]
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_, share in enumerate(shares):
        for name in names[round_ % len(names):] + names[: round_ % len(names)]:
            _settle()
            steppers[name]()
            times[name] += [_seconds(steppers[name]) for _ in range(share)]
    return times


def _settle() -> None:
    time.sleep(SETTLE_SECONDS)


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def run(implementations=IMPLEMENTATIONS, dtypes=("float32", "float64"), networks=NETWORKS, warmup: int = 3,
        repeats: int = 15, stream=None) -> dict:
    from parity.harness import runtime_defaults

    stream = stream or sys.stderr
    available, skipped = [], {}
    for name in implementations:
        if name not in IMPLEMENTATIONS:
            raise ValueError(f"unknown implementation {name!r}; valid names: {', '.join(IMPLEMENTATIONS)}")
        framework = TIMED[name][0] if name != "reference" else None
        try:
            if framework:
                runtime_defaults(framework)
            available.append(name)
        except ImportError as error:
            skipped[name] = f"{error.name or framework} is not installed"
    rates = {dtype: gemm_gflops(dtype) for dtype in dtypes}
    print(f"BLAS: {kernel_line(machine())}", file=stream)
    print("GEMM rate (NumPy, " + ", ".join(f"{d} {r:.1f} GFLOP/s" for d, r in rates.items()) + ")", file=stream)
    timings: list[Timing] = []
    for network in networks:
        for dtype in dtypes:
            X, Y = _data(network, dtype)
            params = reference.init_params(list(network.layers), "he", seed=0, dtype=dtype)
            flops = step_flops(network.layers, network.m)
            steppers = {name: _stepper(name, network, dtype, params, X, Y) for name in available}
            times = time_interleaved(steppers, warmup, repeats)
            del steppers  # each holds its own copy of the data on its own device
            group = []
            for name in available:
                seconds = statistics.median(times[name])
                timing = Timing(network.name, list(network.layers), network.m, dtype, name, 1000 * seconds,
                                flops / seconds / 1e9, quartiles_ms=[1000 * q for q in _quartiles(times[name])])
                timing.efficiency = timing.gflops / rates[dtype]
                group.append(timing)
                print(f"  {network.name:16s} m={network.m:<6d} {dtype}  {name:15s} {timing.ms_per_step:9.3f} ms/step "
                      f"{timing.gflops:8.2f} GFLOP/s", file=stream, flush=True)
            torch_ms = next((t.ms_per_step for t in group if t.implementation == "torch"), None)
            for timing in group:
                timing.ratio_to_torch = None if torch_ms is None else timing.ms_per_step / torch_ms
            timings += group
    # the same GEMM measured again at the end: how much the machine itself moved while the steps were timed
    rates_after = {dtype: gemm_gflops(dtype) for dtype in dtypes}
    print("GEMM rate at the end (" + ", ".join(f"{d} {r:.1f} GFLOP/s" for d, r in rates_after.items()) + ")",
          file=stream)
    return {"schema": SCHEMA, "machine": machine(), "gemm_gflops": rates, "gemm_gflops_after": rates_after,
            "gemm_size": GEMM_SIZE, "warmup": warmup, "repeats": repeats, "timing": TIMING,
            "skipped": skipped, "results": [asdict(t) for t in timings], "targets": targets(timings, rates)}


def targets(timings: list[Timing], rates: dict) -> list[dict]:
    """The issue's performance targets, each with the figures that decide it: the reference the fastest
    implementation at every network, m and dtype, and at 80% of the GEMM rate at the largest size."""
    checks = []
    groups: dict[tuple, list[Timing]] = {}
    for t in timings:
        groups.setdefault((t.network, t.m, t.dtype), []).append(t)
    behind, compared = [], []
    for (network, m, dtype), group in groups.items():
        own = next((t for t in group if t.implementation == "reference"), None)
        peers = [t for t in group if t.implementation != "reference"]
        if own is None or not peers:
            continue
        fastest = min(peers, key=lambda t: t.ms_per_step)
        line = (f"{network} m={m} {dtype}: reference {own.ms_per_step:.3g} ms, fastest peer {fastest.implementation} "
                f"{fastest.ms_per_step:.3g} ms ({own.ms_per_step / fastest.ms_per_step:.2f}x its time)")
        compared.append(line)
        if fastest.ms_per_step < own.ms_per_step:
            behind.append(line)
    if compared:
        checks.append({"target": "the reference is the fastest implementation at every size and dtype",
                       "met": not behind, "detail": "; ".join(behind or compared)})
    largest = NETWORKS[-1]
    for t in timings:
        if t.implementation == "reference" and (t.network, t.m) == (largest.name, largest.m):
            checks.append({
                "target": f"the reference reaches 80% of the GEMM rate at the largest size ({t.dtype})",
                "met": t.efficiency >= 0.8,
                "detail": f"{t.gflops:.1f} GFLOP/s of {rates[t.dtype]:.1f} ({100 * t.efficiency:.0f}%)",
            })
    return checks


def markdown_table(document: dict) -> str:
    """The table of docs/performance.md, regenerated from a bench document: ms per step of each implementation per
    network, m and dtype; the reference's cell adds its GFLOP/s and share of the GEMM rate; the fastest of a row is
    bold."""
    names = [name for name in IMPLEMENTATIONS if any(r["implementation"] == name for r in document["results"])]
    rows: dict[tuple, dict] = {}
    for r in document["results"]:
        rows.setdefault((r["network"], r["m"], r["dtype"]), {})[r["implementation"]] = r
    rates = ", ".join(f"{dtype} {rate:.0f}" for dtype, rate in document["gemm_gflops"].items())
    lines = [f"GEMM {rates} GFLOP/s; {kernel_line(document['machine'])}; ms per step (median of "
             f"{document['repeats']}, the implementations in turns)", "",
             "| network | m | dtype | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
    for (network, m, dtype), by_name in rows.items():
        fastest = min(r["ms_per_step"] for r in by_name.values())
        cells = []
        for name in names:
            r = by_name.get(name)
            if r is None:
                cells.append("")
                continue
            cell = f"{r['ms_per_step']:.3g}"
            if name == "reference":
                cell += f" ({r['gflops']:.3g} GFLOP/s, {100 * r['efficiency']:.2g}%)"
            cells.append(f"**{cell}**" if r["ms_per_step"] == fastest else cell)
        lines.append(f"| {network} | {m} | {dtype} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def parity_overhead(case_name: str = "digits-784-10-10-relu-softmax-float32", repeats: int = 5) -> dict:
    """What one case's parity check costs beyond the frameworks' own runs, in milliseconds (medians)."""
    from parity.case import get_case
    from parity.conventions import TEXTBOOK
    from parity.harness import framework_trace, reference_trace, run_case, runtime_defaults

    case = get_case(case_name)
    frameworks = []
    for framework in check_names(DEFAULT_WITNESSES):  # the check's default frameworks (parity.cli's check)
        try:
            runtime_defaults(framework)
            frameworks.append(framework)
        except ImportError:
            pass
    run_case(case, frameworks, drift=False)  # warm-up: imports, first-call costs
    total = statistics.median(_seconds(lambda: run_case(case, frameworks, drift=False)) for _ in range(repeats))
    starts = reference_trace(case, TEXTBOOK)[0].starts
    own = statistics.median(sum(_seconds(lambda fw=fw: framework_trace(case, fw, starts)) for fw in frameworks)
                            for _ in range(repeats))
    return {"case": case_name, "frameworks": frameworks, "total_ms": 1000 * total,
            "frameworks_ms": 1000 * own, "overhead_ms": 1000 * (total - own)}


def suite_throughput() -> dict:
    """Cases and comparisons per second over the whole grid (no rendering)."""
    from parity.case import GRID
    from parity.harness import run_cases

    started = time.perf_counter()
    comparisons = sum(len(outcome.results) for outcome in run_cases(GRID))
    seconds = time.perf_counter() - started
    return {"cases": len(GRID), "comparisons": comparisons, "seconds": seconds,
            "cases_per_second": len(GRID) / seconds, "comparisons_per_second": comparisons / seconds}
