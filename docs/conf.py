"""The documentation site: Sphinx with MyST-NB (Markdown pages, notebooks executed at build time, as JAX's docs).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (``tests/test_docs.py`` runs it, warnings
as errors). Pages that state what the code holds are generated here at build time, so they cannot go stale: the
reference's API from its docstrings, one page per explained convention from ``parity.conventions``, the
tolerances with their reasons from ``parity/tolerance.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402 - docs/generate.py, beside this file

project = "nn-parity"
author = "the nn-parity authors"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "releases/*.json", "bench/*.json", "**.ipynb_checkpoints", "bench/bench.md",
                    "generated/*-figures.md"]  # included into pages, not pages of their own
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # the teaching notebook runs at every build: it cannot rot
nb_execution_timeout = 600
nb_execution_raise_on_error = True
html_theme = "alabaster"
html_theme_options = {"page_width": "75rem", "sidebar_width": "16rem"}
html_static_path = ["_static"]
html_css_files = ["custom.css"]  # wide tables and code scroll in their own box


def setup(app):
    app.connect("builder-inited", lambda app: generate.all_pages(Path(app.srcdir)))
