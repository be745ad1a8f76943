"""Run mutmut's surviving mutants of reference/ against the parity suite, each in a fresh process.

mutmut (``mutmut run``, configured in pyproject.toml) runs the reference's own tests in-process; the case grid
against PyTorch and Keras needs fresh processes. This script asks ``mutmut results`` for the survivors and runs
``tests/test_parity_grid.py`` inside ``mutants/`` with ``MUTANT_UNDER_TEST`` set to each, stopping at the first
failure. Usage (from the repository root, after ``mutmut run``):

    python tools/mutants_vs_parity.py [-k EXPRESSION] [--workers N]

It prints one line per survivor (killed by the parity suite, or still surviving) and writes
``mutants/parity-survivors.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def survivors() -> list[str]:
    listing = subprocess.run(["mutmut", "results"], capture_output=True, text=True, check=True).stdout
    return [line.split(":")[0].strip() for line in listing.splitlines() if line.strip().endswith(": survived")]


def run_one(name: str, expression: str) -> tuple[str, str]:
    env = {**os.environ, "MUTANT_UNDER_TEST": name}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "-p", "no:xdist", "tests/test_parity_grid.py", "-k", expression]
    result = subprocess.run(command, cwd="mutants", env=env, capture_output=True, text=True)
    return name, {0: "survived", 1: "killed"}.get(result.returncode, f"error (pytest exit {result.returncode})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="float64", help="pytest -k expression selecting grid tests (default float64)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not Path("mutants").is_dir():
        print("no mutants/ folder: run `mutmut run` first", file=sys.stderr)
        return 2
    names = survivors()
    print(f"{len(names)} survivors of the reference tests; running each against the parity grid (-k {args.k!r})")
    with ThreadPoolExecutor(args.workers) as pool:
        outcomes = dict(pool.map(lambda n: run_one(n, args.k), names))
    for name, outcome in sorted(outcomes.items()):
        print(f"{outcome:10s} {name}")
    still = sorted(n for n, o in outcomes.items() if o == "survived")
    print(f"killed by the parity suite: {sum(o == 'killed' for o in outcomes.values())}; still surviving: {len(still)}")
    Path("mutants/parity-survivors.json").write_text(json.dumps(outcomes, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
