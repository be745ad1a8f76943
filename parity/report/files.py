"""Writing report files atomically: a reader never sees a half-written report, even after an interrupt."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it over ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise




def write_formats(document: dict, blocks_for, formats, out_dir: Path, stem: str, title: str) -> list[Path]:
    """Write the document in each of ``formats`` (json, md, html) into ``out_dir``; return the paths written.

    ``blocks_for(document)`` builds the shared blocks once for md and html.
    """
    from parity.report import html, markdown

    out_dir = Path(out_dir)
    written = []
    if "json" in formats:
        path = out_dir / f"{stem}.json"
        # compact: a program's file (tens of MB for the grid; indented, Python's slower encoder takes 3x as long)
        write_atomic(path, json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")
        written.append(path)
    if "md" in formats or "html" in formats:
        blocks = blocks_for(document)
        if "md" in formats:
            text, figure_files = markdown.render(blocks)
            for relative, svg in figure_files.items():
                write_atomic(out_dir / relative, svg)
            write_atomic(out_dir / f"{stem}.md", text)
            written.append(out_dir / f"{stem}.md")
        if "html" in formats:
            write_atomic(out_dir / f"{stem}.html", html.render(blocks, title))
            written.append(out_dir / f"{stem}.html")
    return written
