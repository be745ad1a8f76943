"""What each release changed: the grid on a ladder of releases, and ``docs/releases.md`` generated from the diffs.

Each rung is the certified set of ``constraints.txt`` (for this Python) with one package moved to an older
release. A rung's environment is a virtual environment layered on one base environment of the certified set: its
own site-packages holds only the releases the rung changes (pip installs them, and whatever they need that the
base lacks), and a ``.pth`` line adds the base's site-packages behind it, so every other package is the certified
one, byte for byte. The grid then runs there (``python -m parity report``) and its baseline record is kept in
``docs/releases/<rung>.json``; ``render`` joins the rungs with ``parity diff`` between neighbours (each package's
releases in order, the newest being the certified baseline itself) and writes ``docs/releases.md``.

    python tools/release_ladder.py run jax-0.11.2      # one rung (a CI matrix runs them side by side)
    python tools/release_ladder.py run --all           # every rung missing from docs/releases/
    python tools/release_ladder.py render              # docs/releases.md from what docs/releases/ holds
    NN_PARITY_LADDER_BASE=.venv/bin/python python tools/release_ladder.py run ...   # an existing certified env
    tox -e releases                                    # all of it

Run it with the Python whose certified set it climbs (3.12 for the newest releases). On a machine whose pip
configuration caps torch (this project's development machines), the cap is lifted for these installs only, as
``.ci/run`` does: users' pip has no such cap.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".ladder"  # the environments and reports (ignored by git)
KEPT = ROOT / "docs" / "releases"  # each rung's baseline record, kept
PAGE = ROOT / "docs" / "releases.md"
CERTIFIED = ROOT / "parity" / "baselines" / "certified.json"
# The ladder's top: the certified set's record from the run the rungs were made beside (the same machine, the same
# grid), so that a moved error on the page is a release's and not a machine's; ``run`` copies CERTIFIED there.
TOP = KEPT / "certified.json"

# package -> its releases, oldest first, each (version, {distribution: version} that moves with it). The newest
# of each is the certified one (constraints.txt); every other is a rung. A package whose older releases need
# another package moved too says so in the rung's entry (the diff names every version that changed).
LADDER: dict[str, list[tuple[str, dict[str, str]]]] = {
    "numpy": [("2.2.6", {"numpy": "2.2.6"}), ("2.3.5", {"numpy": "2.3.5"}), ("2.4.6", {"numpy": "2.4.6"})],
    "jax": [("0.10.2", {"jax": "0.10.2", "jaxlib": "0.10.2"}), ("0.11.2", {"jax": "0.11.2", "jaxlib": "0.11.2"})],
    "torch": [("2.13.0", {"torch": "2.13.0"}), ("2.14.1", {"torch": "2.14.1"})],
    "keras": [("3.13.2", {"keras": "3.13.2"}), ("3.14.1", {"keras": "3.14.1"})],
    # TensorFlow 2.19 requires numpy < 2.2: pip moves NumPy to 2.1.3 with it
    "tensorflow": [("2.19.1", {"tensorflow-cpu": "2.19.1", "numpy": "2.1.3"}),
                   ("2.20.0", {"tensorflow-cpu": "2.20.0"})],
}


def rungs() -> dict[str, dict[str, str]]:
    """Every rung by name ("jax-0.11.2") -> the releases it installs over the certified set."""
    return {f"{package}-{version}": pins for package, steps in LADDER.items() for version, pins in steps}


def _pip_environment() -> dict[str, str]:
    env = dict(os.environ)
    if Path("/etc/xdg/pip/constraints.txt").exists():
        env["PIP_CONSTRAINT"] = os.devnull  # this machine's cap on torch (its CPU wheel on disk); users have none
    return env


def _run(command: list[str], log, **kwargs) -> None:
    log.write(f"$ {' '.join(map(str, command))}\n")
    log.flush()
    subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, **kwargs)


def _site_packages(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def base_environment(log) -> Path:
    """The certified set for this Python, installed as a user would with the constraints (made once), or the
    Python of an environment that already holds it, named by ``NN_PARITY_LADDER_BASE``."""
    if given := os.environ.get("NN_PARITY_LADDER_BASE"):
        return Path(given)
    venv = WORK / f"base-py{sys.version_info.major}{sys.version_info.minor}"
    python = venv / "bin" / "python"
    if not (venv / "installed").exists():
        _run([sys.executable, "-m", "venv", "--clear", str(venv)], log)
        _run([str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"), "-e",
              f"{ROOT}[frameworks,report]"], log, env=_pip_environment())
        (venv / "installed").write_text("")
    return python


def rung_environment(name: str, pins: dict[str, str], base: Path, log) -> Path:
    """A virtual environment holding ``pins`` in front of the base environment's site-packages."""
    venv = WORK / name / "venv"
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], log)
    layer = Path(_site_packages(python)) / "_nn_parity_ladder_base.pth"
    # addsitedir (not a bare path) so that the base's own .pth files, the editable nn-parity among them, apply
    layer.write_text(f"import site; site.addsitedir({_site_packages(base)!r})\n")
    _run([str(python), "-m", "pip", "install", "--quiet", *(f"{p}=={v}" for p, v in pins.items())], log,
         env=_pip_environment())
    return python


def run_rung(name: str) -> Path:
    """Build rung ``name``'s environment, run the grid there, keep its baseline record in docs/releases/."""
    pins = rungs().get(name)
    if pins is None:
        raise SystemExit(f"unknown rung {name!r}; rungs: {', '.join(rungs())}")
    (WORK / name).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(WORK / name / "log.txt", "w") as log:
        python = rung_environment(name, pins, base_environment(log), log)
        versions = subprocess.run([str(python), "-c", "from importlib import metadata; import sys; "
                                   "print({p: metadata.version(p) for p in sys.argv[1:]})", *pins],
                                  check=True, capture_output=True, text=True).stdout.strip()
        log.write(f"installed: {versions}\n")
        out = WORK / name / "report"
        # exit 1 means a failed or uninformative comparison: still a rung's result, which the diff reports
        result = subprocess.run([str(python), "-m", "parity", "report", "--fresh", "--format", "json", "--out",
                                 str(out)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{name}: the report exited {result.returncode}; see {WORK / name / 'log.txt'}")
        KEPT.mkdir(parents=True, exist_ok=True)
        kept = KEPT / f"{name}.json"
        _run([str(python), "-m", "parity", "baseline", str(out / "report.json"), "--out", str(kept)], log, cwd=ROOT)
    print(f"{name}: {versions}, report exit {result.returncode}, {time.monotonic() - started:.0f} s -> "
          f"{kept.relative_to(ROOT)}", flush=True)
    return kept


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run rungs of the ladder")
    run.add_argument("rung", nargs="*", help=f"rung names: {', '.join(rungs())}")
    run.add_argument("--all", action="store_true", help="every rung not yet kept in docs/releases/")
    commands.add_parser("render", help="write docs/releases.md from docs/releases/")
    args = parser.parse_args(argv)
    if args.command == "run":
        names = args.rung or [n for n in rungs() if args.all and not (KEPT / f"{n}.json").exists()]
        if not names:
            parser.error("name a rung, or --all")
        for name in names:
            run_rung(name)
        TOP.write_bytes(CERTIFIED.read_bytes())
        return 0
    from tools.releases_page import render

    PAGE.write_text(render(LADDER, KEPT, TOP))
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
