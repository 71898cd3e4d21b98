"""Ground engagements: who fights where each hour, the losses, the civilians caught in it, and
the running record of each battle that becomes one `engagement` event per place and day.

Losses, defined once: personnel a unit loses are `killed`, `wounded` (together: casualties,
which leave the unit) or `captured` (surrendered or dispersed: no casualties). The ledgers here
hold each faction's three; an engagement event's `casualties` are the killed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sim.agents import Place, Unit
from sim.dynamics import combat
from sim.population import Civilians

if TYPE_CHECKING:
    from sim.model import ConflictModel


class Battlefield:
    """Hourly Lanchester exchanges, and the battles under way (place -> running record)."""

    def __init__(self, model: ConflictModel):
        self.model = model
        self.ongoing: dict[str, dict[str, Any]] = {}
        self.killed: dict[str, float] = defaultdict(float)
        self.wounded: dict[str, float] = defaultdict(float)
        self.captured: dict[str, float] = defaultdict(float)
        self.civilians = Civilians(model)
        self._by_distance: dict[str, list[str]] = {}  # place -> all places, nearest first
        self._plan_key: tuple | None = None
        self._plan: tuple[list, set[str]] = ([], set())

    def book_captured(self, faction: str, captured: float) -> None:
        """Personnel who surrendered or dispersed: lost to the faction, not casualties."""
        self.captured[faction] += captured

    def fight(self) -> set[str]:
        """Hourly Lanchester exchanges at shared places and across road segments within fire
        range, where the truce leaves fire open; returns the places that saw fighting."""
        m = self.model
        key = (m.occupancy_version, m._p_version, m.truce.version)
        if key != self._plan_key:
            self._plan, self._plan_key = self.plan(), key
        elif m.verify_caches:
            assert self.plan() == self._plan, f"engagement plan stale at hour {m.time}"
        plan, engaged = self._plan
        engage = self._engage
        for node_a, node_b, side_a, side_b, factor in plan:
            engage(node_a, node_b, side_a, side_b, factor)
        return set(engaged)

    def plan(self) -> tuple[list[tuple[str, str, list[Unit], list[Unit], float]], set[str]]:
        """Who fires on whom this hour: (node A, node B, A's units, B's units, fire factor) in
        the order they fight, and the places where two sides stand together and fight. Depends
        only on who stands where (active units, in creation order), the truce's state and the
        parameters, so `fight` keeps it until one of them changes."""
        m = self.model
        occupied: dict[str, dict[str, list[Unit]]] = {}
        least = m.min_personnel
        for u in m._units:
            if u.personnel >= (1.0 if u.local else least):  # Unit.active, inlined
                sides = occupied.get(u.node)
                if sides is None:
                    sides = occupied[u.node] = {}
                group = sides.get(u.faction)
                if group is None:
                    sides[u.faction] = [u]
                else:
                    group.append(u)
        plan: list[tuple[str, str, list[Unit], list[Unit], float]] = []
        engaged: set[str] = set()
        fire_open = m.truce.fire_open
        for node, sides in occupied.items():
            if len(sides) >= 2:
                f1, f2 = sorted(sides)[:2]
                if fire_open(node, f1, node, f2):
                    plan.append((node, node, sides[f1], sides[f2], 1.0))
                    engaged.add(node)
        # Each pair of places exchanges fire at most once an hour, weaker with distance.
        by_side = {node: sorted(sides.items()) for node, sides in occupied.items()}
        for u_node, v_node, km in m.fire_edges:
            if u_node not in occupied or v_node not in occupied:
                continue
            if u_node in engaged or v_node in engaged:
                continue
            for fa, ua in by_side[u_node]:
                for fb, ub in by_side[v_node]:
                    if fa != fb and fire_open(u_node, fa, v_node, fb):
                        plan.append((u_node, v_node, ua, ub, m.fire_factor(km)))
        return plan, engaged

    def _engage(
        self, node_a: str, node_b: str, side_a: list[Unit], side_b: list[Unit], factor: float
    ) -> None:
        """One hour of fighting between two groups, recorded in the battles under way."""
        now = self.model._time  # Model.time's value without its descriptor (hot)
        ka, kb, _civ = self.exchange(node_a, node_b, side_a, side_b, factor)
        for node, group, lost in ((node_a, side_a, ka), (node_b, side_b, kb)):
            battle = self.ongoing.get(node)
            if battle is None:
                battle = self.ongoing[node] = {
                    "start": now - 1,
                    "hours": 0,
                    "losses": defaultdict(float),
                    "civ": 0.0,
                    "seen": -1,
                }
            if battle["seen"] != now:
                battle["hours"] += 1
                battle["seen"] = now
            battle["losses"][group[0].faction] += lost
            for other in (side_a[0].faction, side_b[0].faction):
                battle["losses"][other] += 0.0  # both sides are party to it, even with no loss

    def exchange(
        self,
        node_a: str,
        node_b: str,
        side_a: list[Unit],
        side_b: list[Unit],
        factor: float,
        stream: str | None = None,
    ) -> tuple[float, float, float]:
        """Lanchester fire between two groups at `factor` of an hour's close engagement.

        Returns (killed of A, killed of B, civilians killed), counts of people (the wounded go
        onto the ledgers only); an empty side neither fires nor bleeds. Used by hourly engagements, probes and truce incidents;
        `stream` names the random stream of its draws (default: combat, and civilians for the
        harm), so that incidents draw from their own and leave the war's streams in step."""
        m = self.model
        p = m.p
        a, strength_a = m.group_totals(side_a)
        b, strength_b = m.group_totals(side_b)
        if a <= 0 or b <= 0 or factor <= 0:
            return 0.0, 0.0, 0.0
        ka = factor * strength_a / a
        kb = factor * strength_b / b
        fort_w = p["combat.fortification_weight"]
        place_a, place_b = m.places[node_a], m.places[node_b]
        if place_a.controller == side_a[0].faction:
            kb *= 1.0 - place_a.fortification * fort_w
        if place_b.controller == side_b[0].faction:
            ka *= 1.0 - place_b.fortification * fort_w
        la, lb = combat.expected_losses(
            a, b, ka, kb, p["combat.aimed_rate"], p["combat.area_rate"],
            p["combat.square_weight"], p["combat.helmbold_w"],
        )  # fmt: skip
        noise = p["combat.noise"] >= 0.5
        rng = m.streams[stream or "combat"]
        la = combat.realise(rng, a, la, noise)
        lb = combat.realise(rng, b, lb, noise)
        killed_a = self._apply_losses(side_a, la, rng, noise)
        killed_b = self._apply_losses(side_b, lb, rng, noise)
        civ = self._civilian_harm(place_a, (a + b) * factor, stream)
        if node_b != node_a:
            civ += self._civilian_harm(place_b, (a + b) * factor, stream)
        return killed_a, killed_b, civ

    def _apply_losses(self, group: list[Unit], total: float, rng: Any, noise: bool) -> float:
        """Split a group's casualties into killed and wounded (`losses.killed_share`; whole
        people when drawn), then share each among its units by personnel; returns the killed."""
        if total <= 0:  # nine in ten of a run's exchanges: nothing to split, nothing drawn
            return 0.0
        m = self.model
        killed, wounded = combat.split_casualties(rng, total, m.p["losses.killed_share"], noise)
        weights = [u.personnel for u in group]
        inflict = m.inflict
        for u, k, w in zip(
            group, combat.split(killed, weights), combat.split(wounded, weights), strict=True
        ):
            inflict(u, k, w)
        return killed

    def _civilian_harm(
        self, place: Place, engaged_personnel: float, stream: str | None = None
    ) -> float:
        """Stand-off fire on, and flight from, a populated place the fighting reaches; returns
        the civilians killed."""
        if place.population <= 0:
            return 0.0
        rng = self.model.streams[stream or "civilians"]
        killed = self.civilians.ground_fire(place, engaged_personnel, rng)
        if place.name in self.ongoing:
            self.ongoing[place.name]["civ"] += killed
        return killed

    def strike_harm(self, place: Place, rng: Any) -> float:
        """Civilians killed by a strike that hit a target in `place` (heavy-tailed, front-line
        residents only; see `Civilians.strike`). The call the air war makes."""
        return self.civilians.strike(place, rng)

    def refuge(self, node: str) -> str | None:
        """The nearest populated place with no fighting, held by the same side."""
        m = self.model
        owner = m.places[node].controller
        order = self._by_distance.get(node)
        if order is None:  # road distances are fixed for the run: sorted once per place
            order = self._by_distance[node] = [
                other for other, _km in sorted(m.dist[node].items(), key=lambda kv: kv[1])
            ]
        for other in order:
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
        now = m.time
        day_end = round(now) % 24 == 0
        for node in list(self.ongoing):
            battle = self.ongoing[node]
            if (battle["seen"] == now or node in engaged) and not (day_end or force):
                continue
            self._log_battle(node, battle)
            del self.ongoing[node]

    def _log_battle(self, node: str, battle: dict) -> None:
        m = self.model
        losses = battle["losses"]
        sides = sorted(losses)
        detail = ", ".join(f"{f} {losses[f]:.0f} killed" for f in sides)
        m.log(
            "engagement", node, ",".join(sides), sum(losses.values()),
            f"{battle['hours']} h of fighting at {node}: {detail}", hour=battle["start"],
            civilian=battle["civ"], duration=battle["hours"],
        )  # fmt: skip
