"""``python -m parity baseline``: write the compact baseline record (``parity.baseline``) of a report.json, or of
a new run of the whole grid; the certified one ships in parity/baselines/."""

from __future__ import annotations

from pathlib import Path


def add_parser(commands) -> None:
    base = commands.add_parser("baseline", help="write the compact baseline record of a report (or of a new run)")
    base.add_argument("report", nargs="?", type=Path, default=None,
                      help="a report.json to reduce; without it, the whole grid is run first")
    base.add_argument("--out", type=Path, required=True, help="the baseline file to write")


def run(args) -> int:
    import json

    from parity import baseline

    if args.report is None:
        import tempfile

        from parity.cli import report  # the report command as a user runs it (main set one thread for both)

        with tempfile.TemporaryDirectory() as folder:
            code = report.run(_report_arguments(["report", "--format", "json", "--out", folder], args.verbose))
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


def _report_arguments(argv: list[str], verbose: bool):
    """``argv`` parsed by the report command's own parser, as ``python -m parity`` would."""
    import argparse

    from parity.cli import report

    parser = argparse.ArgumentParser(prog="python -m parity")
    report.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.verbose = verbose
    return args
