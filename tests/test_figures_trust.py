"""Report figures that do not mislead (issue #15): events of any run without per-run copies,
front bands and per-sector fronts, the violations line after a collapse, the map's units, scale
bar and zoom, titled axes on the small panels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.report.build import all_figures, load
from sim.report.timeseries import FORCES_AXES, ceasefire_figure, front_figure


@pytest.fixture(scope="module")
def data(small_results):
    return load(small_results)


def test_events_of_every_run_are_stored_once_and_compactly(data):
    from sim.report.events import events_figure

    ev = data.tables.events
    fig = events_figure(ev, data.start)
    d = fig.layout.meta["eventRuns"]
    runs = sorted(ev["run_id"].unique())
    assert d["runs"] == runs and d["offsets"][-1] == len(ev) == len(d["hour"])
    for k, rid in enumerate(runs):  # each run's slice is that run's events, in time order
        sl = slice(d["offsets"][k], d["offsets"][k + 1])
        mine = ev[ev["run_id"] == rid].sort_values("hour", kind="stable")
        assert d["hour"][sl] == [round(h, 3) for h in mine["hour"]]
        assert [d["kinds"][c] for c in d["kind"][sl]] == list(mine["kind"])
    assert len(fig.data) == 1 and len(fig.data[0].x) == (ev["run_id"] == runs[0]).sum()
    # strings are stored once: four times the runs (same texts) adds only the number columns
    many = pd.concat([ev.assign(run_id=ev["run_id"] + 100 * i) for i in range(4)])
    one_size = len(json.dumps(d))
    four_size = len(json.dumps(events_figure(many, data.start).layout.meta["eventRuns"]))
    per_event = (four_size - one_size) / (3 * len(ev))
    assert per_event < 40, per_event  # bytes per extra event: numbers only, no hover text


def test_front_bands_are_visible_or_explained_and_sectors_get_panels(data):
    ts = data.tables.timeseries.copy()
    fig = front_figure(ts, data.tables.events, data.network, data.start)
    edges = [t for t in fig.data if t.name and t.name.endswith(("upper", "band"))]
    assert edges and all(t.line.width > 0 for t in edges)  # the band edges are drawn
    same = ts.copy()
    same["front_km"] = same["hour"] * 0.1  # every run identical
    fig = front_figure(same, data.tables.events, data.network, data.start)
    note = "all 3 runs agree, so the bands have no width"
    if [c for c in same if c.startswith("front_km_")]:  # each panel says so in its own title
        assert f"front ({note})" in [a.text for a in fig.layout.annotations]
        assert note not in fig.layout.title.text  # not a line of every panel's name in the title
    else:
        assert note in fig.layout.title.text
    alone = same[[c for c in same if not c.startswith("front_km_")]]
    fig = front_figure(alone, data.tables.events, data.network, data.start)
    assert note in fig.layout.title.text  # one panel: the note stays in the title
    ts["front_km_tripoli"] = 20.0 + ts["run_id"]
    ts["front_km_sirte"] = 5.0 * ts["run_id"]
    fig = front_figure(ts, data.tables.events, data.network, data.start)
    titles = [a.text for a in fig.layout.annotations]
    assert {"front, Tripoli", "front, Sirte"} <= set(titles)  # these two vary: no note
    assert fig.layout.yaxis2.title.text == "km along its axis"  # the rest: the report's text
    sectors = [c for c in ts if c.startswith("front_km_")]  # the model's own and the two above
    assert {t.xaxis for t in fig.data} == {"x", *(f"x{i + 2}" for i in range(len(sectors)))}


def test_violations_line_leaves_collapsed_runs(data):
    hours = np.arange(0, 60, 6.0)
    rows = []
    for run in (0, 1):
        for h in hours:
            state = "none" if h < 12 else ("collapsed" if run == 1 and h >= 30 else "active")
            v = h if run == 0 else min(h, 30.0) * 3  # run 1's count freezes at its collapse
            rows.append({"run_id": run, "hour": h, "ceasefire_state": state, "violations": v})
    ts = pd.DataFrame(rows)
    events = pd.DataFrame({"run_id": [0, 1], "hour": [12.0, 12.0], "kind": ["ceasefire"] * 2})
    fig = ceasefire_figure(ts, events, data.start)
    med = next(
        t for t in fig.data if t.name == "violations" and t.mode == "lines" and t.line.width == 2
    )
    y = np.asarray(med.y, dtype=float)
    after = hours >= 30
    assert np.allclose(y[after], hours[after])  # only run 0, still under the ceasefire
    assert "runs still under the ceasefire" in fig.layout.yaxis2.title.text


def test_map_units_scale_bar_and_zoom(data):
    from sim.report.map import UNIT_STYLES
    from sim.report.map_views import KM_PER_DEGREE

    fig = all_figures(data.tables, data.network, data.start)["map"]
    place_colors = {f["color"] for f in data.network["factions"].values()}
    units = [t for t in fig.data if t.name and " units" in t.name]
    assert units and all(t.marker.symbol.endswith("-open") for t in units)
    assert not {t.marker.color for t in units} & place_colors
    assert {t.marker.color for t in units} <= {c for _, c in UNIT_STYLES}
    bar = next(t for t in fig.data if t.name == "scale")
    km = float(bar.text[3].split()[0])
    lon0, lon1, lat = bar.lon[0], bar.lon[1], bar.lat[0]
    assert (lon1 - lon0) * KM_PER_DEGREE * np.cos(np.radians(lat)) == pytest.approx(km, rel=1e-6)
    zoom = fig.layout.updatemenus[1].buttons
    assert zoom[0].label == "whole theater" and zoom[1].label.startswith("zoom: ")
    lons, lats = zoom[1].args[1]["geo.lonaxis.range"], zoom[1].args[1]["geo.lataxis.range"]
    tripoli = next(n for n in data.network["nodes"] if n["name"] == "Tripoli")
    assert lons[0] < tripoli["lon"] < lons[1] and lats[0] < tripoli["lat"] < lats[1]
    assert zoom[1].label == "zoom: around Tripoli"
    # the zoom's own scale bar is shorter (it keeps about a fifth of the view's width)
    assert float(zoom[1].args[0]["text"][0][3].split()[0]) < km


def test_small_panels_have_titled_axes_with_units(data):
    fig = all_figures(data.tables, data.network, data.start)["forces"]
    titles = [fig.layout[f"yaxis{i or ''}"].title.text for i in (0, 2, 3, 4)]
    assert titles == list(FORCES_AXES)
    assert fig.layout.xaxis3.title.text == "date (local time)"
