"""``python -m parity fuzz``: run cases drawn at random from a seed in every framework (``parity.fuzz``); shrink
each failure to the one command that reproduces it, or ``--replay`` one such case. Exit 1 when a case failed or a
framework raised."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from parity.cli._common import check_writable, name_list
from parity.frameworks import FRAMEWORKS, check_names

FUZZ_FORMATS = ("md", "json")
FUZZ_SECONDS = 60.0


def add_parser(commands) -> None:
    fuzz = commands.add_parser("fuzz", help="run random cases from a seed in every framework; shrink failures "
                                            "to the one command that reproduces them")
    fuzz.add_argument("--seconds", type=float, default=None,
                      help=f"stop drawing cases after this long (default {FUZZ_SECONDS:g} unless --cases is given; "
                           f"shrinking failures comes after)")
    fuzz.add_argument("--cases", type=int, default=None,
                      help="stop after this many cases (deterministic; with --seconds, whichever comes first)")
    fuzz.add_argument("--seed", type=int, default=None, help="seed of the draws (default 0): case i is a function "
                                                             "of (seed, i) alone")
    fuzz.add_argument("--framework", type=name_list, default=None,
                      help=f"frameworks, comma-separated: {', '.join(FRAMEWORKS)} (default: all)")
    fuzz.add_argument("--format", type=name_list, default=["md"],
                      help=f"output formats, comma-separated: {', '.join(FUZZ_FORMATS)} (default md); the first is "
                           f"printed, each is written into --out as fuzz.md, fuzz.json")
    fuzz.add_argument("--out", type=Path, default=None, help="output directory (default: print only)")
    fuzz.add_argument("--replay", metavar="JSON", default=None,
                      help="run the one case given by its fields as JSON (as a failure's reproduce command prints it) "
                           "and print its verdict and first divergence")


def run(args) -> int:
    frameworks = check_names(args.framework or FRAMEWORKS)
    unknown = [f for f in args.format if f not in FUZZ_FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FUZZ_FORMATS)}")
    if args.replay is not None:
        return _replay(args, frameworks)
    if args.seconds is not None and not args.seconds > 0:
        raise ValueError(f"--seconds must be a positive number, got {args.seconds:g}")
    if args.cases is not None and args.cases < 1:
        raise ValueError(f"--cases must be a positive integer, got {args.cases}")
    if args.seed is not None and args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.out is not None:
        check_writable(args.out)
    summary = _draw(args, frameworks)
    _emit(summary, args.format, args.out)
    return 1 if summary.failed else 0


def _replay(args, frameworks) -> int:
    """``--replay JSON``: the one case, its verdict and first divergence; 1 when it failed or raised."""
    from parity import fuzz

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


def _draw(args, frameworks):
    """The fuzz run's summary, with a progress line on stderr every 2 s and one for each failing case."""
    from parity import fuzz

    seconds = FUZZ_SECONDS if args.seconds is None and args.cases is None else args.seconds
    started = last = time.perf_counter()

    def progress(summary, outcome):
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
    return summary


def _emit(summary, formats: list[str], out: Path | None) -> None:
    """The first format printed; every format written into ``out`` when it is given."""
    import json

    from parity import fuzz
    from parity.report.files import write_atomic

    rendered = {"md": lambda: fuzz.to_markdown(summary),
                "json": lambda: json.dumps(fuzz.to_document(summary), indent=1, allow_nan=False) + "\n"}
    texts = {f: rendered[f]() for f in formats}
    print(texts[formats[0]], end="" if texts[formats[0]].endswith("\n") else "\n")
    if out is not None:
        for name, text in texts.items():
            write_atomic(out / f"fuzz.{name}", text)
        print(f"wrote {', '.join(str(out / f'fuzz.{name}') for name in texts)}", file=sys.stderr)
