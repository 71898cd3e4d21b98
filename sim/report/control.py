"""The report's control figures: who holds each place, as shares of runs, and the control heatmap
(see `sim.report.figures` for the conventions). `day_frames`, `frame_of` and `control_shares`
also feed the animated map (`sim.report.map`): a day's frame is its end, after its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.report.figures import _layout, clock, esc, fmt_day, share_scale, sides
from sim.summary import percent


@dataclass(frozen=True)
class DayFrame:
    """One frame of the map (a column of the heatmap): the control sample at `hour` (hours since
    the start; it holds the state after every event booked before that hour), shown at its
    local wall clock `time` (offset dropped).

    `day` is the local day whose end it shows, or None for the first sample (the start). The
    frame of a whole day is its sample at the next midnight: after that day's events."""

    hour: float
    time: pd.Timestamp
    day: pd.Timestamp | None

    @property
    def day_end(self) -> bool:
        """True when the frame shows its day's end (a sample at local midnight)."""
        return self.day is not None and self.time == self.day + pd.Timedelta(days=1)

    @property
    def label(self) -> str:
        """Short, for the slider: 'start', '05 Jan' (its end), '20 Jan 12:00' (a partial day)."""
        if self.day is None:
            return "start"
        return self.day.strftime("%d %b") if self.day_end else self.time.strftime("%d %b %H:%M")

    @property
    def text(self) -> str:
        """For a title or hover: 'the start, 05 Jan 2020 00:00', 'the end of 05 Jan 2020'."""
        if self.day is None:
            return f"the start, {self.time.strftime('%d %b %Y %H:%M')}"
        if self.day_end:
            return f"the end of {fmt_day(self.day)}"
        return self.time.strftime("%d %b %Y %H:%M")


def day_frames(hours: Sequence[float], start: pd.Timestamp) -> list[DayFrame]:
    """The samples to show as frames: the first (the start), then the last sample of each local
    day (the one at its end, midnight, when sampled then; the end of the run on its last day).
    Days are the theater's wall-clock days (`start` from `labels.local_start`), so frames stay
    on midnight across a daylight-saving change."""
    hs = np.unique(np.asarray(hours, dtype=float))
    if hs.size == 0:
        return []
    times = clock(start, hs)
    # a sample at midnight ends the day before it: it belongs to that day
    days = (times - pd.Timedelta(microseconds=1)).normalize()
    frames = [DayFrame(float(hs[0]), times[0], None)]
    last: dict[pd.Timestamp, int] = {}
    for i in range(1, hs.size):
        last[days[i]] = i
    frames += [DayFrame(float(hs[i]), times[i], day) for day, i in last.items()]
    return frames


def frame_of(frame_hours: Sequence[float], event_hours: Any) -> np.ndarray:
    """The frame (index into `frame_hours`, sorted) whose sample first holds each event: an event
    booked at hour h happened in [h, h + 1), so it is in samples at h + 1 and later, and not in
    one at h. len(frame_hours) for an event after the last frame."""
    return np.searchsorted(
        np.asarray(frame_hours, dtype=float), np.asarray(event_hours, dtype=float), side="right"
    )


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
    """Place × day: share of runs in which the east side holds each place (one run: controller)
    at the end of each day (`day_frames`, the start left out: it is the day before's end), a
    column spanning its day on the date axis; places (no road waypoints) ordered west to east
    by longitude."""
    west, east = sides(network, control)
    nodes = pd.DataFrame(network["nodes"])
    nodes = nodes[~nodes["waypoint"].astype(bool)].sort_values("lon", kind="stable")
    places = list(nodes["name"])
    n = int(control["run_id"].nunique())
    single = n <= 1
    frames = day_frames(control["hour"].unique(), start)
    frames = frames[1:] or frames
    hours = [f.hour for f in frames]
    shares = control_shares(control, hours)
    for col in (west, east, "contested"):
        if col not in shares:
            shares[col] = 0.0
    values = place_values(shares, east, single)
    z = values.unstack("hour").reindex(index=places, columns=hours)
    other = shares[west].unstack("hour").reindex(index=places, columns=hours).fillna(0.0)
    cont = shares["contested"].unstack("hour").reindex(index=places, columns=hours).fillna(0.0)
    # the middle of the day each column shows: the column spans that day
    x = [((f.day or f.time.normalize()) + pd.Timedelta(hours=12)).isoformat() for f in frames]
    when = np.broadcast_to(np.array([esc(f.text) for f in frames], dtype=object), z.shape)
    if single:
        hover = "%{y}, at %{customdata[0]}: %{customdata[1]}<extra></extra>"
        word = {0.0: esc(west), 0.5: "contested", 1.0: esc(east)}
        held = np.vectorize(lambda v: word.get(v, "?"), otypes=[object])(z.fillna(-1).to_numpy())
        custom = np.stack([when, held], axis=-1)
        colorbar = dict(tickvals=[0, 0.5, 1], ticktext=[esc(west), "contested", esc(east)])
    else:
        # shares written by `percent`, as the map and the tables write them: Plotly's `.0%`
        # showed a place held in 1 run of 300 as held in 0%
        hover = (
            f"%{{y}}, at %{{customdata[0]}}<br>{esc(east)} holds it in %{{customdata[1]}} of "
            f"runs<br>{esc(west)} %{{customdata[2]}}, contested %{{customdata[3]}}<extra></extra>"
        )
        as_text = np.vectorize(percent, otypes=[object])
        parts = [as_text(v.fillna(0.0).to_numpy()) for v in (z, other, cont)]
        custom = np.stack([when, *parts], axis=-1)
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
    _layout(
        fig,
        f"Control at the end of each day, places west to east ({what})",
        height=140 + 18 * len(places),
    )
    fig.update_layout(hovermode="closest")
    return fig
