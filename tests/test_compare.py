"""`compare RESULTS_A RESULTS_B`: differences with bootstrap intervals (paired on common seeds),
shares for categorical outcomes, weekly series with any `front_km*` column, and refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.compare import compare_folders, diff_interval
from tests.conftest import ROOT, input_errors

runner = CliRunner()
TOY = ROOT / "tests" / "data" / "toy_scenario.yaml"


def toy_variant(folder: Path, name: str, **changes) -> Path:
    data = yaml.safe_load(TOY.read_text())
    data["theater"] = str(TOY.parent / "toy_theater.yaml")
    data.update(changes)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def toy_pair(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A: X's offensive takes B. B: no offensive, so Y keeps B. Same seeds; and a third folder
    of the offensive with other seeds."""
    from sim.api import run_to_folder

    tmp = tmp_path_factory.mktemp("toy")
    a = toy_variant(tmp, "attack")
    b = toy_variant(tmp, "hold", events=[])
    kw = dict(replicates=4, report=False, progress=False)
    fa, _ = run_to_folder(a, seed=5, out=tmp / "attack", **kw)
    fb, _ = run_to_folder(b, seed=5, out=tmp / "hold", **kw)
    fc, _ = run_to_folder(a, seed=6, out=tmp / "attack6", **kw)
    return fa, fb, fc


def row(result, metric: str) -> pd.Series:
    m = result.metrics
    return m[m["metric"] == metric].iloc[0]


def test_known_difference_on_common_seeds(toy_pair):
    fa, fb, _ = toy_pair
    result = compare_folders(fa, fb)
    assert result.paired and "paired by seed" in result.pairing
    held = row(result, "controller_end_b = X")
    assert (held["a"], held["b"], held["diff"], held["low"], held["high"]) == (
        1.0,
        0.0,
        -1.0,
        -1.0,
        -1.0,
    )
    assert row(result, "controller_end_b = Y")["diff"] == 1.0
    assert row(result, "b_captured_at (runs with a value)")["diff"] == -1.0
    assert (
        "b_captured_at" not in set(result.metrics["metric"])
        or row(result, "b_captured_at")["n_b"] == 0
    )
    front = row(result, "front_km_max")
    assert front["diff"] < 0 and front["high"] < 0  # without the attack the front stays west
    assert set(result.weekly) >= {"deaths", "incidents", "front_km"}


def test_different_seeds_are_unpaired(toy_pair):
    fa, _, fc = toy_pair
    result = compare_folders(fa, fc)
    assert not result.paired and "unpaired" in result.pairing
    same = row(result, "controller_end_b = X")
    assert (same["diff"], same["low"], same["high"]) == (0.0, 0.0, 0.0)


def test_cli_prints_table_and_writes_html(toy_pair, tmp_path):
    fa, fb, _ = toy_pair
    r = runner.invoke(app, ["compare", str(fa), str(fb), "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    assert "paired by seed" in r.output and "controller_end_b = X" in r.output
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert page.count("<script>") == 2  # plotly.js once, and the renderer
    assert "Deaths per week" in page and not list((tmp_path / "cmp").glob(".*"))


def test_refuses_other_theaters_and_windows(toy_pair, tmp_path):
    fa, fb, _ = toy_pair
    other = tmp_path / "other"
    other.mkdir()
    for name in ("runs.parquet", "timeseries.parquet", "events.parquet"):
        (other / name).write_bytes((fb / name).read_bytes())
    manifest = json.loads((fb / "manifest.json").read_text())
    manifest["theater"]["name"] = "libya"
    manifest["scenario"]["end"] = "2020-01-04T00:00:00+02:00"
    (other / "manifest.json").write_text(json.dumps(manifest))
    errs = input_errors(
        runner.invoke(app, ["compare", str(fa), str(other), "--out", str(tmp_path / "c")])
    )
    assert {e["field"] for e in errs} == {"theater.name", "scenario.end"}
    assert all(e["file"] == str(other / "manifest.json") for e in errs)
    (err,) = input_errors(runner.invoke(app, ["compare", str(fa), str(tmp_path)]))
    assert "not a results folder" in err["msg"]
    assert not (tmp_path / "c").exists()


def fake_folder(path: Path, seeds: list[int], deaths: list[list[float]], fronts: dict[str, list[float]],
                incidents: list[float]) -> Path:  # fmt: skip
    """A results folder written by hand: 15 days sampled daily; run r's cumulative deaths by day
    are deaths[r]; each front column is constant per run; incidents at the given hours in run 0."""
    path.mkdir()
    runs = pd.DataFrame(
        {"run_id": range(len(seeds)), "seed": seeds, "losses_x": [d[-1] for d in deaths]}
    )
    rows = []
    for r, series in enumerate(deaths):
        for day, total in enumerate(series):
            rows.append({"run_id": r, "hour": 24.0 * day, "casualties_X": total, "casualties_Y": 0.0,
                         "civilian_casualties": 1.0 * day, "displaced": 10.0 * day,
                         **{k: v[r] for k, v in fronts.items()}})  # fmt: skip
    events = pd.DataFrame({"run_id": 0, "hour": incidents, "kind": "violation"})
    manifest = {"theater": {"name": "toy"}, "scenario": {"title": "<script>window.__pwned=1</script>",
                "start": "2020-01-01T00:00:00+02:00", "end": "2020-01-16T00:00:00+02:00", "hours": 360}}  # fmt: skip
    runs.to_parquet(path / "runs.parquet")
    pd.DataFrame(rows).to_parquet(path / "timeseries.parquet")
    events.to_parquet(path / "events.parquet")
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_weekly_series_and_every_front_column(tmp_path):
    days = range(16)
    a = fake_folder(tmp_path / "a", [1, 2], [[2.0 * d for d in days], [3.0 * d for d in days]],
                    {"front_km": [100, 110], "front_km_coast": [5, 6], "front_km_tripoli_south": [20, 30]},
                    [1.0, 100.0, 200.0, 340.0])  # fmt: skip
    b = fake_folder(tmp_path / "b", [2, 1], [[3.0 * d for d in days], [2.0 * d for d in days]],
                    {"front_km": [90, 95], "front_km_coast": [6, 5], "front_km_tripoli_south": [35, 25]},
                    [])  # fmt: skip
    result = compare_folders(a, b)
    assert result.paired  # seeds 1 and 2 in both, in another order
    assert set(result.weekly) == {"deaths", "incidents", "displaced", "front_km", "front_km_coast",
                                  "front_km_tripoli_south"}  # fmt: skip
    deaths = result.weekly["deaths"]
    # weeks end at hours 168, 336 and 360 (the last is shorter); samples are daily (day 7, 14, 15)
    assert deaths["week"].tolist() == [0, 1, 2]
    assert deaths["a_mean"].tolist() == [7 * 2.5 + 7, 7 * 2.5 + 7, 2.5 + 1]
    assert deaths["diff"].tolist() == [0.0, 0.0, 0.0]  # the same runs, paired by seed
    inc = result.weekly["incidents"]
    assert inc["a_mean"].tolist() == [1.0, 0.5, 0.5] and inc["b_mean"].tolist() == [0.0, 0.0, 0.0]
    south = result.weekly["front_km_tripoli_south"]
    assert south["diff"].tolist() == [5.0, 5.0, 5.0] and south["low"].tolist() == [5.0, 5.0, 5.0]
    coast = result.weekly["front_km_coast"]  # paired by seed: seed 1 is 5 -> 5, seed 2 is 6 -> 6
    assert coast["diff"].tolist() == [0.0, 0.0, 0.0]
    assert row(result, "losses_x")["diff"] == 0.0


def test_paired_intervals_are_narrower_when_noise_is_shared():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 10, 40)
    a, b = 100 + noise, 105 + noise + rng.normal(0, 1, 40)
    d, lo, hi = diff_interval(a, b, True, np.random.default_rng(0))
    _, ulo, uhi = diff_interval(a, b, False, np.random.default_rng(0))
    assert lo < 5 < hi and lo > 4 and hi < 6
    assert (hi - lo) * 5 < (uhi - ulo)
    assert ulo < d < uhi


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=20),
    st.floats(-100, 100),
    st.booleans(),
)
def test_interval_moves_with_a_shift_and_holds_the_estimate(xs, c, paired):
    x = np.array(xs)
    y = x[::-1] * 0.5 + 3.0
    d, lo, hi = diff_interval(x, y, paired, np.random.default_rng(0))
    d2, lo2, hi2 = diff_interval(x, y + c, paired, np.random.default_rng(0))
    assert d2 == pytest.approx(d + c, abs=1e-6)
    assert lo2 == pytest.approx(lo + c, abs=1e-6) and hi2 == pytest.approx(hi + c, abs=1e-6)
    assert lo - 1e-6 <= d <= hi + 1e-6


def test_export_of_a_run_without_events(toy_pair, tmp_path):
    _, fb, _ = toy_pair
    out = tmp_path / "none.csv"
    r = runner.invoke(app, ["export", str(fb), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (
        out.read_text().startswith("event_id_cnty,event_date,")
        and len(out.read_text().splitlines()) == 1
    )


def test_folders_without_seeds_are_unpaired_and_unshared_metrics_are_named(tmp_path):
    from sim.compare_report import compare_page

    days = range(8)
    a = fake_folder(tmp_path / "a", [1, 2], [[1.0 * d for d in days]] * 2, {"front_km": [1, 2]}, [])
    b = fake_folder(tmp_path / "b", [1, 2], [[2.0 * d for d in days]] * 2, {"front_km": [1, 2]}, [])
    runs = pd.read_parquet(b / "runs.parquet").drop(columns="seed").assign(extra_metric=1.0)
    runs.to_parquet(b / "runs.parquet")
    result = compare_folders(a, b)
    assert not result.paired
    assert "Only in b: extra_metric." in compare_page(result)


def test_an_incident_in_the_hour_after_a_weeks_end_counts_in_the_next_week(tmp_path):
    """Events are booked at the start of their hour: one at hour 168 happened from 168 to 169,
    whose deaths the sample at 169 holds (week 1's); one at 167 is week 0's last."""
    days = range(16)
    a = fake_folder(tmp_path / "a", [1, 2], [[2.0 * d for d in days], [3.0 * d for d in days]],
                    {"front_km": [100, 110]}, [167.0, 168.0, 336.0])  # fmt: skip
    b = fake_folder(tmp_path / "b", [1, 2], [[2.0 * d for d in days], [3.0 * d for d in days]],
                    {"front_km": [100, 110]}, [])  # fmt: skip
    inc = compare_folders(a, b).weekly["incidents"]
    assert inc["a_mean"].tolist() == [0.5, 0.5, 0.5]  # run 0: 1, 1 and 1 incidents; run 1: none


def test_a_paired_difference_over_fewer_runs_says_over_how_many(tmp_path, capsys):
    """A capture time in runs 0 and 1 of A but only run 0 of B: A's mean is 15, B's 30, and the
    paired B - A, over the one seed where both have a value, is 20, not 30 - 15. The table said
    only '15 30 20'; it now names the seeds the difference is over."""
    from sim.compare import print_comparison

    days = range(16)
    a = fake_folder(tmp_path / "a", [1, 2], [[2.0 * d for d in days]] * 2, {"front_km": [1, 1]}, [])
    b = fake_folder(tmp_path / "b", [1, 2], [[2.0 * d for d in days]] * 2, {"front_km": [1, 1]}, [])
    for folder, hours in ((a, [10.0, 20.0]), (b, [30.0, math.nan])):
        runs = pd.read_parquet(folder / "runs.parquet").assign(x_captured_at=hours)
        runs.to_parquet(folder / "runs.parquet")
    result = compare_folders(a, b)
    r = row(result, "x_captured_at")
    assert (r["a"], r["b"], r["diff"], r["n_pairs"]) == (15.0, 30.0, 20.0, 1)
    print_comparison(result)
    assert "x_captured_at (B - A over the 1 seeds with both)" in capsys.readouterr().out
    assert row(result, "losses_x")["n_pairs"] == 2  # every run on both sides: no note
    from sim.compare_report import compare_page

    page = compare_page(result)
    assert "x_captured_at (B - A over the 1 seeds with both)" in page
    assert "losses_x (B - A" not in page
