"""Matching observations on the run tables: per run, did a fact happen, and what was its value.

Pure functions over the tables of `sim.runner.to_tables` (DataFrames; hours since the scenario's
start), each giving one value per run id (a `pd.Series` indexed by `run_id`), so that they can be
tested on hand-made frames. `sim.validation` scores what they find and `sim.baseline` applies the
same rules to its no-change forecast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.eventdata import INCIDENT_AS, export_row
from sim.observations import is_cumulative
from sim.targets import EventFilter, Target

_FIGHTING = re.compile(r"^\s*(\d+(?:\.\d+)?) h of fighting")


def by_run(values: pd.Series, run_ids: Iterable[int], fill: Any) -> pd.Series:
    """`values` (indexed by run id) for each of `run_ids`, missing ones filled with `fill`
    (left NaN when `fill` is None)."""
    out = values.reindex(pd.Index(list(run_ids), name="run_id"))
    return out.fillna(fill) if fill is not None else out


def controller_at(control: pd.DataFrame, place: str, hour: float) -> pd.Series:
    """Each run's controller of `place` at `hour`: the last sample at or before it."""
    rows = control[control["place"] == place]
    before = rows[rows["hour"] <= hour + 1e-9]
    first = rows.sort_values("hour").groupby("run_id").head(1)
    if before.empty:
        return first.set_index("run_id")["controller"]
    last = before.loc[before.groupby("run_id")["hour"].idxmax()].set_index("run_id")["controller"]
    missing = first.set_index("run_id")["controller"].drop(last.index, errors="ignore")
    return pd.concat([last, missing]).sort_index()


def control_matches(
    control: pd.DataFrame,
    place: str,
    controllers: Sequence[str],
    start: float,
    end: float,
    mode: str,
    run_ids: Iterable[int],
) -> pd.Series:
    """Per run: did `place` have one of `controllers` at `start` (mode 'at'), at `end` ('end'),
    or at every sample from `start` to `end` ('throughout')?"""
    allowed = set(controllers)
    run_ids = list(run_ids)
    if mode == "at":
        ok = controller_at(control, place, start).isin(allowed)
    elif mode == "end":
        ok = controller_at(control, place, end).isin(allowed)
    elif mode == "throughout":
        first = controller_at(control, place, start).isin(allowed)
        rows = control[
            (control["place"] == place) & (control["hour"] > start) & (control["hour"] <= end)
        ]
        inside = rows.assign(ok=rows["controller"].isin(allowed)).groupby("run_id")["ok"].all()
        ok = first & by_run(inside, first.index, True).astype(bool)
    else:
        raise ValueError(f"unknown control mode {mode!r}")
    return by_run(ok, run_ids, False).astype(bool)


def event_end_hours(events: pd.DataFrame) -> pd.Series:
    """When each event ends: `hour + duration_hours` where the table has that column; for an
    engagement logged as 'N h of fighting at ...', its start plus N; otherwise its start."""
    if "duration_hours" in events.columns:
        return events["hour"] + events["duration_hours"].fillna(0.0)
    text = events["text"] if "text" in events.columns else pd.Series("", index=events.index)
    hours = text.astype(str).str.extract(_FIGHTING, expand=False).astype(float)
    fighting = (events["kind"] == "engagement") & hours.notna()
    return events["hour"] + np.where(fighting, hours.fillna(0.0), 0.0)


def kind_mask(events: pd.DataFrame, kind: str) -> pd.Series:
    """Boolean mask, one per event row: the row is of `kind`, or a violation whose fire
    (`detail`) is of that kind (`sim.eventdata.INCIDENT_AS`)."""
    mask = events["kind"] == kind
    details = INCIDENT_AS.get(kind)
    if details and "detail" in events.columns:
        mask |= (events["kind"] == "violation") & events["detail"].isin(details)
    return mask


def fighters_killed(events: pd.DataFrame) -> pd.Series:
    """Fighters killed in each event: its casualties where the kind's casualties are deaths;
    0 for a surrender, whose `casualties` are the people who gave up (captured, not killed)."""
    fighters = events["casualties"].fillna(0.0).astype(float)
    return fighters.where(events["kind"].map(lambda k: export_row(k).deaths).astype(bool), 0.0)


def event_deaths(events: pd.DataFrame) -> pd.Series:
    """Whole deaths in each event, as UCDP GED counts them and `export --format ucdp-ged`
    writes them: the fighters killed (an event's casualties, for a kind whose casualties are
    deaths) and the civilians killed, each rounded down to whole people."""
    civilians = events["civilian_casualties"].fillna(0.0).astype(float)
    return np.floor(fighters_killed(events) + 1e-9) + np.floor(civilians + 1e-9)


def select_events(events: pd.DataFrame, flt: EventFilter, start: float, end: float) -> pd.DataFrame:
    """Events matching a filter that overlap [start, end) (an engagement counts while it lasts;
    an event booked at `end` happened in the hour after the window)."""
    if events.empty:
        return events
    ev = events
    mask = pd.Series(True, index=ev.index)
    if flt.kind is not None:
        kinds = kind_mask(ev, flt.kind)
        for also in flt.also:
            kinds |= kind_mask(ev, also)
        mask &= kinds
    if flt.places is not None:
        mask &= ev["place"].isin(flt.places)
    # An event of N hours covers [hour, hour + N) (a step's events are booked at the start of
    # their hour): one ending as a window starts is not in it, nor one starting as it ends.
    ongoing = (event_end_hours(ev) > start + 1e-9) | (ev["hour"] >= start - 1e-9)
    mask &= (ev["hour"] < end - 1e-9) & ongoing
    if flt.min_casualties > 0:
        mask &= ev["casualties"].fillna(0) >= flt.min_casualties
    if flt.min_deaths > 0:
        mask &= event_deaths(ev) >= flt.min_deaths
    if flt.factions or flt.attacker or flt.target:
        parts = ev["factions"].fillna("").astype(str).str.split(",")
        if flt.factions:
            need = set(flt.factions)
            mask &= parts.map(lambda p: need.issubset(p))
        if flt.attacker:
            mask &= parts.map(lambda p: len(p) > 0 and p[0] == flt.attacker)
        if flt.target:
            mask &= parts.map(lambda p: len(p) > 1 and p[1] == flt.target)
    return ev[mask]


def event_matches(
    events: pd.DataFrame, flt: EventFilter, start: float, end: float, run_ids: Iterable[int]
) -> pd.Series:
    """Per run: did at least one matching event happen in the window?"""
    hits = select_events(events, flt, start, end)
    counts = hits.groupby("run_id").size() if not hits.empty else pd.Series(dtype=int)
    return by_run(counts > 0, run_ids, False).astype(bool)


def series_at(timeseries: pd.DataFrame, column: str, hour: float) -> pd.Series:
    """Each run's value of a timeseries column at `hour` (the last sample at or before it)."""
    before = timeseries[timeseries["hour"] <= hour + 1e-9]
    if before.empty:
        before = timeseries.sort_values("hour").groupby("run_id").head(1)
    idx = before.groupby("run_id")["hour"].idxmax()
    return before.loc[idx].set_index("run_id")[column].astype(float)


def number_values(tables: Any, target: Target, run_ids: Iterable[int]) -> pd.Series:
    """Per run: the simulated value of a number observation."""
    run_ids = list(run_ids)
    metric = target.metric or ""
    if metric.startswith("event_"):
        hits = select_events(tables.events, target.filter, target.start, target.end)
        if metric == "event_count":
            vals = hits.groupby("run_id").size() if not hits.empty else pd.Series(dtype=float)
        elif metric == "event_mean_casualties":  # no value in a run where no event matched
            if hits.empty:
                return by_run(pd.Series(dtype=float), run_ids, None)
            return by_run(fighters_killed(hits).groupby(hits["run_id"]).mean(), run_ids, None)
        elif hits.empty:
            vals = pd.Series(dtype=float)
        else:
            killed = (
                fighters_killed(hits)
                if metric == "event_casualties"
                else hits["civilian_casualties"].fillna(0.0).astype(float)
            )
            vals = killed.groupby(hits["run_id"]).sum()
        return by_run(vals.astype(float), run_ids, 0.0)
    ts = tables.timeseries
    if target.mode == "at" or not is_cumulative(metric):
        vals = series_at(ts, metric, target.end)
    else:
        vals = series_at(ts, metric, target.end) - series_at(ts, metric, target.start)
    return by_run(vals, run_ids, None)
