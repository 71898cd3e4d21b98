"""Supply: traced along roads from a side's hubs through ground it can pass, falling off with
road distance; hubs hold stocks that units draw on and patron sea or air bridges refill.

Pure functions and the stock of one hub; `sim.ground.update_supply` does the wiring.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx


def nearest_hubs(
    graph: nx.Graph, passable: set[str], hubs: Iterable[str], max_km: float
) -> dict[str, tuple[float, str]]:
    """Node -> (road km, hub) of the nearest hub that reaches it through passable nodes, within
    `max_km` (multi-source Dijkstra). A node that is not passable (held by the enemy) can be
    reached (the unit attacking it is supplied from behind) but not passed through. Ties go to
    the hub first in sorted order, so the result does not depend on set order."""
    best: dict[str, tuple[float, str]] = {}
    frontier = [(0.0, h, h) for h in sorted(set(hubs)) if h in passable]
    heapq.heapify(frontier)
    while frontier:
        d, hub, node = heapq.heappop(frontier)
        if node in best:
            continue
        best[node] = (d, hub)
        if node not in passable:
            continue
        for nb, attrs in graph[node].items():
            nd = d + attrs["km"]
            if nd <= max_km and nb not in best:
                heapq.heappush(frontier, (nd, hub, nb))
    return best


def level_at(km: float, full_km: float, falloff_km: float) -> float:
    """The supply level a hub sustains `km` of road away: 1 within `full_km` (a day's haul),
    then falling by a factor e every further `falloff_km`."""
    if km <= full_km:
        return 1.0
    return math.exp(-(km - full_km) / falloff_km)


def update_supply(supply: float, target: float | None, decay: float, resupply: float) -> float:
    """Supply after one hour, in [0, 1]: toward `target` (the level the unit's hub sustains
    where it stands) at `resupply` an hour from below and `decay` from above; a unit cut off
    from every hub (`target` None) runs down at `decay` an hour."""
    if target is None:
        return max(0.0, supply - decay)
    if supply < target:
        return min(target, supply + resupply)
    return max(target, supply - decay)


def speed_factor(supply: float, floor: float = 0.5) -> float:
    """Units short of fuel and ammunition move slower: `floor` of their speed when empty."""
    return floor + (1.0 - floor) * min(max(supply, 0.0), 1.0)


@dataclass
class HubStock:
    """A hub's stock in days of its initial draw (`base`, personnel supplied from it).

    Each hour the units supplied from it draw `personnel / base / 24` days; a bridge into it,
    while the side it serves holds the hub (and the bridge's rear place, for an overland one),
    adds `bridge_share / 24` days (1 = it replaces the initial draw). An empty hub supplies no
    one until the bridge refills it.
    """

    days: float
    base: float
    bridge_share: float = 0.0
    bridge_for: str | None = None
    bridge_from: str | None = None

    def hour(self, drawing_personnel: float, holder: str, rear_holder: str | None) -> None:
        """One hour of draw and refill (`rear_holder`: who holds `bridge_from`, if any)."""
        self.days -= drawing_personnel / self.base / 24.0
        bridged = self.bridge_for is not None and holder == self.bridge_for
        if bridged and (self.bridge_from is None or rear_holder == self.bridge_for):
            self.days += self.bridge_share / 24.0
        self.days = max(self.days, 0.0)

    @property
    def empty(self) -> bool:
        """Whether the hub has run dry (no days of stock left)."""
        return self.days <= 0.0
