"""``python -m parity``: the command line.

    python -m parity report   run the case grid in the reference, PyTorch and Keras; write report.json
    python -m parity train    train the reference, PyTorch and Keras side by side from identical weights
    python -m parity check    check a learner's own network (script or notebook) against the reference
    python -m parity bench    time a training step in each library, against the machine's GEMM rate
    python -m parity fuzz     run cases drawn at random from a seed; shrink each failure to one command
    python -m parity diff     what changed between two reports or baselines; exit 1 on a regression
    python -m parity baseline write the compact baseline record of a report (the certified one ships)

Bad input ends with a one-line message on stderr and exit status 2, never a traceback; a report with a
failed comparison exits 1, and so does a fuzz run with a failed case or a framework that raised.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import reference
from parity import data, environment, memo
from parity.case import OPTIMIZERS
from parity.environment import configure
from parity.frameworks import FRAMEWORKS, check_names
from parity.side_by_side import IMPLEMENTATIONS, train_side_by_side

FORMATS = ("md", "html", "json")
FUZZ_FORMATS = ("md", "json")
FUZZ_SECONDS = 60.0



def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, e.g. 2,4,1; got {text!r}") from None


def _name_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="compare the reference with the frameworks over the case grid")
    report.add_argument("--case", action="append", default=[], metavar="NAME",
                        help="a case to run (repeatable); default: every case (see --list)")
    report.add_argument("--all", action="store_true", help="run every case of the grid (the default)")
    report.add_argument("--list", action="store_true", help="list the cases and exit")
    report.add_argument("--framework", type=_name_list, default=None,
                        help=f"frameworks, comma-separated: {', '.join(FRAMEWORKS)} (default: all)")
    report.add_argument("--dtype", choices=["float32", "float64"], help="only the cases of this dtype")
    report.add_argument("--steps", type=int, default=None, help="run every selected case for this many steps")
    report.add_argument("--data", default=None, metavar="SOURCE",
                        help="run the cases whose input and output sizes fit SOURCE on it: a built-in data set "
                             "(planar, xor, digits) or MNIST files (train.csv, mnist.npz, IDX files or their folder)")
    report.add_argument("--format", type=_name_list, default=list(FORMATS),
                        help=f"output formats, comma-separated: {', '.join(FORMATS)} (default: all three)")
    report.add_argument("--out", type=Path, default=Path("parity-report"), help="output directory")
    report.add_argument("--fresh", action="store_true",
                        help="run every framework again, even where its run with exactly these inputs, code, "
                             "packages and environment is remembered (parity/memo.py; NN_PARITY_RUN_CACHE=off: "
                             "never remember)")
    report.add_argument("--baseline", default=None, metavar="FILE|certified",
                        help="diff the run against a report.json or baseline ('certified': the one that ships); "
                             "exit 1 when anything regressed, as parity diff")
    diff = commands.add_parser("diff", help="what changed between two report.json files or baselines")
    diff.add_argument("old", help="a report.json or baseline, or 'certified'")
    diff.add_argument("new", help="a report.json or baseline, or 'certified'")
    diff.add_argument("--format", type=_name_list, default=["md"],
                      help="md (default) or json on the terminal; with --out, any of md,html,json as files")
    diff.add_argument("--out", type=Path, default=None, help="write diff.md/.html/.json here (see --format)")
    base = commands.add_parser("baseline", help="write the compact baseline record of a report (or of a new run)")
    base.add_argument("report", nargs="?", type=Path, default=None,
                      help="a report.json to reduce; without it, the whole grid is run first")
    base.add_argument("--out", type=Path, required=True, help="the baseline file to write")
    check = commands.add_parser(
        "check", help="check your own network (a .py file, an exported notebook or a .ipynb) against the reference",
        description="Check your own network against the reference, unchanged: the course's L-layer API "
                    "(L_model_forward, ...), its one-hidden-layer API (forward_propagation, ...), separate arrays "
                    "(init_params, forward_prop(W1, b1, ..., X), ...) or this project's module interface. Only "
                    "imports, definitions and simple assignments run; top-level code is skipped and listed.")
    check.add_argument("module", type=Path, help="your .py file or .ipynb notebook (see examples/learners/)")
    for role, example in (("forward", "L_model_forward"), ("backward", "L_model_backward"),
                          ("update", "update_parameters"), ("cost", "compute_cost"),
                          ("init", "initialize_parameters_deep")):
        check.add_argument(f"--{role}", metavar="NAME", default=None,
                           help=f"the name of your {role} function, when it is not the usual one (e.g. {example})")
    check.add_argument("--layers", type=_int_list, default=None, help="layer sizes n_x,n[1],...,n[L] (e.g. 784,10,10)")
    check.add_argument("--activations", type=_name_list, default=None, help="one per layer (e.g. relu,softmax)")
    check.add_argument("--loss", default=None, help="binary_crossentropy, categorical_crossentropy or mse")
    check.add_argument("--learning-rate", type=float, default=0.1)
    check.add_argument("--steps", type=int, default=3, help="gradient-descent steps to compare (default 3)")
    check.add_argument("--m", type=int, default=32, help="samples in the batch (default 32)")
    check.add_argument("--frameworks", type=_name_list, default=["torch", "keras"],
                       help="frameworks that certify the reference on your network, or 'none' (default torch,keras)")
    check.add_argument("--format", type=_name_list, default=["human"],
                       help="human (default) or json on the terminal; with --out, any of md,html,json as files")
    check.add_argument("--out", type=Path, default=None, help="write check.md/.html/.json here (see --format)")
    bench = commands.add_parser("bench", help="time a training step in the reference, PyTorch, Keras and JAX")
    bench.add_argument("--format", type=_name_list, default=[],
                       help="json, md (comma-separated): also write bench.json, bench.md (the README's table) "
                            "into --out")
    bench.add_argument("--out", type=Path, default=Path("parity-bench"), help="output directory for bench.json")
    bench.add_argument("--repeats", type=int, default=15, help="timed steps per measurement (median reported)")
    bench.add_argument("--dtype", choices=["float32", "float64"], help="only this dtype")
    bench.add_argument("--quick", action="store_true", help="the two small networks only")
    bench.add_argument("--no-suite", action="store_true", help="skip timing the parity suite's own throughput")
    fuzz = commands.add_parser("fuzz", help="run random cases from a seed in every framework; shrink failures "
                                            "to the one command that reproduces them")
    fuzz.add_argument("--seconds", type=float, default=None,
                      help=f"stop drawing cases after this long (default {FUZZ_SECONDS:g} unless --cases is given; "
                           f"shrinking failures comes after)")
    fuzz.add_argument("--cases", type=int, default=None,
                      help="stop after this many cases (deterministic; with --seconds, whichever comes first)")
    fuzz.add_argument("--seed", type=int, default=None, help="seed of the draws (default 0): case i is a function "
                                                             "of (seed, i) alone")
    fuzz.add_argument("--framework", type=_name_list, default=None,
                      help=f"frameworks, comma-separated: {', '.join(FRAMEWORKS)} (default: all)")
    fuzz.add_argument("--format", type=_name_list, default=["md"],
                      help=f"output formats, comma-separated: {', '.join(FUZZ_FORMATS)} (default md); the first is "
                           f"printed, each is written into --out as fuzz.md, fuzz.json")
    fuzz.add_argument("--out", type=Path, default=None, help="output directory (default: print only)")
    fuzz.add_argument("--replay", metavar="JSON", default=None,
                      help="run the one case given by its fields as JSON (as a failure's reproduce command prints it) "
                           "and print its verdict and first divergence")
    train = commands.add_parser("train", help="train the reference, PyTorch and Keras side by side from identical "
                                              "weights with full-batch gradient descent")
    train.add_argument("--data", default="planar",
                       help=f"a built-in data set ({', '.join(data.BUILTIN)}) or MNIST files: Kaggle's train.csv, "
                            f"Keras's mnist.npz, an IDX images file or the folder holding the IDX files")
    train.add_argument("--layers", type=_int_list, default=None,
                       help="layer sizes n_x,n[1],...,n[L] (default: 2,4,1 for planar/xor, 64,10,10 for digits, "
                            "784,10,10 for MNIST)")
    train.add_argument("--activations", type=_name_list, default=None,
                       help="one per layer (default: tanh,sigmoid for two classes, relu,softmax for digits)")
    train.add_argument("--loss", default=None, choices=sorted(reference.LOSSES),
                       help="default: from the output activation (sigmoid: BCE, softmax: CCE, otherwise MSE)")
    train.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    train.add_argument("--learning-rate", type=float, default=None, help="default: 1.2 for two classes, 0.5 for digits")
    train.add_argument("--iterations", type=int, default=None, help="default: 1000 for two classes, 300 for digits")
    train.add_argument("--init", default=None, choices=sorted(reference.SCHEMES),
                       help="default: he for ReLU-family hidden layers, xavier otherwise")
    train.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    train.add_argument("--seed", type=int, default=0, help="seed of the initial weights (and of a held-out split)")
    train.add_argument("--print-every", type=int, default=None, help="default: a tenth of the iterations")
    train.add_argument("--implementations", type=_name_list, default=list(IMPLEMENTATIONS),
                       help=f"comma-separated: {', '.join(IMPLEMENTATIONS)} (default: all)")
    train.add_argument("--test-fraction", type=float, default=0.2,
                       help="share held out for testing when the data has no test set (default 0.2)")
    train.add_argument("--format", type=_name_list, default=None,
                       help=f"write the trajectories as {', '.join(FORMATS)} (default: all three when --out is given)")
    train.add_argument("--out", type=Path, default=None, help="output directory for the formats")
    for command in commands.choices.values():
        command.add_argument("--verbose", action="store_true",
                             help="show the frameworks' own start-up log lines and warnings (held back by default)")
    return parser


TWO_CLASS_DEFAULTS = {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"], "learning_rate": 1.2,
                      "iterations": 1000}
DIGIT_DEFAULTS = {"activations": ["relu", "softmax"], "learning_rate": 0.5, "iterations": 300}


def _train_defaults(args, split) -> None:
    """Fill the options left out with the defaults that fit the data."""
    n_x, n_y = split.train.X.shape[0], split.train.Y.shape[0]
    defaults = TWO_CLASS_DEFAULTS if n_y == 1 else {**DIGIT_DEFAULTS, "layers": [n_x, 10, n_y]}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.loss is None:
        output = reference.get_activation(args.activations[-1]).name
        args.loss = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}.get(output, "mse")
    if args.init is None:
        args.init = "he" if args.activations[0].startswith(("relu", "leaky_relu")) else "xavier"
    if args.print_every is None:
        args.print_every = max(1, args.iterations // 10)
    if args.layers[0] != n_x or args.layers[-1] != n_y:
        raise ValueError(f"--layers {','.join(map(str, args.layers))} does not fit {split.train.name}: it has "
                         f"{n_x} input features and {n_y} output rows")
    if args.iterations < 1:
        raise ValueError(f"--iterations must be a positive integer, got {args.iterations}")


def run_train(args) -> int:
    from parity.case import Case
    from parity.environment import describe
    from parity.report.blocks import train_blocks
    from parity.report.files import write_formats
    from parity.report.train_document import build_train

    for name in args.implementations:
        if name not in IMPLEMENTATIONS:
            raise ValueError(f"unknown implementation {name!r}; valid names: {', '.join(IMPLEMENTATIONS)}")
    formats = args.format if args.format is not None else (list(FORMATS) if args.out else [])
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FORMATS)}")
    if formats:
        args.out = args.out or Path("parity-train")
        _check_writable(args.out)
    split = data.load_source(args.data).held_out(args.test_fraction, seed=args.seed)
    _train_defaults(args, split)
    spec = Case(f"train-{'-'.join(map(str, args.layers))}", tuple(args.layers), tuple(args.activations), args.loss,
                optimizer=args.optimizer, learning_rate=args.learning_rate, dtype=args.dtype,
                steps=args.iterations, m=split.train.m, data=args.data, init=args.init)
    params = reference.init_params(args.layers, args.init, seed=args.seed, dtype=args.dtype)
    print(f"{'-'.join(map(str, args.layers))} {'/'.join(args.activations)} network, {args.loss}, {args.optimizer} "
          f"(learning rate {args.learning_rate}), {args.dtype}, {args.iterations} iterations on {split.train.name} "
          f"(m = {split.train.m}{f', test m = {split.test.m}' if split.test else ''}), from identical weights",
          flush=True)
    result = train_side_by_side(spec, split, params, args.implementations, print_every=args.print_every)
    for name, reason in result.skipped.items():
        print(f"{name} skipped: {reason}")
    for name, run in result.runs.items():
        test = f", test accuracy {run.test_accuracy:.4f}" if run.test_accuracy is not None else ""
        train_acc = f", train accuracy {run.train_accuracy:.4f}" if run.train_accuracy is not None else ""
        drift = f", drift from the reference {run.drift[-1]:.2g}" if run.drift else ""
        print(f"final {name}: cost {run.cost[-1]:.6f}{train_acc}{test}{drift} "
              f"({1000 * run.seconds / args.iterations:.2f} ms/iteration)")
    if formats:
        document = build_train(result, describe())
        paths = write_formats(document, train_blocks, formats, args.out, "train", "nn-parity training")
        print(f"wrote {', '.join(map(str, paths))}")
    return 0 if all(np.isfinite(run.cost[-1]) for run in result.runs.values()) else 1


def run_bench(args) -> int:
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
        _check_writable(args.out)
    networks = bench.NETWORKS[:2] if args.quick else bench.NETWORKS
    dtypes = (args.dtype,) if args.dtype else ("float32", "float64")
    document = bench.run(networks=networks, dtypes=dtypes, repeats=args.repeats)
    print("parity check of one case beyond the frameworks' own runs ...", file=sys.stderr, flush=True)
    document["parity_overhead"] = bench.parity_overhead()
    if not args.no_suite:
        print("the parity suite over the whole grid ...", file=sys.stderr, flush=True)
        document["suite"] = bench.suite_throughput()
    document["environment"] = describe()
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
    if "json" in args.format:
        path = args.out / "bench.json"
        write_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")
        print(f"wrote {path}")
    if "md" in args.format:  # the README's table, regenerated from these figures
        path = args.out / "bench.md"
        write_atomic(path, bench.markdown_table(document))
        print(f"wrote {path}")
    return 0


def run_check(args) -> int:
    from parity.learner import checker, render

    if args.steps < 1 or args.m < 1:
        raise ValueError("--steps and --m must be positive integers")
    unknown = [name for name in args.format if name not in render.FORMATS]
    if unknown:
        raise ValueError(f"unknown --format {', '.join(unknown)}; valid: {', '.join(render.FORMATS)}")
    if args.out is not None:
        _check_writable(args.out)
    return checker.run(args)


def run_report(args) -> int:
    from parity.case import GRID, get_case
    from parity.harness import run_cases, runtime_defaults
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
    _check_writable(args.out)
    outcomes, started, counts = [], time.perf_counter(), {}
    t0 = started
    runs = run_cases(cases, frameworks, remember=not args.fresh, counts=counts, spread=True)
    for i, (case, outcome) in enumerate(zip(cases, runs, strict=True), start=1):
        outcomes.append(outcome)
        statuses = ", ".join(f"{fw} {_status(outcome, fw)}" for fw in frameworks if fw in outcome.dtypes)
        skipped = ", ".join(f"{fw} skipped ({why})" for fw, why in outcome.skipped.items())
        print(f"[{i:>3}/{len(cases)}] {case.name}: {', '.join(filter(None, [statuses, skipped]))} "
              f"({time.perf_counter() - t0:.2f} s)", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
    defaults = {}
    for framework in frameworks:  # as the runs read them; a framework that ran no case is asked now
        ran = next((outcome.defaults[framework] for outcome in outcomes if framework in outcome.defaults), None)
        if ran is None and (ran := memo.load(f"defaults-{framework}")) is None:
            try:
                memo.store(f"defaults-{framework}", ran := runtime_defaults(framework))
            except ImportError:
                continue
        defaults[framework] = ran
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
        from parity import baseline, diff

        record = baseline.compact(document)
        d = diff.diff(baseline.read(args.baseline), record)
        print(f"diff against {args.baseline}:", file=sys.stderr)
        return diff.emit(d, str(args.baseline), str(args.out / "report.json"), ["md"], None, sys.stdout)
    return 1 if summary["failed"] or summary["uninformative"] or summary["missing"] else 0


def run_diff(args) -> int:
    from parity import diff

    unknown = [f for f in args.format if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown --format {', '.join(unknown)}; valid: {', '.join(FORMATS)}")
    if args.out is not None:
        _check_writable(args.out)
    return diff.run(args)


def _environment(frameworks) -> dict:
    """``describe()`` of this run. It reads TensorFlow's flags where this process imported it, and torch's here
    or, where torch ran in the Keras-on-torch worker (``harness.SPREAD``), from that worker. A run whose framework
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


def run_baseline(args) -> int:
    import json

    from parity import baseline

    if args.report is None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            code = main(["report", "--format", "json", "--out", folder])
            if code not in (0, 1):
                return code
            record = baseline.compact(json.loads((Path(folder) / "report.json").read_text()))
    else:
        record = baseline.read(args.report)
    baseline.write(record, args.out)
    results = sum(len(r) for c in record["cases"].values() for r in c["results"].values())
    print(f"wrote {args.out}: {len(record['cases'])} cases, {results} quantities "
          f"({args.out.stat().st_size / 1e3:.0f} kB)")
    return 0


def run_fuzz(args) -> int:
    import json

    from parity import fuzz
    from parity.report.files import write_atomic

    frameworks = check_names(args.framework or FRAMEWORKS)
    unknown = [f for f in args.format if f not in FUZZ_FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FUZZ_FORMATS)}")
    if args.replay is not None:
        given = [flag for flag, value in (("--seconds", args.seconds), ("--cases", args.cases), ("--seed", args.seed),
                                          ("--out", args.out)) if value is not None]
        if given:
            raise ValueError(f"--replay runs the one case it is given; it takes no {given[0]}")
        case = fuzz.case_from_json(args.replay)
        outcome = fuzz.run(case, frameworks)
        print(f"case {case.name}: {fuzz.shape(case)}: {outcome.verdict}")
        for line in fuzz.describe_outcome(outcome):
            print(f"  {line}")
        return 1 if outcome.verdict in ("fail", "error") else 0
    if args.seconds is not None and not args.seconds > 0:
        raise ValueError(f"--seconds must be a positive number, got {args.seconds:g}")
    if args.cases is not None and args.cases < 1:
        raise ValueError(f"--cases must be a positive integer, got {args.cases}")
    if args.seed is not None and args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.out is not None:
        _check_writable(args.out)
    seconds = FUZZ_SECONDS if args.seconds is None and args.cases is None else args.seconds
    started = last = time.perf_counter()

    def progress(summary, outcome):  # a line every 2 s, and one for each failing case
        nonlocal last
        found = outcome.verdict in ("fail", "error")
        if found:
            print(f"{outcome.case.name} {outcome.verdict}: {fuzz.shape(outcome.case)}", file=sys.stderr, flush=True)
        if found or time.perf_counter() - last >= 2:
            last = time.perf_counter()
            print(fuzz.progress_line(summary, last - started), file=sys.stderr, flush=True)

    summary = fuzz.fuzz(args.seed or 0, frameworks, cases=args.cases, seconds=seconds, progress=progress,
                        announce=lambda text: print(text, file=sys.stderr, flush=True))
    print(fuzz.progress_line(summary, time.perf_counter() - started), file=sys.stderr, flush=True)
    rendered = {"md": lambda: fuzz.to_markdown(summary),
                "json": lambda: json.dumps(fuzz.to_document(summary), indent=1, allow_nan=False) + "\n"}
    texts = {f: rendered[f]() for f in args.format}
    print(texts[args.format[0]], end="" if texts[args.format[0]].endswith("\n") else "\n")
    if args.out is not None:
        for name, text in texts.items():
            write_atomic(args.out / f"fuzz.{name}", text)
        print(f"wrote {', '.join(str(args.out / f'fuzz.{name}') for name in texts)}", file=sys.stderr)
    return 1 if summary.failed else 0


def _cases_for_data(cases, source: str):
    """The cases whose first and last layer sizes fit ``source``, switched to it (at most its sample count)."""
    train = data.load_source(source).train
    fitting = [replace(case, data=source, m=min(case.m, train.m)) for case in cases
               if case.layer_dims[0] == train.X.shape[0] and case.layer_dims[-1] == train.Y.shape[0]]
    if not fitting:
        raise ValueError(f"no selected case fits {train.name}: it has {train.X.shape[0]} inputs and "
                         f"{train.Y.shape[0]} outputs (e.g. --case digits-784-10-10-relu-softmax-float32 for MNIST)")
    return fitting


def _status(outcome, framework: str) -> str:
    return outcome.verdict(framework)


def _check_writable(out: Path) -> None:
    """Fail before any work if the output directory cannot be created or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".nn-parity-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write to output directory {str(out)!r}: {error.strerror or error}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        os.environ[environment.VERBOSE] = "1"  # read at each framework's import, here and in the workers
    # One thread per framework process for the grid (report, and baseline through it), as in the test suite
    # (conftest.py): the grid's arrays are small, three processes share the cores, a run is reproducible bit
    # for bit, and the report, the baseline and the tests share their remembered runs (parity/memo.py). The
    # other commands keep the libraries' own thread pools: bench measures them, train runs real data sets.
    configure(threads=1 if args.command in ("report", "baseline") else None)
    try:
        return {"report": run_report, "train": run_train, "check": run_check, "bench": run_bench,
                "fuzz": run_fuzz, "diff": run_diff, "baseline": run_baseline}[args.command](args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"python -m parity {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"python -m parity {args.command}: interrupted; files already written are complete, "
              f"none is half-written", file=sys.stderr)
        return 130
