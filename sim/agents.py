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

from sim.dynamics import air, civilians
from sim.dynamics import supply as supply_fn

if TYPE_CHECKING:
    from sim.model import ConflictModel


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

    @property
    def cell(self):
        return self._mesa_cell

    @cell.setter
    def cell(self, cell) -> None:
        # The node is read hundreds of thousands of times a run: kept as a plain attribute
        # instead of going through Mesa's cell property each time.
        CellAgent.cell.fset(self, cell)
        self.node: str = cell.coordinate if cell is not None else None

    @property
    def active(self) -> bool:
        return self.personnel >= self.model.p["control.min_personnel"]

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
        if self.compliant and self.posture != Posture.WITHDRAW:
            return
        if self.posture != Posture.WITHDRAW and m.places[self.node].controller != self.faction:
            return  # stay until the place it is taking is secured
        budget = self.speed_kmh * m.p["movement.speed_factor"] * supply_fn.speed_factor(self.supply)
        while self.route and budget > 0:
            nxt = self.route[0]
            edge_km = m.network.graph.edges[self.node, nxt]["km"]
            if self.posture != Posture.WITHDRAW and not m.may_advance_into(self, nxt):
                # Advance to contact: close up to weapon range of the defended place, no further.
                limit = max(edge_km - m.p["combat.range_km"], 0.0)
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
    """Drones, aircraft or air defence of a faction or patron, based at an airbase."""

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
        self.compliant = False

    @property
    def strikes(self) -> bool:
        return self.kind in ("drone", "aircraft") and self.count > 0

    def step(self) -> None:
        if self.strikes and not self.compliant:
            self.fly_sorties()

    def fly_sorties(self) -> None:
        """Fly this hour's sorties at enemy units in contact, or on the move, within reach."""
        m = self.model
        if m.places[self.base].controller != self.faction:
            new = m.nearest_airbase(self.base, self.faction)
            if new is None:
                return
            self.base = new
        per_day = m.p[f"air.{'drone' if self.kind == 'drone' else 'aircraft'}_sorties_per_day"]
        n = m.rng.poisson(air.expected_sorties(self.count, per_day))
        if n == 0:
            return
        reach = m.reach(self.base, self.radius_km)
        targets = [u for u in m.units if u.faction != self.faction and u.active and u.node in reach]
        if not targets:
            return
        engaged = [u for u in targets if m.battlefield.engaged_at(u.node)]
        pool = engaged or [u for u in targets if u.route and u.progress_km > 0]
        if not pool:
            return
        for _ in range(int(n)):
            if self.count <= 0:
                break
            weights = np.array([u.personnel for u in pool])
            if weights.sum() <= 0:  # this hour's earlier sorties left no one in the pool
                break
            target = pool[int(m.rng.choice(len(pool), p=weights / weights.sum()))]
            self._strike(target)

    def _strike(self, target: Unit) -> None:
        m = self.model
        defences = m.air_defences_over(target.node, self.faction)
        p_hit = air.hit_probability(
            m.p["air.hit_probability"], defences, m.p["air.defence_suppression"]
        )
        place = m.places[target.node]
        if m.rng.random() < p_hit:
            lost = air.strike_losses(m.rng, m.p["air.losses_per_hit"], target.personnel)
            target.personnel -= lost
            target.lost_this_hour += lost
            m.losses[target.faction] += lost
            civ = 0.0
            if place.population > 0:
                civ = float(
                    m.rng.poisson(
                        civilians.expected_strike_harm(
                            place.population, m.p["civilians.strike_harm"]
                        )
                    )
                )
                civ = min(civ, place.population)
                place.population -= civ
                place.civilian_casualties += civ
                m.civilian_casualties += civ
            m.log(
                "strike", target.node, f"{self.faction},{target.faction}", lost,
                f"{self.name} strikes {target.name} at {target.node}: {lost:.0f} killed", civilian=civ,
            )  # fmt: skip
            if m.in_truce(self.faction):
                m.violation(
                    self.base,
                    target.node,
                    self.faction,
                    f"{self.name} strike during the ceasefire",
                )
        if defences and m.rng.random() < air.loss_probability(
            m.p["air.loss_probability"], defences
        ):
            self.count -= 1
            m.log(
                "air_loss",
                target.node,
                f"{target.faction},{self.faction}",
                0.0,
                f"{self.name} lost to air defence",
            )


class Faction(Agent):
    """A side: offensive targets, and the decisions that turn them into unit routes."""

    def __init__(self, model: ConflictModel, key: str, name: str, capital: str):
        super().__init__(model)
        self.key = key
        self.name = name
        self.capital = capital
        self.targets: list[str] = []
        self.offensive_units: set[str] = set()
        self.bound_by_ceasefire = False

    def units(self) -> list[Unit]:
        return [u for u in self.model.units if u.faction == self.key and u.active]

    def current_target(self) -> str | None:
        for t in self.targets:
            if self.model.places[t].controller != self.key:
                return t
        return None

    def decide(self) -> None:
        """Every few hours: route attackers to their targets; maybe start a local attack."""
        m = self.model
        target = self.current_target()
        regroup = m.p["faction.regroup_morale"]
        for u in self.units():
            if u.uid in self.offensive_units and u.posture == Posture.HOLD and u.morale >= regroup:
                u.posture = Posture.ATTACK  # back to the offensive once it has regrouped
            if u.posture != Posture.ATTACK or u.compliant:
                continue
            if u.uid in self.offensive_units:
                goal = target
            elif u.objective and m.places[u.objective].controller != self.key:
                goal = u.objective
            else:
                goal = None
            if goal is None:
                u.posture = Posture.HOLD
                u.halt()
            elif goal != u.objective or not u.route:
                u.set_route(goal)
        smap = m.strength_map()  # routes and postures above do not change it
        if not self.bound_by_ceasefire:
            self._maybe_local_attack(smap)
        self._reinforce(smap)

    def _reinforce(self, smap: dict[str, dict[str, float]]) -> None:
        """Send one spare unit toward the most endangered friendly city, if any is outmatched."""
        m = self.model
        target = m.most_endangered(self.key, smap)
        if target is None:
            return
        unit = m.spare_unit(self.key, target, smap)
        if unit is None:
            return
        unit.posture = Posture.HOLD
        unit.set_route(target)
        m.log(
            "reinforce",
            target,
            self.key,
            0.0,
            f"{self.key} sends {unit.name} from {unit.node} to {target}",
        )

    def _maybe_local_attack(self, smap: dict[str, dict[str, float]]) -> None:
        m = self.model
        p_day = m.p[f"faction.{self.key}.aggression"]
        chance = 1.0 - (1.0 - p_day) ** (m.p["faction.decision_interval_hours"] / 24.0)
        if m.random.random() >= chance:
            return
        best = m.best_local_attack(self.key, smap)
        if best is None:
            return
        unit, target = best
        unit.posture = Posture.ATTACK
        unit.set_route(target)
        m.log(
            "offensive",
            target,
            self.key,
            0.0,
            f"{self.key} local attack by {unit.name} on {target}",
        )


class Patron(Agent):
    """A foreign backer that deploys troops or drones when its client asks."""

    def __init__(self, model: ConflictModel, key: str, name: str, client: str):
        super().__init__(model)
        self.key = key
        self.name = name
        self.client = client
        self.requested_at: float | None = None
        self.deployments = 0

    def step(self) -> None:
        """The client asks once enemy-held ground nears its capital or its most valuable city."""
        m = self.model
        troops = m.p[f"patron.{self.key}.troops"]
        drones = m.p[f"patron.{self.key}.drones"]
        if self.requested_at is not None or (troops <= 0 and drones <= 0):
            return
        threatened = m.threatened_place(self.client, m.p[f"patron.{self.key}.trigger_km"])
        if threatened is None:
            return
        self.requested_at = m.time
        delay = m.p[f"patron.{self.key}.delay_days"] * 24.0
        m.log(
            "request",
            threatened,
            f"{self.client},{self.key}",
            0.0,
            f"{self.client} asks {self.name} for help: enemy within reach of {threatened}",
        )
        m.schedule_deployment(
            self.key,
            threatened,
            personnel=troops,
            firepower=m.p[f"patron.{self.key}.firepower"],
            drones=int(drones),
            air_defence=0,
            delay_hours=delay,
            name=f"{self.name} contingent",
        )
