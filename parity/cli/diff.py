"""``python -m parity diff OLD NEW``: what changed between two report.json files or baselines (``parity.diff``
computes and renders it); exit 1 on a regression."""

from __future__ import annotations

from pathlib import Path

from parity.cli._common import FORMATS, check_writable, name_list


def add_parser(commands) -> None:
    diff = commands.add_parser("diff", help="what changed between two report.json files or baselines")
    diff.add_argument("old", help="a report.json or baseline, or 'certified'")
    diff.add_argument("new", help="a report.json or baseline, or 'certified'")
    diff.add_argument("--format", type=name_list, default=["md"],
                      help="md (default) or json on the terminal; with --out, any of md,html,json as files")
    diff.add_argument("--out", type=Path, default=None, help="write diff.md/.html/.json here (see --format)")


def run(args) -> int:
    from parity import diff

    unknown = [f for f in args.format if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown --format {', '.join(unknown)}; valid: {', '.join(FORMATS)}")
    if args.out is not None:
        check_writable(args.out)
    return diff.run(args)
