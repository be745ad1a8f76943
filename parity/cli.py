"""``python -m parity``: the command line.

    python -m parity report   run the case grid in the reference, PyTorch and Keras; write report.json
    python -m parity train    train the NumPy reference on a built-in data set, printing cost and accuracy

Bad input ends with a one-line message on stderr and exit status 2, never a traceback; a report with a
failed comparison exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import reference
from parity import data
from parity.environment import configure

FORMATS = ("json",)

OPTIMIZERS = {
    "sgd": lambda lr: reference.SGD(lr),
    "momentum": lambda lr: reference.Momentum(lr, beta=0.9),
    "adam": lambda lr: reference.Adam(lr),
}


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
                        help="frameworks, comma-separated: torch, torch-logits, keras (default: all)")
    report.add_argument("--dtype", choices=["float32", "float64"], help="only the cases of this dtype")
    report.add_argument("--format", type=_name_list, default=["json"], help=f"output formats: {', '.join(FORMATS)}")
    report.add_argument("--out", type=Path, default=Path("parity-report"), help="output directory")
    train = commands.add_parser("train", help="train the NumPy reference on a built-in data set")
    train.add_argument("--data", default="planar", help=f"built-in data set: {', '.join(data.BUILTIN)}")
    train.add_argument("--layers", type=_int_list, default=[2, 4, 1], help="layer sizes n_x,n[1],...,n[L]")
    train.add_argument("--activations", type=_name_list, default=["tanh", "sigmoid"], help="one per layer")
    train.add_argument("--loss", default="binary_crossentropy", choices=sorted(reference.LOSSES))
    train.add_argument("--optimizer", default="sgd", choices=sorted(OPTIMIZERS))
    train.add_argument("--learning-rate", type=float, default=1.2)
    train.add_argument("--iterations", type=int, default=2000)
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: full batch)")
    train.add_argument("--init", default="xavier", choices=sorted(reference.SCHEMES))
    train.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    train.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffle")
    train.add_argument("--print-every", type=int, default=200)
    return parser


def run_train(args) -> int:
    dataset = data.load(args.data).astype(args.dtype)
    if args.layers[0] != dataset.X.shape[0] or args.layers[-1] != dataset.Y.shape[0]:
        raise ValueError(
            f"--layers {','.join(map(str, args.layers))} does not fit {dataset.name}: it has "
            f"{dataset.X.shape[0]} input features and {dataset.Y.shape[0]} output rows"
        )
    params = reference.init_params(args.layers, args.init, seed=args.seed, dtype=args.dtype)
    optimizer = OPTIMIZERS[args.optimizer](args.learning_rate)
    print(
        f"reference: {'-'.join(map(str, args.layers))} {'/'.join(args.activations)} network, {args.loss}, "
        f"{args.optimizer} (learning rate {args.learning_rate}), {args.dtype}, on {dataset.name}",
        flush=True,
    )
    params, history = reference.train(
        params, dataset.X, dataset.Y, args.activations, args.loss, optimizer, args.iterations,
        batch_size=args.batch_size, seed=args.seed, print_every=args.print_every,
    )
    AL, _ = reference.forward(params, dataset.X, args.activations)
    final_cost = reference.cost(AL, dataset.Y, args.loss)
    final_accuracy = reference.accuracy(AL, dataset.Y, args.activations[-1])
    shown = f", accuracy {final_accuracy:.4f}" if final_accuracy is not None else ""
    print(f"final: cost {final_cost:.6f}{shown} on all {dataset.m} samples")
    return 0 if np.isfinite(final_cost) else 1


def run_report(args) -> int:
    from parity.case import GRID, get_case
    from parity.environment import describe
    from parity.harness import run_case, runtime_defaults
    from parity.implementations import FRAMEWORKS
    from parity.report import build
    from parity.report.files import write_json

    if args.list:
        for case in GRID:
            print(f"{case.name:48s} {'-'.join(map(str, case.layer_dims)):14s} {'/'.join(case.activations):28s} "
                  f"{case.loss:25s} {case.optimizer:8s} steps={case.steps} m={case.m}")
        return 0
    unknown = [f for f in args.format if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FORMATS)}")
    frameworks = args.framework or list(FRAMEWORKS)
    for framework in frameworks:
        if framework not in FRAMEWORKS:
            raise ValueError(f"unknown framework {framework!r}; valid names: {', '.join(FRAMEWORKS)}")
    cases = [get_case(name) for name in args.case] if args.case else list(GRID)
    if args.dtype:
        cases = [case for case in cases if case.dtype == args.dtype]
    if not cases:
        raise ValueError(f"no case has dtype {args.dtype}")
    _check_writable(args.out)
    outcomes, started = [], time.perf_counter()
    for i, case in enumerate(cases, start=1):
        t0 = time.perf_counter()
        outcome = run_case(case, frameworks)
        outcomes.append(outcome)
        statuses = ", ".join(f"{fw} {_status(outcome, fw)}" for fw in frameworks if fw in outcome.dtypes)
        skipped = ", ".join(f"{fw} skipped ({why})" for fw, why in outcome.skipped.items())
        print(f"[{i:>3}/{len(cases)}] {case.name}: {', '.join(filter(None, [statuses, skipped]))} "
              f"({time.perf_counter() - t0:.2f} s)", file=sys.stderr, flush=True)
    defaults = {}
    for framework in frameworks:
        try:
            defaults[framework] = runtime_defaults(framework)
        except ImportError:
            pass
    document = build(outcomes, describe(), defaults)
    path = write_json(document, args.out)
    summary = document["summary"]
    print(f"{summary['cases']} cases, {summary['comparisons']} comparisons: {summary['passed']} passed, "
          f"{summary['failed']} failed, {summary['explained']} explained "
          f"({time.perf_counter() - started:.1f} s); wrote {path}")
    for outcome in outcomes:
        if not outcome.passed:
            from parity.assertions import failure_message

            print(failure_message(outcome, limit=3), file=sys.stderr)
    return 1 if summary["failed"] else 0


def _status(outcome, framework: str) -> str:
    statuses = {r.status for r in outcome.results if r.framework == framework}
    return "fail" if "fail" in statuses else "explained" if "explained" in statuses else "pass"


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
    configure()
    try:
        return {"report": run_report, "train": run_train}[args.command](args)
    except (ValueError, TypeError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"python -m parity {args.command}: error: {message}", file=sys.stderr)
        return 2
