"""The report's animated control map (see `sim.report.figures` for the conventions).

Places are filled circles coloured by control (one run) or by the share of runs the east side
holds them (ensemble); units are open markers in colours of their own, one symbol per faction,
so they are never read as places. A scale bar and zoom buttons (the whole theater, and the
densest cluster of places) make a crowded front readable. Which places are labelled and the
map's extent are the theater's choices (`report_choices`); the views, zoom and scale bar are
in `sim.report.map_views`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.report.control import DayFrame, control_shares, day_frames, frame_of, place_values
from sim.report.figures import (
    FONT,
    MAP_SCOPE,
    esc,
    report_choices,
    share_scale,
    sides,
)
from sim.report.map_views import map_views, scale_bar, scale_bar_data
from sim.summary import percent


def map_figure(
    control: pd.DataFrame,
    units: pd.DataFrame,
    events: pd.DataFrame,
    network: Mapping[str, Any],
    start: pd.Timestamp,
) -> go.Figure:
    """Animated map: roads, places coloured by controller (one run) or by the east side's share
    of runs (ensemble), run 0's units sized by personnel, with a slider: a frame for the start,
    then one for each day at its end (`control.day_frames`: after the day's events)."""
    nodes = pd.DataFrame(network["nodes"]).set_index("name", drop=False)
    choices = report_choices(network)
    map_labels = set(choices["map_labels"])
    west, east = sides(network, control)
    n_runs = int(control["run_id"].nunique()) if not control.empty else 1
    single = n_runs <= 1
    run0 = int(control["run_id"].min()) if not control.empty else 0
    scale = share_scale(network, west, east)
    days = day_frames(control["hour"].unique() if not control.empty else [0.0], start)
    hours = [f.hour for f in days]
    names = [f.time.strftime("%Y-%m-%d %H:%M") for f in days]

    shares = control_shares(control, hours) if not control.empty else pd.DataFrame()
    for col in (west, east, "contested"):
        if col not in shares:
            shares[col] = 0.0
    values = place_values(shares, east, single)

    # losses so far at each place: cumulative casualties of events up to each frame (run mean)
    ev = events[events["place"].fillna("") != ""] if not events.empty else events
    losses = pd.DataFrame(0.0, index=range(len(hours)), columns=nodes.index)
    civ = losses.copy()
    if not ev.empty:
        idx = frame_of(hours, ev["hour"].to_numpy(dtype=float))
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
                parts = [f"{esc(c)} {percent(row[c])}" for c in (east, west, "contested")]
                status = f"held in share of runs: {', '.join(parts)}"
            who = present.get(key, [])
            unit_text = "<br>  ".join(who[:8]) + (
                f"<br>  +{len(who) - 8} more" if len(who) > 8 else ""
            )
            out.append(
                f"<b>{esc(name)}</b> · at {esc(days[k].text)}<br>{status}"
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
            text=[esc(n) if n in map_labels else "" for n in real.index],
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
            f"<b>{esc(r.name)}</b> ({esc(r.faction)})<br>at {esc(r.place)} · at {esc(days[k].text)}"
            f"<br>personnel {r.personnel:,.0f} · morale {r.morale:.2f} · supply {r.supply:.2f}"
            f"<br>posture {esc(r.posture)}"
            for r in d.itertuples(index=False)
        ]
        symbol, color = unit_style(factions.index(faction))
        kw: dict[str, Any] = dict(
            lon=d["lon"].to_numpy() if len(d) else [],
            lat=d["lat"].to_numpy() if len(d) else [],
            hovertext=hover,
            marker=dict(size=sizes, color=color, symbol=symbol, line=dict(color=color, width=2)),
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
    views = map_views(nodes, tuple(choices["map_lon"]), tuple(choices["map_lat"]))
    data.append(scale_bar(*views[0][1:]))  # static: frames leave it alone
    frames = [
        go.Frame(
            name=names[k],
            data=[way_trace(k, False), place_trace(k, False)]
            + [unit_trace(k, f, False) for f in factions],
            traces=dynamic,
            layout=dict(title=dict(text=_map_title(days[k], n_runs, east, run0))),
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
        title=dict(text=_map_title(days[0], n_runs, east, run0), x=0.01, xanchor="left"),
        height=610,
        margin=dict(l=10, r=10, t=80, b=90),
        font=FONT,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0),
        geo=dict(
            scope=MAP_SCOPE,
            resolution=50,
            projection=dict(type="mercator"),
            lonaxis=dict(range=list(choices["map_lon"])),
            lataxis=dict(range=list(choices["map_lat"])),
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
            ),
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=1.0,
                xanchor="left",
                yanchor="top",
                pad=dict(l=4, t=4),
                showactive=True,
                bgcolor="#ffffff",
                buttons=[
                    dict(
                        label=esc(label),
                        method="update",
                        args=[
                            scale_bar_data(lons, lats),
                            {"geo.lonaxis.range": list(lons), "geo.lataxis.range": list(lats)},
                            [len(data) - 1],
                        ],
                    )
                    for label, lons, lats in views
                ],
            ),
        ],
        sliders=[
            dict(
                active=0,
                x=0.16,
                len=0.84,
                y=0,
                yanchor="top",
                pad=dict(t=10, b=0),
                currentvalue=dict(prefix="shown: ", font=dict(size=12), xanchor="left"),
                steps=[
                    dict(method="animate", label=days[k].label, args=[[names[k]], step_args])
                    for k in range(len(hours))
                ],
            )
        ],
    )
    return fig


def _map_title(frame: DayFrame, n_runs: int, east: str, run0: int) -> str:
    if n_runs <= 1:
        return f"Control and units at {frame.text}"
    return (
        f"Control at {frame.text}: share of {n_runs} runs in which the {esc(east)} holds each "
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


# Unit markers: open symbols in colours of their own, so units never read as places (whose
# fill is the faction's colour or the share scale). One (symbol, colour) per faction, in order.
UNIT_STYLES = (
    ("square-open", "#111111"),
    ("diamond-open", "#6a3d9a"),
    ("triangle-up-open", "#8c510a"),
    ("circle-open", "#01665e"),
)


def unit_style(i: int) -> tuple[str, str]:
    return UNIT_STYLES[i % len(UNIT_STYLES)]
