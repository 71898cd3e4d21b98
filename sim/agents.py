"""Mesa agents: places on the road network, armed units that move along it, air assets,
factions that set objectives and patrons that answer their clients' calls.

Agents hold behaviour; the maths they use lives in `sim.dynamics`; the model does the wiring.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import CellAgent, FixedAgent

from sim.dynamics import air, combat
from sim.dynamics import supply as supply_fn

if TYPE_CHECKING:
    from sim.model import ConflictModel


_UNSEEN = object()  # a place an air asset has not sorted yet (None means: fire held there)


class Posture(Enum):
    HOLD = "hold"
    RESERVE = "reserve"
    ATTACK = "attack"
    WITHDRAW = "withdraw"


class Place(FixedAgent):
    """A town, city, checkpoint, airbase, port or road waypoint: who holds it and who lives there."""

    def __init__(self, model: ConflictModel, cell, name: str, attrs: dict):
        super().__init__(model)
        self.cell = cell
        self.name = name
        self.lat = attrs["lat"]
        self.lon = attrs["lon"]
        self.kind = attrs["kind"]
        self.waypoint = attrs["waypoint"]
        self.population = float(attrs["population"])
        self.value = attrs["value"]
        self.fortification = attrs["fortification"]
        self.depot = attrs["depot"]
        self.airbase = attrs["airbase"]
        self.controller: str = attrs["controller"]
        self.contested = self.controller == "contested"
        self.holder: str | None = None
        self.hold_hours = 0
        self.displaced_out = 0.0
        self.civilian_casualties = 0.0

    @property
    def status(self) -> str:
        """Controller as recorded: a faction, or 'contested' while both sides are present."""
        return "contested" if self.contested else self.controller

    def settled(self, present: set[str]) -> bool:
        """True when `update_control(present)` would change nothing: no hold count running, not
        contested, and nobody here or only its controller (most places, most hours)."""
        return (
            self.holder is None
            and not self.contested
            and (not present or (len(present) == 1 and self.controller in present))
        )

    def update_control(self, present: set[str], hold_needed: int) -> str | None:
        """Advance the hold counter; return the new controller when control passes."""
        if len(present) > 1:
            self.contested = True
            self.holder, self.hold_hours = None, 0
            return None
        if not present:
            self.holder, self.hold_hours = None, 0
            if self.contested and self.controller != "contested":
                self.contested = False
            return None
        (side,) = present
        if side == self.controller:
            self.contested = False
            self.holder, self.hold_hours = None, 0
            return None
        if self.holder != side:
            self.holder, self.hold_hours = side, 0
        self.hold_hours += 1
        if self.hold_hours >= hold_needed:
            self.controller = side
            self.contested = False
            self.holder, self.hold_hours = None, 0
            return side
        return None


class Unit(CellAgent):
    """An armed formation: personnel, firepower, morale, supply, posture and a route on the roads."""

    def __init__(
        self,
        model: ConflictModel,
        cell,
        uid: str,
        name: str,
        faction: str,
        personnel: float,
        firepower: float,
        speed_kmh: float,
        posture: Posture,
        patron: str | None = None,
    ):
        super().__init__(model)
        self.cell = cell
        self.uid = uid
        self.name = name
        self.faction = faction
        self.patron = patron
        self.personnel = float(personnel)
        self.firepower = firepower
        self.speed_kmh = speed_kmh
        self.posture = posture
        self.morale = 1.0
        self.supply = 1.0
        self.route: list[str] = []
        self.progress_km = 0.0
        self.objective: str | None = None
        self.compliant = False
        self.lost_this_hour = 0.0
        self.in_contact = False
        self.encircled = False
        self.local = False
        self.attack_since: float | None = None  # when a local attack was ordered
        self.eff = 0.0  # effectiveness, cached by the model's unit_strength under eff_key
        self.eff_key: tuple | None = None

    @property
    def cell(self):
        return self._mesa_cell

    @cell.setter
    def cell(self, cell) -> None:
        # The node is read hundreds of thousands of times a run: kept as a plain attribute
        # instead of going through Mesa's cell property each time. The model's occupancy (units
        # by node, in the cell's own order) follows every move here instead of being rebuilt.
        old = self._mesa_cell
        if cell is old:
            return
        CellAgent.cell.fset(self, cell)
        self.model.occupancy_version += 1
        occupancy = self.model.occupancy
        if old is not None:
            occupancy[old.coordinate].remove(self)
        self.node: str = cell.coordinate if cell is not None else None
        if cell is not None:
            occupancy[self.node].append(self)

    @property
    def active(self) -> bool:
        """Counts for holding, contesting and fighting. A local militia below the minimum size
        still defends its town: only a mobile remnant that small stops counting."""
        if self.local:
            return self.personnel >= 1.0
        return self.personnel >= self.model.min_personnel

    def set_route(self, target: str, path: list[str] | None = None) -> None:
        """Head for `target` along the shortest road (or the path given)."""
        if path is None:
            path = self.model.paths[self.node][target]
        if self.route and path[1:2] != self.route[:1]:
            self.progress_km = 0.0
        self.route = list(path[1:])
        self.objective = target

    def halt(self) -> None:
        self.route = []
        self.progress_km = 0.0
        self.objective = None

    def move(self) -> None:
        """Advance along the route; stop to take hostile ground or where the enemy stands."""
        if not self.route or not self.active:
            return
        m = self.model
        if self.posture != Posture.WITHDRAW and m.places[self.node].controller != self.faction:
            return  # stay until the place it is taking is secured
        budget = (
            self.speed_kmh
            * m.p["movement.speed_factor"]
            * supply_fn.speed_factor(self.supply, m.p["supply.speed_floor"])
        )
        while self.route and budget > 0:
            nxt = self.route[0]
            edge_km = m.network.graph.edges[self.node, nxt]["km"]
            if self.posture != Posture.WITHDRAW and not m.may_advance_into(self, nxt):
                # Advance to contact: close up to weapon range of the defended place, no further.
                limit = max(edge_km - m.p["combat.contact_standoff_km"], 0.0)
                self.progress_km = max(self.progress_km, min(limit, self.progress_km + budget))
                break
            step = min(budget, edge_km - self.progress_km)
            self.progress_km += step
            budget -= step
            if self.progress_km < edge_km:
                break
            self.progress_km = 0.0
            self.cell = m.grid[nxt]
            self.route.pop(0)
            if self._must_stop_at(nxt):
                break
        if not self.route:
            self.progress_km = 0.0
            if self.posture == Posture.WITHDRAW:
                self.posture = Posture.HOLD
                self.objective = None

    def _must_stop_at(self, node: str) -> bool:
        m = self.model
        if m.hostile_present(node, self.faction):
            return True
        if self.posture == Posture.WITHDRAW:
            return False
        place = m.places[node]
        return place.controller != self.faction


class AirAsset(Agent):
    """Drones, aircraft or air defence of a faction or patron (`owner`), flying for `faction`
    from an airbase.

    Strike sorties fly at `air.<faction>.<kind>_strikes_per_day` per airframe (calibrated to
    UNSMIL's counts, config/parameters.yaml) at enemy units in contact or on the move within
    reach; a sortie into enemy air-defence cover may lose its airframe (`lost`). Under a truce
    the assets of a party's own air arm hold fire where the truce binds it; a patron's assets
    follow their patron's own decision (`Patron.complies`), not their client's.
    """

    def __init__(
        self,
        model: ConflictModel,
        aid: str,
        name: str,
        owner: str,
        faction: str,
        kind: str,
        base: str,
        count: int,
        radius_km: float,
    ):
        super().__init__(model)
        self.aid = aid
        self.name = name
        self.owner = owner
        self.faction = faction
        self.kind = kind
        self.base = base
        self.count = count
        self.radius_km = radius_km
        self.lost = 0  # airframes lost to air defence
        self.sorties = 0  # strike sorties flown

    @staticmethod
    def sampled_count(model: ConflictModel, low: int | None, best: int, high: int | None) -> int:
        """An asset's airframes or systems: the best estimate, or with `air.sample_counts` a draw
        from the triangular distribution on its stated range with the estimate as mode (as
        force sizes, `ConflictModel._sampled_personnel`), from the `forces` stream."""
        if model.p["air.sample_counts"] < 0.5 or low is None or high is None or low >= high:
            return best
        mode = min(max(best, low), high)
        return round(float(model.streams["forces"].triangular(low, mode, high)))

    @property
    def strikes(self) -> bool:
        return self.kind in ("drone", "aircraft") and self.count > 0

    def holds_fire(self, node: str) -> bool:
        """Whether a truce keeps this asset from striking at `node`: it binds the client there
        and the operator complies (a party's air arm always; a patron by its own draw)."""
        m = self.model
        if not m.truce.bound(self.faction, node):
            return False
        return self.owner not in m.patrons or self.patron_holds_fire()

    def patron_holds_fire(self) -> bool:
        """Whether the patron operating this asset, if one does, chose to keep the truce in
        force (its own draw, `Patron.complies`); False for a party's own air arm."""
        patron = self.model.patrons.get(self.owner)
        return patron is not None and patron.complies()

    def fly_sorties(self) -> None:
        """Fly this hour's sorties at enemy units in contact, or on the move, within reach.

        The sorties are drawn only when there is something to strike (the draw is the same
        Poisson whenever it is made; most hours most assets have no target)."""
        m = self.model
        if m.places[self.base].controller != self.faction:
            new = m.nearest_airbase(self.base, self.faction)
            if new is None:
                return
            self.base = new
        reach = m.reach(self.base, self.radius_km)
        engaged, moving = [], []
        # node -> where its targets go: None (a truce holds this asset's fire there: its
        # strikes are incidents), engaged or moving; asked at the first target found there
        pools: dict[str, list[Unit] | None] = {}
        ongoing = m.battlefield.ongoing
        for u in m.strike_candidates(self.faction):
            node = u.node
            if node not in reach or not u.active:
                continue
            pool = pools.get(node, _UNSEEN)
            if pool is _UNSEEN:
                held = self.holds_fire(node)
                pool = pools[node] = None if held else engaged if node in ongoing else moving
            if pool is not None:
                pool.append(u)
        pool = engaged or moving
        if not pool:
            return
        rng = m.streams["air"]
        per_day = m.p[f"air.{self.faction}.{self.kind}_strikes_per_day"]
        n = rng.poisson(air.expected_sorties(self.count, per_day))
        for _ in range(int(n)):
            if self.count <= 0 or not any(u.personnel > 0 for u in pool):
                break  # (the second: this hour's earlier sorties left no one to draw)
            self._strike(self._pick(pool, rng), rng)

    @staticmethod
    def _pick(pool: list[Unit], rng: np.random.Generator) -> Unit:
        """A target drawn in proportion to personnel (bigger formations are easier to find)."""
        return pool[combat.weighted_index(rng, [u.personnel for u in pool])]

    def strike_now(self, pool: list[Unit], stream: str) -> tuple[float, float]:
        """One sortie at a unit of `pool` for a truce incident, which logs it (as a violation,
        not also as a strike); returns (personnel lost, civilian casualties)."""
        rng = self.model.streams[stream]
        return self._strike(self._pick(pool, rng), rng, log=False)

    def _strike(
        self, target: Unit, rng: np.random.Generator, log: bool = True
    ) -> tuple[float, float]:
        m = self.model
        self.sorties += 1
        m.air_sorties.append((m.time, self.faction, target.node))
        defences = m.air_defences_over(target.node, self.faction)
        p_hit = air.hit_probability(
            m.p["air.hit_probability"], defences, m.p["air.defence_suppression"]
        )
        place = m.places[target.node]
        lost = civ = 0.0
        if rng.random() < p_hit:
            lost = air.killed_per_hit(
                rng, m.p["air.losses_per_hit"], m.p["air.losses_dispersion"], target.personnel
            )
            # The deaths are drawn first; the wounded that go with them at the killed share.
            wounded = combat.wounded_for_killed(rng, lost, m.p["losses.killed_share"])
            m.inflict(target, lost, min(wounded, max(target.personnel - lost, 0.0)))
            civ = m.battlefield.strike_harm(place, rng)
        outcome = f"{lost:.0f} killed" if lost else "no one killed"
        text = f"{self.name} strikes {target.name} at {target.node}: {outcome}"
        if log and m.truce.bound(self.faction, target.node):
            # A patron that did not comply strikes where the truce binds its client: an incident.
            m.truce.air_incident(self.faction, target.node, target.faction, lost, civ, text)
        elif log:  # every strike, as UNSMIL counted them, a miss with no one killed
            m.log(
                "strike", target.node, f"{self.faction},{target.faction}", lost, text,
                civilian=civ,
            )  # fmt: skip
        if defences and rng.random() < air.loss_probability(m.p["air.loss_probability"], defences):
            self.count -= 1
            self.lost += 1
            m.log(
                "air_loss",
                target.node,
                f"{target.faction},{self.faction}",
                0.0,
                f"{self.name} lost to air defence",
            )
        return lost, civ
