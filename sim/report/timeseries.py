"""The report's time-series figures: the front, forces and losses, the ceasefire (see
`sim.report.figures` for the conventions: medians with 50% and 90% bands over runs, local
clock times, escaped text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.figures import (
    CEASEFIRE_COLORS,
    _ceasefire_line,
    _layout,
    _mark_ceasefire,
    _runs_note,
    band_traces,
    ceasefire_hour,
    clock,
    esc,
    faction_color,
    quantiles,
    report_choices,
    rgba,
)
from sim.report.front_axis import MARGIN, fitting_title, geometry, spaced_marks

# y-axis titles of the four small panels, with their units
FORCES_AXES = (
    "personnel",
    "personnel killed or wounded",
    "civilians killed or wounded",
    "people displaced",
)


def front_columns(timeseries: pd.DataFrame) -> list[str]:
    """`front_km` then each `front_km_<sector>` column present (per-sector fronts)."""
    cols = [c for c in timeseries.columns if c == "front_km" or c.startswith("front_km_")]
    return sorted(cols, key=lambda c: (c != "front_km", c))


def _spread_note(q: pd.DataFrame, n: int) -> str:
    if n > 1 and bool(np.allclose(q["q05"], q["q95"], equal_nan=True)):
        return f"all {n} runs agree, so the bands have no width"
    return ""


def front_figure(
    timeseries: pd.DataFrame, events: pd.DataFrame, network: Mapping[str, Any], start: pd.Timestamp
) -> go.Figure:
    """Front position over time with 50% and 90% bands: the main axis (km from its first place,
    places marked) and, when the timeseries has `front_km_<sector>` columns, one panel per
    sector. When every run agrees the title says so (bands of no width are not missing).

    Lengths are set in pixels (`sim.report.front_axis`): each axis title fits its panel and the
    main axis labels only places at least a label's height apart, the rest drawn as unlabelled
    minor ticks; the report's text under the heading explains the axes at length."""
    from sim.report.labels import describe

    n = int(timeseries["run_id"].nunique())
    cols = front_columns(timeseries)
    quants = {col: quantiles(timeseries, col) for col in cols}
    spread = {col: _spread_note(quants[col], n) for col in cols}
    # With several panels each says so in its own title: one line listing them all in the
    # figure's title ran past the figure's right edge (a theater with eight sectors).
    titles = [esc(describe(c).label) + (f" ({spread[c]})" if spread[c] else "") for c in cols]
    notes = [spread[cols[0]]] if len(cols) == 1 and spread[cols[0]] else []
    margin_t = (110 if len(cols) > 1 else 90) if notes else (100 if len(cols) > 1 else 70)
    geo = geometry(len(cols), margin_t)
    fig = make_subplots(
        rows=len(cols), cols=1, shared_xaxes=True, vertical_spacing=geo.spacing,
        row_heights=geo.row_heights, subplot_titles=titles if len(cols) > 1 else None,
    )  # fmt: skip
    axis = network.get("axis") or []
    origin = axis[0] if axis else "its first place"
    for r, (col, panel_px) in enumerate(zip(cols, geo.panel_px, strict=True), start=1):
        q = quants[col]
        x = clock(start, q.index)
        name = "front" if col == "front_km" else esc(describe(col).label)
        for tr in band_traces(x, q, "#444444", name, bands=n > 1, hover="%{y:,.0f} km"):
            fig.add_trace(tr, row=r, col=1)
        if col == "front_km":
            _main_axis(fig, q, events, network, panel_px, origin)
        else:
            title = fitting_title(["km along its axis", "km"], panel_px)
            fig.update_yaxes(title=title, row=r, col=1)
    fig.update_yaxes(showgrid=True, gridcolor="#e3e3e3", zeroline=False)
    fig.update_xaxes(title_text="date (local time)", row=len(cols), col=1)
    if len(cols) > 1:
        _mark_ceasefire_panels(fig, events, start, subplots=len(cols))
    else:
        _mark_ceasefire(fig, start, ceasefire_hour(events))
    sub = f"<br><sup>{'; '.join(notes)}</sup>" if notes else ""
    _layout(fig, f"Front position ({_runs_note(n)}){sub}", height=geo.height,
            subplots=len(cols) > 1)  # fmt: skip
    fig.update_layout(margin=dict(MARGIN, t=margin_t))
    if len(cols) > 1:  # every panel is titled: a legend of the same names would only crowd it
        fig.update_layout(showlegend=False)
    return fig


def _main_axis(
    fig: go.Figure,
    q: pd.DataFrame,
    events: pd.DataFrame,
    network: Mapping[str, Any],
    panel_px: float,
    origin: str,
) -> None:
    """Title, range and place marks of the main axis' panel (the first), `panel_px` tall."""
    km = {d["name"]: d.get("axis_km") for d in network.get("nodes", [])}
    marks = [
        (float(km[m]), m) for m in report_choices(network)["front_marks"] if km.get(m) is not None
    ]
    top = max([float(q["q95"].max()) if len(q) else 0.0] + [k for k, _ in marks]) + 40
    low = -10.0
    shown = spaced_marks(marks, _places_that_matter(marks, q, events), (top - low) / panel_px)
    hidden = sorted(k for k, m in marks if (k, m) not in shown)
    fig.update_yaxes(
        title=fitting_title([f"km from {esc(origin)}", "km"], panel_px),
        tickvals=[k for k, _ in shown], ticktext=[f"{esc(m)} {k:.0f}" for k, m in shown],
        minor=dict(tickvals=hidden, ticks="outside", ticklen=4, showgrid=False),
        range=[low, top], row=1, col=1,
    )  # fmt: skip


def _places_that_matter(
    marks: list[tuple[float, str]], q: pd.DataFrame, events: pd.DataFrame
) -> list[str]:
    """Marked places in the order they earn a label: nearest the median front at the end, then
    at the start, then those that change hands in the most runs (events of kind
    `control_change`)."""
    if not marks:
        return []
    front = []
    for value in (q["q50"].iloc[-1], q["q50"].iloc[0]) if len(q) else ():
        if pd.notna(value):
            front.append(min(marks, key=lambda m: (abs(m[0] - float(value)), m[0]))[1])
    changed: list[str] = []
    if {"kind", "place", "run_id"} <= set(events.columns):
        taken = events[
            (events["kind"] == "control_change") & events["place"].isin([m for _, m in marks])
        ]
        runs = taken.groupby("place")["run_id"].nunique()
        changed = sorted(runs.index, key=lambda p: (-int(runs[p]), str(p)))
    return list(dict.fromkeys([*front, *changed]))


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
    for (r, c), title in zip(((1, 1), (1, 2), (2, 1), (2, 2)), FORCES_AXES, strict=True):
        fig.update_yaxes(title_text=title, row=r, col=c)
    fig.update_xaxes(title_text="date (local time)", row=2)
    return _layout(fig, f"Forces and losses ({_runs_note(n)})", height=700, subplots=True)


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
    """Ceasefire state (share of runs none/active/collapsed) and violations so far, over time;
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
        subplot_titles=(
            "Ceasefire state (share of runs)",
            "Violations so far, while the ceasefire holds",
        ),
    )
    for s in CEASEFIRE_COLORS:  # the states of sim.truce.TruceState
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
        # A collapsed ceasefire counts no more violations: fighting has resumed. Those runs
        # leave the line, so it stops (or narrows) instead of going flat as if all were quiet.
        held = timeseries.assign(
            violations=timeseries["violations"].where(timeseries["ceasefire_state"] != "collapsed")
        )
        q = quantiles(held, "violations")
        x = clock(start, q.index)
        for tr in band_traces(x, q, "#e6ab02", "violations", bands=n > 1):
            fig.add_trace(tr, row=2, col=1)
        if "collapsed" in state:
            gone = state["collapsed"]
            first = gone[gone > 0]
            if len(first):
                t = clock(start, [first.index[0]])[0]
                fig.add_vrect(
                    x0=t, x1=x[-1], row=2, col=1, fillcolor=rgba(CEASEFIRE_COLORS["collapsed"], 0.08),
                    line_width=0, annotation_text="collapsed in some runs,"
                    " which leave the line", annotation_position="top right",
                    annotation_font=dict(size=10, color=CEASEFIRE_COLORS["collapsed"]),
                )  # fmt: skip
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=1, title_text="share of runs")
    fig.update_yaxes(
        rangemode="tozero", gridcolor="#e3e3e3", row=2, col=1,
        title_text="violations so far<br>(runs still under the ceasefire)",
    )  # fmt: skip
    fig.update_xaxes(title_text="date (local time)", row=2, col=1)
    fig.update_xaxes(range=[x[0], x[-1]])  # the collapse band's note must not widen the axis
    _mark_ceasefire_panels(fig, events, start, subplots=2)
    return _layout(fig, f"The ceasefire ({_runs_note(n)})", height=560, subplots=True)
