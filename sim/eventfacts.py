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

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sim.eventdata import (
    TAGGED_KINDS,
    Actors,
    export_row,
    import_kind,
)
from sim.eventfact_builders import (
    PUBLICATIONS,
    FlowMapping,
    all_facts,
    overlaps,
    spans,
    theater_tz,
)
from sim.eventplaces import assign_nodes
from sim.eventrows import ImportReport, Rows


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
    df["t0"], df["t1"] = spans(df, theater_tz(theater))
    inside = overlaps(df, theater_tz(theater), start, end)
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
    facts = all_facts(df, rows.format, theater, network, opts, start, end, deaths_kind)
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

    from sim.errors import InputError, Problem
    from sim.observations import load_observations
    from sim.yamlsource import dump_yaml

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
            header + dump_yaml(doc, _dumper()),
            encoding="utf-8",
        )
        load_observations(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _dumper() -> type:
    from sim.yamlsource import YamlDumper

    class Dumper(YamlDumper):
        def ignore_aliases(self, data: Any) -> bool:  # shared windows are written out each time
            return True

    Dumper.add_representer(
        FlowMapping,
        lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
    )
    return Dumper
