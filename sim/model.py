"""The Mesa model: wires places, units, air assets, factions and patrons on the road network.

One step is one hour. Within an hour: due scenario events (Mesa's event list), faction and
patron decisions every few hours, movement, ground engagements, air sorties, supply, morale and
withdrawal, control, the ceasefire. The maths lives in `sim.dynamics`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from enum import Enum
from typing import Any

import networkx as nx
import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from sim.agents import AirAsset, Faction, Patron, Place, Posture, Unit
from sim.battle import Battlefield
from sim.config import (
    CeasefireEvent,
    DefectionEvent,
    DeploymentEvent,
    NoteEvent,
    OffensiveEvent,
    ReinforceEvent,
    SetEvent,
    Setup,
    UnitSpec,
)
from sim.dynamics import ceasefire, combat, morale, supply
from sim.network import RoadNetwork, build_network


class CeasefireState(Enum):
    NONE = "none"
    ACTIVE = "active"
    COLLAPSED = "collapsed"


BROKEN_MORALE = 0.1  # below this a unit with no way out gives up rather than fight on


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


class ConflictModel(Model):
    """A conflict on a road network, stepped hourly from the scenario's start to its end."""

    def __init__(
        self,
        setup: Setup,
        params: dict[str, float],
        seed: int,
        network: RoadNetwork | None = None,
        run_id: int = 0,
    ):
        super().__init__(rng=int(seed))
        self._units: list[Unit] = []
        self.setup = setup
        self.sc = setup.scenario
        self.theater = setup.theater
        self.p = dict(params)
        self.run_id = run_id
        self.network = network or build_network(self.theater)
        self.grid = Network(self.network.graph, layout=self.network.positions(), random=self.random)
        self.dist, self.paths = self.network.all_pairs()
        self.hour = 0
        self._callbacks: list[functools.partial] = []

        self.places: dict[str, Place] = {
            name: Place(self, self.grid._cells[name], name, attrs)
            for name, attrs in self.network.graph.nodes(data=True)
        }
        for name, ctl in self.sc.control.items():
            place = self.places[self.network.resolve(name)]
            place.controller, place.contested = ctl, ctl == "contested"
        self.factions = {
            k: Faction(self, k, f.name, self.network.resolve(f.capital))
            for k, f in self.theater.factions.items()
        }
        self.patrons = {
            k: Patron(self, k, pat.name, pat.client) for k, pat in self.theater.patrons.items()
        }
        self.unit_by_id: dict[str, Unit] = {}
        removed = set(self.sc.remove_units)
        for spec in [*self.theater.units, *self.sc.units]:
            if spec.id not in removed:
                self._add_unit(spec)
        self._add_local_defence()
        for a in self.theater.air:
            AirAsset(
                self, a.id, a.name, a.owner, a.faction, a.kind, self.network.resolve(a.base),
                a.count, a.radius_km,
            )  # fmt: skip

        self.east = self.places[self.network.axis[-1]].controller
        self.initial = self.personnel_by_faction()
        self.reinforcements: dict[str, float] = defaultdict(float)
        self.losses: dict[str, float] = defaultdict(float)
        self.civilian_casualties = 0.0
        self.displaced = 0.0
        self.key_places = self._key_places()
        self.captured_at: dict[str, float] = {}
        self.ceasefire = CeasefireState.NONE
        self.ceasefire_parties: set[str] = set()
        self.tension = 0.0
        self.violations = 0
        self.first_violation: float | None = None
        self.collapsed_at: float | None = None
        self.violation_links: dict[frozenset[str], float] = {}  # node pair -> fire until
        self._violators: set[tuple[str, str]] = set()
        self.deployments = 0
        self.battlefield = Battlefield(self)
        self.air_cover: dict[str, set[str]] = {}
        self._supplied: dict[str, dict[str, float]] = {}
        self._control_version = 0
        self._supply_version = -1
        self.short_edges = [
            (u, v)
            for u, v, km in self.network.graph.edges(data="km")
            if km <= self.p["combat.range_km"]
        ]

        self.rows_timeseries: list[dict] = []
        self.rows_control: list[dict] = []
        self.rows_units: list[dict] = []
        self.rows_events: list[dict] = []
        self._schedule_scenario_events()
        self._refresh_air_cover()
        self.record()

    # --- construction -----------------------------------------------------------------------

    def _add_unit(self, spec: UnitSpec) -> Unit:
        node = self.network.resolve(spec.place)
        unit = Unit(
            self, self.grid._cells[node], spec.id, spec.name, spec.faction, spec.personnel,
            spec.firepower, spec.speed_kmh, Posture(spec.posture), spec.patron,
        )  # fmt: skip
        self.unit_by_id[spec.id] = unit
        return unit

    def _add_local_defence(self) -> None:
        """Immobile militias of each populated place, siding with whoever holds it at the start."""
        share = self.p["control.local_defence_share"]
        for name, place in self.places.items():
            n = round(place.population * share)
            if (
                place.waypoint
                or place.controller not in self.factions
                or n < self.p["control.min_personnel"]
            ):
                continue
            unit = Unit(
                self, place.cell, f"local_{slug(name)}", f"Local defence ({name})", place.controller,
                n, self.p["control.local_defence_firepower"], 0.0, Posture.HOLD,
            )  # fmt: skip
            unit.local = True
            self.unit_by_id[unit.uid] = unit

    def _key_places(self) -> list[str]:
        names = {self.network.resolve(n) for n in self.theater.key_places}
        for ev in self.sc.events:
            if isinstance(ev, OffensiveEvent):
                names.update(self.network.resolve(t) for t in ev.targets)
        names.update(f.capital for f in self.factions.values())
        return sorted(names)

    def _schedule_scenario_events(self) -> None:
        handlers = {
            OffensiveEvent: self._on_offensive,
            ReinforceEvent: self._on_reinforce,
            CeasefireEvent: self._on_ceasefire,
            DeploymentEvent: self._on_deployment,
            DefectionEvent: self._on_defection,
            SetEvent: self._on_set,
            NoteEvent: self._on_note,
        }
        for ev in self.sc.events:
            self._at(self.sc.hour_of(ev.at), handlers[type(ev)], ev)

    def _at(self, hour: float, fn, *args, **kwargs) -> None:
        """Schedule a call; Mesa keeps weak references, so the partial is kept here."""
        cb = functools.partial(fn, *args, **kwargs)
        self._callbacks.append(cb)
        self.schedule_event(cb, at=max(hour, self.time))

    # --- scenario events --------------------------------------------------------------------

    def _on_offensive(self, ev: OffensiveEvent) -> None:
        f = self.factions[ev.faction]
        f.targets = [self.network.resolve(t) for t in ev.targets]
        if ev.units:
            chosen = [self.unit_by_id[u] for u in ev.units if u in self.unit_by_id]
        else:
            chosen = [u for u in f.units() if u.posture in (Posture.ATTACK, Posture.RESERVE)]
        for u in chosen:
            if u.faction == f.key and u.active:
                u.posture = Posture.ATTACK
                f.offensive_units.add(u.uid)
        self.log(
            "offensive",
            f.targets[0],
            f.key,
            0.0,
            ev.text or f"{f.key} offensive toward {', '.join(f.targets)}",
        )
        f.decide()

    def _on_reinforce(self, ev: ReinforceEvent) -> None:
        dest = self.network.resolve(ev.place)
        for uid in ev.units:
            u = self.unit_by_id.get(uid)
            if u is None or not u.active or u.faction != ev.faction:
                continue
            u.posture = Posture.HOLD
            u.set_route(dest)
        self.log("event", dest, ev.faction, 0.0, ev.text or f"{ev.faction} reinforces {dest}")

    def _on_ceasefire(self, ev: CeasefireEvent) -> None:
        self.ceasefire = CeasefireState.ACTIVE
        self.ceasefire_parties = set(ev.parties)
        self.tension = 0.0
        for key in ev.parties:
            self.factions[key].bound_by_ceasefire = True
        for u in self.units:
            self._draw_compliance(u)
        for a in self.assets:
            if a.faction in self.ceasefire_parties:
                a.compliant = (
                    self.random.random() < self.p[f"faction.{a.faction}.ceasefire_compliance"]
                )
        self.log("ceasefire", "", ",".join(ev.parties), 0.0, ev.text or "ceasefire takes effect")

    def _draw_compliance(self, u: Unit) -> None:
        if self.ceasefire != CeasefireState.ACTIVE or u.faction not in self.ceasefire_parties:
            return
        u.compliant = self.random.random() < self.p[f"faction.{u.faction}.ceasefire_compliance"]
        if u.compliant and u.posture != Posture.WITHDRAW:
            u.posture = Posture.HOLD
            u.halt()

    def _on_deployment(self, ev: DeploymentEvent) -> None:
        self.schedule_deployment(
            ev.patron, self.network.resolve(ev.place), personnel=ev.personnel,
            firepower=ev.firepower, drones=ev.drones, air_defence=ev.air_defence,
            delay_hours=ev.delay_hours, name=ev.name or f"{ev.patron} contingent", text=ev.text,
        )  # fmt: skip

    def schedule_deployment(self, patron: str, place: str, delay_hours: float, **kw) -> None:
        self._at(self.time + delay_hours, self._arrive, patron, place, **kw)

    def _arrive(
        self,
        patron: str,
        place: str,
        personnel: float,
        firepower: float,
        drones: int,
        air_defence: int,
        name: str,
        text: str = "",
    ) -> None:
        client = self.theater.patrons[patron].client
        node = self.nearest_held(place, client) or self.factions[client].capital
        if personnel > 0:
            uid = f"{slug(patron)}_{self.patrons[patron].deployments + 1}"
            spec = UnitSpec(
                id=uid, name=name, faction=client, patron=patron, place=node,
                personnel=int(personnel), firepower=firepower, source="deployment",
                speed_kmh=self.p[f"patron.{patron}.speed_kmh"],
            )  # fmt: skip
            unit = self._add_unit(spec)
            self.reinforcements[client] += unit.personnel
            self._draw_compliance(unit)
        for kind, count in (("drone", drones), ("air_defence", air_defence)):
            if count > 0:
                base = self.nearest_airbase(node, client) or node
                radius = self.p[f"patron.{patron}.{kind}_radius_km"]
                AirAsset(
                    self,
                    f"{patron}_{kind}",
                    f"{patron} {kind}",
                    patron,
                    client,
                    kind,
                    base,
                    count,
                    radius,
                )
        self.patrons[patron].deployments += 1
        self.deployments += 1
        msg = text or f"{name} arrives at {node}: {int(personnel)} personnel, {drones} drones"
        self.log("deployment", node, f"{client},{patron}", 0.0, msg)
        self._refresh_air_cover()

    def _on_defection(self, ev: DefectionEvent) -> None:
        u = self.unit_by_id.get(ev.unit)
        if u is None or u.faction == ev.to:
            return
        self.reinforcements[u.faction] -= u.personnel
        self.reinforcements[ev.to] += u.personnel
        old, u.faction = u.faction, ev.to
        u.posture, u.compliant = Posture.HOLD, False
        u.halt()
        for other in self.units_at(u.node):
            if other.faction == old:  # betrayal from inside shakes those left behind
                other.morale = max(0.0, other.morale - self.p["morale.defection_shock"])
        self.log(
            "defection",
            u.node,
            f"{old},{ev.to}",
            0.0,
            ev.text or f"{u.name} changes sides to {ev.to}",
        )

    def _on_set(self, ev: SetEvent) -> None:
        self.p.update(ev.params)
        self.log("event", "", "", 0.0, ev.text or f"parameters changed: {ev.params}")

    def _on_note(self, ev: NoteEvent) -> None:
        self.log("event", "", "", 0.0, ev.text)

    # --- queries used by agents -------------------------------------------------------------

    def register_agent(self, agent) -> None:
        super().register_agent(agent)
        if isinstance(agent, Unit):
            self._units.append(agent)  # kept in creation order, as Mesa's agent set is

    def deregister_agent(self, agent) -> None:
        super().deregister_agent(agent)
        if isinstance(agent, Unit):
            self._units.remove(agent)

    @property
    def units(self) -> list[Unit]:
        return list(self._units)

    @property
    def assets(self) -> list[AirAsset]:
        return list(self.agents_by_type.get(AirAsset, []))

    def units_at(self, node: str) -> list[Unit]:
        return [a for a in self.grid._cells[node].agents if isinstance(a, Unit) and a.active]

    def hostile_present(self, node: str, faction: str) -> bool:
        return any(u.faction != faction for u in self.units_at(node))

    def unit_strength(self, u: Unit) -> float:
        bonus = (
            self.p["combat.air_support_bonus"]
            if u.node in self.air_cover.get(u.faction, ())
            else 0.0
        )
        eff = combat.effectiveness(
            u.firepower, u.morale, u.supply, self.p["combat.morale_exponent"],
            self.p["combat.supply_exponent"], bonus,
        )  # fmt: skip
        return u.personnel * eff

    def strength(self, node: str, faction: str, hostile: bool = False) -> float:
        return sum(
            self.unit_strength(u)
            for u in self.units_at(node)
            if (u.faction != faction if hostile else u.faction == faction)
        )

    def may_advance_into(self, unit: Unit, nxt: str) -> bool:
        """Attack a defended or enemy-held place only with the odds; a ceasefire breach is logged."""
        enemy = self.strength(nxt, unit.faction, hostile=True)
        hostile_ground = enemy > 0 or self.places[nxt].controller != unit.faction
        if not hostile_ground:
            return True
        if (
            enemy > 0
            and self.converging(nxt, unit.faction)
            < self.p[f"faction.{unit.faction}.attack_ratio"] * enemy
        ):
            return False
        breach = self.in_truce(unit.faction)
        if breach and (unit.uid, nxt) not in self._violators:
            self._violators.add((unit.uid, nxt))
            self.violation(unit.node, nxt, unit.faction, f"{unit.name} advances on {nxt}")
        return True

    def converging(self, node: str, faction: str) -> float:
        """Strength of a faction's units at a node or heading for it next: who would attack together."""
        return sum(
            self.unit_strength(u)
            for u in self.units
            if u.faction == faction and u.active and (u.node == node or u.route[:1] == [node])
        )

    def threatened_place(self, faction: str, within_km: float) -> str | None:
        """The most endangered of the faction's capital and major cities (value >= 8), if any
        has enemy ground or units within `within_km`: endangered = enemy strength near / own."""
        capital = self.factions[faction].capital
        candidates = [
            n
            for n, p in self.places.items()
            if p.controller == faction and not p.waypoint and (p.value >= 8 or n == capital)
        ]
        best, best_danger = None, -1.0
        for name in sorted(candidates):
            near = [o for o, km in self.dist[name].items() if km <= within_km]
            enemy_ground = any(
                self.places[o].controller not in (faction, "contested") for o in near
            )
            enemy = sum(self.strength(o, faction, hostile=True) for o in near)
            if not enemy_ground and enemy == 0:
                continue
            danger = enemy / max(self.strength(name, faction), 1.0)
            if danger > best_danger:
                best, best_danger = name, danger
        return best

    def nearest_held(self, node: str, faction: str) -> str | None:
        held = [
            (km, n) for n, km in self.dist[node].items() if self.places[n].controller == faction
        ]
        return min(held)[1] if held else None

    def nearest_airbase(self, node: str, faction: str) -> str | None:
        bases = [
            (km, n)
            for n, km in self.dist[node].items()
            if self.places[n].airbase and self.places[n].controller == faction
        ]
        return min(bases)[1] if bases else None

    def strength_map(self) -> dict[str, dict[str, float]]:
        """Effective strength of each faction at each node, computed once per decision."""
        out: dict[str, dict[str, float]] = {f: defaultdict(float) for f in self.factions}
        for u in self.units:
            if u.active:
                out[u.faction][u.node] += self.unit_strength(u)
        return out

    def regional(
        self, node: str, faction: str, smap: dict[str, dict[str, float]]
    ) -> tuple[float, float]:
        """(friendly, hostile) strength within `faction.threat_km` of a node, by road."""
        reach = self.p["faction.threat_km"]
        near = [n for n, km in self.dist[node].items() if km <= reach]
        own = sum(smap[faction].get(n, 0.0) for n in near)
        hostile = sum(smap[f].get(n, 0.0) for f in smap if f != faction for n in near)
        return own, hostile

    def can_spare(self, u: Unit, smap: dict[str, dict[str, float]]) -> bool:
        """A unit may leave if its region stays at least even with the enemy without it."""
        own, hostile = self.regional(u.node, u.faction, smap)
        return own - self.unit_strength(u) >= hostile

    def best_local_attack(
        self, faction: str, smap: dict[str, dict[str, float]]
    ) -> tuple[Unit, str] | None:
        """A unit next to enemy ground where it has the odds, with the most valuable target."""
        best, best_score = None, 0.0
        ratio_needed = self.p[f"faction.{faction}.attack_ratio"]
        for u in self.factions[faction].units():
            if u.local or u.posture != Posture.HOLD or u.compliant or u.route:
                continue
            if not self.can_spare(u, smap):
                continue
            own = smap[faction][u.node]
            for nb, edge in self.network.graph[u.node].items():
                if edge["km"] > self.p["faction.threat_km"]:
                    continue
                place = self.places[nb]
                if place.controller == faction and not self.hostile_present(nb, faction):
                    continue
                enemy = sum(smap[f].get(nb, 0.0) for f in smap if f != faction)
                if enemy > 0 and own < ratio_needed * enemy:
                    continue
                score = (place.value + 1.0) / (1.0 + enemy / max(own, 1.0))
                if score > best_score:
                    best, best_score = (u, nb), score
        return best

    def most_endangered(self, faction: str, smap: dict[str, dict[str, float]]) -> str | None:
        """The friendly town or city (value >= 5) whose region is most outmatched by the enemy."""
        best, best_ratio = None, 1.0
        for name, place in self.places.items():
            if place.waypoint or place.value < 5 or place.status != faction:
                continue
            own, hostile = self.regional(name, faction, smap)
            ratio = hostile / max(own, 1.0)
            if ratio > best_ratio:
                best, best_ratio = name, ratio
        return best

    def spare_unit(
        self, faction: str, target: str, smap: dict[str, dict[str, float]]
    ) -> Unit | None:
        """The nearest spare unit within `faction.reinforce_km`, by a road through friendly ground."""
        options = []
        reach = self.p["faction.reinforce_km"]
        for u in self.factions[faction].units():
            if u.local or u.route or u.compliant or u.posture != Posture.HOLD or u.node == target:
                continue
            if u.uid in self.factions[faction].offensive_units or not self.can_spare(u, smap):
                continue
            km = self.dist[u.node].get(target)
            path = self.paths[u.node].get(target)
            if km is None or km > reach or any(self.places[n].status != faction for n in path[1:]):
                continue
            options.append((km, u.uid, u))
        return min(options)[2] if options else None

    def hostile_within(self, node: str, faction: str, km: float) -> bool:
        return any(self.hostile_present(n, faction) for n, d in self.dist[node].items() if d <= km)

    # --- the hour ---------------------------------------------------------------------------

    def step(self) -> None:
        self.hour = round(self.time)
        if (self.hour - 1) % int(self.p["faction.decision_interval_hours"]) == 0:
            for f in self.factions.values():
                f.decide()
            for pat in self.patrons.values():
                pat.step()
            self._refresh_air_cover()
        for u in self.units:
            u.lost_this_hour = 0.0
        self.agents_by_type[Unit].shuffle_do("move")
        engaged = self.battlefield.fight()
        if AirAsset in self.agents_by_type:
            self.agents_by_type[AirAsset].shuffle_do("step")
        self.battlefield.close(engaged)
        self._supply()
        self._morale_and_withdrawal()
        self._control()
        if self.ceasefire == CeasefireState.ACTIVE:
            self._ceasefire_hour()
        if self.hour % self.sc.sample_every_hours == 0 or self.hour >= self.sc.hours:
            self.record()

    def restrained(self, u: Unit, node: str) -> bool:
        if not u.compliant or self.ceasefire != CeasefireState.ACTIVE:
            return False
        return not any(
            node in link and until > self.time for link, until in self.violation_links.items()
        )

    # --- air --------------------------------------------------------------------------------

    def _refresh_air_cover(self) -> None:
        cover: dict[str, set[str]] = defaultdict(set)
        for a in self.assets:
            if a.strikes and self.places[a.base].controller == a.faction:
                cover[a.faction].update(self.reach(a.base, a.radius_km))
        self.air_cover = cover

    def reach(self, base: str, radius_km: float) -> frozenset[str]:
        """Places within a straight-line radius of a base (air cover, strikes, air defence)."""
        return self.network.within(base, radius_km)

    def air_defences_over(self, node: str, faction: str) -> int:
        """Enemy air-defence systems whose radius covers a node, as seen by `faction`'s aircraft."""
        return sum(
            d.count
            for d in self.assets
            if d.kind == "air_defence"
            and d.faction != faction
            and node in self.reach(d.base, d.radius_km)
        )

    def in_truce(self, faction: str) -> bool:
        return self.ceasefire == CeasefireState.ACTIVE and faction in self.ceasefire_parties

    # --- supply, morale, withdrawal, control --------------------------------------------------

    def _supply(self) -> None:
        if self._supply_version != self._control_version:
            g = self.network.graph
            for f in self.factions:
                friendly = {n for n, p in self.places.items() if p.controller == f}
                depots = [n for n in friendly if self.places[n].depot]
                self._supplied[f] = supply.supplied_nodes(
                    g, friendly, depots, self.p["supply.max_trace_km"]
                )
            self._supply_version = self._control_version
        for u in self.units:
            connected = u.node in self._supplied.get(u.faction, {})
            u.encircled = not connected
            u.supply = supply.update_supply(
                u.supply,
                connected,
                self.p["supply.decay_per_hour"],
                self.p["supply.resupply_per_hour"],
            )

    def _morale_and_withdrawal(self) -> None:
        p = self.p
        smap = self.strength_map()  # one snapshot, so the order of units does not matter
        for u in self.units:
            if u.personnel <= 0:
                continue
            enemy = sum(smap[f].get(u.node, 0.0) for f in smap if f != u.faction)
            u.in_contact = enemy > 0 or u.lost_this_hour > 0
            before = u.personnel + u.lost_this_hour
            u.morale = morale.update_morale(
                u.morale, u.lost_this_hour / before if before > 0 else 0.0, u.supply, u.encircled,
                u.in_contact, p["morale.loss_sensitivity"], p["morale.supply_sensitivity"],
                p["morale.encircled_penalty"], p["morale.recovery_per_hour"],
            )  # fmt: skip
            if not u.in_contact or u.posture == Posture.WITHDRAW:
                continue
            own = smap[u.faction].get(u.node, 0.0)
            place = self.places[u.node]
            if place.controller == u.faction:
                enemy *= 1.0 - place.fortification * p["combat.fortification_weight"]
            odds = enemy / own if own > 0 else float("inf")
            breaks = morale.should_withdraw(
                u.morale,
                odds,
                p[f"faction.{u.faction}.withdraw_morale"],
                p[f"faction.{u.faction}.withdraw_ratio"],
            )
            if not breaks:
                continue
            if u.local:
                self._surrender(u, odds)  # local militias cannot leave their town
            elif not self._withdraw(u, odds) and u.morale < BROKEN_MORALE:
                self._surrender(u, odds)  # cut off and broken

    def _surrender(self, u: Unit, odds: float) -> None:
        """A broken unit with nowhere to go lays down its arms; its people count as losses."""
        lost = u.personnel
        u.personnel = 0.0
        self.losses[u.faction] += lost
        text = f"{u.name} gives up {u.node} ({lost:.0f} personnel, odds {odds:.1f}:1)"
        self.log("surrender", u.node, u.faction, lost, text)

    def _withdraw(self, u: Unit, odds: float) -> bool:
        """Fall back along roads free of the enemy to the nearest friendly place out of range."""
        blocked = {n for n in self.places if n != u.node and self.hostile_present(n, u.faction)}
        g = self.network.graph.subgraph(n for n in self.places if n not in blocked)
        dist, paths = nx.single_source_dijkstra(g, u.node, weight="km")
        safe_km = self.p["combat.range_km"]
        friendly = [
            (km, n) for n, km in dist.items() if n != u.node and self.places[n].status == u.faction
        ]
        safe = [(km, n) for km, n in friendly if not self.hostile_within(n, u.faction, safe_km)]
        if not friendly:
            return False
        _, dest = min(safe or friendly)
        u.posture = Posture.WITHDRAW
        u.set_route(dest, paths[dest])
        self.log(
            "withdrawal", u.node, u.faction, 0.0,
            f"{u.name} withdraws from {u.node} to {dest} (morale {u.morale:.2f}, odds {odds:.1f}:1)",
        )  # fmt: skip
        return True

    def _control(self) -> None:
        present: dict[str, set[str]] = defaultdict(set)
        for u in self.units:
            if u.active and not (u.posture == Posture.WITHDRAW and u.route and u.progress_km > 0):
                present[u.node].add(u.faction)
        hold = int(self.p["control.hold_hours"])
        for name, place in self.places.items():
            before = place.status
            new = place.update_control(present.get(name, set()), hold)
            if new is not None:
                self._control_version += 1
                if name in self.key_places and name not in self.captured_at:
                    self.captured_at[name] = self.time
                self.log("control_change", name, new, 0.0, f"{new} takes {name}")
            elif place.status != before:
                self._control_version += 1

    # --- ceasefire --------------------------------------------------------------------------

    def _ceasefire_hour(self) -> None:
        p = self.p
        self.tension = ceasefire.decay_tension(
            self.tension, 1.0, p["ceasefire.tension_half_life_days"]
        )
        # Expired exchanges of fire are dropped: every engagement scans the live ones.
        self.violation_links = {k: t for k, t in self.violation_links.items() if t > self.time}
        occupied: dict[str, set[str]] = defaultdict(set)
        for u in self.units:
            if u.active:
                occupied[u.node].add(u.faction)
        nodes = sorted(occupied)
        contact_km = p["ceasefire.contact_km"]
        for i, a in enumerate(nodes):
            for b in nodes[i:]:
                km = self.dist[a].get(b)
                if km is None or km > contact_km:
                    continue
                for fa in sorted(occupied[a]):
                    for fb in sorted(occupied[b]):
                        if fa < fb or (a != b and fa != fb):
                            self._contact(a, b, fa, fb, km)
        if ceasefire.collapses(self.tension, p["ceasefire.collapse_threshold"]):
            self._collapse()

    def _contact(self, a: str, b: str, fa: str, fb: str, km: float) -> None:
        p = self.p
        sa, sb = self.strength(a, fa), self.strength(b, fb)
        for side, node, other, own, enemy in ((fa, a, b, sa, sb), (fb, b, a, sb, sa)):
            if side not in self.ceasefire_parties:
                continue
            prob = ceasefire.violation_probability(
                p["ceasefire.violation_rate"] / 2.0, km, p["ceasefire.proximity_scale_km"],
                own / enemy if enemy > 0 else 1.0, p["ceasefire.force_ratio_weight"],
                p[f"faction.{side}.spoiler_propensity"],
            )  # fmt: skip
            if prob > 0 and self.random.random() < prob:
                self.violation(node, other, side, f"{side} opens fire from {node} on {other}")

    def violation(self, a: str, b: str, side: str, text: str) -> None:
        self.violations += 1
        if self.first_violation is None:
            self.first_violation = self.time
        self.tension += self.p["ceasefire.tension_per_violation"]
        self.violation_links[frozenset((a, b))] = self.time + self.p["ceasefire.violation_hours"]
        self.log("violation", b, side, 0.0, text)

    def _collapse(self) -> None:
        self.ceasefire = CeasefireState.COLLAPSED
        self.collapsed_at = self.time
        for f in self.factions.values():
            f.bound_by_ceasefire = False
        for u in self.units:
            u.compliant = False
        for a in self.assets:
            a.compliant = False
        self.log("ceasefire_collapse", "", ",".join(sorted(self.ceasefire_parties)), 0.0,
                 f"ceasefire collapses after {self.violations} violations")  # fmt: skip

    # --- recording ----------------------------------------------------------------------------

    def log(
        self, kind: str, place: str, factions: str, casualties: float, text: str,
        hour: float | None = None, civilian: float = 0.0, duration: float = 0.0,
    ) -> None:  # fmt: skip
        h = self.time if hour is None else hour
        self.rows_events.append(
            {
                "run_id": self.run_id,
                "hour": float(h),
                "kind": kind,
                "place": place,
                "factions": factions,
                "casualties": float(casualties),
                "civilian_casualties": float(civilian),
                "duration_hours": float(duration),
                "text": text,
            }
        )

    def personnel_by_faction(self) -> dict[str, float]:
        out = dict.fromkeys(self.factions, 0.0)
        for u in self.units:
            out[u.faction] += u.personnel
        return out

    def front_km(self) -> float:
        """km from the axis' west end of the boundary between the two sides' coastal ground."""
        axis, km = self.network.axis, self.network.axis_km
        for i, node in enumerate(axis):
            place = self.places[node]
            if place.contested:
                return km[node]
            if place.controller == self.east:
                return km[node] if i == 0 else (km[axis[i - 1]] + km[node]) / 2.0
        return km[axis[-1]]

    def record(self) -> None:
        h = round(self.time)
        row: dict[str, Any] = {"run_id": self.run_id, "hour": h}
        personnel = self.personnel_by_faction()
        held = dict.fromkeys(self.factions, 0)
        for place in self.places.values():
            if not place.waypoint and place.controller in held and not place.contested:
                held[place.controller] += 1
        for f in self.factions:
            row[f"personnel_{f}"] = personnel[f]
            row[f"casualties_{f}"] = self.losses[f]
            row[f"places_{f}"] = held[f]
        row.update(
            front_km=self.front_km(),
            civilian_casualties=self.civilian_casualties,
            displaced=self.displaced,
            ceasefire_state=self.ceasefire.value,
            violations=self.violations,
            tension=self.tension,
        )
        self.rows_timeseries.append(row)
        for name, place in self.places.items():
            self.rows_control.append(
                {"run_id": self.run_id, "hour": h, "place": name, "controller": place.status}
            )
        for u in self.units:
            lat, lon = self._unit_position(u)
            self.rows_units.append(
                {
                    "run_id": self.run_id, "hour": h, "unit": u.uid, "name": u.name, "faction": u.faction,
                    "place": u.node, "lat": lat, "lon": lon, "personnel": u.personnel,
                    "morale": u.morale, "supply": u.supply, "posture": u.posture.value,
                }
            )  # fmt: skip

    def _unit_position(self, u: Unit) -> tuple[float, float]:
        here = self.places[u.node]
        if not u.route or u.progress_km <= 0:
            return here.lat, here.lon
        there = self.places[u.route[0]]
        f = min(u.progress_km / self.network.graph.edges[u.node, u.route[0]]["km"], 1.0)
        return here.lat + (there.lat - here.lat) * f, here.lon + (there.lon - here.lon) * f

    def run(self) -> None:
        """Step hour by hour to the scenario's end."""
        while self.time < self.sc.hours:
            self.step()
        self.battlefield.close(set(), force=True)

    def summary(self) -> dict[str, Any]:
        """One row of runs.parquet: the outcome metrics of this run."""
        out: dict[str, Any] = {}
        for name in self.key_places:
            out[f"controller_end_{slug(name)}"] = self.places[name].status
            out[f"{slug(name)}_captured_at"] = self.captured_at.get(name, np.nan)
        fronts = [r["front_km"] for r in self.rows_timeseries]
        out["front_km_end"] = self.front_km()
        out["front_km_min"] = float(min(fronts))
        out["front_km_max"] = float(max(fronts))
        personnel = self.personnel_by_faction()
        for f in self.factions:
            out[f"losses_{f.lower()}"] = self.losses[f]
            out[f"personnel_end_{f.lower()}"] = personnel[f]
        out["civilian_casualties"] = self.civilian_casualties
        out["displaced"] = self.displaced
        out["ceasefire_violations"] = self.violations
        out["ceasefire_first_violation_at"] = (
            np.nan if self.first_violation is None else self.first_violation
        )
        out["ceasefire_collapsed_at"] = np.nan if self.collapsed_at is None else self.collapsed_at
        out["ceasefire_held"] = (
            self.ceasefire == CeasefireState.ACTIVE
            if any(isinstance(e, CeasefireEvent) for e in self.sc.events)
            else None
        )
        out["patron_deployments"] = self.deployments
        return out
