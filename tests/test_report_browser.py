"""The report in a real browser (Debian chromium driven by Playwright) with the network blocked:
it draws every figure, the map has its coastline, the slider moves the map to a later day, no
console errors, no requests outside file://, and hostile scenario text runs nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.test_report import copy_results, inject

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = ("file://", "data:", "blob:")


def require_chromium() -> None:
    if Path(CHROMIUM).is_file():
        return
    if os.environ.get("CONFLICT_SIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} missing but CONFLICT_SIM_REQUIRE_BROWSER=1 (CI must run this)")
    pytest.skip("Debian chromium not installed")


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_offline(browser, path: Path):
    """Open a page with every request outside file://, data: and blob: refused; wait until
    its plots are drawn. Returns (page, console errors, refused requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.documentElement.dataset.plots", timeout=30_000)
    assert page.evaluate("document.documentElement.dataset.plots") == "ready"
    return page, errors, blocked


def test_report_renders_offline_and_slider_moves_map(browser, small_results, tmp_path):
    from sim.report import write_report

    report = write_report(inject(copy_results(small_results, tmp_path)))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))

    t0 = time.perf_counter()
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_function("document.documentElement.dataset.plots", timeout=30_000)
    opened = time.perf_counter() - t0
    assert page.evaluate("document.documentElement.dataset.plots") == "ready"
    assert opened < 30

    # every figure drew its traces
    plots = page.evaluate(
        """Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
            id: gd.id, data: gd.data.length,
            drawn: gd.querySelectorAll('.trace, .hm').length}))"""
    )
    assert len(plots) == 7  # six figures and the validation chart (inject() adds validation)
    for p in plots:
        assert p["data"] > 0 and p["drawn"] > 0, p

    # the geo layer drew the shipped topojson: coastline, land and borders
    geo = page.evaluate(
        """Object.fromEntries(['coastlines', 'land', 'countries'].map(k => [k,
            Array.from(document.querySelectorAll('#fig-0 .geo .layer.' + k + ' path'))
                 .reduce((n, p) => n + (p.getAttribute('d') || '').length, 0)]))"""
    )
    assert all(v > 500 for v in geo.values()), geo

    # moving the slider shows a later day
    gd = "document.getElementById('fig-0')"
    before = page.evaluate(f"[{gd}.layout.title.text, JSON.stringify({gd}.data[2].hovertext)]")
    assert page.evaluate(f"{gd}._fullLayout.sliders[0].active") == 0
    rail = page.locator("#fig-0 .slider-rail-touch-rect")
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    page.wait_for_function(f"{gd}._fullLayout.sliders[0].active > 0", timeout=10_000)
    page.wait_for_function(f"{gd}.layout.title.text !== {before[0]!r}", timeout=10_000)
    after = page.evaluate(f"[{gd}.layout.title.text, JSON.stringify({gd}.data[2].hovertext)]")
    assert after[0] != before[0] and after[1] != before[1]
    n_steps = page.evaluate(f"{gd}._fullLayout.sliders[0].steps.length")
    assert page.evaluate(f"{gd}._fullLayout.sliders[0].active") >= n_steps // 2

    # hostile text shown as text, never run
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<script>window.__pwned=1</script>" in page.inner_text("#summary")
    assert page.evaluate("document.querySelectorAll('img').length") == 0

    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert not errors, errors
    assert not blocked, blocked
    assert not failed, failed
    page.close()


def test_static_export_through_kaleido(small_results, tmp_path):
    require_chromium()
    from sim.report.build import figures, load
    from sim.report.export import export_figures

    figs = figures(load(small_results))
    paths = export_figures({k: figs[k] for k in ("map", "front")}, tmp_path / "figs", "png")
    assert [p.name for p in paths] == ["map.png", "front.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000
    assert not list((tmp_path / "figs").glob(".*"))
