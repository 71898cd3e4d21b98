"""The facts `conflict-sim observe import` builds from placed event rows (`sim.eventfacts`).

Each fact is a dict in the format of `data/observations/*.yaml`: `number` facts per ISO week
(counts of each model kind in the theater and per place, deaths, civilian deaths) and `event`
facts for single rows that matter alone, each with a `source` naming its publication, its rule
for the range and its rows. Rows carry their time span as POSIX seconds `t0`, `t1` (`spans`);
days are the theater's local calendar days.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from sim.eventdata import INCIDENT_EVENT_TYPES, ORDERED_KINDS, export_row

PUBLICATIONS = {
    "acled": "ACLED (Armed Conflict Location & Event Data Project)",
    "ucdp-ged": "UCDP Georeferenced Event Dataset (GED), CC BY 4.0",
}
URLS = {"acled": "https://acleddata.com", "ucdp-ged": "https://ucdp.uu.se/downloads/"}
NOTABLE_KINDS = frozenset({"control_change", "air_loss"})


class FlowMapping(dict):
    """A mapping written on one line (`{from: ..., to: ...}`), as the hand-written files do."""


def _weeks(start: date, end: date) -> list[tuple[date, date]]:
    """ISO weeks (Monday..Sunday) covering [start, end], clipped to it."""
    out = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=6 - first.weekday()), end)
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def spans(df: pd.DataFrame, tz: timezone) -> tuple[np.ndarray, np.ndarray]:
    """Each row's time span in POSIX seconds, [t0, t1): its days (ACLED's day; GED's first to
    last day), or for a row `export` wrote, the event's own start and duration (its tag)."""
    t0, t1 = np.zeros(len(df)), np.zeros(len(df))
    starts = df["start"] if "start" in df.columns else pd.Series(pd.NaT, index=df.index)
    hours = df["hours"] if "hours" in df.columns else pd.Series(np.nan, index=df.index)
    for i, (d0, d1, st, h) in enumerate(
        zip(df["date"], df["date_end"], starts, hours, strict=True)
    ):
        if isinstance(st, datetime) and not pd.isna(st):
            t0[i] = st.timestamp()
            t1[i] = t0[i] + 3600.0 * (0.0 if pd.isna(h) else float(h))
        else:
            t0[i] = datetime.combine(d0, time(0, 0), tz).timestamp()
            t1[i] = datetime.combine(d1 or d0, time(0, 0), tz).timestamp() + 86400.0
    return t0, t1


def overlaps(df: pd.DataFrame, tz: timezone, first: date, last: date) -> pd.Series:
    """Rows whose span meets the days first..last, with `validate`'s rule: a span covers
    [t0, t1), so one that ends as the days begin is not in them (sim.fact_matching.select_events)."""
    a = datetime.combine(first, time(0, 0), tz).timestamp()
    b = datetime.combine(last, time(23, 59, 59), tz).timestamp()
    return (df["t0"] <= b) & ((df["t1"] > a) | (df["t0"] >= a))


def _window(tz: timezone, first: date, last: date) -> dict[str, str]:
    """From the first day's midnight to the last second of the last day, local time."""
    a = datetime.combine(first, time(0, 0), tz)
    b = datetime.combine(last, time(23, 59, 59), tz)
    return FlowMapping({"from": a.isoformat(), "to": b.isoformat()})


def theater_tz(theater: Any) -> timezone:
    """The theater's fixed UTC offset (`timezone: "+02:00"`) as a tzinfo."""
    sign = -1 if theater.timezone.startswith("-") else 1
    h, m = theater.timezone.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(h), minutes=int(m)))


def all_facts(df, fmt, theater, network, opts, start, end, deaths_kind) -> list[dict]:
    """Every fact of an import: per ISO week from `start` to `end`, the count (and, for a kind
    with deaths, the deaths) of each kind in the theater, the count per kind and place, and
    civilian deaths; then the single events that matter alone. `df` holds the placed rows
    (`node`, `kind`, `combatant`, `t0`, `t1`, ...; see `sim.eventfacts.build_facts`)."""
    tz = theater_tz(theater)
    tag = "acled" if fmt == "acled" else "ged"
    waypoint = _waypoints(network)
    kinds = sorted(k for k in df["kind"].dropna().unique())
    facts: list[dict] = []
    for first, last in _weeks(start, end):
        week = df[overlaps(df, tz, first, last)]
        window = _window(tz, first, last)
        span = f"{first:%d %b}-{last:%d %b %Y}"
        for k in kinds:
            sel = week[_of_kind(week, k)]
            facts.append(
                _count(
                    fmt,
                    opts,
                    f"{tag}_{k}_count_{first:%Y%m%d}",
                    f"{k} events in the theater, {span}",
                    k,
                    None,
                    window,
                    sel,
                    last,
                )
            )
            if export_row(k).deaths:
                facts.append(
                    _deaths(
                        fmt,
                        opts,
                        f"{tag}_{k}_deaths_{first:%Y%m%d}",
                        f"deaths in {k} events in the theater, {span}",
                        k,
                        window,
                        sel,
                        last,
                    )
                )
        for (k, node), _sel in week[week["kind"].notna()].groupby(["kind", "node"], sort=True):
            if node in waypoint:  # a road waypoint is no place a fact can name: theater-wide only
                continue
            sel = week[_of_kind(week, k) & (week["node"] == node)]
            slug = _slug(node)
            facts.append(
                _count(
                    fmt,
                    opts,
                    f"{tag}_{k}_count_{slug}_{first:%Y%m%d}",
                    f"{k} events at {node}, {span}",
                    k,
                    node,
                    window,
                    sel,
                    last,
                )
            )
        facts.append(
            _civilians(
                fmt,
                opts,
                f"{tag}_civilian_deaths_{first:%Y%m%d}",
                f"civilian deaths in the theater, {span}",
                window,
                week,
                last,
            )
        )
    facts.extend(_notable(df, fmt, opts, tz, network, tag, deaths_kind))
    return facts


def _waypoints(network: Any) -> set[str]:
    """The network's road waypoints: no place a fact can name."""
    return {n for n, d in network.graph.nodes(data=True) if d.get("waypoint")}


def _of_kind(rows: pd.DataFrame, kind: str) -> pd.Series:
    """Rows counted as `kind`, the way the scorer counts the model's events: the kind itself, and
    for an engagement or a strike the violations of that event type."""
    mask = rows["kind"] == kind
    etype = INCIDENT_EVENT_TYPES.get(kind)
    if etype is not None and "event_type" in rows.columns:
        mask |= (rows["kind"] == "violation") & (rows["event_type"] == etype)
    return mask


def _slug(name: str) -> str:
    import re

    from sim.eventplaces import name_key

    return re.sub(r"[^a-z0-9]+", "_", name_key(name)).strip("_") or "place"


def _source(fmt: str, sel: pd.DataFrame, last: date, note: str) -> dict[str, Any]:
    days = [d for d in sel["date_end"] if d] if len(sel) else []
    src: dict[str, Any] = {
        "publication": PUBLICATIONS[fmt],
        "date": max(days, default=last).isoformat(),
        "url": URLS[fmt],
        "note": note,
    }
    updated = [u for u in sel.get("updated", []) if u]
    if updated:
        src["note"] += f" Rows last updated by {max(updated).isoformat()} (ACLED timestamp)."
    src["rows"] = sorted(sel["row_id"].astype(str).tolist())
    return src


def _range(
    fmt: str, value: float, low: float, high: float, factor: float
) -> tuple[float, float, str]:
    if fmt == "ucdp-ged":
        return round(low, 3), round(high, 3), "The range is GED's own low and high estimates."
    return (
        value,
        float(math.ceil(value * factor)),
        f"Range [n, ceil(n x {factor:g})]: ACLED's figure taken as a floor (an assumption).",
    )


GED_STATE_BASED = ("engagement", "strike")
"""The model's kinds that UCDP GED's state-based violence (`type_of_violence` 1) holds alike:
a clash and a strike are both rows of it."""


def ged_filter(fmt: str, kind: str | None) -> dict[str, Any]:
    """What a GED fact about `kind` counts in a run, as GED's rows are made: events with at
    least one death (GED's inclusion rule; `min_deaths`), and for a state-based kind the other
    state-based kinds too (`also_events`). Empty for ACLED, whose rows keep every event and
    tell clashes from strikes."""
    if fmt != "ucdp-ged":
        return {}
    out: dict[str, Any] = {}
    if kind in GED_STATE_BASED:
        out["also_events"] = [k for k in GED_STATE_BASED if k != kind]
    out["min_deaths"] = 1.0
    return out


def _count(fmt, opts, fid, desc, kind, node, window, sel, last) -> dict:
    n = float(len(sel))
    lo, hi, why = (
        _range(fmt, n, n, n, opts.count_high) if fmt == "acled" else (n, n, "A count of GED rows.")
    )
    out: dict[str, Any] = {
        "id": fid,
        "kind": "number",
        "description": f"{int(n)} {desc}.",
        "metric": "event_count",
        "event": kind,
        **ged_filter(fmt, kind),
    }
    if node is not None:
        out["place"] = node
    return {**out, "window": window, "low": lo, "high": hi, "source": _source(fmt, sel, last, why)}


def _death_range(
    fmt: str, opts: Any, sel: pd.DataFrame, column: str
) -> tuple[float, float, float, str]:
    """The deaths in `column` (combatant or civilian) of the rows, and their range (low, high,
    why): GED's low and high estimates split in the column's share of each row's best figure."""
    share = (sel[column] / sel["fatalities"]).where(sel["fatalities"] > 0, 0.0)
    f = float(sel[column].sum())
    low, high = float((sel["low"] * share).sum()), float((sel["high"] * share).sum())
    return (f, *_range(fmt, f, low, high, opts.fatality_high))


def _deaths(fmt, opts, fid, desc, kind, window, sel, last) -> dict:
    f, lo, hi, why = _death_range(fmt, opts, sel, "combatant")
    return {
        "id": fid, "kind": "number", "description": f"{f:g} {desc}.", "metric": "event_casualties",
        "event": kind, **ged_filter(fmt, kind), "window": window, "low": lo, "high": hi, "source": _source(fmt, sel, last, why),
    }  # fmt: skip


def _civilians(fmt, opts, fid, desc, window, sel, last) -> dict:
    f, lo, hi, why = _death_range(fmt, opts, sel, "civilian")
    used = sel[sel["civilian"] > 0]
    return {
        "id": fid, "kind": "number", "description": f"{f:g} {desc}.", "metric": "event_civilian_casualties",
        "window": window, "low": lo, "high": hi, "source": _source(fmt, used, last, why),
    }  # fmt: skip


def _notable(df, fmt, opts, tz, network, tag, deaths_kind) -> list[dict]:
    """One `event` fact per (kind, node, day, sides) of rows that matter alone."""
    keep = df["kind"].isin(NOTABLE_KINDS) | (
        deaths_kind & (df["combatant"] >= opts.notable_fatalities)
    )
    out = []
    dist, _ = network.all_pairs()
    waypoint = _waypoints(network)
    groups = df[keep].groupby(
        ["kind", "node", "date", df["f1"].fillna(""), df["f2"].fillna("")], sort=True
    )
    for (kind, node, day, f1, f2), sel in groups:
        fact: dict[str, Any] = {
            "id": f"{tag}_{kind}_{_slug(node)}_on_{day:%Y%m%d}",
            "kind": "event",
            "event": kind,
            **ged_filter(fmt, kind),
        }
        if node in waypoint:  # the nearest place by road, and the distance to the waypoint
            place, km = min(
                ((p, d) for p, d in dist[node].items() if p not in waypoint),
                key=lambda pd_: (pd_[1], pd_[0]),
            )
            fact["near"] = FlowMapping({"place": place, "within_km": math.ceil(km)})
        else:
            fact["place"] = node
        sides = [s for s in (f1, f2) if s]
        if kind == "control_change":  # the model names the new holder: ACLED's actor1
            if f1:
                fact["factions"] = [f1]
        elif kind in ORDERED_KINDS and len(sides) == 2 and f1 != f2:
            fact["attacker"], fact["target"] = f1, f2
        elif sides and len(set(sides)) == len(sides):
            fact["factions"] = sorted(sides)
        deaths = float(sel["combatant"].max())
        if export_row(kind).deaths and deaths > 0:
            fact["min_casualties"] = deaths
        who = " vs ".join(sides) if sides else "unknown sides"
        fact["description"] = (
            f"{kind} at {node} on {day:%d %b %Y} ({who}; {len(sel)} rows, up to {deaths:g} deaths)."
        )
        fact["window"] = _window(tz, day, day)
        fact["source"] = _source(
            fmt,
            sel,
            day,
            "A single event that matters alone (a change of control, a downed aircraft, or many deaths).",
        )
        out.append(fact)
    # the same kind, place and day with different sides: make ids unique
    seen: Counter = Counter()
    for fact in out:
        seen[fact["id"]] += 1
        if seen[fact["id"]] > 1:
            fact["id"] = f"{fact['id']}_{seen[fact['id']]}"
    return out
