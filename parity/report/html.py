"""Blocks as one self-contained HTML file: styles inline, figures inlined as SVG (sharing one stylesheet), no
external assets, no scripts, readable offline."""

from __future__ import annotations

import html
import re

from parity.report.blocks import Figure, Heading, Paragraph, Table
from parity.report.figures import STYLE as FIGURE_STYLE

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 75rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; }
div.table { overflow-x: auto; max-width: 100%; }
table.prose { width: 100%; min-width: 36rem; } table.prose td.long { overflow-wrap: anywhere; }
svg { max-width: 100%; height: auto; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #f3f3f3; } tr:nth-child(even) td { background: #fafafa; }
td.pass { color: #1a7f37; } td.fail, td.missing { color: #c62828; font-weight: bold; } td.explained { color: #8a6d00; }
figure { margin: 1rem 0; } figcaption { font-size: .8rem; color: #555; }
nav { font-size: .85rem; column-width: 22rem; }
"""

_LINK = re.compile(r"\[([^\]]+)\]\((#[^)]+)\)")


def _inline(text: str) -> str:
    """Escape, then turn the one inline markup the blocks use, [text](#anchor), into a link."""
    return _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', html.escape(str(text), quote=False))


def _status_class(cell: str) -> str:
    """A cell's classes: its status word's colour, and "long" for a cell of sentences, which may wrap anywhere in a
    table of sentences (a short word such as a status never breaks)."""
    word = str(cell).split(" ")[0]
    classes = [word] if word in ("pass", "fail", "explained", "missing") else []
    classes += ["long"] if len(str(cell)) > 40 else []
    return f' class="{" ".join(classes)}"' if classes else ""


def _prose(table: Table) -> bool:
    """A table of sentences (the teaching chapters'), whose cells wrap anywhere to fit the page, rather than one of
    numbers and names (the matrix, the summary), which keeps its words whole and scrolls in its box."""
    return any(len(str(cell)) > 80 for row in table.rows for cell in row)


def render(blocks: list, title: str) -> str:
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            attribute = f' id="{block.anchor}"' if block.anchor else ""
            body.append(f"<h{block.level}{attribute}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join("<tr>" + "".join(f"<td{_status_class(c)}>{_inline(c)}</td>" for c in row) + "</tr>"
                           for row in block.rows)
            # a wide table scrolls inside its own box, never the page; one of sentences wraps them to fit
            css = ' class="prose"' if _prose(block) else ""
            body.append(f'<div class="table"><table{css}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
                        f"</table></div>")
        elif isinstance(block, Figure):
            body.append(f"<figure>{block.svg}<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}{FIGURE_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
