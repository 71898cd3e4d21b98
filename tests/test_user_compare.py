"""compare, as a reader sees it: every weekly chart says what its values are (a y-axis title
with the unit on both panels), fronts are named as every other chart names them, and the
terminal table says that times are hours."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from sim.compare_report import series_figure

SERIES = ["deaths", "incidents", "displaced", "front_km", "front_km_aziziya_gharyan"]


def _table() -> pd.DataFrame:
    cols = ["a_p05", "a_p50", "a_p95", "b_p05", "b_p50", "b_p95", "diff", "low", "high"]
    return pd.DataFrame({"week": [0, 1], **{c: [1.0, 2.0] for c in cols}})


def _result():
    folder = SimpleNamespace(label="x", manifest={"scenario": {"start": "2020-01-05T00:00+02:00"}})
    return SimpleNamespace(a=folder, b=folder)


@pytest.mark.parametrize("series", SERIES)
def test_each_weekly_chart_titles_both_y_axes_with_the_unit(series):
    fig = series_figure(_result(), series, _table())
    top, bottom = fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text
    assert top and bottom == f"B - A ({top})", (top, bottom)
    assert "_" not in fig.layout.title.text, fig.layout.title.text


def test_a_sector_front_is_named_as_the_other_charts_name_it():
    fig = series_figure(_result(), "front_km_aziziya_gharyan", _table())
    assert fig.layout.title.text == "Front position, Aziziya Gharyan, at the end of each week"
    assert fig.layout.yaxis.title.text == "km along its axis from its first place"


def test_the_terminal_table_says_times_are_hours(small_results, capsys):
    from sim.compare import compare_folders, print_comparison

    print_comparison(compare_folders(small_results, small_results))
    assert "times (*_at) are hours since the start" in " ".join(capsys.readouterr().out.split())
