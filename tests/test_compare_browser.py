"""compare.html in a real browser (Debian chromium through Playwright), network blocked: every
figure draws, no console error, no request leaves file://, hostile scenario text stays text."""

from __future__ import annotations

import json

import pytest

from sim.compare import compare_folders, write_compare_html
from tests.test_compare import toy_pair  # noqa: F401  (fixture)
from tests.test_report_browser import browser, open_offline  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

HOSTILE = "<script>window.__pwned=1</script>"


def test_compare_html_renders_offline(browser, toy_pair, tmp_path):  # noqa: F811
    import shutil

    fa, fb, _ = toy_pair
    b = tmp_path / "hold"
    shutil.copytree(fb, b)
    manifest = json.loads((b / "manifest.json").read_text())
    manifest["scenario"]["title"] = HOSTILE
    (b / "manifest.json").write_text(json.dumps(manifest))
    page_path = write_compare_html(compare_folders(fa, b), tmp_path / "cmp")

    page, errors, blocked = open_offline(browser, page_path)
    plots = page.evaluate(
        """Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
            data: gd.data.length, drawn: gd.querySelectorAll('.trace').length}))"""
    )
    assert len(plots) >= 3  # deaths, incidents, front (displacement where the theater has it)
    for p in plots:
        assert p["data"] == 6 and p["drawn"] > 0, p  # two bands and lines, the difference
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert HOSTILE in page.inner_text("header")
    rows = page.evaluate("document.querySelectorAll('table.t tbody tr').length")
    assert rows >= 5
    assert not errors, errors
    assert not blocked, blocked
    page.close()
