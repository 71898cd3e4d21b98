"""In a real browser (Debian chromium, network blocked): `analysis.html` with a PRIM discovery box
draws every figure, and the report's events timeline shows any run picked by number, with the
same hover text the Python side writes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sweep_fakes import boxed, fake_sweep
from tests.test_report_browser import browser, open_offline  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_analysis_with_a_discovery_box_renders(browser, tmp_path):  # noqa: F811
    pytest.importorskip("ema_workbench")
    from sim.sweep_analysis import analyze_sweep

    x, inside = boxed(300)
    folder = fake_sweep(
        tmp_path / "sweep", x,
        {"front_km_end": np.where(inside, 250.0, 400.0), "ceasefire_held": inside},
        ranges={"a": (0.0, 1.0), "b": (0.0, 10.0), "c": (-1.0, 1.0)},
    )  # fmt: skip
    a = analyze_sweep(folder, discover="front_km_end < 300")
    page, errors, blocked = open_offline(browser, a.html_path)
    plots = page.evaluate(
        """Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
            title: (gd.layout.title && gd.layout.title.text) || '', data: gd.data.length,
            drawn: gd.querySelectorAll('.trace, .hm, .bars').length}))"""
    )
    titles = [p["title"] for p in plots]
    assert any(t.startswith("PRIM peeling trajectory") for t in titles), titles
    assert any("limits within the swept range" in t for t in titles), titles
    for p in plots:
        assert p["data"] > 0 and p["drawn"] > 0, p
    # the chosen box is marked on the trajectory
    star = page.evaluate(
        """(() => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
              .find(g => (g.layout.title.text || '').startsWith('PRIM'));
              return gd.data.find(t => t.name === 'chosen box').x.length; })()"""
    )
    assert star == 1
    assert "quasi-p low" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "analysis.png"), full_page=True)
    assert not errors, errors
    assert not blocked, blocked
    page.close()


def test_events_timeline_shows_any_run(browser, small_results, tmp_path):  # noqa: F811
    from sim.report import write_report
    from sim.report.build import load
    from sim.report.events import events_figure

    report = write_report(small_results, tmp_path / "report.html")
    data = load(small_results)
    ev = data.tables.events
    last = int(ev["run_id"].max())
    page, errors, _ = open_offline(browser, report)
    box = page.locator(".run-picker input")
    box.fill(str(last))
    box.dispatch_event("change")
    gd = "Array.from(document.querySelectorAll('.js-plotly-plot')).find(g => g.layout.meta && g.layout.meta.eventRuns)"
    page.wait_for_function(f"{gd}.data[0].name === 'run {last}'", timeout=10_000)
    shown = page.evaluate(
        f"[{gd}.data[0].x.length, {gd}.data[0].hovertext, {gd}.layout.title.text]"
    )
    mine = ev[ev["run_id"] == last]
    assert shown[0] == len(mine) and f"Events of run {last}" in shown[2]
    # the page's script writes the same hover text as the Python side does for that run
    expected = events_figure(mine, data.start).data[0].hovertext
    assert list(shown[1]) == list(expected)
    assert not errors, errors
    page.close()
