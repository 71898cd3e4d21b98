"""The front figure's layout in pixels: axis titles that fit their panels and place marks on the
main axis that are never printed over each other, for the shipped theaters and a crowded one.

A reviewer of `conflict-sim run scenarios/ceasefire_jan12.yaml`'s report read the main panel's
y title as "ront position" (it ran up over the figure's title: a 35-character title along a
116 px panel) and 'al-Washka 344' printed over 'Abu Grein 311' (33 km apart, 7 px)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.report.build import load
from sim.report.timeseries import front_figure

THEATERS = Path(__file__).resolve().parent.parent / "config" / "theaters"
START = pd.Timestamp("2020-01-05T00:00")
EM = 0.6  # a character's width in font sizes: wider than the average sans-serif letter
LINE = 1.2  # a tick label's height in font sizes


def panels(fig) -> dict[str, tuple[dict, float]]:
    """Each y axis by layout name, with its panel's height in px (the plotting area is the
    figure's height less the top and bottom margins; an axis' domain is a share of it)."""
    layout = fig.layout.to_plotly_json()
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    return {
        k: (v, plot_px * (v["domain"][1] - v["domain"][0]))
        for k, v in layout.items()
        if k.startswith("yaxis")
    }


def check_layout(fig, network: dict) -> list[str]:
    """Assert the titles fit and the labelled marks are a label's height apart; return the
    labelled places."""
    font = fig.layout.font.size
    for name, (axis, px) in panels(fig).items():
        for line in axis["title"]["text"].split("<br>"):
            assert len(line) * EM * font * 1.2 <= px, (name, line, px)  # titles: 1.2 x the font
    main, px = panels(fig)["yaxis"]
    low, high = main["range"]
    ticks = sorted(main["tickvals"])
    gaps = [(b - a) / (high - low) * px for a, b in pairwise(ticks)]
    assert not gaps or min(gaps) >= LINE * font, (gaps, main["ticktext"])
    assert all(low < t < high for t in ticks)
    km = {n["name"]: n["axis_km"] for n in network["nodes"]}
    marks = [m for m in network["report"]["front_marks"] if km.get(m) is not None]
    shown = [t.rsplit(" ", 1)[0] for t in main["ticktext"]]
    hidden = sorted(main.get("minor", {}).get("tickvals", []))
    # every marked place is either labelled or a bare minor tick; the two ends are labelled
    assert sorted(ticks + hidden) == sorted(km[m] for m in marks)
    assert {min(marks, key=km.get), max(marks, key=km.get)} <= set(shown)
    return shown


@pytest.fixture(scope="module")
def data(small_results: Path):
    return load(small_results)


def test_the_reviewers_report_front_fits(data):
    fig = front_figure(data.tables.timeseries, data.tables.events, data.network, data.start)
    assert len(panels(fig)) > 1  # the Libyan theater's sectors each have a panel
    shown = check_layout(fig, data.network)
    assert {"Tripoli", "Sirte", "Abu Grein", "al-Washka"} <= set(shown)  # room for all here
    assert fig.layout.yaxis.title.text == "km from Tripoli"


def theater_network(path: Path) -> dict:
    from sim.config import load_theater
    from sim.network import build_network
    from sim.results import network_json

    theater = load_theater(path)
    return network_json(SimpleNamespace(theater=theater), build_network(theater))


def a_front(network: dict, sectors: list[str], runs: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs whose front sweeps the main axis end to end, and a change of hands at every place
    on it (so every mark asks for a label)."""
    top = max(n["axis_km"] or 0.0 for n in network["nodes"])
    hours = np.arange(0, 240, 6.0)
    rows = [
        {"run_id": r, "hour": h, "front_km": top * h / hours[-1] * (1 - 0.1 * r)}
        | {f"front_km_{s}": 5.0 * r + h / 10 for s in sectors}
        for r in range(runs)
        for h in hours
    ]
    places = [n["name"] for n in network["nodes"] if n["axis_km"] is not None]
    events = pd.DataFrame(
        {"run_id": 0, "hour": 12.0, "kind": "control_change", "place": places, "text": ""}
    )
    return pd.DataFrame(rows), events


@pytest.mark.parametrize("theater", sorted(THEATERS.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("sectors", [0, 2, 8])
def test_every_theaters_front_fits_alone_and_with_sectors(theater, sectors):
    network = theater_network(theater)
    ts, events = a_front(network, [f"s{i}" for i in range(sectors)])
    check_layout(front_figure(ts, events, network, START), network)


def crowded() -> dict:
    """An axis with places 5 km apart in its middle (as the ports and city at Hodeidah)."""
    kms = {"West End": 0.0, "Port": 74.0, "City": 79.0, "Airport": 86.0, "Mid": 150.0}
    kms |= {"East End": 284.0}
    return {
        "axis": list(kms),
        "nodes": [{"name": n, "axis_km": k, "waypoint": False} for n, k in kms.items()],
        "report": {"front_marks": list(kms), "map_lon": [0, 1], "map_lat": [0, 1]},
        "factions": {},
    }


def test_crowded_marks_keep_the_ends_the_fronts_place_and_those_that_change_hands():
    network = crowded()
    hours = np.arange(0, 48, 6.0)
    ts = pd.DataFrame({"run_id": 0, "hour": hours, "front_km": np.linspace(200.0, 87.0, 8)})
    events = pd.DataFrame({"run_id": [0], "hour": [6.0], "kind": ["control_change"]})
    fig = front_figure(ts, events.assign(place="Mid"), network, START)
    shown = check_layout(fig, network)
    assert "Airport" in shown and not {"Port", "City"} & set(shown)  # where the front ends
    ts["front_km"] = 300.0  # the front nowhere near: the place that changed hands is labelled
    events = pd.concat([events.assign(place="City"), events.assign(place="Port", run_id=1)])
    events = pd.concat([events, events.assign(place="City", run_id=2)])
    shown = check_layout(front_figure(ts, events, network, START), network)
    assert "City" in shown and not {"Port", "Airport"} & set(shown)  # in more runs than Port
