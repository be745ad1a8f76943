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

Each command is one module of this package, registered once in ``COMMANDS``: ``add_parser(commands)`` adds its
sub-command, options and help; ``run(args) -> int`` is its body and returns the exit status. What several
commands share is in ``parity.cli._common``.
"""

from __future__ import annotations

import argparse
import os
import sys

from parity import environment
from parity.cli import baseline, bench, check, diff, fuzz, report, train
from parity.environment import configure

# every command, in the order ``--help`` lists them
COMMANDS = {"report": report, "diff": diff, "baseline": baseline, "check": check, "bench": bench, "fuzz": fuzz,
            "train": train}

# One thread per framework process for the grid (report, and baseline through it), as in the test suite
# (conftest.py): the grid's arrays are small, three processes share the cores, a run is reproducible bit
# for bit, and the report, the baseline and the tests share their remembered runs (parity/memo.py). The
# other commands keep the libraries' own thread pools: bench measures them, train runs real data sets.
ONE_THREAD = ("report", "baseline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(commands)
    for command in commands.choices.values():
        command.add_argument("--verbose", action="store_true",
                             help="show the frameworks' own start-up log lines and warnings (held back by default)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        os.environ[environment.VERBOSE] = "1"  # read at each framework's import, here and in the workers
    configure(threads=1 if args.command in ONE_THREAD else None,
              keras_backend=getattr(args, "keras_backend", None) or "tensorflow")  # check --keras-backend
    try:
        return COMMANDS[args.command].run(args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"python -m parity {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"python -m parity {args.command}: interrupted; files already written are complete, "
              f"none is half-written", file=sys.stderr)
        return 130
