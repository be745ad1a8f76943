"""``python -m parity report``: run the case grid in the reference and the frameworks; write report.md/.html/.json.

Exit 0 when every comparison passed or is explained, 1 when one failed, was uninformative or is missing (with
``--baseline``: 1 when anything regressed against it, as ``parity diff``)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from parity import data, memo
from parity.cli._common import FORMATS, check_writable, name_list
from parity.frameworks import FRAMEWORKS, check_names


def add_parser(commands) -> None:
    report = commands.add_parser("report", help="compare the reference with the frameworks over the case grid")
    report.add_argument("--case", action="append", default=[], metavar="NAME",
                        help="a case to run (repeatable); default: every case (see --list)")
    report.add_argument("--all", action="store_true", help="run every case of the grid (the default)")
    report.add_argument("--list", action="store_true", help="list the cases and exit")
    report.add_argument("--framework", type=name_list, default=None,
                        help=f"frameworks, comma-separated: {', '.join(FRAMEWORKS)} (default: all)")
    report.add_argument("--dtype", choices=["float32", "float64"], help="only the cases of this dtype")
    report.add_argument("--steps", type=int, default=None, help="run every selected case for this many steps")
    report.add_argument("--data", default=None, metavar="SOURCE",
                        help="run the cases whose input and output sizes fit SOURCE on it: a built-in data set "
                             "(planar, xor, digits) or MNIST files (train.csv, mnist.npz, IDX files or their folder)")
    report.add_argument("--format", type=name_list, default=list(FORMATS),
                        help=f"output formats, comma-separated: {', '.join(FORMATS)} (default: all three)")
    report.add_argument("--out", type=Path, default=Path("parity-report"), help="output directory")
    report.add_argument("--fresh", action="store_true",
                        help="run every framework again, even where its run with exactly these inputs, code, "
                             "packages and environment is remembered (parity/memo.py; NN_PARITY_RUN_CACHE=off: "
                             "never remember)")
    report.add_argument("--baseline", default=None, metavar="FILE|certified",
                        help="diff the run against a report.json or baseline ('certified': the one that ships); "
                             "exit 1 when anything regressed, as parity diff")


def run(args) -> int:
    from parity.case import GRID
    from parity.report import build
    from parity.report.blocks import parity_blocks
    from parity.report.files import write_formats

    if args.list:
        for case in GRID:
            print(f"{case.name:48s} {'-'.join(map(str, case.layer_dims)):14s} {'/'.join(case.activations):28s} "
                  f"{case.loss:25s} {case.optimizer:8s} steps={case.steps} m={case.m}")
        return 0
    unknown = [f for f in args.format if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FORMATS)}")
    frameworks = check_names(args.framework or FRAMEWORKS)
    cases = _selected_cases(args)
    check_writable(args.out)
    started, counts = time.perf_counter(), {}
    outcomes = _run(cases, frameworks, args.fresh, counts)
    defaults = _defaults(frameworks, outcomes)
    if counts.get("remembered"):
        print(f"framework runs: {counts['remembered']} remembered from {memo.folder()}, {counts.get('computed', 0)} "
              "computed (--fresh runs every one again)", file=sys.stderr)
    document = build(outcomes, _environment(frameworks), defaults)
    print(f"rendering {', '.join(args.format)} ...", file=sys.stderr, flush=True)
    paths = write_formats(document, parity_blocks, args.format, args.out, "report", "nn-parity report")
    summary = document["summary"]
    print(f"{summary['cases']} cases, {summary['comparisons']} comparisons: {summary['passed']} passed, "
          f"{summary['failed']} failed, {summary['explained']} explained, {summary['uninformative']} uninformative, "
          f"{summary['missing']} missing ({time.perf_counter() - started:.1f} s); wrote {', '.join(map(str, paths))}")
    for outcome in outcomes:
        if not outcome.passed:
            from parity.assertions import failure_message

            print(failure_message(outcome, limit=3), file=sys.stderr)
    if args.baseline is not None:
        return _diff_against(args.baseline, document, args.out)
    return 1 if summary["failed"] or summary["uninformative"] or summary["missing"] else 0


def _selected_cases(args) -> list:
    """The grid's cases that ``--case``, ``--dtype``, ``--steps`` and ``--data`` select, as they select them."""
    from parity.case import GRID, get_case

    cases = [get_case(name) for name in args.case] if args.case else list(GRID)
    if args.dtype:
        cases = [case for case in cases if case.dtype == args.dtype]
    if not cases:
        raise ValueError(f"no case has dtype {args.dtype}")
    if args.steps is not None:
        if args.steps < 1:
            raise ValueError(f"--steps must be a positive integer, got {args.steps}")
        cases = [replace(case, steps=args.steps) for case in cases]
    if args.data is not None:
        cases = _cases_for_data(cases, args.data)
    return cases


def _cases_for_data(cases, source: str):
    """The cases whose first and last layer sizes fit ``source``, switched to it (at most its sample count)."""
    train = data.load_source(source).train
    fitting = [replace(case, data=source, m=(m := min(case.m, train.m)),
                       mini_batch_size=case.mini_batch_size and min(case.mini_batch_size, m)) for case in cases
               if case.layer_dims[0] == train.X.shape[0] and case.layer_dims[-1] == train.Y.shape[0]]
    if not fitting:
        raise ValueError(f"no selected case fits {train.name}: it has {train.X.shape[0]} inputs and "
                         f"{train.Y.shape[0]} outputs (e.g. --case digits-784-10-10-relu-softmax-float32 for MNIST)")
    return fitting


def _run(cases, frameworks, fresh: bool, counts: dict) -> list:
    """Each case's outcome, with a line on stderr as each one ends: its verdict per framework and its time."""
    from parity.harness import run_cases

    outcomes, t0 = [], time.perf_counter()
    runs = run_cases(cases, frameworks, remember=not fresh, counts=counts, spread=True)
    for i, (case, outcome) in enumerate(zip(cases, runs, strict=True), start=1):
        outcomes.append(outcome)
        statuses = ", ".join(f"{fw} {outcome.verdict(fw)}" for fw in frameworks if fw in outcome.dtypes)
        skipped = ", ".join(f"{fw} skipped ({why})" for fw, why in outcome.skipped.items())
        print(f"[{i:>3}/{len(cases)}] {case.name}: {', '.join(filter(None, [statuses, skipped]))} "
              f"({time.perf_counter() - t0:.2f} s)", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
    return outcomes


def _defaults(frameworks, outcomes) -> dict:
    """Each framework's runtime defaults as its runs read them; a framework that ran no case is asked now (or
    remembered), and one that is not installed is left out."""
    from parity.harness import runtime_defaults

    defaults = {}
    for framework in frameworks:
        ran = next((outcome.defaults[framework] for outcome in outcomes if framework in outcome.defaults), None)
        if ran is None and (ran := memo.load(f"defaults-{framework}")) is None:
            try:
                memo.store(f"defaults-{framework}", ran := runtime_defaults(framework))
            except ImportError:
                continue
        defaults[framework] = ran
    return defaults


def _environment(frameworks) -> dict:
    """``describe()`` of this run. It reads TensorFlow's flags where this process imported it, and torch's here
    or, where torch ran in the Keras-on-torch worker (its row's ``spread``), from that worker. A run whose framework
    runs were all remembered imports neither: a description with every flag the run's frameworks have is stored
    for the next run of the same frameworks (the memo's namespace fixes the packages, environment and CPU it
    describes), and one that lacks some is replaced by the stored one where there is one."""
    from parity import frameworks as registry
    from parity import worker
    from parity.environment import describe

    described = describe()
    flags = described["flags"]
    if "torch" not in sys.modules and worker.running("torch"):
        theirs = worker.call("torch", "describe")["flags"]  # in describe()'s order: torch's before TensorFlow's
        described["flags"] = {**{k: v for k, v in flags.items() if not k.startswith("tensorflow_")},
                              **{k: v for k, v in theirs.items() if k.startswith("torch_")},
                              **{k: v for k, v in flags.items() if k.startswith("tensorflow_")}}
    name = "environment-" + "-".join(sorted(frameworks))
    needed = {"torch_num_threads" if registry.get(f).module == "torch" else "tensorflow_onednn_enabled"
              for f in frameworks
              if registry.get(f).module == "torch" or registry.get(f).keras_backend == "tensorflow"}
    if needed <= set(described["flags"]):
        memo.store(name, described)
        return described
    return memo.load(name) or described


def _diff_against(old: str, document: dict, out: Path) -> int:
    """``--baseline``: the run's diff against ``old``, printed as ``parity diff`` prints it; 1 on a regression."""
    from parity import baseline, diff

    record = baseline.compact(document)
    d = diff.diff(baseline.read(old), record)
    print(f"diff against {old}:", file=sys.stderr)
    return diff.emit(d, str(old), str(out / "report.json"), ["md"], None, sys.stdout)
