"""Blocks as Markdown; figures become SVG files in ``figures/`` beside report.md."""

from __future__ import annotations

from parity.report.blocks import Figure, Heading, Paragraph, Table
from parity.report.figures import standalone


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(blocks: list) -> tuple[str, dict[str, str]]:
    """(Markdown text, {relative path: SVG text} of the figures it links)."""
    lines, files = [], {}
    for block in blocks:
        if isinstance(block, Heading):
            if block.anchor:
                lines.append(f'<a id="{block.anchor}"></a>')
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Figure):
            path = f"figures/{block.name}.svg"
            files[path] = standalone(block.svg)
            lines += [f"![{block.caption}]({path})", ""]
    return "\n".join(lines), files
