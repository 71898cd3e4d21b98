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


def test_unpaired_folders_that_share_some_seeds_are_told_how_to_pair(tmp_path):
    """-n 1 and -n 2 from one base seed share a seed: the table says so, not 'different seeds'."""
    from sim.api import run_to_folder
    from sim.compare import compare_folders
    from tests.conftest import ROOT

    toy = ROOT / "tests" / "data" / "toy_scenario.yaml"
    one, _ = run_to_folder(toy, replicates=1, out=tmp_path / "one", report=False, progress=False)
    two, _ = run_to_folder(toy, replicates=2, out=tmp_path / "two", report=False, progress=False)
    result = compare_folders(one, two)
    assert not result.paired
    assert result.pairing.startswith("unpaired: the folders share 1 seeds of 1 and 2")
    assert "same -n and --seed" in result.pairing
