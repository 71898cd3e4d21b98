"""Simulated events in ACLED's or UCDP GED's schema, for an analyst's existing tooling.

`conflict-sim export RESULTS_DIR --format acled|ucdp-ged` writes every event of the chosen runs
as one row of that schema plus a `run_id` column. What each model kind becomes is the table
`sim.eventdata.ACLED_KINDS`. Besides:

- ACLED `fatalities` are the event's casualties when the kind's casualties are deaths (an
  engagement's or a strike's losses), rounded down (ACLED codes the conservative figure); the
  civilians an event harmed become a second row, `Violence against civilians` / `Attack`, with
  `civilian_targeting` set, so that civilian deaths stay apart from combatants' as in the model;
- GED keeps only events with at least one death (its inclusion rule), all as state-based
  violence (`type_of_violence` 1), deaths in `deaths_unknown` and `deaths_civilians`, with
  `low` = `best` = `high`;
- places are written with the network's coordinates; a road waypoint (a point the model puts
  between towns) keeps its generated name and has `geo_precision` / `where_prec` 2;
- `timestamp` is the event's own time, so the same results give byte-identical files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError, Problem
from sim.eventdata import (
    ACLED_COLUMNS,
    CIVILIAN_TARGETING,
    CIVILIANS,
    GED_COLUMNS,
    POLITICAL_VIOLENCE,
    export_row,
    load_actors,
)

SUBKIND_COLUMNS = ("detail", "subkind", "sub_kind")  # where the model logs a sub-kind


def parse_runs(spec: str | None, available: list[int]) -> list[int]:
    """`0-4`, `1,3,7`, `2` or None (all) as run ids present in the results."""
    if not spec:
        return list(available)
    out: list[int] = []
    try:
        for part in spec.split(","):
            a, dash, b = part.strip().partition("-")
            lo, hi = int(a), int(b) if dash else int(a)  # `1-` is no range: int('') refuses it
            if hi < lo:  # an empty range would export a header and nothing else, silently
                raise InputError(
                    Problem(
                        "<command line>", 1, 1, "--runs",
                        f"run range {part.strip()!r} ends before it starts; write {hi}-{lo}",
                    )
                )  # fmt: skip
            out.extend(range(lo, hi + 1))
    except ValueError:
        raise InputError(
            Problem(
                "<command line>",
                1,
                1,
                "--runs",
                f"bad run list {spec!r}; expected e.g. 0-4 or 1,3,7",
            )
        ) from None
    missing = sorted(set(out) - set(available))
    if missing:
        raise InputError(
            Problem(
                "<command line>",
                1,
                1,
                "--runs",
                f"no run {missing[0]} in the results (runs {min(available)}-{max(available)})",
            )
        )
    return sorted(set(out))


def read_folder(folder: Path) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame]:
    """manifest.json, network.json, runs.parquet and events.parquet of a results folder."""
    folder = Path(folder)
    for name in ("manifest.json", "network.json", "runs.parquet", "events.parquet"):
        if not (folder / name).is_file():
            raise InputError(
                Problem(str(folder), 1, 1, "results", f"not a results folder: no {name}")
            )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    network = json.loads((folder / "network.json").read_text(encoding="utf-8"))
    return (
        manifest,
        network,
        pd.read_parquet(folder / "runs.parquet"),
        pd.read_parquet(folder / "events.parquet"),
    )


def export_events(
    folder: str | Path, fmt: str, runs: str | None = None, actors_path: str | Path | None = None
) -> pd.DataFrame:
    """The events of the chosen runs as rows of `fmt` ('acled' or 'ucdp-ged'), in run and time
    order, with a `run_id` column. Raises InputError for a folder that is not a results folder,
    an unknown run or a bad actor mapping."""
    manifest, network, runs_df, events = read_folder(Path(folder))
    chosen = parse_runs(runs, sorted(runs_df["run_id"].astype(int).tolist()))
    names = {k: v["name"] for k, v in network["factions"].items()}
    actors = load_actors(network["theater"], names, actors_path)
    nodes = {n["name"]: n for n in network["nodes"]}
    seeds = dict(zip(runs_df["run_id"].astype(int), runs_df["seed"], strict=True))
    if "run_id" not in events.columns:  # runs that logged no event write a table without columns
        events = pd.DataFrame(columns=["run_id", "hour", "time", "kind", "place", "factions"])
    ev = events[events["run_id"].isin(chosen)].reset_index(drop=True)
    sub = next((c for c in SUBKIND_COLUMNS if c in ev.columns), None)
    ctx = _Context(manifest, actors, names, nodes, seeds)
    rows: list[dict[str, Any]] = []
    for i, e in enumerate(ev.itertuples(index=False)):
        subkind = getattr(e, sub) if sub else None
        subkind = subkind if isinstance(subkind, str) and subkind else None
        if fmt == "acled":
            rows.extend(ctx.acled(i, e, subkind))
        else:
            rows.extend(ctx.ged(i, e))
    columns = [*(ACLED_COLUMNS if fmt == "acled" else GED_COLUMNS), "run_id"]
    return pd.DataFrame(rows, columns=columns)


class _Context:
    def __init__(self, manifest: dict, actors: Any, names: dict, nodes: dict, seeds: dict):
        self.manifest, self.actors, self.names, self.nodes, self.seeds = (
            manifest,
            actors,
            names,
            nodes,
            seeds,
        )
        m = actors.mapping
        self.country, self.iso, self.region = m.country, m.iso, m.region
        self.prefix = m.iso3 or "SIM"
        self.title = manifest.get("scenario", {}).get("title", "")

    def sides(self, factions: Any) -> list[str]:
        return [f for f in str(factions or "").split(",") if f]

    def actor(self, faction: str) -> str:
        return self.actors.export_name(faction, self.names)

    def inter(self, faction: str) -> str:
        spec = self.actors.mapping.factions.get(faction)
        return str(spec.inter) if spec is not None and spec.inter else ""

    def where(self, place: str) -> tuple[float | None, float | None, int]:
        node = self.nodes.get(place)
        if node is None:  # a theater-wide event (a ceasefire): the region is all that is known
            return None, None, 3
        return node["lat"], node["lon"], 2 if node.get("waypoint") else 1

    def acled(self, i: int, e: Any, subkind: str | None) -> list[dict]:
        sides = self.sides(e.factions)
        if e.kind == "control_change" and sides and sides[0] == self.actors.mapping.government:
            subkind = "government"
        row = export_row(e.kind, subkind)
        lat, lon, prec = self.where(e.place)
        a1, a2 = ([*sides, "", ""])[:2]
        i1, i2 = self.inter(a1) if a1 else "", self.inter(a2) if a2 else ""
        stamp = int(pd.Timestamp(e.time).timestamp())
        base = {
            "event_date": pd.Timestamp(e.time).date().isoformat(),
            "year": pd.Timestamp(e.time).year,
            "time_precision": 1,
            "iso": self.iso if self.iso is not None else "",
            "region": self.region,
            "country": self.country,
            "admin1": "", "admin2": "", "admin3": "",
            "location": e.place or self.country,
            "latitude": lat,
            "longitude": lon,
            "geo_precision": prec,
            "source": f"conflict-sim, {self.title}, run {e.run_id} (seed {self.seeds.get(int(e.run_id), '')})",
            "source_scale": "Other",
            "timestamp": stamp,
            "run_id": int(e.run_id),
        }  # fmt: skip
        kind_tag = f"{e.kind}/{subkind}" if subkind else e.kind
        out = [
            {
                **base,
                "event_id_cnty": f"{self.prefix}{int(e.run_id)}-{i + 1}",
                "disorder_type": row.disorder_type,
                "event_type": row.event_type,
                "sub_event_type": row.sub_event_type,
                "actor1": self.actor(a1) if a1 else "",
                "assoc_actor_1": "",
                "inter1": i1,
                "actor2": self.actor(a2) if a2 else "",
                "assoc_actor_2": "",
                "inter2": i2,
                "interaction": "".join(sorted(i1 + i2)) if i1 and i2 else "",
                "civilian_targeting": "",
                "notes": e.text,
                "fatalities": _floor(e.casualties) if row.deaths else 0,
                # the kind, and when the event began and how long it lasted, so that an
                # import counts it in the weeks it spans, as `validate` does
                "tags": f"conflict-sim kind={kind_tag}; start={pd.Timestamp(e.time).isoformat()}; "
                f"hours={_hours(e):g}",
            }
        ]
        civ = _floor(e.civilian_casualties)
        if civ > 0:
            out.append(
                {
                    **base,
                    "event_id_cnty": f"{self.prefix}{int(e.run_id)}-{i + 1}c",
                    "disorder_type": POLITICAL_VIOLENCE,
                    "event_type": CIVILIANS,
                    "sub_event_type": "Attack",
                    "actor1": self.actor(a1) if a1 else "",
                    "assoc_actor_1": self.actor(a2) if a2 else "",
                    "inter1": i1,
                    "actor2": f"Civilians ({self.country})" if self.country else "Civilians",
                    "assoc_actor_2": "",
                    "inter2": "7",
                    "interaction": f"{i1}7" if i1 else "",
                    "civilian_targeting": CIVILIAN_TARGETING,
                    "notes": f"Civilians killed in: {e.text}",
                    "fatalities": civ,
                    "tags": f"conflict-sim civilians-of={kind_tag}",
                }
            )
        return out

    def ged(self, i: int, e: Any) -> list[dict]:
        row = export_row(e.kind)
        combatants = _floor(e.casualties) if row.deaths else 0
        civ = _floor(e.civilian_casualties)
        best = combatants + civ
        if best < 1:
            return []
        sides = self.sides(e.factions)
        a1, a2 = ([*sides, "", ""])[:2]
        lat, lon, prec = self.where(e.place)
        t0 = pd.Timestamp(e.time)
        dur = float(getattr(e, "duration_hours", 0.0) or 0.0)
        t1 = t0 + pd.Timedelta(hours=dur) - pd.Timedelta(microseconds=1) if dur > 0 else t0
        side_a, side_b = (self.actor(a1) if a1 else ""), (self.actor(a2) if a2 else "")
        return [
            {
                "id": f"{int(e.run_id)}{i + 1:07d}",
                "year": t0.year,
                "type_of_violence": 1,
                "conflict_name": f"{self.country or 'Theater'}: Government",
                "dyad_name": f"{side_a} - {side_b}" if side_b else side_a,
                "side_a": side_a,
                "side_b": side_b,
                "where_prec": prec,
                "where_coordinates": e.place,
                "adm_1": "",
                "adm_2": "",
                "latitude": lat,
                "longitude": lon,
                "date_prec": 1,
                "date_start": t0.date().isoformat(),
                "date_end": t1.date().isoformat(),
                "deaths_a": 0,
                "deaths_b": 0,
                "deaths_civilians": civ,
                "deaths_unknown": combatants,
                "best": best,
                "high": best,
                "low": best,
                "run_id": int(e.run_id),
            }
        ]


def _hours(e: Any) -> float:
    h = float(getattr(e, "duration_hours", 0.0) or 0.0)
    return 0.0 if math.isnan(h) else h


def _floor(x: Any) -> int:
    x = float(x or 0.0)
    return 0 if math.isnan(x) else math.floor(x + 1e-9)


TABLE_SUFFIXES = (".csv", ".xlsx")


def check_table_path(out: str | Path, option: str = "--out") -> Path:
    """Refuse, before any work, an output that `write_table` would not write as named: a suffix
    other than .csv or .xlsx (a CSV written to `events.json` or `events.xls` misleads every
    reader), a folder, or a file standing where a folder should be.

    Raises:
        InputError: one located line naming `option`.
    """
    from sim.outdir import check_output_file

    out = Path(out)
    if out.suffix.lower() not in TABLE_SUFFIXES:
        suffix = repr(out.suffix) if out.suffix else "no suffix"
        raise InputError(  # the form of every --out refusal (sim.outdir)
            Problem(option, 1, 1, "out", f"{out} is not a .csv or .xlsx file name ({suffix})")
        )
    return check_output_file(out, option)


XLSX_TIME = (1980, 1, 1, 0, 0, 0)
"""Every .xlsx entry's time and the document's created/modified dates: the ZIP format's epoch,
so that the same rows give the same bytes (openpyxl stamps the clock into both)."""


def xlsx_bytes(df: pd.DataFrame) -> bytes:
    """The rows as an .xlsx workbook (openpyxl), with the clock's stamps replaced by
    `XLSX_TIME`. Raises InputError when openpyxl is not installed."""
    import io
    import re
    import zipfile

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise InputError(
            Problem(
                "--out", 1, 1, "out",
                "writing Excel needs openpyxl: pip install 'conflict-sim[excel]'",
            )
        ) from None  # fmt: skip
    raw = io.BytesIO()
    df.to_excel(raw, index=False, engine="openpyxl")
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*XLSX_TIME).encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*", rb"\g<1>" + stamp, data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, data)
    return out.getvalue()


def write_table(df: pd.DataFrame, out: Path) -> Path:
    """CSV (or .xlsx with openpyxl, `xlsx_bytes`) written atomically (`sim.outdir.write_atomic`:
    a temporary file of its own, renamed into place). The same rows give the same bytes."""
    from sim.outdir import write_atomic

    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        data = xlsx_bytes(df)
    else:
        data = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, data)
    return out
