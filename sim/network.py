"""The road network: places and waypoints as nodes, road segments with km as edges.

Corridor roads are split into waypoints no farther apart than the theater's `corridor_max_km`
so that movement and the front line have that resolution. Pure data, no Mesa.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Container
from dataclasses import dataclass, field

import networkx as nx

from sim.config import Theater
from sim.errors import InputError, Problem
from sim.geodesy import geodesic_km
from sim.names import PlaceNames, normalise


@dataclass
class RoadNetwork:
    graph: nx.Graph
    names: PlaceNames
    axis: list[str]
    axis_km: dict[str, float]
    places: list[str] = field(default_factory=list)
    sectors: dict[str, tuple[list[str], dict[str, float]]] = field(default_factory=dict)
    """Sector name -> (its axis of nodes with waypoints, km of each node from the axis start)."""
    _all_pairs: tuple | None = field(default=None, repr=False)
    _within: dict[tuple[str, float], frozenset[str]] = field(default_factory=dict, repr=False)

    @property
    def aliases(self) -> dict[str, str]:
        """Every spelling of every place as written, lower-cased -> the place (match names with
        `lookup`, which also normalises Arabic script)."""
        return self.names.written

    def lookup(self, name: str) -> str | None:
        """A place from its name or an alternative spelling in any script (see sim.names)."""
        return self.names.resolve(name)

    def resolve(self, name: str) -> str:
        """Like `lookup`, and a node's own name (a road waypoint where the model puts a unit);
        an unknown name is an InputError naming the close match."""
        hit = self.lookup(name) or (name if name in self.graph else None)
        if hit is None:
            hint = self.names.hint(name)
            raise InputError(
                Problem("<command line>", 1, 1, "place", f"unknown place {name!r}{hint}")
            )
        return hit

    def route(self, a: str, b: str) -> tuple[list[str], float]:
        """Shortest road path between two nodes and its length in km; InputError if no road
        joins them."""
        if no_road(self.graph, a, b):
            raise InputError(
                Problem("<command line>", 1, 1, "place", f"no road joins {a!r} and {b!r}")
            )
        km, path = nx.single_source_dijkstra(self.graph, a, b, weight="km")
        return path, float(km)

    def reachable(self, node: str) -> set[str]:
        """Nodes some road path joins to `node` (itself included)."""
        return set(nx.node_connected_component(self.graph, node))

    def all_pairs(self) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[str]]]]:
        """Road km and shortest paths between every pair of nodes, computed once per network."""
        if self._all_pairs is None:
            dist, paths = {}, {}
            for src, (d, p) in nx.all_pairs_dijkstra(self.graph, weight="km"):
                dist[src], paths[src] = d, p
            self._all_pairs = (dist, paths)
        return self._all_pairs

    def within(self, node: str, radius_km: float) -> frozenset[str]:
        """Nodes within a straight-line radius of a node; cached on the network, not the model,
        so that a process running thousands of models keeps one small cache."""
        key = (node, radius_km)
        if key not in self._within:
            lat, lon = self.graph.nodes[node]["lat"], self.graph.nodes[node]["lon"]
            names = list(self.graph.nodes)
            km = geodesic_km(
                lat, lon, [self.graph.nodes[n]["lat"] for n in names],
                [self.graph.nodes[n]["lon"] for n in names],
            )  # fmt: skip
            self._within[key] = frozenset(
                n for n, d in zip(names, km, strict=True) if d <= radius_km
            )
        return self._within[key]

    def sector_of(self) -> dict[str, str]:
        """Each node's sector: the one whose axis passes nearest by road (first listed on a tie).

        Nodes no road joins to any axis have none; a theater without sectors gives {}."""
        if not self.sectors:
            return {}
        dist, _ = self.all_pairs()
        out: dict[str, str] = {}
        for node in self.graph.nodes:
            best = None
            for name, (axis, _km) in self.sectors.items():
                km = min((dist[node].get(a, math.inf) for a in axis), default=math.inf)
                if km < math.inf and (best is None or km < best[0]):
                    best = (km, name)
            if best is not None:
                out[node] = best[1]
        return out

    def positions(self) -> dict[str, tuple[float, float]]:
        """(lon, lat) of every node, the layout Mesa's Network needs (no spring layout)."""
        return {n: (d["lon"], d["lat"]) for n, d in self.graph.nodes(data=True)}


def waypoint_name(a: str, b: str, km: float) -> str:
    return f"{a}–{b} km {km:.0f}"


def km_through(held: Container[str]) -> Callable[[str, str, dict], float | None]:
    """A Dijkstra weight function for networkx: road km, with every road into a node not in
    `held` hidden (None). A search with it from a held node is the search on the subgraph of
    held nodes, in the same order, without a subgraph view (about 4x faster)."""
    return lambda _a, b, d: d["km"] if b in held else None


def km_avoiding(blocked: Container[str]) -> Callable[[str, str, dict], float | None]:
    """As `km_through`, with the nodes to leave out given instead of the nodes to keep."""
    return lambda _a, b, d: None if b in blocked else d["km"]


def no_road(graph: nx.Graph, a: str, b: str) -> bool:
    """True when no road path joins two nodes."""
    return not nx.has_path(graph, a, b)


def build_network(theater: Theater, axes: bool = True) -> RoadNetwork:
    """Build the graph; corridor segments are split into evenly spaced waypoints. The theater
    must have passed its checks (sim.checks); `axes=False` skips the front axis and the sectors'
    axes (for checking that roads join them)."""
    g = nx.Graph()
    names = PlaceNames((p.name, p.aliases) for p in theater.places)
    for p in theater.places:
        g.add_node(
            p.name,
            lat=p.lat,
            lon=p.lon,
            kind=p.kind,
            population=p.population,
            value=p.value,
            fortification=p.fortification,
            depot=p.depot,
            airbase=p.airbase,
            controller=p.controller,
            waypoint=False,
        )
    for r in theater.roads:
        a, b = names.lookup[normalise(r.a)], names.lookup[normalise(r.b)]
        pieces = math.ceil(r.km / theater.corridor_max_km) if r.corridor else 1
        if pieces <= 1:
            g.add_edge(a, b, km=r.km, route=r.route or "")
            continue
        _split(g, a, b, r.km, pieces, r.route or "")
    if not axes:
        return RoadNetwork(g, names, [], {}, places=theater.place_names())

    def nodes(places: list[str]) -> list[str]:
        return [names.lookup[normalise(n)] for n in places]

    axis, axis_km = _axis(g, nodes(theater.front_axis))
    # A theater without sectors has one, along its front axis.
    sectors = {sec.name: _axis(g, nodes(sec.axis)) for sec in theater.sectors} or {
        "front": (axis, axis_km)
    }
    return RoadNetwork(g, names, axis, axis_km, places=theater.place_names(), sectors=sectors)


def _axis(g: nx.Graph, places: list[str]) -> tuple[list[str], dict[str, float]]:
    """The nodes along the roads joining `places` in order, and each node's km from the first."""
    line = [places[0]]
    for a, b in itertools.pairwise(places):
        _, path = nx.single_source_dijkstra(g, a, b, weight="km")
        line.extend(path[1:])
    axis_km = {line[0]: 0.0}
    for a, b in itertools.pairwise(line):
        axis_km[b] = axis_km[a] + g.edges[a, b]["km"]
    return line, axis_km


def _split(g: nx.Graph, a: str, b: str, km: float, pieces: int, route: str) -> None:
    la, lo = g.nodes[a]["lat"], g.nodes[a]["lon"]
    lb, lob = g.nodes[b]["lat"], g.nodes[b]["lon"]
    step = km / pieces
    prev = a
    for i in range(1, pieces):
        f = i / pieces
        name = waypoint_name(a, b, step * i)
        neighbours = (g.nodes[a], g.nodes[b])
        g.add_node(
            name,
            lat=la + (lb - la) * f,
            lon=lo + (lob - lo) * f,
            kind="road",
            population=0,
            value=min(n["value"] for n in neighbours) * 0.5,
            fortification=0.1,
            depot=False,
            airbase=False,
            controller=_waypoint_controller(
                neighbours[0]["controller"], neighbours[1]["controller"], f
            ),
            waypoint=True,
        )
        g.add_edge(prev, name, km=step, route=route)
        prev = name
    g.add_edge(prev, b, km=step, route=route)


def _waypoint_controller(ca: str, cb: str, f: float) -> str:
    if ca == cb:
        return ca
    return ca if f < 0.5 else cb
