"""Ground engagements: who fights where each hour, the losses, the civilians caught in it, and
the running record of each battle that becomes one `engagement` event per place and day.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.agents import Place, Unit
from sim.dynamics import civilians, combat

if TYPE_CHECKING:
    from sim.model import ConflictModel


class Battlefield:
    """Hourly Lanchester exchanges, and the battles under way (place -> running record)."""

    def __init__(self, model: ConflictModel):
        self.model = model
        self.ongoing: dict[str, dict[str, Any]] = {}

    def engaged_at(self, node: str) -> bool:
        return node in self.ongoing

    def fight(self) -> set[str]:
        """Hourly Lanchester exchanges at shared places and across short road segments."""
        m = self.model
        occupied: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
        for u in m.units:
            if u.active:
                occupied[u.node][u.faction].append(u)
        engaged: set[str] = set()
        for node, sides in list(occupied.items()):
            if len(sides) >= 2:
                f1, f2 = sorted(sides)[:2]
                if self._engage(node, node, sides[f1], sides[f2], 1.0):
                    engaged.add(node)
        # Each pair of places exchanges fire at most once an hour: within weapon range, or
        # where a ceasefire violation opened fire (a link may be recorded either way round).
        pairs = {frozenset(e) for e in m.short_edges}
        pairs.update(
            link for link, until in m.violation_links.items() if until > m.time and len(link) == 2
        )
        for u_node, v_node in sorted(tuple(sorted(pair)) for pair in pairs):
            self._ranged(u_node, v_node, occupied, engaged)
        return engaged

    def _ranged(self, u_node: str, v_node: str, occupied, engaged: set[str]) -> None:
        m = self.model
        if u_node not in occupied or v_node not in occupied:
            return
        for fa, ua in occupied[u_node].items():
            for fb, ub in occupied[v_node].items():
                if fa != fb and u_node not in engaged and v_node not in engaged:
                    self._engage(u_node, v_node, ua, ub, m.p["combat.ranged_factor"])

    def _engage(
        self, node_a: str, node_b: str, side_a: list[Unit], side_b: list[Unit], factor: float
    ) -> bool:
        """One hour of fighting between two groups; returns False when both hold their fire."""
        m = self.model
        if all(m.restrained(u, node_a) for u in side_a) and all(
            m.restrained(u, node_b) for u in side_b
        ):
            return False
        p = m.p
        a = sum(u.personnel for u in side_a)
        b = sum(u.personnel for u in side_b)
        ka = factor * sum(m.unit_strength(u) for u in side_a) / a
        kb = factor * sum(m.unit_strength(u) for u in side_b) / b
        fort_w = p["combat.fortification_weight"]
        place_a, place_b = m.places[node_a], m.places[node_b]
        if place_a.controller == side_a[0].faction:
            kb *= 1.0 - place_a.fortification * fort_w
        if place_b.controller == side_b[0].faction:
            ka *= 1.0 - place_b.fortification * fort_w
        la, lb = combat.expected_losses(
            a, b, ka, kb, p["combat.aimed_rate"], p["combat.area_rate"], p["combat.square_weight"]
        )
        noise = p["combat.noise"] >= 0.5
        la = combat.realise(m.rng, a, la, noise)
        lb = combat.realise(m.rng, b, lb, noise)
        self._apply_losses(side_a, la)
        self._apply_losses(side_b, lb)
        for node, group, lost in ((node_a, side_a, la), (node_b, side_b, lb)):
            battle = self.ongoing.setdefault(
                node,
                {
                    "start": m.time - 1,
                    "hours": 0,
                    "losses": defaultdict(float),
                    "civ": 0.0,
                    "seen": -1,
                },
            )
            if battle["seen"] != m.time:
                battle["hours"] += 1
                battle["seen"] = m.time
            battle["losses"][group[0].faction] += lost
            for other in (side_a[0].faction, side_b[0].faction):
                battle["losses"][other] += 0.0  # both sides are party to it, even with no loss
        self._civilian_harm(place_a, (a + b) * factor)
        if node_b != node_a:
            self._civilian_harm(place_b, (a + b) * factor)
        return True

    def _apply_losses(self, group: list[Unit], total: float) -> None:
        m = self.model
        shares = combat.split(total, np.array([u.personnel for u in group]))
        for u, lost in zip(group, shares, strict=True):
            u.personnel -= lost
            u.lost_this_hour += lost
            m.losses[u.faction] += lost

    def _civilian_harm(self, place: Place, engaged_personnel: float) -> None:
        m = self.model
        if place.population <= 0:
            return
        level = civilians.intensity(engaged_personnel)
        harm = float(
            m.rng.poisson(
                civilians.expected_harm(place.population, level, m.p["civilians.harm_rate"])
            )
        )
        harm = min(harm, place.population)
        place.population -= harm
        place.civilian_casualties += harm
        m.civilian_casualties += harm
        if place.name in self.ongoing:
            self.ongoing[place.name]["civ"] += harm
        share = civilians.displaced_share(level, m.p["civilians.displacement_rate"])
        leaving = (
            float(m.rng.binomial(int(place.population), share)) if place.population >= 1 else 0.0
        )
        if leaving <= 0:
            return
        place.population -= leaving
        place.displaced_out += leaving
        m.displaced += leaving
        refuge = self._refuge(place.name)
        if refuge is not None:
            m.places[refuge].population += leaving

    def _refuge(self, node: str) -> str | None:
        """The nearest populated place with no fighting, held by the same side."""
        m = self.model
        owner = m.places[node].controller
        for other, _km in sorted(m.dist[node].items(), key=lambda kv: kv[1]):
            p = m.places[other]
            if (
                other != node
                and p.population > 0
                and other not in self.ongoing
                and p.controller == owner
            ):
                return other
        return None

    def close(self, engaged: set[str], force: bool = False) -> None:
        """Log battles that stopped this hour, and every battle at the end of a day (or run)."""
        m = self.model
        for node in list(self.ongoing):
            battle = self.ongoing[node]
            day_end = round(m.time) % 24 == 0
            if (battle["seen"] == m.time or node in engaged) and not (day_end or force):
                continue
            self._log_battle(node, battle)
            del self.ongoing[node]

    def _log_battle(self, node: str, battle: dict) -> None:
        m = self.model
        losses = battle["losses"]
        sides = sorted(losses)
        detail = ", ".join(f"{f} lost {losses[f]:.0f}" for f in sides)
        m.log(
            "engagement", node, ",".join(sides), sum(losses.values()),
            f"{battle['hours']} h of fighting at {node}: {detail}", hour=battle["start"],
            civilian=battle["civ"], duration=battle["hours"],
        )  # fmt: skip
