"""The report's events timeline: one row per kind of event; for an ensemble, any run can be
picked (see `events_figure`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.report.figures import EVENT_COLORS, EVENT_KINDS, _layout, clock, esc


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


def _codes(values: pd.Series, names: list[str]) -> list[int]:
    """Index of each value in `names` (appended in order of first appearance)."""
    index = {n: k for k, n in enumerate(names)}
    out = []
    for v in values:
        if v not in index:
            index[v] = len(names)
            names.append(v)
        out.append(index[v])
    return out


def _hover(kind: str, t: pd.Timestamp, place: str, factions: str, cas: float, civ: float,
           text: str) -> str:  # fmt: skip
    """One event's hover (the run picker's script in sim.report.html builds the same). An
    event's `casualties` are fighters killed and its `civilian_casualties` civilians killed
    (events.parquet), so the hover says killed: 'casualties' elsewhere in the report (the forces
    panel) are the killed and wounded. Counts are rounded, as the run picker's are."""
    killed = [
        f"{who} killed {round(n):,}"
        for who, n in (("fighters", cas), ("civilians", civ))
        if round(n) > 0
    ]
    return (
        f"<b>{kind}</b> · {t:%d %b %Y %H:%M}"
        + (f" · {place}" if place else "")
        + (f"<br>{factions}" if factions else "")
        + (f"<br>{', '.join(killed)}" if killed else "")
        + f"<br>{text}"
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def events_figure(events: pd.DataFrame, start: pd.Timestamp) -> go.Figure:
    """Timeline of events by kind (one row per kind), the first run drawn.

    With more than one run, every run's events go into `layout.meta.eventRuns` once, as columns
    of numbers with dictionaries of the strings (kinds, places, factions, texts, each escaped
    and stored once however many runs share them), and the page's script offers a run picker
    that redraws the one trace from them. The file grows with the events, not with the number
    of runs times the events, and any run can be picked.
    """
    kinds_present = list(dict.fromkeys(events["kind"])) if not events.empty else []
    kinds = [k for k in EVENT_KINDS if k in kinds_present] + sorted(
        k for k in kinds_present if k not in EVENT_KINDS
    )
    e = events.sort_values(["run_id", "hour"], kind="stable") if not events.empty else events
    run_ids = [int(r) for r in dict.fromkeys(e["run_id"])] if not e.empty else [0]
    first = e[e["run_id"] == run_ids[0]] if not e.empty else e
    t = clock(start, first["hour"]) if len(first) else []
    cas = first["casualties"].fillna(0).to_numpy(dtype=float) if len(first) else np.array([])
    civ = (
        first["civilian_casualties"].fillna(0).to_numpy(dtype=float)
        if len(first) and "civilian_casualties" in first
        else np.zeros(len(first))
    )
    hover = [
        _hover(esc(r.kind), tt, esc(_text(r.place)), esc(_text(r.factions)), c, v, _wrap(str(r.text)))
        for r, tt, c, v in zip(first.itertuples(index=False), t, cas, civ, strict=True)
    ]  # fmt: skip
    fig = go.Figure(
        go.Scatter(
            x=t,
            y=list(first["kind"]) if len(first) else [],
            mode="markers",
            marker=dict(
                color=[EVENT_COLORS.get(k, "#999999") for k in first["kind"]] if len(first) else [],
                size=_sizes(cas + civ) if len(first) else [],
                opacity=0.75,
                line=dict(width=0),
            ),
            hovertext=hover,
            hoverinfo="text",
            name=f"run {run_ids[0]}",
            showlegend=False,
        )
    )
    fig.update_yaxes(
        categoryorder="array", categoryarray=kinds, autorange="reversed", type="category",
        title="kind of event",
    )  # fmt: skip
    fig.update_xaxes(title="date (local time)")
    n_all = len(run_ids)
    title = (
        "Events"
        if n_all <= 1
        else f"Events of run {run_ids[0]} (pick any of the {n_all} runs above the chart)"
    )
    if n_all > 1:
        fig.update_layout(meta=dict(eventRuns=_compact(e, run_ids, start)))
    _layout(fig, title, height=160 + 32 * max(len(kinds), 3))
    fig.update_layout(hovermode="closest", margin=dict(l=130))
    return fig


def _sizes(total: np.ndarray) -> np.ndarray:
    return np.clip(5 + 2.2 * np.sqrt(total), 5, 22)


def _compact(e: pd.DataFrame, run_ids: list[int], start: pd.Timestamp) -> dict[str, Any]:
    """Every run's events as columns and string dictionaries (see `events_figure`)."""
    counts = e.groupby("run_id", sort=False).size().reindex(run_ids).to_numpy()
    kinds: list[str] = []
    places: list[str] = []
    factions: list[str] = []
    texts: list[str] = []
    t0 = pd.Timestamp(start)
    hours = e["hour"].to_numpy(dtype=float)
    if t0.tzinfo is not None:
        # The page adds hours to the start's wall clock: hours after a daylight-saving change
        # carry the change (+1 after clocks go forward), so the page shows local time as the
        # first run's trace (`clock`) and the tables do. 0 for a fixed offset.
        wall = clock(t0, hours)  # vectorised: one pass over 200,000 events, not a loop
        local = ((wall - clock(t0, [0.0])[0]) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        # a fixed offset keeps the hours as they are (bit for bit: the page stays the same)
        hours = local if not np.allclose(local, hours, rtol=0.0, atol=1e-6) else hours
        t0 = t0.tz_localize(None)
    civ = e["civilian_casualties"] if "civilian_casualties" in e else pd.Series(0.0, index=e.index)
    return {
        "start": t0.strftime("%Y-%m-%dT%H:%M:%S"),
        "runs": run_ids,
        "offsets": [0, *np.cumsum(counts).tolist()],
        "hour": [round(float(h), 3) for h in hours],
        "kind": _codes(e["kind"].map(esc), kinds),
        "place": _codes(e["place"].map(_text).map(esc), places),
        "faction": _codes(e["factions"].map(_text).map(esc), factions),
        "cas": e["casualties"].fillna(0).round().astype(int).tolist(),
        "civ": civ.fillna(0).round().astype(int).tolist(),
        "text": _codes(e["text"].map(lambda x: _wrap(str(x))), texts),
        "kinds": kinds,
        "colors": [EVENT_COLORS.get(k, "#999999") for k in kinds],
        "places": places,
        "factions": factions,
        "texts": texts,
    }
