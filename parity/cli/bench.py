"""``python -m parity bench``: time a training step in each library (``parity.bench``), against the machine's
GEMM rate; print the table and, with ``--format``, write bench.json and bench.md (the table of docs/performance.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.cli._common import check_writable, name_list


def add_parser(commands) -> None:
    bench = commands.add_parser("bench", help="time a training step in the reference, PyTorch, Keras and JAX")
    bench.add_argument("--format", type=name_list, default=[],
                       help="json, md (comma-separated): also write bench.json, bench.md (the table of "
                            "docs/performance.md) into --out")
    bench.add_argument("--out", type=Path, default=Path("parity-bench"), help="output directory for bench.json")
    bench.add_argument("--repeats", type=int, default=15, help="timed steps per measurement (median reported)")
    bench.add_argument("--dtype", choices=["float32", "float64"], help="only this dtype")
    bench.add_argument("--quick", action="store_true", help="the two small networks only")
    bench.add_argument("--no-suite", action="store_true", help="skip timing the parity suite's own throughput")


def run(args) -> int:
    import json

    from parity import bench
    from parity.environment import describe
    from parity.report.files import write_atomic

    unknown = [f for f in args.format if f not in ("json", "md")]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; bench writes json and md")
    if args.repeats < 1:
        raise ValueError(f"--repeats must be a positive integer, got {args.repeats}")
    if args.format:
        check_writable(args.out)
    networks = bench.NETWORKS[:2] if args.quick else bench.NETWORKS
    dtypes = (args.dtype,) if args.dtype else ("float32", "float64")
    document = bench.run(networks=networks, dtypes=dtypes, repeats=args.repeats)
    print("parity check of one case beyond the frameworks' own runs ...", file=sys.stderr, flush=True)
    document["parity_overhead"] = bench.parity_overhead()
    if not args.no_suite:
        print("the parity suite over the whole grid ...", file=sys.stderr, flush=True)
        document["suite"] = bench.suite_throughput()
    document["environment"] = describe()
    _print_table(document)
    if "json" in args.format:
        path = args.out / "bench.json"
        write_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")
        print(f"wrote {path}")
    if "md" in args.format:  # the performance page's table, regenerated from these figures
        path = args.out / "bench.md"
        write_atomic(path, bench.markdown_table(document))
        print(f"wrote {path}")
    return 0


def _print_table(document: dict) -> None:
    """The measurements, the parity check's overhead, the suite's throughput and each target, as printed."""
    print(f"{'network':16s} {'m':>6s} {'dtype':8s} {'implementation':15s} {'ms/step':>9s} {'GFLOP/s':>8s} "
          f"{'x torch':>8s} {'of GEMM':>8s}")
    for r in document["results"]:
        ratio = "" if r["ratio_to_torch"] is None else f"{r['ratio_to_torch']:.2f}"
        print(f"{r['network']:16s} {r['m']:>6d} {r['dtype']:8s} {r['implementation']:15s} {r['ms_per_step']:9.3f} "
              f"{r['gflops']:8.2f} {ratio:>8s} {100 * r['efficiency']:7.0f}%")
    overhead = document["parity_overhead"]
    print(f"parity check of {overhead['case']}: {overhead['total_ms']:.1f} ms, of which the frameworks' own runs "
          f"{overhead['frameworks_ms']:.1f} ms: overhead {overhead['overhead_ms']:.1f} ms")
    if "suite" in document:
        suite = document["suite"]
        print(f"parity suite: {suite['cases']} cases, {suite['comparisons']} comparisons in {suite['seconds']:.1f} s "
              f"({suite['cases_per_second']:.1f} cases/s, {suite['comparisons_per_second']:.0f} comparisons/s)")
    for target in document["targets"]:
        print(f"target {'met' if target['met'] else 'MISSED'}: {target['target']}: {target['detail']}")
