"""Observation facts from event data: what `conflict-sim observe import` writes.

From the rows of an ACLED or UCDP GED file (`sim.eventdata.read_rows`) it builds facts in the
format of `data/observations/*.yaml` (`sim.observations`), which `check` validates and
`validate` / `calibrate` score:

- `number` facts, per ISO week (Monday to Sunday, the theater's local time, clipped to the
  import window): the count of events of each model kind in the theater (every week, zeros
  included), the count per kind and place (weeks with events), the deaths of each kind whose
  casualties are deaths (`event_casualties`), and civilian deaths (`event_civilian_casualties`);
- `event` facts for rows that matter alone: a change of control, a downed aircraft, or an event
  with at least `notable_fatalities` deaths (one fact per kind, place, day and sides).

Ranges: UCDP GED gives its own (`low`..`high`, split between combatants and civilians in the
proportions of `best`). ACLED gives one figure, a floor by its own rules (it codes the most
conservative report, and an event it did not hear of is missing), so a count n becomes
[n, ceil(n * count_high)] and deaths f become [f, ceil(f * fatality_high)]: factors that are
stated assumptions (defaults 1.5 and 2), written into each fact's source note.
Each fact lists the ids of the rows it was computed from in `source.rows`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.eventdata import (
    INCIDENT_EVENT_TYPES,
    ORDERED_KINDS,
    TAGGED_KINDS,
    Actors,
    export_row,
    import_kind,
)
from sim.eventplaces import assign_nodes
from sim.eventrows import ImportReport, Rows

PUBLICATIONS = {
    "acled": "ACLED (Armed Conflict Location & Event Data Project)",
    "ucdp-ged": "UCDP Georeferenced Event Dataset (GED), CC BY 4.0",
}
URLS = {"acled": "https://acleddata.com", "ucdp-ged": "https://ucdp.uu.se/downloads/"}
NOTABLE_KINDS = frozenset({"control_change", "air_loss"})


@dataclass
class ImportOptions:
    start: date | None = None  # first day (default: the first row's)
    end: date | None = None  # last day, inclusive (default: the last row's)
    radius_km: float = 25.0  # rows farther than this from every node are outside the theater
    count_high: float = 1.5  # ACLED counts: [n, ceil(n * count_high)] (an assumption)
    fatality_high: float = 2.0  # ACLED deaths: [f, ceil(f * fatality_high)] (an assumption)
    notable_fatalities: float = 10.0  # a single event with at least this many deaths is a fact


def build_facts(
    rows: Rows, theater: Any, network: Any, actors: Actors, opts: ImportOptions
) -> tuple[dict, ImportReport]:
    """The observations document (a dict ready for YAML) and the report of what was used."""
    from sim.observations import EVENT_KINDS

    df = rows.frame.copy()
    rep = ImportReport(rows=len(df))
    if df.empty:
        return _document(rows, theater, [], rep, opts), rep
    start = opts.start or min(d for d in df["date"] if d)
    end = opts.end or max(d for d in df["date"] if d)
    df["t0"], df["t1"] = _spans(df, _tz(theater))
    inside = _overlaps(df, _tz(theater), start, end)
    rep.outside_window = int((~inside).sum())
    df = df[inside]
    rep.coarse_place = df.loc[df["coarse_place"], "row_id"].tolist()
    rep.coarse_time = df.loc[df["coarse_time"] & ~df["coarse_place"], "row_id"].tolist()
    df = df[~df["coarse_place"] & ~df["coarse_time"]].copy()
    nodes, how = assign_nodes(df, network, opts.radius_km)
    df["node"], df["how"] = nodes, how
    rep.outside_theater = df.loc[df["node"].isna(), "row_id"].tolist()
    df = df[df["node"].notna()].copy()
    rep.by_coordinates = int((df["how"] == "coordinates").sum())
    rep.used = len(df)
    if df.empty:
        return _document(rows, theater, [], rep, opts, start, end), rep
    if rows.format == "acled":
        kinds = [
            m if m in TAGGED_KINDS and m in EVENT_KINDS else import_kind(t, s, EVENT_KINDS)
            for t, s, m in zip(
                df["event_type"], df["sub_event_type"], df["model_kind"], strict=True
            )
        ]
        civilian_only = (df["civilian"] > 0) & (df["civilian"] >= df["fatalities"])
    else:
        ged = actors.mapping.ged_kinds
        kinds = [ged.get(int(t)) if t == t else None for t in df["type_of_violence"]]
        civilian_only = pd.Series(False, index=df.index)
    # object dtype: pandas would turn None into NaN in a string column
    df["kind"] = pd.Series(kinds, index=df.index, dtype=object)
    for t, s, k, c in zip(
        df["event_type"], df["sub_event_type"], df["kind"], civilian_only, strict=True
    ):
        if pd.isna(k) and not c:
            rep.unmapped_types[f"{t} / {s}" if s else t] += 1
    df["f1"] = [
        _faction(actors, a, b, rep) for a, b in zip(df["actor1"], df["assoc1"], strict=True)
    ]
    df["f2"] = [
        _faction(actors, a, b, rep) for a, b in zip(df["actor2"], df["assoc2"], strict=True)
    ]
    df["combatant"] = (df["fatalities"] - df["civilian"]).clip(lower=0)
    deaths_kind = df["kind"].map(lambda k: not pd.isna(k) and export_row(k).deaths)
    rep.unscored_deaths = float(df.loc[~deaths_kind, "combatant"].sum())
    facts = _facts(df, rows.format, theater, network, opts, start, end, deaths_kind)
    rep.facts = len(facts)
    return _document(rows, theater, facts, rep, opts, start, end), rep


def _faction(actors: Actors, actor: str, assoc: str, rep: ImportReport) -> str | None:
    """The row's side: its actor's faction, else the first associated actor's that maps."""
    f = actors.faction(actor)
    if f is False:
        rep.unknown_actors[actor] += 1
    if isinstance(f, str):
        return f
    for a in (assoc or "").split(";"):
        g = actors.faction(a)
        if isinstance(g, str):
            return g
    return None


def _weeks(start: date, end: date) -> list[tuple[date, date]]:
    """ISO weeks (Monday..Sunday) covering [start, end], clipped to it."""
    out = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=6 - first.weekday()), end)
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def _spans(df: pd.DataFrame, tz: timezone) -> tuple[np.ndarray, np.ndarray]:
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


def _overlaps(df: pd.DataFrame, tz: timezone, first: date, last: date) -> pd.Series:
    """Rows whose span meets the days first..last, with `validate`'s rule: a span covers
    [t0, t1), so one that ends as the days begin is not in them (sim.fact_matching.select_events)."""
    a = datetime.combine(first, time(0, 0), tz).timestamp()
    b = datetime.combine(last, time(23, 59, 59), tz).timestamp()
    return (df["t0"] <= b) & ((df["t1"] > a) | (df["t0"] >= a))


def _window(tz: timezone, first: date, last: date) -> dict[str, str]:
    """From the first day's midnight to the last second of the last day, local time."""
    a = datetime.combine(first, time(0, 0), tz)
    b = datetime.combine(last, time(23, 59, 59), tz)
    return _Flow({"from": a.isoformat(), "to": b.isoformat()})


def _tz(theater: Any) -> timezone:
    sign = -1 if theater.timezone.startswith("-") else 1
    h, m = theater.timezone.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(h), minutes=int(m)))


def _facts(df, fmt, theater, network, opts, start, end, deaths_kind) -> list[dict]:
    tz = _tz(theater)
    tag = "acled" if fmt == "acled" else "ged"
    waypoint = {n for n, d in network.graph.nodes(data=True) if d.get("waypoint")}
    kinds = sorted(k for k in df["kind"].dropna().unique())
    facts: list[dict] = []
    for first, last in _weeks(start, end):
        week = df[_overlaps(df, tz, first, last)]
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
    }
    if node is not None:
        out["place"] = node
    return {**out, "window": window, "low": lo, "high": hi, "source": _source(fmt, sel, last, why)}


def _deaths(fmt, opts, fid, desc, kind, window, sel, last) -> dict:
    share = (sel["combatant"] / sel["fatalities"]).where(sel["fatalities"] > 0, 0.0)
    f = float(sel["combatant"].sum())
    lo, hi, why = _range(
        fmt,
        f,
        float((sel["low"] * share).sum()),
        float((sel["high"] * share).sum()),
        opts.fatality_high,
    )
    return {
        "id": fid, "kind": "number", "description": f"{f:g} {desc}.", "metric": "event_casualties",
        "event": kind, "window": window, "low": lo, "high": hi, "source": _source(fmt, sel, last, why),
    }  # fmt: skip


def _civilians(fmt, opts, fid, desc, window, sel, last) -> dict:
    share = (sel["civilian"] / sel["fatalities"]).where(sel["fatalities"] > 0, 0.0)
    f = float(sel["civilian"].sum())
    lo, hi, why = _range(
        fmt,
        f,
        float((sel["low"] * share).sum()),
        float((sel["high"] * share).sum()),
        opts.fatality_high,
    )
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
    waypoint = {n for n, d in network.graph.nodes(data=True) if d.get("waypoint")}
    groups = df[keep].groupby(
        ["kind", "node", "date", df["f1"].fillna(""), df["f2"].fillna("")], sort=True
    )
    for (kind, node, day, f1, f2), sel in groups:
        fact: dict[str, Any] = {
            "id": f"{tag}_{kind}_{_slug(node)}_on_{day:%Y%m%d}",
            "kind": "event",
            "event": kind,
        }
        if node in waypoint:  # the nearest place by road, and the distance to the waypoint
            place, km = min(
                ((p, d) for p, d in dist[node].items() if p not in waypoint),
                key=lambda pd_: (pd_[1], pd_[0]),
            )
            fact["near"] = _Flow({"place": place, "within_km": math.ceil(km)})
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


def _document(
    rows: Rows,
    theater: Any,
    facts: list[dict],
    rep: ImportReport,
    opts: ImportOptions,
    start: date | None = None,
    end: date | None = None,
) -> dict:
    span = f"{start} to {end}" if start else "no rows"
    notes = [
        f"Imported by `conflict-sim observe import` from {Path(rows.path).name} ({rows.format}), {span}.",
        *rep.lines(),
    ]
    return {
        "title": f"{PUBLICATIONS[rows.format].split(' (')[0]} events, {span}",
        "description": f"Weekly counts and deaths by model kind, place and week, and single events, from {Path(rows.path).name}.",
        "theater": theater.name,
        "notes": notes,
        "observations": facts,
    }


def write_observations(doc: dict, out: str | Path) -> Path:
    """Write the facts as YAML, load them back through the observations schema (the same check
    `conflict-sim check` makes), then rename into place: a file that would not validate is
    never left on disk. Raises InputError when there is nothing to write."""
    import os

    import yaml

    from sim.errors import InputError, Problem
    from sim.observations import load_observations

    _Dumper = _dumper()
    out = Path(out)
    if not doc["observations"]:
        raise InputError(
            Problem(
                str(out),
                1,
                1,
                "observations",
                "no facts: no row of a model kind in the window and theater",
            )
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.yaml")
    header = "# Written by `conflict-sim observe import`; each fact lists its source rows.\n"
    try:
        tmp.write_text(
            header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
        load_observations(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


class _Flow(dict):
    """A mapping written on one line (`{from: ..., to: ...}`), as the hand-written files do."""


def _dumper() -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # shared windows are written out each time
            return True

    Dumper.add_representer(
        _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
    )
    return Dumper
