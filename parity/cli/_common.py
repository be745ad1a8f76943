"""What several commands share: option types, the output formats of report, diff and train, and the check that
an output directory is writable before any work starts."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("md", "html", "json")


def int_list(text: str) -> list[int]:
    """``--layers 2,4,1``: integers separated by commas; anything else is argparse's usage error."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, e.g. 2,4,1; got {text!r}") from None


def name_list(text: str) -> list[str]:
    """``--format md,json``: names separated by commas, each stripped; each command checks them."""
    return [part.strip() for part in text.split(",")]


def check_writable(out: Path) -> None:
    """Fail before any work if the output directory cannot be created or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".nn-parity-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write to output directory {str(out)!r}: {error.strerror or error}") from None
