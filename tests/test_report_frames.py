"""The report map's frames (and the control heatmap's columns): which control sample and which
losses each shows, and what its label says. A day's frame shows the end of that day, after its
events: an event is booked at the start of the hour it simulates, so one at hour 23 of a day
is in that day's frame, one at hour 24 in the next day's (windows are half-open [start, end)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.report.control import control_heatmap, day_frames, frame_of
from sim.report.map import map_figure

START = pd.Timestamp("2020-01-05T00:00+02:00")
NETWORK = {
    "nodes": [
        {"name": "A", "lon": 15.0, "lat": 31.0, "waypoint": False, "population": 10},
        {"name": "B", "lon": 16.0, "lat": 31.0, "waypoint": False, "population": 5},
    ],
    "edges": [{"a": "A", "b": "B"}],
    "factions": {"W": {"color": "#0000ff"}, "E": {"color": "#ff0000"}},
    "axis": ["A", "B"],
}


def _tables(capture_hour: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One run sampled hourly over two days (hours 0..48): W holds A, E holds B until E takes A
    in the hour `capture_hour` (the sample at capture_hour + 1 has it); fighting at A costs 1
    casualty at hour 23 and 10 at hour 24."""
    rows = []
    for h in range(49):
        rows.append({"run_id": 0, "hour": float(h), "place": "A",
                     "controller": "E" if h > capture_hour else "W"})  # fmt: skip
        rows.append({"run_id": 0, "hour": float(h), "place": "B", "controller": "E"})
    control = pd.DataFrame(rows)
    events = pd.DataFrame(
        {"run_id": [0, 0], "hour": [23.0, 24.0], "place": ["A", "A"], "kind": ["engagement"] * 2,
         "casualties": [1.0, 10.0], "civilian_casualties": [0.0, 0.0]}
    )  # fmt: skip
    return control, events


def test_an_event_is_in_the_first_frame_after_its_hour():
    frames = [0.0, 24.0, 48.0]
    # booked at 0, 23 (23:00-24:00 of day 1), 24 (00:00-01:00 of day 2), 47, and at the end
    assert frame_of(frames, [0, 23, 24, 47, 48]).tolist() == [1, 1, 2, 2, 3]


def test_a_days_frame_shows_its_end_with_that_days_losses():
    control, events = _tables(capture_hour=23)
    fig = map_figure(control, pd.DataFrame(), events, NETWORK, START)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["start", "05 Jan", "06 Jan"]
    # was: "05 Jan", "06 Jan", "07 Jan", each the control at 00:00, before that day's events
    places = [f.data[1] for f in fig.frames]  # frame traces: waypoints, then places
    a_held = [float(p.marker.color[0]) for p in places]  # single run: 0 W, 1 E
    assert a_held == [0.0, 1.0, 1.0]  # taken in the last hour of 5 Jan: 5 Jan's frame has it
    hover = [p.hovertext[0] for p in places]
    assert "at the end of 05 Jan 2020" in hover[1] and "at the start" in hover[0]
    assert [h.split("losses so far: ")[1].split(" combatants")[0] for h in hover] == [
        "0",
        "1",
        "11",
    ]
    assert fig.frames[1].layout.title.text == "Control and units at the end of 05 Jan 2020"


def test_a_capture_in_the_first_hour_of_a_day_is_that_days():
    control, events = _tables(capture_hour=24)
    fig = map_figure(control, pd.DataFrame(), events, NETWORK, START)
    a_held = [float(f.data[1].marker.color[0]) for f in fig.frames]
    assert a_held == [0.0, 0.0, 1.0]  # taken 00:00-01:00 on 6 Jan: not by the end of 5 Jan


def test_the_heatmap_has_a_column_a_day_at_its_end():
    control, _ = _tables(capture_hour=23)
    heat = control_heatmap(control, NETWORK, START).data[0]
    # each column spans the day it ends (centred at noon on a date axis)
    assert list(heat.x) == ["2020-01-05T12:00:00", "2020-01-06T12:00:00"]
    assert np.asarray(heat.z, dtype=float)[0].tolist() == [1.0, 1.0]  # A: E's by the end of 5 Jan
    assert heat.customdata[0][0][0] == "the end of 05 Jan 2020"


def test_frames_stay_on_local_midnight_across_a_daylight_saving_change():
    # Kyiv's clocks went forward at 03:00 on 29 March 2015: that day has 23 hours, so its end is
    # hour 47, and 30 March's hour 71 (every 24 hours from the start was 01:00 from the 30th).
    start = pd.Timestamp("2015-03-28T00:00+02:00").tz_convert("Europe/Kyiv")
    frames = day_frames(range(72), start)
    assert [f.hour for f in frames] == [0, 24, 47, 71]
    assert [f.label for f in frames] == ["start", "28 Mar", "29 Mar", "30 Mar"]


def test_a_frame_that_is_not_a_days_end_says_its_time():
    # sampled every 5 hours: 5 Jan's last sample is at 20:00; the run ends at 12:00 on 6 Jan
    frames = day_frames([0, 5, 10, 15, 20, 25, 30, 36], START)
    assert [f.label for f in frames] == ["start", "05 Jan 20:00", "06 Jan 12:00"]
    assert frames[2].text == "06 Jan 2020 12:00"
    assert frames[0].text == "the start, 05 Jan 2020 00:00"


def test_the_heatmaps_hover_writes_a_rare_share_as_the_tables_do():
    # 300 runs, E takes A in one: its hover said "E holds it in 0% of runs" (Plotly's .0%)
    runs = []
    for run in range(300):
        control, _ = _tables(capture_hour=23 if run == 0 else 100)
        runs.append(control.assign(run_id=run))
    heat = control_heatmap(pd.concat(runs), NETWORK, START).data[0]
    a_first_day = heat.customdata[0][0]
    assert list(a_first_day[1:]) == ["0.3%", "99.7%", "0%"]
    assert "%{customdata[1]} of runs" in heat.hovertemplate
