"""report.html in a real browser: Debian's headless Chromium, driven by playwright, reads
the page from a server on 127.0.0.1 that this test starts.

The page must render (headline and tables in the DOM, every chart with a size), log no
console error, and ask the network for nothing but itself. Playwright never downloads a
browser here: it launches /usr/bin/chromium. Without it the test skips, except under CI
(env CI set), where it fails: .ci/run installs Chromium.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from optimizer.analyses.chance import chance_sweep
from optimizer.analyses.explain import explain
from optimizer.analyses.simulate import plan_of, simulate
from optimizer.analyses.sweep import parse_range, run_sweep
from optimizer.present.formats.report_charts import report_charts
from optimizer.present.formats.report_files import write_folder
from optimizer.present.formats.report_html import render_report_html
from optimizer.present.views import Report, build_report
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario

ROOT = Path(__file__).resolve().parents[1]
THREE = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _browser() -> Any:
    """playwright's sync API, or a skip (a failure under CI) saying what to install."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("the Python package playwright (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        missing.append("Debian's Chromium (apt-get install chromium)")
    if missing:
        message = "the browser check needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs Chromium")
        pytest.skip(message)
    return sync_playwright


def _page(folder: Path, report: Report) -> None:
    """report.html alone (its charts are inline SVG: the PNGs are not needed here)."""
    charts = {name: c["svg"].decode() for name, c in report_charts(report, ("svg",)).items()}
    write_folder(folder, {"report.html": render_report_html(report, charts).encode()})


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The report folders on http://127.0.0.1:PORT/ (3yr/ and fifty/)."""
    root = tmp_path_factory.mktemp("served")
    loadout = load_scenario(THREE)
    e = explain(loadout, None, ("binding", "tornado"))
    sweep = run_sweep(loadout, "ceilings", parse_range("200M:3B:200M", "USD", {}))
    # the Risk section: the plan under the file's 1,000 samples; the cost of certainty on
    # 200 of them (5 s instead of a minute), 90% out of reach as at 1,000
    sim = simulate(loadout, plan_of(e.result, loadout.scenario))
    certainty = chance_sweep(loadout, [0.5, 0.7, 0.9], samples=200)
    _page(root / "3yr", build_report(loadout, e.result, explanation=e, sweep=sweep,
                                     simulation=sim, certainty=certainty))
    from test_report import fifty_levers

    fifty = load_scenario(fifty_levers(root))
    _page(root / "fifty", build_report(fifty, solve_scenario(fifty)))
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _browser()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: Any, url: str, width: int = 1280) -> tuple[Any, dict[str, list[str]]]:
    """The page loaded, and what it did: console errors, page errors, requests, failures."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen: dict[str, list[str]] = {"console": [], "errors": [], "requests": [], "failed": []}
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    return page, seen


def _clean(seen: dict[str, list[str]], url: str) -> None:
    assert seen["console"] == [] and seen["errors"] == []
    assert seen["failed"] == []
    assert all(urlparse(u).hostname in LOOPBACK for u in seen["requests"]), seen["requests"]
    assert seen["requests"] == [url]  # self-contained: the page asks for nothing else


def _screenshot(page: Any, path: Path, suffix: str = "", full: bool = True) -> None:
    """A screenshot; also to $REPORT_SCREENSHOT (NAME-fifty.png for the other)."""
    page.screenshot(path=str(path), full_page=full)
    assert path.read_bytes().startswith(b"\x89PNG")
    wanted = os.environ.get("REPORT_SCREENSHOT")
    if wanted:
        target = Path(wanted)
        target = target.with_name(target.stem + suffix + target.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def test_the_three_year_report_renders(served: tuple[str, Path], browser: Any,
                                       tmp_path: Path) -> None:
    base, _ = served
    url = f"{base}/3yr/report.html"
    page, seen = _open(browser, url)
    headline = page.inner_text("#headline")
    for text in ("$187.5M", "$10B in 2026", "$178.5M discounted", "The cheapest plan"):
        assert text in headline
    allocation = page.inner_text("#allocation")
    for text in ("Additional IT workforce trained and placed", "154,000", "$162.1M", "$3.75B",
                 "$187.5M", "$7.40B", "50.7%"):
        assert text in allocation
    assert "$84.5M" in page.inner_text("#periods_spend")
    assert "$448.8M" in page.inner_text("#frontier")
    assert "levers.dollar_retention.max_units" in page.inner_text("#binding").replace("\n", "")
    assert "assumption" in page.inner_text("#assumptions")
    assert page.locator("tr.flagged").count() >= 10
    sha = hashlib.sha256((ROOT / "configs" / "pakistan_it_exports_3yr.yaml").read_bytes())
    assert sha.hexdigest()[:12] in page.inner_text("#stamp")
    boxes = page.eval_on_selector_all(
        "figure.chart svg",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height] })")
    assert len(boxes) == 5  # mix, fan, certainty, frontier, tornado
    assert all(w > 300 and h > 150 for w, h in boxes), boxes
    assert "19.8%" in page.inner_text("#fig-probability")
    risk = page.inner_text("#risk")
    for text in ("Risk", "in 19.8% of them (standard error 1.3 points)",
                 "How likely the plan reaches its goals", "milestone 2025", "26.2%",
                 "What the plan delivers and costs across the samples", "$9.59B",
                 "What drives the exports", "levers.it_workforce.yield_per_unit",
                 "Additional IT workforce trained and placed: yield per unit",
                 "The cost of certainty", "out of reach", "can be reached"):
        assert text in risk, text
    for name in ("fan", "certainty"):
        box = page.eval_on_selector(f"#chart-{name} svg",
                                    "e => { const r = e.getBoundingClientRect(); "
                                    "return [r.width, r.height] }")
        assert box[0] > 300 and box[1] > 150, (name, box)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]  # nothing pushes the page sideways
    _clean(seen, url)
    _screenshot(page, tmp_path / "report.png")
    page.emulate_media(media="print")
    assert page.pdf(format="A4").startswith(b"%PDF")  # the A4 print stylesheet lays it out
    page.close()


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_brief_prints_on_two_a4_pages(served: tuple[str, Path], browser: Any) -> None:
    """The memo's first section is two pages a minister reads; the annexes start on a new
    page. Measured as printed: the whole page, then the page without its annexes."""
    base, _ = served
    page, _ = _open(browser, f"{base}/3yr/report.html")
    brief = page.inner_text("#brief")
    for text in ("What binds", "The assumptions that matter most", "$187.5M",
                 "Additional IT workforce trained and placed: cap on units funded a period"):
        assert text in brief, text
    assert "levers." not in brief and "target." not in brief
    page.emulate_media(media="print")
    whole = _pages(page.pdf(format="A4"))
    page.evaluate("document.querySelector('#annexes').remove();"
                  "document.querySelector('#stamp').remove()")
    alone = _pages(page.pdf(format="A4"))
    assert alone == 2 and whole > alone + 5, (alone, whole)
    page.close()


def test_fifty_levers_scroll_inside_their_tables(served: tuple[str, Path], browser: Any,
                                                 tmp_path: Path) -> None:
    base, _ = served
    url = f"{base}/fifty/report.html"
    page, seen = _open(browser, url, width=900)
    rows = page.locator("#allocation tbody tr").count()
    assert rows == 50
    scrolls = page.eval_on_selector_all(
        "div.scroll", "els => els.map(e => getComputedStyle(e).overflowX)")
    assert scrolls and set(scrolls) == {"auto"}
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]  # wide tables scroll in their box, not the page
    box = page.eval_on_selector("#chart-mix svg", "e => e.getBoundingClientRect().height")
    assert box > 300
    _clean(seen, url)
    page.locator("#chart-mix").scroll_into_view_if_needed()
    _screenshot(page, tmp_path / "fifty.png", "-fifty", full=False)  # 38,000 px tall in full
    page.close()
