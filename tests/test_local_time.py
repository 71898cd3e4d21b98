"""Times shown in reports and sweep analyses are the theater's wall clock at the right moment,
across a daylight-saving change too (the tables' `time` column already was, since 7f4500e)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from sim.cli import app
from sim.report.build import all_figures, load
from sim.report.labels import as_date, local_start
from sim.report.tables import metric_tables

runner = CliRunner()
DATA = Path(__file__).parent / "data"

# Kyiv moved its clocks from +02:00 to +03:00 at 03:00 on 29 March 2015: 71 hours run from 00:00
# on the 28th to 00:00 on the 31st, and an order at noon on the 29th is 35 hours in.
SCENARIO = """title: Toy advance across a clock change
description: X advances on B after Kyiv's clocks went forward.
theater: toy_theater.yaml
start: 2015-03-28T00:00+02:00
end: 2015-03-31T00:00+03:00
seed: 1
replicates: 2
sample_every_hours: 1
set:
  control.hold_hours: 3
  faction.X.aggression: 0
  faction.Y.aggression: 0
events:
  - at: 2015-03-29T12:00+03:00
    kind: offensive
    faction: X
    targets: [B]
    units: [x1]
"""


def kyiv_results(tmp_path: Path) -> Path:
    theater = (DATA / "toy_theater.yaml").read_text()
    (tmp_path / "toy_theater.yaml").write_text(
        theater.replace("corridor_max_km:", "timezone: Europe/Kyiv\ncorridor_max_km:", 1)
    )
    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "scenario.yaml"), "--no-report", "--quiet", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def local(t: pd.Timestamp) -> str:
    return t.tz_localize(None).isoformat()


def test_report_times_are_the_wall_clock_after_a_daylight_saving_change(tmp_path):
    # Was: hours added to the start's wall clock, so everything after 03:00 on the 29th showed an
    # hour early (the order at 11:00, the last sample at 23:00 on the 30th) while the tables had
    # 12:00 and 00:00 on the 31st.
    data = load(kyiv_results(tmp_path))
    events = data.tables.events
    (order,) = events[(events["kind"] == "offensive") & (events["run_id"] == 0)]["time"]
    assert local(order) == "2015-03-29T12:00:00"
    figs = all_figures(data.tables, data.network, data.start)
    front_x = pd.DatetimeIndex(figs["front"].data[0].x)
    assert front_x[0].isoformat() == "2015-03-28T00:00:00"
    assert front_x[-1].isoformat() == "2015-03-31T00:00:00"
    timeline = figs["events"]
    shown = pd.DatetimeIndex(timeline.data[0].x)
    assert local(order) in {t.isoformat() for t in shown}
    # the run picker adds its hours to the start's wall clock in the page
    compact = timeline.layout.meta["eventRuns"]
    picked = pd.Timestamp(compact["start"]) + pd.to_timedelta(compact["hour"], unit="h")
    want = [local(t) for t in events.sort_values(["run_id", "hour"], kind="stable")["time"]]
    assert [t.isoformat() for t in picked] == want
    numeric, _ = metric_tables(data.tables.runs, data.start, data.network)
    captured = data.tables.runs["b_captured_at"].iloc[0]
    when = as_date(data.start, captured).strftime("%d %b %Y %H:%M")
    # booked at the start of the hour it fell in (39 h after midnight +02:00, on summer time)
    assert when == "29 Mar 2015 16:00" and captured == 39
    assert any(when in row for row in numeric.rows)


def test_a_folder_from_before_the_zone_was_recorded_keeps_its_offset():
    """`analyze` and the report read the start through local_start: the recorded zone if any."""
    meta = {"scenario": {"start": "2015-03-28T00:00:00+02:00"}, "theater": {"name": "toy"}}
    assert as_date(local_start(meta), 40).isoformat() == "2015-03-29T16:00:00"
    meta["theater"]["timezone"] = "Europe/Kyiv"
    assert as_date(local_start(meta), 40).isoformat() == "2015-03-29T17:00:00"


def test_the_baseline_origin_is_the_wall_clock_after_a_daylight_saving_change(tmp_path):
    # Was: hours added to the start's wall clock (an aware datetime's own arithmetic), so an
    # origin 48 hours in showed 00:00 on the 30th, an hour early.
    from sim.baseline import Origin
    from sim.config import load_scenario

    kyiv_results(tmp_path)
    start = load_scenario(tmp_path / "scenario.yaml").scenario.start  # as validate passes it
    note = Origin(hour=48.0, requested=48.0, lookback=48.0).note(start)
    assert note.startswith("baseline from each run's state at 30 Mar 2015 01:00;"), note


def test_compare_labels_a_week_by_its_first_day_on_the_wall_clock():
    # compare's weeks are 168 elapsed hours. From 23:00 on 28 March 2015 in Kyiv, the second
    # begins at 00:00 on 5 April (summer time); the label was the start's offset + 7 days: 4 Apr.
    # A start at midnight labels every week alike either way (dates only).
    from types import SimpleNamespace

    from sim.compare_report import _week_labels

    meta = {
        "scenario": {"start": "2015-03-28T23:00:00+02:00"},
        "theater": {"timezone": "Europe/Kyiv"},
    }
    result = SimpleNamespace(a=SimpleNamespace(manifest=meta))
    assert _week_labels(result, pd.Series([0, 1])) == ["28 Mar", "05 Apr"]
    meta["scenario"]["start"] = "2015-03-28T00:00:00+02:00"
    assert _week_labels(result, pd.Series([0, 1])) == ["28 Mar", "04 Apr"]
