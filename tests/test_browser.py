"""The HTML report in a real browser: headless Chromium (Debian's package, driven by Playwright through its
executable path) opens ``report.html`` at a laptop's width and a phone's and checks what a reader would see: no
element wider than the page, every figure drawn, every internal link resolving, the case x framework matrix
readable. Skipped, with the reason, where Chromium or Playwright is not installed (CI installs both)."""

import shutil
import subprocess
import sys

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install "
                                                          "chromium)")

# A handful of the grid's cases: every chapter of the report, explained conventions, figures and both dtypes
CASES = ("planar-2-4-1-tanh-sigmoid-float32", "planar-2-4-1-tanh-sigmoid-float64", "adam-8steps-float32",
         "output-softmax-categorical_crossentropy-3units-float64", "minibatch-rmsprop-exponential-3epochs-float32")
WIDTHS = {"laptop": (1400, 900), "phone": (390, 844)}

# Elements whose right edge passes the page's, outside any element that scrolls horizontally: what a reader
# cannot reach without the page itself scrolling sideways
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p); if (style.overflowX === 'auto' || style.overflowX === 'scroll') return true; }
    return false; };
  return [...document.body.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > width + 1
      && !scrolls(el)).slice(0, 5).map(el => el.tagName + (el.id ? '#' + el.id : '') + ' ' +
      Math.round(el.getBoundingClientRect().right) + 'px: ' + (el.textContent || '').slice(0, 60));
}"""
FIGURES = """() => [...document.querySelectorAll('figure svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const cut = [...svg.querySelectorAll('text')].filter(t => t.getBoundingClientRect().right > box.right + 1
      || t.getBoundingClientRect().left < box.left - 1).map(t => t.textContent.slice(0, 40));
  return {width: box.width, height: box.height, marks: svg.querySelectorAll('path, rect, line, circle, text').length,
          cut: cut};
})"""
BROKEN_LINKS = """() => [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href').slice(1))
  .filter(id => !document.getElementById(decodeURIComponent(id)))"""
MATRIX = """() => {
  const heading = [...document.querySelectorAll('h2')].find(h => h.textContent === 'Case x framework');
  const table = heading && heading.nextElementSibling.querySelector('table');
  if (!table) return null;
  const cell = table.querySelector('td');
  return {fontSize: parseFloat(getComputedStyle(cell).fontSize), rows: table.querySelectorAll('tr').length,
          clipped: [...table.querySelectorAll('td')].filter(td => td.scrollWidth > td.clientWidth + 1).length}; }"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    arguments = [a for case in CASES for a in ("--case", case)]
    subprocess.run([sys.executable, "-m", "parity", "report", *arguments, "--format", "html", "--out", str(out)],
                   check=True, capture_output=True, timeout=1200)
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_the_report_fits_the_page_draws_every_figure_and_links_resolve(report, browser, device):
    width, height = WIDTHS[device]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(report.as_uri())
    assert page.evaluate(OVERFLOWING) == [], f"wider than a {width} px page"
    figures = page.evaluate(FIGURES)
    assert figures and all(f["width"] > 0 and f["height"] > 0 and f["marks"] > 0 for f in figures), figures
    assert [f["cut"] for f in figures if f["cut"]] == [], "text cut off at its figure's edge"
    assert all(f["width"] <= width for f in figures)
    assert page.evaluate(BROKEN_LINKS) == []
    matrix = page.evaluate(MATRIX)
    assert matrix is not None and matrix["rows"] > len(CASES) and matrix["fontSize"] >= 10 and matrix["clipped"] == 0
    page.close()
