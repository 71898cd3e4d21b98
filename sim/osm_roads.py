"""Road-network distances between places from an OpenStreetMap extract on disk (`.osm` XML, or
any format libosmium reads: `.osm.pbf`, `.osc`), for `conflict-sim theater new`.

The extract is read with pyosmium (the Python bindings of libosmium): every way tagged with a
`highway` value in `ROAD_CLASSES` becomes edges between its consecutive nodes, each as long as
the WGS84 geodesic between them (pyproj's `Geod`, Karney 2013). Each place is snapped to the
nearest road node (a k-d tree on unit vectors: the chord order is the great-circle order) and the
road distance between two places is the shortest path between their nodes (Dijkstra, networkx).
Nothing is downloaded: clip an extract to the theater (e.g. `osmium extract`) beforehand.
OpenStreetMap data is (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from sim.errors import InputError, Problem
from sim.geodesy import geodesic_km

# Highway values that carry vehicles between places (OSM wiki, Key:highway); footways, paths,
# steps, cycleways, construction and proposed roads are left out.
ROAD_CLASSES = frozenset(
    {
        "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
        "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
        "living_street", "service", "track", "road",
    }
)  # fmt: skip


@dataclass
class Snap:
    """A place's nearest road node and how far it is from the place (km)."""

    node: int
    km: float


def read_roads(path: str | Path) -> nx.Graph:
    """The road graph of an extract: nodes are OSM node ids with `lat`/`lon` (degrees), edges
    carry `km` (the shortest way segment between two nodes).

    Raises InputError when the file is missing, unreadable or holds no road."""
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "--osm", "no such file"))
    coords: dict[int, tuple[float, float]] = {}
    pairs: list[tuple[int, int]] = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if way.tags.get("highway") not in ROAD_CLASSES:
                continue
            refs = []
            for n in way.nodes:
                if not n.location.valid():
                    continue  # a node outside a clipped extract
                coords[n.ref] = (n.location.lat, n.location.lon)
                refs.append(n.ref)
            pairs.extend(itertools.pairwise(refs))
    except RuntimeError as exc:
        raise InputError(
            Problem(str(path), 1, 1, "--osm", f"not a readable OSM file: {exc}")
        ) from None
    pairs = [(a, b) for a, b in pairs if a != b]
    if not pairs:
        raise InputError(
            Problem(str(path), 1, 1, "--osm", f"no road (a way tagged highway=...) in {path.name}")
        )
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    lat_a, lon_a = np.array([coords[i] for i in a]).T
    lat_b, lon_b = np.array([coords[i] for i in b]).T
    km = geodesic_km(lat_a, lon_a, lat_b, lon_b)
    graph = nx.Graph()
    for node, (lat, lon) in coords.items():
        graph.add_node(node, lat=lat, lon=lon)
    for u, v, d in zip(a.tolist(), b.tolist(), km.tolist(), strict=True):
        if not graph.has_edge(u, v) or graph.edges[u, v]["km"] > d:
            graph.add_edge(u, v, km=d)
    return graph


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def snap(graph: nx.Graph, places: Mapping[str, tuple[float, float]]) -> dict[str, Snap]:
    """Each place's (lat, lon) to its nearest road node of the graph."""
    from scipy.spatial import cKDTree

    nodes = list(graph.nodes)
    lat = np.array([graph.nodes[n]["lat"] for n in nodes])
    lon = np.array([graph.nodes[n]["lon"] for n in nodes])
    tree = cKDTree(_unit_vectors(lat, lon))
    names = list(places)
    plat = np.array([places[n][0] for n in names])
    plon = np.array([places[n][1] for n in names])
    _, idx = tree.query(_unit_vectors(plat, plon))
    km = geodesic_km(plat, plon, lat[idx], lon[idx])
    return {
        name: Snap(int(nodes[i]), float(k))
        for name, i, k in zip(names, idx, np.atleast_1d(km), strict=True)
    }


def road_km(graph: nx.Graph, snaps: Mapping[str, Snap]) -> dict[tuple[str, str], float]:
    """Road km between every pair of snapped places some road joins ((a, b) and (b, a))."""
    out: dict[tuple[str, str], float] = {}
    names = list(snaps)
    for a in names:
        dist = nx.single_source_dijkstra_path_length(graph, snaps[a].node, weight="km")
        for b in names:
            if b != a and snaps[b].node in dist:
                out[a, b] = float(dist[snaps[b].node])
    return out
