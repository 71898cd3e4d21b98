"""Supply: traced from depots along roads through friendly ground; cut-off units run down."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import networkx as nx


def supplied_nodes(
    graph: nx.Graph, friendly: set[str], depots: Iterable[str], max_km: float
) -> dict[str, float]:
    """Nodes reachable from a friendly depot through friendly nodes, with road km to the depot.

    A hostile node can be reached (the unit attacking it is supplied from behind) but not
    passed through.
    """
    sources = [d for d in depots if d in friendly]
    if not sources:
        return {}
    dist: dict[str, float] = {s: 0.0 for s in sources}
    frontier = [(0.0, s) for s in sorted(sources)]
    heapq.heapify(frontier)
    while frontier:
        d, node = heapq.heappop(frontier)
        if d > dist.get(node, float("inf")) or node not in friendly:
            continue
        for nb, attrs in graph[node].items():
            nd = d + attrs["km"]
            if nd <= max_km and nd < dist.get(nb, float("inf")):
                dist[nb] = nd
                heapq.heappush(frontier, (nd, nb))
    return dist


def update_supply(supply: float, connected: bool, decay: float, resupply: float) -> float:
    """Supply after one hour, in [0, 1]."""
    if connected:
        return min(1.0, supply + resupply)
    return max(0.0, supply - decay)


def speed_factor(supply: float) -> float:
    """Units short of fuel and ammunition move slower (half speed when empty)."""
    return 0.5 + 0.5 * min(max(supply, 0.0), 1.0)
