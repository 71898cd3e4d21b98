"""Ground engagements: who fights where each hour, the losses, the civilians caught in it, and
the running record of each battle that becomes one `engagement` event per place and day.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

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
        """Hourly Lanchester exchanges at shared places and across road segments within fire
        range, where the truce leaves fire open; returns the places that saw fighting."""
        m = self.model
        occupied: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
        for u in m.units:
            if u.active:
                occupied[u.node][u.faction].append(u)
        engaged: set[str] = set()
        for node, sides in list(occupied.items()):
            if len(sides) >= 2:
                f1, f2 = sorted(sides)[:2]
                if m.truce.fire_open(node, f1, node, f2):
                    self._engage(node, node, sides[f1], sides[f2], 1.0)
                    engaged.add(node)
        # Each pair of places exchanges fire at most once an hour, weaker with distance.
        for u_node, v_node, km in m.fire_edges:
            if u_node not in occupied or v_node not in occupied:
                continue
            for fa, ua in sorted(occupied[u_node].items()):
                for fb, ub in sorted(occupied[v_node].items()):
                    if fa == fb or u_node in engaged or v_node in engaged:
                        continue
                    if m.truce.fire_open(u_node, fa, v_node, fb):
                        self._engage(u_node, v_node, ua, ub, m.fire_factor(km))
        return engaged

    def _engage(
        self, node_a: str, node_b: str, side_a: list[Unit], side_b: list[Unit], factor: float
    ) -> None:
        """One hour of fighting between two groups, recorded in the battles under way."""
        m = self.model
        la, lb, _civ = self.exchange(node_a, node_b, side_a, side_b, factor)
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

    def exchange(
        self, node_a: str, node_b: str, side_a: list[Unit], side_b: list[Unit], factor: float
    ) -> tuple[float, float, float]:
        """Lanchester fire between two groups at `factor` of an hour's close engagement.

        Returns (losses of A, losses of B, civilian casualties), all counts of people; an empty
        side neither fires nor bleeds. Used by hourly engagements and by truce incidents."""
        m = self.model
        p = m.p
        a = sum(u.personnel for u in side_a)
        b = sum(u.personnel for u in side_b)
        if a <= 0 or b <= 0 or factor <= 0:
            return 0.0, 0.0, 0.0
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
        rng = m.streams["combat"]
        la = combat.realise(rng, a, la, noise)
        lb = combat.realise(rng, b, lb, noise)
        self._apply_losses(side_a, la)
        self._apply_losses(side_b, lb)
        civ = self._civilian_harm(place_a, (a + b) * factor)
        if node_b != node_a:
            civ += self._civilian_harm(place_b, (a + b) * factor)
        return la, lb, civ

    def _apply_losses(self, group: list[Unit], total: float) -> None:
        shares = combat.split(total, [u.personnel for u in group])
        for u, lost in zip(group, shares, strict=True):
            self.model.inflict(u, lost)

    def _civilian_harm(self, place: Place, engaged_personnel: float) -> float:
        """Civilian casualties and displacement where fighting reaches a populated place."""
        m = self.model
        if place.population <= 0:
            return 0.0
        rng = m.streams["civilians"]
        level = civilians.intensity(engaged_personnel)
        harm = float(
            rng.poisson(
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
            float(rng.binomial(int(place.population), share)) if place.population >= 1 else 0.0
        )
        if leaving > 0:
            place.population -= leaving
            place.displaced_out += leaving
            m.displaced += leaving
            refuge = self._refuge(place.name)
            if refuge is not None:
                m.places[refuge].population += leaving
        return harm

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
