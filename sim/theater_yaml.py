"""The theater file `conflict-sim theater new` writes: the data (sim.theater_build), its stubs
and proposals, and the YAML text with a header that says what to edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import yaml

from sim.yamlsource import YamlDumper, dump_yaml

if TYPE_CHECKING:
    from sim.theater_build import Options, Place, Road

HEADER = """\
# Theater {name!r}, written by `conflict-sim theater new` (docs/theater_new.md).
# Every text starting with TODO is a stub: `conflict-sim check {shown}` lists each one until it
# is filled in. The front axis and sectors are proposals from the road graph: edit them. Add
# patrons (`patrons:`), air assets (`air:`) and real units with their sources (docs/theater.md).
"""


def theater_data(name: str, places: list[Place], roads: list[Road], opts: Options) -> dict:
    """The theater as plain data in the order of docs/theater.md."""
    from sim.theater_build import (
        CITY_POPULATION,
        COLORS,
        FORTIFICATION,
        STUB_PERSONNEL,
        capitals_of,
        propose_axes,
        timezone_of,
        value_of,
    )

    held = [p.controller for p in places if p.controller and p.controller != "contested"]
    factions = list(dict.fromkeys(held))
    if not factions:
        factions = ["side_a", "side_b"]
    stub_controller = f"TODO: who held it at the start: {', '.join(factions)} or contested"
    for p in places:
        if p.controller is None:
            p.controller = stub_controller
    capitals = capitals_of(places, factions)
    largest = max((p.population or 0) for p in places)
    place_rows = []
    for p in places:
        k = p.kind or ("city" if (p.population or 0) >= CITY_POPULATION else "town")
        row: dict[str, Any] = {"name": p.name}
        if p.aliases:
            row["aliases"] = p.aliases
        row.update(
            lat=round(p.lat, 5), lon=round(p.lon, 5), kind=k, controller=p.controller,
            coord_source=p.coord_source or f"TODO: source of the coordinates on line "
                                           f"{p.row.line} of {opts.places.name}",
            population=p.population or 0,
            population_source=p.population_source or f"TODO: source of the population on "
                                                     f"line {p.row.line} of {opts.places.name}",
            value=value_of(p.population, largest),
            value_source="assumption: 1-10 by population on a log scale (theater new); edit",
            fortification=FORTIFICATION[k], depot=k in ("city", "port", "airbase"),
            airbase=k == "airbase",
        )  # fmt: skip
        place_rows.append(row)
    road_rows = []
    for r in roads:
        row = {"a": r.a, "b": r.b, "km": r.km, "source": r.source}
        if r.route:
            row["route"] = r.route
        if r.corridor:
            row["corridor"] = True
        road_rows.append(row)
    graph = nx.Graph()
    graph.add_nodes_from(p.name for p in places)
    graph.add_edges_from((r.a, r.b, {"km": r.km}) for r in roads)
    axis, sectors = propose_axes(graph, [capitals[f] for f in factions])
    by_pop = sorted((p for p in places if p.population), key=lambda p: -(p.population or 0))
    data: dict[str, Any] = {
        "name": name,
        "title": "TODO: a one-line title: where and when",
        "description": "TODO: the war as it stood at the start, in two or three sentences",
        "timezone": timezone_of(places, opts.timezone),
        "data_notes": _notes(places, roads, opts),
        "factions": {
            f: {
                "name": f"TODO: the full name of {f}",
                "color": COLORS[i % len(COLORS)],
                "capital": capitals[f],
            }
            for i, f in enumerate(factions)
        },
        "places": place_rows,
        "roads": road_rows,
        "front_axis": axis,
    }
    if sectors:
        data["sectors"] = sectors
    if by_pop:
        data["key_places"] = [p.name for p in by_pop[:3]]
    data["units"] = [
        {"id": f"{_id(f)}_1", "name": f"TODO: a unit of {f}", "faction": f,
         "place": capitals[f], "personnel": STUB_PERSONNEL,
         "source": f"TODO: the source of this unit's personnel ({STUB_PERSONNEL} is a "
                   "placeholder); add one unit per formation"}
        for f in factions
    ]  # fmt: skip
    return data


def _id(text: str) -> str:
    from sim.theater_build import slug

    return slug(text)


def _notes(places: list[Place], roads: list[Road], opts: Options) -> str:
    from sim.theater_build import CITY_POPULATION, FORTIFICATION

    gn = sum(1 for p in places if p.coord_source and "geonameid=" in p.coord_source)
    osm = sum(1 for r in roads if r.source.startswith("OpenStreetMap"))
    est = sum(1 for r in roads if r.source.startswith("estimate"))
    lines = [
        f"Written by `conflict-sim theater new` from {opts.places.name}"
        + (f" and {opts.roads.name}" if opts.roads else "") + ".",
        f"Coordinates of {gn} of {len(places)} places from GeoNames (geonames.org, CC-BY 4.0; "
        "the geonameid is in each coord_source).",
    ]  # fmt: skip
    if osm:
        lines.append(f"{osm} road lengths from the OpenStreetMap extract {opts.osm.name} "
                     "((c) OpenStreetMap contributors, ODbL).")  # fmt: skip
    if est:
        lines.append(f"{est} road lengths estimated: WGS84 geodesic x {opts.road_factor:g} "
                     "(road factor, an assumption).")  # fmt: skip
    fort = ", ".join(f"{k} {v:g}" for k, v in FORTIFICATION.items())
    lines.append(
        f"Assumptions (no source field): fortification by kind ({fort}); depots at cities, "
        f"ports and airbases; a place without a kind is a city from {CITY_POPULATION:,} people."
    )
    return "\n".join(lines) + "\n"


class _Dumper(YamlDumper):
    """Block style, multi-line text as `|` blocks; text quoted wherever load_yaml would read a
    bare scalar as something else."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render(data: dict[str, Any], shown: str) -> str:
    """The YAML text of the theater, with the header comment."""
    body = dump_yaml(data, _Dumper)
    return HEADER.format(name=data["name"], shown=shown) + body
