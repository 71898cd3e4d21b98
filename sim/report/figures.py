"""What the report's figures share: their conventions, colours, layout and helpers.

Each figure is one pure function, DataFrames in, `go.Figure` out, in a module of its own
(`sim.report.map`, `.control`, `.timeseries`, `.events`); `sim.report.build.all_figures` makes
them all.

Inputs are the results folder's tables (see `sim.results.read_results`), the `network.json`
dict and the scenario start (hours in the tables are hours since the start; figures show them as
local clock times, the scenario's offset dropped, so plotly.js does not shift them). Nothing here
reads files or writes HTML. Every piece of user text put into a figure (place, unit and event
names and texts) is escaped with `html.escape`: plotly.js renders a subset of HTML in labels and
turns the escaped entities back into plain characters.

With more than one run the figures show the ensemble: medians with 50% and 90% bands, and, for
control, the share of runs in which the east side (who holds the front axis' east end at the
start) holds a place. With a single run the same figures show that run.

What is labelled and where the map looks are the theater's choices, carried in network.json's
`report` block (`sim.theater_view.report_settings`); `report_choices` reads them, deriving them
from the nodes for a results folder written before the block existed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# The map is drawn on plotly's Africa scope at 50m resolution (the africa_50m topojson shipped in
# sim/assets, which covers 30 W to 60 E and 50 S to 50 N, the Arabian peninsula included).
MAP_SCOPE = "africa"
EVENT_KINDS = (
    "engagement",
    "strike",
    "withdrawal",
    "control_change",
    "violation",
    "ceasefire",
    "ceasefire_collapse",
    "offensive",
    "deployment",
    "defection",
    "surrender",
    "request",
    "air_loss",
    "event",
)
EVENT_COLORS = {
    "engagement": "#d95f02",
    "strike": "#7570b3",
    "withdrawal": "#66a61e",
    "control_change": "#e7298a",
    "violation": "#e6ab02",
    "ceasefire": "#1b9e77",
    "ceasefire_collapse": "#a6761d",
    "offensive": "#666666",
    "deployment": "#17becf",
    "defection": "#8c564b",
    "request": "#bcbd22",
    "air_loss": "#9467bd",
    "surrender": "#525252",
    "event": "#999999",
}
CEASEFIRE_COLORS = {
    "none": "#bdbdbd",
    "holding": "#1b9e77",
    "violated": "#e6ab02",
    "resumed": "#e7298a",
    "collapsed": "#d95f02",
}
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)


def report_choices(network: Mapping[str, Any]) -> dict[str, Any]:
    """The theater's report choices from network.json: `map_labels` and `front_marks` (place
    names), `map_lon` and `map_lat` ([low, high] degrees). An older folder without them gets
    the same derivation from its nodes (`sim.theater_view`: the most populous places, the axis
    ends, the padded bounding box)."""
    from sim.theater_view import MAX_LABELS, _padded

    given = dict(network.get("report") or {})
    nodes = [n for n in network.get("nodes", []) if not n.get("waypoint")]
    if "map_labels" not in given:
        by_pop = sorted(nodes, key=lambda n: -(n.get("population") or 0))
        given["map_labels"] = [n["name"] for n in by_pop[:MAX_LABELS]]
    if "front_marks" not in given:
        axis = network.get("axis") or []
        given["front_marks"] = list(dict.fromkeys([axis[0], axis[-1]])) if axis else []
    for key, coord, limit in (("map_lon", "lon", 180), ("map_lat", "lat", 90)):
        if key not in given:
            values = [float(n[coord]) for n in nodes] or [0.0]
            given[key] = _padded(min(values), max(values), limit)
    return given


def esc(value: Any) -> str:
    """User text made safe for plotly labels and HTML."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def clock(start: pd.Timestamp, hours: Any) -> pd.DatetimeIndex:
    """Local clock times (offset dropped) of elapsed hours since the start: added before the
    offset is dropped, so a start in a zone with daylight saving (`labels.local_start`) gives
    the wall clock after the change, as the tables' `time` column has it."""
    t = pd.Timestamp(start) + pd.to_timedelta(np.asarray(hours, dtype=float), unit="h")
    t = pd.DatetimeIndex(t)
    return t.tz_localize(None) if t.tz is not None else t


def fmt_day(t: pd.Timestamp) -> str:
    return t.strftime("%d %b %Y")


def sides(network: Mapping[str, Any], control: pd.DataFrame | None = None) -> tuple[str, str]:
    """(west, east): who holds the axis' west and east ends at the start; else faction order."""
    keys = list(network.get("factions", {}))
    axis = network.get("axis") or []
    west = east = None
    if control is not None and not control.empty and axis:
        first = control[(control["hour"] == control["hour"].min())]
        first = first[first["run_id"] == first["run_id"].min()].set_index("place")["controller"]
        west = first.get(axis[0])
        east = first.get(axis[-1])
    if west not in keys or east not in keys or west == east:
        west, east = [*keys, "west", "east"][:2] if len(keys) < 2 else (keys[0], keys[-1])
    return str(west), str(east)


def faction_color(network: Mapping[str, Any], key: str, default: str = "#777777") -> str:
    return network.get("factions", {}).get(key, {}).get("color", default)


def rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def share_scale(network: Mapping[str, Any], west: str, east: str) -> list[list[Any]]:
    """Colour scale from the west side's colour (0) through white (0.5) to the east side's (1)."""
    return [
        [0.0, faction_color(network, west)],
        [0.5, "#ffffff"],
        [1.0, faction_color(network, east)],
    ]


def ceasefire_hour(events: pd.DataFrame) -> float | None:
    """Hour the (first) ceasefire took effect, from the events table."""
    if events.empty or "kind" not in events:
        return None
    h = events.loc[events["kind"] == "ceasefire", "hour"]
    return None if h.empty else float(h.min())


def _mark_ceasefire(fig: go.Figure, start: pd.Timestamp, hour: float | None, **where) -> None:
    if hour is None:
        return
    x = clock(start, [hour])[0]
    _ceasefire_line(fig, x, where.get("xref", "x"), "paper", width=1.5)
    fig.add_annotation(
        x=x,
        y=1,
        yref="paper",
        xref=where.get("xref", "x"),
        text="ceasefire",
        showarrow=False,
        xanchor="left",
        yanchor="bottom",
        font=dict(color="#1b9e77", size=11),
    )


def _ceasefire_line(fig: go.Figure, x: Any, xref: str, yref: str, width: float) -> None:
    """The dashed vertical line every time chart draws at the ceasefire's start."""
    fig.add_shape(
        type="line",
        x0=x,
        x1=x,
        y0=0,
        y1=1,
        xref=xref,
        yref=yref,
        line=dict(color="#1b9e77", width=width, dash="dash"),
    )


def quantiles(ts: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per sampled hour: 5, 25, 50, 75 and 95% quantiles of `column` over runs."""
    q = ts.groupby("hour")[column].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = ["q05", "q25", "q50", "q75", "q95"]
    return q.sort_index()


def band_traces(
    x: Sequence[Any],
    q: pd.DataFrame,
    color: str,
    name: str,
    bands: bool = True,
    hover: str = "%{y:,.0f}",
    **subplot,
) -> list[go.Scatter]:
    """Median line with 90% and 50% bands (the bands only when there is more than one run)."""
    traces: list[go.Scatter] = []
    if bands:
        for lo, hi, alpha, label in (("q05", "q95", 0.15, "90%"), ("q25", "q75", 0.3, "50%")):
            traces.append(
                go.Scatter(
                    x=x,
                    y=q[hi].to_numpy(),
                    mode="lines",
                    line=dict(width=0.6, color=rgba(color, 0.45)),
                    legendgroup=name,
                    showlegend=False,
                    hoverinfo="skip",
                    name=f"{name} {label} upper",
                    **subplot,
                )
            )
            traces.append(
                go.Scatter(
                    x=x,
                    y=q[lo].to_numpy(),
                    mode="lines",
                    line=dict(width=0.6, color=rgba(color, 0.45)),
                    fill="tonexty",
                    fillcolor=rgba(color, alpha),
                    legendgroup=name,
                    showlegend=False,
                    hoverinfo="skip",
                    name=f"{name} {label} band",
                    **subplot,
                )
            )
    extra: dict[str, Any] = {}
    if bands:
        extra["customdata"] = q[["q25", "q75", "q05", "q95"]].to_numpy().round(2)
        c = [hover.replace("%{y", f"%{{customdata[{i}]") for i in range(4)]
        spans = f"50%: {c[0]}–{c[1]}, 90%: {c[2]}–{c[3]}"
        template = f"{name} median {hover} ({spans})<extra></extra>"
    else:
        template = f"{name}: {hover}<extra></extra>"
    traces.append(
        go.Scatter(
            x=x,
            y=q["q50"].to_numpy(),
            mode="lines",
            line=dict(color=color, width=2),
            name=name,
            legendgroup=name,
            hovertemplate=template,
            **extra,
            **subplot,
        )
    )
    return traces


def _layout(fig: go.Figure, title: str, height: int = 420, subplots: bool = False) -> go.Figure:
    """Common look; with subplots the legend goes between the title and the subplot titles."""
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left", y=0.98, yanchor="top"),
        height=height,
        margin=dict(l=70, r=30, t=100 if subplots else 70, b=50),
        font=FONT,
        hovermode="x unified",
        template="plotly_white",
        legend=dict(
            orientation="h",
            yanchor="bottom",
            xanchor="left" if subplots else "right",
            x=0 if subplots else 1,
            y=1.06 if subplots else 1.0,
        ),
    )
    return fig


def _runs_note(n: int) -> str:
    return "one run" if n == 1 else f"median, 50% and 90% bands over {n} runs"
