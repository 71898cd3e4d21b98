"""Roads through one side's ground: the routes its reinforcements take (command's moves).

Kept per faction until control changes. Searches hide roads into places the side does not hold
with a weight function (`sim.network.km_through`) instead of searching a subgraph view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from sim.network import km_through

if TYPE_CHECKING:
    from sim.model import ConflictModel


class FriendlyRoads:
    """The places a faction holds, and road km and paths through them (cached per control
    version: places change hands a few dozen times a run)."""

    def __init__(self, model: ConflictModel, faction: str):
        self.model = model
        self.faction = faction
        self._version = -1
        self._held: set[str] = set()
        self._km: dict[str, dict[str, float]] = {}  # target -> node -> road km

    def held(self) -> set[str]:
        """Names of the places the faction holds now (not contested)."""
        m = self.model
        if self._version != m._control_version:
            self._held = {n for n, p in m.places.items() if p.status == self.faction}
            self._version, self._km = m._control_version, {}
        return self._held

    def km_to(self, target: str) -> dict[str, float]:
        """Road km to `target`, a held place, from every node with a road to it through held
        ground (the target itself at 0)."""
        held = self.held()
        if target not in self._km:
            graph = self.model.network.graph
            self._km[target] = nx.single_source_dijkstra_path_length(
                graph, target, weight=km_through(held)
            )
        return self._km[target]

    def path(self, a: str, b: str) -> list[str] | None:
        """The shortest road from `a` to `b` through held ground, or None (either not held, or
        no such road)."""
        held = self.held()
        if a not in held or b not in held:
            return None
        try:
            return nx.shortest_path(self.model.network.graph, a, b, weight=km_through(held))
        except nx.NetworkXNoPath:
            return None
