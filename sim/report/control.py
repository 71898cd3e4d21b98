"""The report's control figures: who holds each place, as shares of runs, and the control heatmap
(see `sim.report.figures` for the conventions). `frame_hours` and `control_shares` also feed the
animated map (`sim.report.map`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.report.figures import _layout, clock, esc, share_scale, sides


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


def place_values(shares: pd.DataFrame, east: str, single: bool) -> pd.Series:
    if single:
        # one run: 0 west, 0.5 contested, 1 east
        contested = shares.get("contested", 0.0)
        return shares.get(east, 0.0) + 0.5 * contested
    return shares.get(east, pd.Series(0.0, index=shares.index))


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
    values = place_values(shares, east, single)
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
