"""The report's figures: one pure function per figure, DataFrames in, `go.Figure` out.

Inputs are the results folder's tables (see `sim.results.read_results`), the `network.json`
dict and the scenario start (hours in the tables are hours since the start; figures show them as
local clock times, the scenario's offset dropped, so plotly.js does not shift them). Nothing here
reads files or writes HTML. Every piece of user text put into a figure (place, unit and event
names and texts) is escaped with `html.escape`: plotly.js renders a subset of HTML in labels and
turns the escaped entities back into plain characters.

With more than one run the figures show the ensemble: medians with 50% and 90% bands, and, for
control, the share of runs in which the east side (the LNA in Libya) holds a place. With a single
run the same figures show that run.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Places marked on the front figure's axis (by their km from the axis' west end).
FRONT_MARKS = ("Tripoli", "Misrata", "Abu Grein", "al-Washka", "Sirte")
# Places labelled on the map.
MAP_LABELS = ("Tripoli", "Misrata", "Abu Grein", "Sirte", "Ras Lanuf", "Benghazi", "Tobruk")
# Libya's coastal theater inside plotly's Africa scope (50m resolution: africa_50m topojson).
MAP_LON = (11.0, 25.0)
MAP_LAT = (28.6, 33.7)
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
EVENT_RUNS = 5  # runs selectable in the events timeline (each run's events go into the file)
CEASEFIRE_COLORS = {
    "none": "#bdbdbd",
    "holding": "#1b9e77",
    "violated": "#e6ab02",
    "resumed": "#e7298a",
    "collapsed": "#d95f02",
}
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)


def esc(value: Any) -> str:
    """User text made safe for plotly labels and HTML."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def clock(start: pd.Timestamp, hours: Any) -> pd.DatetimeIndex:
    """Local clock times (offset dropped) of hours since the start."""
    t0 = pd.Timestamp(start)
    if t0.tzinfo is not None:
        t0 = t0.tz_localize(None)
    return pd.DatetimeIndex(t0 + pd.to_timedelta(np.asarray(hours, dtype=float), unit="h"))


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
                    line=dict(width=0),
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
                    line=dict(width=0),
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


# --- map -------------------------------------------------------------------------------------


def frame_hours(hours: Sequence[float], every: float = 24.0) -> list[float]:
    """Sampled hours to show as frames: the last sample at or before each day, and the end."""
    hs = np.unique(np.asarray(hours, dtype=float))
    if hs.size == 0:
        return []
    out = []
    t = hs[0]
    while t <= hs[-1]:
        i = np.searchsorted(hs, t, side="right") - 1
        out.append(float(hs[i]))
        t += every
    if out[-1] != hs[-1]:
        out.append(float(hs[-1]))
    return list(dict.fromkeys(out))


def control_shares(control: pd.DataFrame, hours: Sequence[float] | None = None) -> pd.DataFrame:
    """Share of runs by (hour, place) for each controller: columns are controllers."""
    c = control if hours is None else control[control["hour"].isin(list(hours))]
    n = control["run_id"].nunique()
    counts = c.groupby(["hour", "place", "controller"], observed=True).size().unstack(fill_value=0)
    return counts / max(n, 1)


def _place_values(shares: pd.DataFrame, east: str, single: bool) -> pd.Series:
    if single:
        # one run: 0 west, 0.5 contested, 1 east
        contested = shares.get("contested", 0.0)
        return shares.get(east, 0.0) + 0.5 * contested
    return shares.get(east, pd.Series(0.0, index=shares.index))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def map_figure(
    control: pd.DataFrame,
    units: pd.DataFrame,
    events: pd.DataFrame,
    network: Mapping[str, Any],
    start: pd.Timestamp,
) -> go.Figure:
    """Animated map: roads, places coloured by controller (one run) or by the east side's share
    of runs (ensemble), run 0's units sized by personnel, one frame a day with a slider."""
    nodes = pd.DataFrame(network["nodes"]).set_index("name", drop=False)
    west, east = sides(network, control)
    n_runs = int(control["run_id"].nunique()) if not control.empty else 1
    single = n_runs <= 1
    run0 = int(control["run_id"].min()) if not control.empty else 0
    scale = share_scale(network, west, east)
    hours = frame_hours(control["hour"].unique()) if not control.empty else [0.0]
    times = clock(start, hours)
    labels = [t.strftime("%d %b") for t in times]
    names = [t.strftime("%Y-%m-%d %H:%M") for t in times]

    shares = control_shares(control, hours) if not control.empty else pd.DataFrame()
    for col in (west, east, "contested"):
        if col not in shares:
            shares[col] = 0.0
    values = _place_values(shares, east, single)

    # losses so far at each place: cumulative casualties of events up to each frame (run mean)
    ev = events[events["place"].fillna("") != ""] if not events.empty else events
    losses = pd.DataFrame(0.0, index=range(len(hours)), columns=nodes.index)
    civ = losses.copy()
    if not ev.empty:
        idx = np.searchsorted(np.asarray(hours), ev["hour"].to_numpy(dtype=float), side="left")
        keep = idx < len(hours)
        e = ev[keep].assign(frame=idx[keep])
        for table, col in ((losses, "casualties"), (civ, "civilian_casualties")):
            if col not in e:
                continue
            s = e.groupby(["frame", "place"])[col].sum().unstack(fill_value=0.0)
            s = s.reindex(index=table.index, columns=table.columns, fill_value=0.0)
            table.loc[:, :] = s.cumsum().to_numpy() / n_runs

    u0 = units[(units["run_id"] == run0) & units["hour"].isin(hours)] if not units.empty else units
    if not u0.empty:
        u0 = u0[u0["personnel"] > 0]
    pmax = float(u0["personnel"].max()) if not u0.empty else 1.0
    present: dict[tuple[float, str], list[str]] = {}
    for row in u0.itertuples(index=False):
        present.setdefault((float(row.hour), row.place), []).append(
            f"{esc(row.name)} ({esc(row.faction)}, {row.personnel:,.0f})"
        )

    real = nodes[~nodes["waypoint"].astype(bool)]
    way = nodes[nodes["waypoint"].astype(bool)]
    loss_word = "losses so far" if single else f"losses so far (mean of {n_runs} runs)"

    share_rows = {
        key: dict(zip(shares.columns, row, strict=True))
        for key, row in zip(shares.index, shares.to_numpy(), strict=True)
    }

    def place_hover(group: pd.DataFrame, h: float, k: int) -> list[str]:
        out = []
        for name in group.index:
            key = (h, name)
            row = share_rows.get(key)
            if row is None:
                status = "controller: unknown"
            elif single:
                ctl = next((c for c, v in row.items() if v > 0), "?")
                status = f"controller: {esc(ctl)}"
            else:
                parts = [f"{esc(c)} {_pct(row[c])}" for c in (east, west, "contested")]
                status = f"held in share of runs: {', '.join(parts)}"
            who = present.get(key, [])
            unit_text = "<br>  ".join(who[:8]) + (
                f"<br>  +{len(who) - 8} more" if len(who) > 8 else ""
            )
            out.append(
                f"<b>{esc(name)}</b> · {esc(fmt_day(times[k]))}<br>{status}"
                f"<br>{loss_word}: {losses.at[k, name]:,.0f} combatants, "
                f"{civ.at[k, name]:,.0f} civilians"
                + (
                    f"<br>units present{' (run ' + str(run0) + ')' if not single else ''}:<br>  {unit_text}"
                    if who
                    else "<br>no units present"
                )
            )
        return out

    def vals(group: pd.DataFrame, h: float) -> list[float]:
        return [float(values.get((h, n), np.nan)) for n in group.index]

    if single:
        colorbar = dict(
            title=dict(text="controller"),
            tickvals=[0, 0.5, 1],
            ticktext=[esc(west), "contested", esc(east)],
            len=0.6,
            thickness=14,
        )
    else:
        colorbar = dict(
            title=dict(text=f"share of runs<br>held by {esc(east)}"),
            tickformat=".0%",
            len=0.6,
            thickness=14,
        )

    def control_trace(group: pd.DataFrame, k: int, full: bool, style: dict) -> go.Scattergeo:
        """Places or waypoints coloured by the share of runs the east holds them at frame k;
        animation frames (full=False) carry only what changes."""
        h = hours[k]
        marker = dict(color=vals(group, h), colorscale=scale, cmin=0, cmax=1, **style["marker"])
        kw: dict[str, Any] = dict(marker=marker, hovertext=place_hover(group, h, k))
        if full:
            kw.update(
                lon=group["lon"].to_numpy(),
                lat=group["lat"].to_numpy(),
                hoverinfo="text",
                showlegend=False,
                **style["trace"],
            )
        return go.Scattergeo(**kw)

    place_style = dict(
        marker=dict(
            size=12,
            line=dict(color="#333333", width=1),
            showscale=True,
            colorbar=colorbar,
        ),
        trace=dict(
            mode="markers+text",
            text=[esc(n) if n in MAP_LABELS else "" for n in real.index],
            textposition="top center",
            textfont=dict(size=10, color="#222"),
            name="places",
        ),
    )
    way_style = dict(
        marker=dict(
            size=6, symbol="circle", line=dict(color="#555555", width=0.5), showscale=False
        ),
        trace=dict(mode="markers", name="road waypoints"),
    )

    def place_trace(k: int, full: bool) -> go.Scattergeo:
        return control_trace(real, k, full, place_style)

    def way_trace(k: int, full: bool) -> go.Scattergeo:
        return control_trace(way, k, full, way_style)

    factions = list(network.get("factions", {})) or sorted(u0["faction"].unique())

    def unit_trace(k: int, faction: str, full: bool) -> go.Scattergeo:
        h = hours[k]
        d = u0[(u0["hour"] == h) & (u0["faction"] == faction)] if not u0.empty else u0
        sizes = (6 + 22 * np.sqrt(d["personnel"].to_numpy(dtype=float) / pmax)) if len(d) else []
        hover = [
            f"<b>{esc(r.name)}</b> ({esc(r.faction)})<br>at {esc(r.place)} · {esc(fmt_day(times[k]))}"
            f"<br>personnel {r.personnel:,.0f} · morale {r.morale:.2f} · supply {r.supply:.2f}"
            f"<br>posture {esc(r.posture)}"
            for r in d.itertuples(index=False)
        ]
        color = faction_color(network, faction)
        kw: dict[str, Any] = dict(
            lon=d["lon"].to_numpy() if len(d) else [],
            lat=d["lat"].to_numpy() if len(d) else [],
            hovertext=hover,
            marker=dict(
                size=sizes,
                color=rgba(color, 0.55),
                symbol="square",
                line=dict(color=color, width=1.5),
            ),
        )
        if full:
            who = f"{esc(faction)} units" + ("" if single else f" (run {run0})")
            kw.update(mode="markers", hoverinfo="text", name=who, showlegend=True)
        return go.Scattergeo(**kw)

    # roads: one line trace, segments separated by None
    lon: list[float | None] = []
    lat: list[float | None] = []
    for e in network.get("edges", []):
        if e["a"] in nodes.index and e["b"] in nodes.index:
            a, b = nodes.loc[e["a"]], nodes.loc[e["b"]]
            lon += [a["lon"], b["lon"], None]
            lat += [a["lat"], b["lat"], None]
    roads = go.Scattergeo(
        lon=lon,
        lat=lat,
        mode="lines",
        line=dict(color="#8a8a8a", width=1.2),
        hoverinfo="skip",
        name="roads",
        showlegend=False,
    )

    data = [roads, way_trace(0, True), place_trace(0, True)]
    data += [unit_trace(0, f, True) for f in factions]
    dynamic = list(range(1, len(data)))
    frames = [
        go.Frame(
            name=names[k],
            data=[way_trace(k, False), place_trace(k, False)]
            + [unit_trace(k, f, False) for f in factions],
            traces=dynamic,
            layout=dict(title=dict(text=_map_title(times[k], n_runs, east, run0))),
        )
        for k in range(len(hours))
    ]
    fig = go.Figure(data=data, frames=frames)
    step_args = {
        "mode": "immediate",
        "frame": {"duration": 0, "redraw": True},
        "transition": {"duration": 0},
    }
    fig.update_layout(
        title=dict(text=_map_title(times[0], n_runs, east, run0), x=0.01, xanchor="left"),
        height=610,
        margin=dict(l=10, r=10, t=80, b=90),
        font=FONT,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0),
        geo=dict(
            scope="africa",
            resolution=50,
            projection=dict(type="mercator"),
            lonaxis=dict(range=list(MAP_LON)),
            lataxis=dict(range=list(MAP_LAT)),
            domain=dict(x=[0, 0.9], y=[0, 1]),
            showland=True,
            landcolor="#f2efe6",
            showocean=True,
            oceancolor="#dbe8f3",
            showcountries=True,
            countrycolor="#9a9a9a",
            countrywidth=1,
            showcoastlines=True,
            coastlinecolor="#5a5a5a",
            coastlinewidth=1,
            showlakes=False,
            showrivers=False,
            showframe=True,
            framecolor="#cccccc",
        ),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=0,
                xanchor="left",
                yanchor="top",
                pad=dict(r=6, t=42),
                showactive=False,
                buttons=[
                    dict(
                        label="▶ play",
                        method="animate",
                        args=[
                            None,
                            {
                                "frame": {"duration": 500, "redraw": True},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                            },
                        ],
                    ),
                    dict(label="❚❚ pause", method="animate", args=[[None], step_args]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                x=0.16,
                len=0.84,
                y=0,
                yanchor="top",
                pad=dict(t=10, b=0),
                currentvalue=dict(prefix="day: ", font=dict(size=12), xanchor="left"),
                steps=[
                    dict(method="animate", label=labels[k], args=[[names[k]], step_args])
                    for k in range(len(hours))
                ],
            )
        ],
    )
    return fig


def _map_title(t: pd.Timestamp, n_runs: int, east: str, run0: int) -> str:
    if n_runs <= 1:
        return f"Control and units on {fmt_day(t)}"
    return (
        f"Control on {fmt_day(t)}: share of {n_runs} runs in which the {esc(east)} holds each "
        f"place; units of run {run0}"
    )


def map_at(fig: go.Figure, k: int = -1) -> go.Figure:
    """A still of the map at frame `k` (default: the last day), for static export."""
    still = go.Figure(fig)
    if not still.frames:
        return still
    frame = still.frames[k]
    for idx, tr in zip(frame.traces, frame.data, strict=False):
        still.data[idx].update(tr.to_plotly_json())
    still.update_layout(frame.layout)
    still.frames = ()
    still.layout.sliders = ()
    still.layout.updatemenus = ()
    still.update_layout(margin=dict(b=20), height=(still.layout.height or 610) - 70)
    return still


# --- time series -----------------------------------------------------------------------------


def front_figure(
    timeseries: pd.DataFrame, events: pd.DataFrame, network: Mapping[str, Any], start: pd.Timestamp
) -> go.Figure:
    """Front position (km along the coastal axis from its west end) over time with bands."""
    n = int(timeseries["run_id"].nunique())
    q = quantiles(timeseries, "front_km")
    x = clock(start, q.index)
    fig = go.Figure(band_traces(x, q, "#444444", "front", bands=n > 1, hover="%{y:,.0f} km"))
    km = {d["name"]: d.get("axis_km") for d in network.get("nodes", [])}
    axis = network.get("axis") or []
    origin = axis[0] if axis else "the west end"
    marks = [(km[m], m) for m in FRONT_MARKS if km.get(m) is not None]
    top = max([float(q["q95"].max()) if len(q) else 0.0] + [k for k, _ in marks]) + 40
    fig.update_yaxes(
        title=f"km from {esc(origin)} along the coast road",
        tickvals=[k for k, _ in marks],
        ticktext=[f"{esc(m)} {k:.0f}" for k, m in marks],
        range=[-10, top],
        showgrid=True,
        gridcolor="#e3e3e3",
        zeroline=False,
    )
    _mark_ceasefire(fig, start, ceasefire_hour(events))
    return _layout(fig, f"Front position ({_runs_note(n)})")


def forces_figure(
    timeseries: pd.DataFrame, network: Mapping[str, Any], start: pd.Timestamp, events=None
) -> go.Figure:
    """Personnel and cumulative casualties by faction, civilian casualties and displaced."""
    n = int(timeseries["run_id"].nunique())
    factions = [
        f for f in network.get("factions", {}) if f"personnel_{f}" in timeseries.columns
    ] or sorted(c[len("personnel_") :] for c in timeseries.columns if c.startswith("personnel_"))
    fig = make_subplots(
        rows=2,
        cols=2,
        shared_xaxes=True,
        vertical_spacing=0.12,
        horizontal_spacing=0.08,
        subplot_titles=(
            "Personnel",
            "Casualties so far",
            "Civilian casualties so far",
            "Displaced people",
        ),
    )
    for f in factions:
        color = faction_color(network, f)
        for col, (r, c) in ((f"personnel_{f}", (1, 1)), (f"casualties_{f}", (1, 2))):
            if col not in timeseries:
                continue
            q = quantiles(timeseries, col)
            for tr in band_traces(clock(start, q.index), q, color, esc(f), bands=n > 1):
                if not col.startswith("personnel_"):
                    tr.showlegend = False
                fig.add_trace(tr, row=r, col=c)
    for col, color, (r, c), name in (
        ("civilian_casualties", "#555555", (2, 1), "civilians"),
        ("displaced", "#8e44ad", (2, 2), "displaced"),
    ):
        if col in timeseries:
            q = quantiles(timeseries, col)
            for tr in band_traces(clock(start, q.index), q, color, name, bands=n > 1):
                fig.add_trace(tr, row=r, col=c)
    if events is not None:
        _mark_ceasefire_panels(fig, events, start, subplots=4)
    fig.update_yaxes(rangemode="tozero", gridcolor="#e3e3e3")
    fig.update_xaxes(showticklabels=True)
    return _layout(fig, f"Forces and losses ({_runs_note(n)})", height=680, subplots=True)


def _mark_ceasefire_panels(
    fig: go.Figure, events: pd.DataFrame, start: pd.Timestamp, subplots: int
) -> None:
    """A dashed vertical line at the ceasefire's start on each of the first `subplots` panels."""
    h = ceasefire_hour(events)
    if h is None:
        return
    t = clock(start, [h])[0]
    for i in range(subplots):
        axis = "" if i == 0 else str(i + 1)
        _ceasefire_line(fig, t, f"x{axis}", f"y{axis} domain", width=1.2)


def ceasefire_figure(
    timeseries: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp
) -> go.Figure | None:
    """Ceasefire state (share of runs none/holding/violated/resumed/collapsed, `sim.truce`) and
    violations so far, over time;
    None when the scenario has no ceasefire."""
    if "ceasefire_state" not in timeseries or (
        (timeseries["ceasefire_state"] == "none").all() and ceasefire_hour(events) is None
    ):
        return None
    n = int(timeseries["run_id"].nunique())
    state = (
        timeseries.groupby(["hour", "ceasefire_state"]).size().unstack(fill_value=0).sort_index()
        / n
    )
    x = clock(start, state.index)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        row_heights=[0.5, 0.5],
        subplot_titles=("Ceasefire state (share of runs)", "Violations so far"),
    )
    for s in CEASEFIRE_COLORS:
        if s in state:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=state[s].to_numpy(),
                    mode="lines",
                    stackgroup="state",
                    line=dict(width=0.5, color=CEASEFIRE_COLORS[s]),
                    name=s,
                    hovertemplate=f"{s}: %{{y:.0%}}<extra></extra>",
                ),
                row=1,
                col=1,
            )
    if "violations" in timeseries:
        q = quantiles(timeseries, "violations")
        for tr in band_traces(clock(start, q.index), q, "#e6ab02", "violations", bands=n > 1):
            fig.add_trace(tr, row=2, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", gridcolor="#e3e3e3", row=2, col=1)
    _mark_ceasefire_panels(fig, events, start, subplots=2)
    return _layout(fig, f"The ceasefire ({_runs_note(n)})", height=560, subplots=True)


# --- control heatmap -------------------------------------------------------------------------


def control_heatmap(
    control: pd.DataFrame, network: Mapping[str, Any], start: pd.Timestamp
) -> go.Figure:
    """Place × day: share of runs in which the east side holds each place (one run: controller);
    places (no road waypoints) ordered west to east by longitude."""
    west, east = sides(network, control)
    nodes = pd.DataFrame(network["nodes"])
    nodes = nodes[~nodes["waypoint"].astype(bool)].sort_values("lon", kind="stable")
    places = list(nodes["name"])
    n = int(control["run_id"].nunique())
    single = n <= 1
    hours = frame_hours(control["hour"].unique())
    shares = control_shares(control, hours)
    for col in (west, east, "contested"):
        if col not in shares:
            shares[col] = 0.0
    values = _place_values(shares, east, single)
    z = values.unstack("hour").reindex(index=places, columns=hours)
    other = shares[west].unstack("hour").reindex(index=places, columns=hours).fillna(0.0)
    cont = shares["contested"].unstack("hour").reindex(index=places, columns=hours).fillna(0.0)
    times = clock(start, hours)
    x = [t.strftime("%Y-%m-%d") for t in times]
    if single:
        hover = "%{y}, %{x}: %{customdata[0]}<extra></extra>"
        word = {0.0: esc(west), 0.5: "contested", 1.0: esc(east)}
        custom = np.vectorize(lambda v: word.get(v, "?"), otypes=[object])(z.fillna(-1).to_numpy())
        custom = custom[..., None]
        colorbar = dict(tickvals=[0, 0.5, 1], ticktext=[esc(west), "contested", esc(east)])
    else:
        hover = (
            f"%{{y}}, %{{x}}<br>{esc(east)} holds it in %{{z:.0%}} of runs"
            f"<br>{esc(west)} %{{customdata[0]:.0%}}, contested %{{customdata[1]:.0%}}"
            "<extra></extra>"
        )
        custom = np.stack([other.to_numpy(), cont.to_numpy()], axis=-1).round(3)
        colorbar = dict(tickformat=".0%", title=dict(text=f"held by {esc(east)}"))
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy().round(3),
            x=x,
            y=[esc(p) for p in places],
            customdata=custom,
            colorscale=share_scale(network, west, east),
            zmin=0,
            zmax=1,
            hovertemplate=hover,
            colorbar=dict(len=0.8, thickness=14, **colorbar),
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10))
    fig.update_xaxes(type="date")
    what = "controller" if single else f"share of {n} runs in which the {esc(east)} holds it"
    _layout(fig, f"Control over time, places west to east ({what})", height=140 + 18 * len(places))
    fig.update_layout(hovermode="closest")
    return fig


# --- events ----------------------------------------------------------------------------------


def _wrap(text: str, width: int = 70) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "<br>".join(esc(ln) for ln in lines)


def events_figure(events: pd.DataFrame, start: pd.Timestamp, runs: int = EVENT_RUNS) -> go.Figure:
    """Timeline of events by kind (one row per kind) with hover text; for an ensemble the first
    `runs` runs are selectable from a menu (run 0 shown), the others left out to keep size down."""
    kinds_present = list(dict.fromkeys(events["kind"])) if not events.empty else []
    kinds = [k for k in EVENT_KINDS if k in kinds_present] + sorted(
        k for k in kinds_present if k not in EVENT_KINDS
    )
    run_ids = sorted(events["run_id"].unique())[:runs] if not events.empty else [0]
    n_all = int(events["run_id"].nunique()) if not events.empty else 1
    fig = go.Figure()
    for i, rid in enumerate(run_ids):
        e = events[events["run_id"] == rid] if not events.empty else events
        t = clock(start, e["hour"]) if len(e) else []
        cas = e["casualties"].fillna(0).to_numpy(dtype=float) if len(e) else np.array([])
        civ = (
            e["civilian_casualties"].fillna(0).to_numpy(dtype=float)
            if len(e) and "civilian_casualties" in e
            else np.zeros(len(e))
        )
        hover = [
            f"<b>{esc(r.kind)}</b> · {tt:%d %b %Y %H:%M}"
            + (f" · {esc(r.place)}" if isinstance(r.place, str) and r.place else "")
            + (f"<br>{esc(r.factions)}" if isinstance(r.factions, str) and r.factions else "")
            + (f"<br>casualties {c:,.0f}" if c else "")
            + (f", civilians {v:,.0f}" if v else "")
            + f"<br>{_wrap(str(r.text))}"
            for r, tt, c, v in zip(e.itertuples(index=False), t, cas, civ, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=t,
                y=list(e["kind"]) if len(e) else [],
                mode="markers",
                visible=i == 0,
                marker=dict(
                    color=[EVENT_COLORS.get(k, "#999999") for k in e["kind"]] if len(e) else [],
                    size=np.clip(5 + 2.2 * np.sqrt(cas + civ), 5, 22) if len(e) else [],
                    opacity=0.75,
                    line=dict(width=0),
                ),
                hovertext=hover,
                hoverinfo="text",
                name=f"run {rid}",
                showlegend=False,
            )
        )
    fig.update_yaxes(
        categoryorder="array", categoryarray=kinds, autorange="reversed", type="category"
    )
    title = "Events" if n_all <= 1 else f"Events of run {run_ids[0]}"
    note = "" if n_all <= len(run_ids) else f" (first {len(run_ids)} of {n_all} runs selectable)"
    if len(run_ids) > 1:
        fig.update_layout(
            updatemenus=[
                dict(
                    type="dropdown",
                    x=1,
                    xanchor="right",
                    y=1.12,
                    yanchor="bottom",
                    buttons=[
                        dict(
                            label=f"run {rid}",
                            method="update",
                            args=[
                                {"visible": [j == i for j in range(len(run_ids))]},
                                {"title.text": f"Events of run {rid}{note}"},
                            ],
                        )
                        for i, rid in enumerate(run_ids)
                    ],
                )
            ]
        )
    _layout(fig, title + note, height=160 + 32 * max(len(kinds), 3))
    fig.update_layout(hovermode="closest", margin=dict(l=130))
    return fig


def all_figures(
    tables: Any, network: Mapping[str, Any], start: pd.Timestamp
) -> dict[str, go.Figure]:
    """Every figure of the report by name (ceasefire only when the scenario has one)."""
    figs = {
        "map": map_figure(tables.control, tables.units, tables.events, network, start),
        "front": front_figure(tables.timeseries, tables.events, network, start),
        "forces": forces_figure(tables.timeseries, network, start, tables.events),
    }
    cf = ceasefire_figure(tables.timeseries, tables.events, start)
    if cf is not None:
        figs["ceasefire"] = cf
    figs["control"] = control_heatmap(tables.control, network, start)
    figs["events"] = events_figure(tables.events, start)
    return figs
