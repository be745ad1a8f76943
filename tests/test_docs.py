"""The documentation site builds with warnings as errors, its teaching notebook executing in the build, and its pages
hold up in a browser: every link between them resolves, and no page is wider than a laptop's or a phone's screen."""

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
pytest.importorskip("sphinx", reason="the docs' tools are not installed (pip install -e '.[test]')")
pytest.importorskip("myst_nb", reason="the docs' tools are not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q", str(DOCS),
                           str(out)], capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parsed(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_page_is_built_and_the_notebook_ran(site):
    for page in ("index", "getting-started", "notation", "verdicts", "checking", "ci", "performance", "extending",
                 "design", "generated/reference-api", "generated/tolerances", "generated/conventions/index",
                 "notebooks/why_they_agree"):
        assert (site / f"{page}.html").is_file(), page
    notebook = (site / "notebooks" / "why_they_agree.html").read_text(encoding="utf-8")
    assert "m * Z2.grad^T" in notebook and "largest difference   0.0" in notebook and "<img" in notebook
    from parity.conventions import CONVENTIONS

    assert all((site / "generated" / "conventions" / f"{c.id}.html").is_file() for c in CONVENTIONS)


def test_every_internal_link_resolves(site):
    broken = []
    for page in site.rglob("*.html"):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        for href in _parsed(page).links:
            url = urlparse(href)
            if url.scheme or href.startswith("mailto:"):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif url.fragment and target.suffix == ".html" and url.fragment not in _parsed(target).ids:
                broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    assert broken == []


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium on this machine (apt-get install chromium)")
@pytest.mark.parametrize("width", [1400, 390])
def test_no_page_is_wider_than_the_screen(site, width):
    sync_api = pytest.importorskip("playwright.sync_api")
    wide = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name in ("index", "getting-started", "verdicts", "checking", "generated/tolerances",
                     "notebooks/why_they_agree"):
            page.goto((site / f"{name}.html").as_uri())
            excess = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if excess > 1:
                wide.append(f"{name}: {excess} px")
        browser.close()
    assert wide == []
