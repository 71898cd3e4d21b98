"""The situation picture the agents decide on: who stands where, with what strength, in contact
with whom, in which sector. A mixin of `ConflictModel`, so that agents ask the model."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from sim.agents import AirAsset, Unit
from sim.dynamics import combat
from sim.fronts import contacts_by_sector

if TYPE_CHECKING:
    from sim.model import ConflictModel

StrengthMap = dict[str, dict[str, float]]


class Situation:
    """Queries over units, places and roads (methods of the model)."""

    # --- units and strength ---------------------------------------------------------------

    @property
    def units(self: ConflictModel) -> list[Unit]:
        return list(self._units)

    @property
    def assets(self: ConflictModel) -> list[AirAsset]:
        return list(self._assets)

    def units_at(self: ConflictModel, node: str) -> list[Unit]:
        """Active units at a node, in the order they entered it (as the cell lists them)."""
        return [u for u in self.occupancy.get(node, ()) if u.active]

    def hostile_present(self: ConflictModel, node: str, faction: str) -> bool:
        return any(u.faction != faction for u in self.units_at(node))

    def hostile_within(self: ConflictModel, node: str, faction: str, km: float) -> bool:
        return any(self.hostile_present(n, faction) for n in self.near(node, km))

    def near(self: ConflictModel, node: str, km: float) -> list[str]:
        """Nodes within `km` of a node by road (itself included), cached per run."""
        key = (node, km)
        hit = self._near.get(key)
        if hit is None:
            hit = self._near[key] = [n for n, d in self.dist[node].items() if d <= km]
        return hit

    def unit_strength(self: ConflictModel, u: Unit) -> float:
        """Effective strength: personnel x effectiveness (firepower, morale, supply, air cover).
        The effectiveness is kept on the unit until one of its inputs changes."""
        key = (
            u.morale,
            u.supply,
            self.air_cover.get(u.faction, {}).get(u.node, 0.0),
            self._p_version,
        )
        if u.eff_key != key:
            self._refresh_effectiveness(u, key)
        return u.personnel * u.eff

    def group_totals(self: ConflictModel, units: list[Unit]) -> tuple[float, float]:
        """(personnel, effective strength) of `units`, each summed in their order (one pass,
        `unit_strength` inlined: an engagement asks for both sides' every hour)."""
        cover, version, none = self.air_cover, self._p_version, {}
        personnel, strength = [], []
        for u in units:
            key = (u.morale, u.supply, cover.get(u.faction, none).get(u.node, 0.0), version)
            if u.eff_key != key:
                self._refresh_effectiveness(u, key)
            personnel.append(u.personnel)
            strength.append(u.personnel * u.eff)
        return sum(personnel), sum(strength)

    def _refresh_effectiveness(self: ConflictModel, u: Unit, key: tuple) -> None:
        """Recompute a unit's effectiveness for `key` = (morale, supply, air-support bonus from
        the sorties flown over its place, p_version)."""
        u.eff_key = key
        u.eff = self._effectiveness(u, key[2])

    def _effectiveness(self: ConflictModel, u: Unit, bonus: float) -> float:
        return combat.effectiveness(
            u.firepower, u.morale, u.supply, self.p["combat.morale_exponent"],
            self.p["combat.supply_exponent"], bonus, self.p["combat.effectiveness_floor"],
        )  # fmt: skip

    def strength(self: ConflictModel, node: str, faction: str, hostile: bool = False) -> float:
        return sum(
            self.unit_strength(u)
            for u in self.units_at(node)
            if (u.faction != faction if hostile else u.faction == faction)
        )

    def strength_map(self: ConflictModel, nodes: set[str] | None = None) -> StrengthMap:
        """Effective strength of each faction at each node (or only at `nodes`), in units'
        creation order."""
        out: StrengthMap = {f: defaultdict(float) for f in self.factions}
        cover, version, least, none = self.air_cover, self._p_version, self.min_personnel, {}
        for u in self._units:
            if u.personnel >= (1.0 if u.local else least) and (  # Unit.active, inlined
                nodes is None or u.node in nodes
            ):
                # unit_strength, inlined: this runs for every unit several times an hour
                key = (u.morale, u.supply, cover.get(u.faction, none).get(u.node, 0.0), version)
                if u.eff_key != key:
                    self._refresh_effectiveness(u, key)
                out[u.faction][u.node] += u.personnel * u.eff
        return out

    def decision_strength_map(self: ConflictModel) -> StrengthMap:
        """`strength_map` for the factions' decisions of an hour, shared among them until a
        loss (a probe's) changes a strength; kept only while `step` runs the decisions (a
        scenario event's decision computes its own). Read-only. What else a decision does
        (routes, postures, objectives) changes no unit's strength."""
        if not self._deciding:
            return self.strength_map()
        memo = self._decision_smap
        if memo is not None and memo[0] == self.loss_events:
            if self.verify_caches:
                assert memo[1] == self.strength_map(), f"decision strengths stale at {self.time}"
            return memo[1]
        smap = self.strength_map()
        self._decision_smap = (self.loss_events, smap)
        return smap

    def regional(
        self: ConflictModel, node: str, faction: str, smap: StrengthMap
    ) -> tuple[float, float]:
        """(friendly, hostile) strength within `faction.threat_km` of a node, by road."""
        near = self.near(node, self.p["faction.threat_km"])
        # Only the nodes with strength: adding 0.0 leaves sum()'s (compensated) total as it was.
        mine = smap[faction]
        own = sum([mine[n] for n in near if n in mine], 0.0)
        hostile = sum([s[n] for f, s in smap.items() if f != faction for n in near if n in s], 0.0)
        return own, hostile

    def can_spare(self: ConflictModel, u: Unit, smap: StrengthMap) -> bool:
        """A unit may leave if its region stays at least even with the enemy without it."""
        own, hostile = self.regional(u.node, u.faction, smap)
        return own - self.unit_strength(u) >= hostile

    def spare_group(self: ConflictModel, units: list[Unit], smap: StrengthMap) -> list[Unit]:
        """The units of one place that can leave together, keeping their region even."""
        if not units:
            return []
        own, hostile = self.regional(units[0].node, units[0].faction, smap)
        group = []
        for u in units:
            s = self.unit_strength(u)
            if own - s >= hostile:
                group.append(u)
                own -= s
        return group

    def endangered(self: ConflictModel, faction: str, smap: StrengthMap) -> list[tuple[str, float]]:
        """Friendly towns and cities (value >= 5) whose region is outmatched (hostile/own > 1),
        most outmatched first: (place, ratio)."""
        out = []
        for name, place in self.places.items():
            if place.waypoint or place.value < 5 or place.status != faction:
                continue
            own, hostile = self.regional(name, faction, smap)
            ratio = hostile / max(own, 1.0)
            if ratio > 1.0:
                out.append((name, ratio))
        return sorted(out, key=lambda x: (-x[1], x[0]))

    def threatened_place(self: ConflictModel, faction: str, within_km: float) -> str | None:
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

    # --- movement ---------------------------------------------------------------------------

    def may_advance_into(self: ConflictModel, unit: Unit, nxt: str) -> bool:
        """Enter hostile ground only with the odds, and never while a truce binds the unit there.
        (A local attack decided on a misjudged estimate closes up to the enemy and stops there;
        the faction calls it off after `command.stall_days`.)"""
        enemy = self.strength(nxt, unit.faction, hostile=True)
        if enemy <= 0 and self.places[nxt].controller == unit.faction:
            return True
        if self.truce.bound(unit.faction, nxt):
            return False
        return not (
            enemy > 0
            and self.converging(nxt, unit.faction)
            < self.p[f"faction.{unit.faction}.attack_ratio"] * enemy
        )

    def converging(self: ConflictModel, node: str, faction: str) -> float:
        """Strength of a faction's units at a node or heading for it next: who would attack together."""
        return sum(
            self.unit_strength(u)
            for u in self._units
            if u.faction == faction
            and (u.node == node or (u.route and u.route[0] == node))
            and u.active
        )

    def nearest_held(self: ConflictModel, node: str, faction: str) -> str | None:
        held = [
            (km, n) for n, km in self.dist[node].items() if self.places[n].controller == faction
        ]
        return min(held)[1] if held else None

    def nearest_airbase(self: ConflictModel, node: str, faction: str) -> str | None:
        bases = [
            (km, n)
            for n, km in self.dist[node].items()
            if self.places[n].airbase and self.places[n].controller == faction
        ]
        return min(bases)[1] if bases else None

    # --- fire, air, contact -----------------------------------------------------------------

    def fire_factor(self: ConflictModel, km: float) -> float:
        """Fire effectiveness across `km` of road relative to a close engagement: 1 at the same
        place, `combat.ranged_factor_0 * exp(-km / combat.fire_decay_km)` between places."""
        if km <= 0:
            return 1.0
        return self.p["combat.ranged_factor_0"] * math.exp(-km / self.p["combat.fire_decay_km"])

    def reach(self: ConflictModel, base: str, radius_km: float) -> frozenset[str]:
        """Places within a straight-line radius of a base (air cover, strikes, air defence)."""
        return self.network.within(base, radius_km)

    def strike_candidates(self: ConflictModel, faction: str) -> list[Unit]:
        """Units an air strike by `faction` may seek this hour: its enemies' at a place fighting
        this hour, or on the move between places, in creation order. Found once an hour,
        after the ground fighting (strikes change neither); who is still active and in reach
        is each asset's own check."""
        if self._candidates_at != self._time:
            engaged = self.battlefield.ongoing
            self._candidates_all = [
                u for u in self._units if u.node in engaged or (u.route and u.progress_km > 0)
            ]
            self._candidates = {}
            self._candidates_at = self._time
        enemies = self._candidates.get(faction)
        if enemies is None:
            enemies = self._candidates[faction] = [
                u for u in self._candidates_all if u.faction != faction
            ]
        return enemies

    def air_defences_over(self: ConflictModel, node: str, faction: str) -> int:
        """Enemy air-defence systems whose radius covers a node, as seen by `faction`'s aircraft."""
        return sum(
            d.count
            for d in self.assets
            if d.kind == "air_defence"
            and d.faction != faction
            and node in self.reach(d.base, d.radius_km)
        )

    def drone_over(self: ConflictModel, node: str, faction: str) -> AirAsset | None:
        """A drone asset of `faction` with `node` in reach from a base it holds, if any, that
        may fly for a truce incident: the faction's own, or a patron's that does not comply
        (a patron decides for its own assets, `Patron.complies`)."""
        for a in self.assets:
            if (
                a.kind == "drone"
                and a.count > 0
                and a.faction == faction
                and self.places[a.base].controller == faction
                and node in self.reach(a.base, a.radius_km)
                and not a.patron_holds_fire()
            ):
                return a
        return None

    def contacts(self: ConflictModel, contact_km: float) -> dict[str, list]:
        """Hostile contacts within `contact_km` by road, grouped by sector (read-only: the same
        dict is returned until a unit moves, drops out or comes back, or the range changes)."""
        key = (contact_km, self.occupancy_version)
        if key != self._contacts_key:
            occupied: dict[str, set[str]] = defaultdict(set)
            for u in self._units:
                if u.active:
                    occupied[u.node].add(u.faction)
            self._contacts_key = key
            self._contacts = contacts_by_sector(occupied, self.dist, self.sector_of, contact_km)
        elif self.verify_caches:
            occupied = defaultdict(set)
            for u in self.units:
                if u.active:
                    occupied[u.node].add(u.faction)
            fresh = contacts_by_sector(occupied, self.dist, self.sector_of, contact_km)
            assert fresh == self._contacts, f"contacts cache stale at hour {self.time}"
        return self._contacts

    def two_sided(self: ConflictModel) -> set[str]:
        """Places where units of two or more sides have people (remnants too), kept until
        someone moves, changes side or is wiped out (`occupancy_version`). Read-only."""
        if self._two_sided[0] != self.occupancy_version:
            first: dict[str, str] = {}
            nodes = {
                u.node
                for u in self._units
                if u.personnel > 0 and first.setdefault(u.node, u.faction) != u.faction
            }
            self._two_sided = (self.occupancy_version, nodes)
        return self._two_sided[1]

    def check_caches(self: ConflictModel) -> None:
        """Recompute what is kept up to date incrementally and assert it equals the kept state
        (the debug mode, `verify_caches`): occupancy against Mesa's cells, each unit's cached
        effectiveness and the two-sided places against a fresh computation."""
        assert self._time == self.time, "Mesa no longer keeps Model.time's value in _time"
        for node, cell in self.grid._cells.items():
            in_cell = [a for a in cell.agents if isinstance(a, Unit)]
            assert self.occupancy.get(node, []) == in_cell, f"occupancy of {node} at {self.time}"
        assert all(u in self.occupancy[u.node] for u in self._units)
        for u in self._units:
            bonus = self.air_cover.get(u.faction, {}).get(u.node, 0.0)
            if u.eff_key == (u.morale, u.supply, bonus, self._p_version):
                fresh = self._effectiveness(u, bonus)
                assert u.eff == fresh, f"effectiveness of {u.uid} stale at {self.time}"
        if self._two_sided[0] == self.occupancy_version:
            kept = self._two_sided[1]
            self._two_sided = (-1, set())
            assert self.two_sided() == kept, f"two-sided places stale at {self.time}"

    def sector_odds(
        self: ConflictModel, pairs_by_sector: dict[str, list[tuple]], faction: str
    ) -> dict[str, float]:
        """Each sector's odds for a faction: its effective strength on the sector's line of
        contact against its enemies' there (units at the sector's contact nodes, from
        `contacts`, or within `ceasefire.contact_km` of them; not the rear garrisons nearest
        its axis). Own / hostile; inf with no enemy there, 0 with neither. One pass over the
        units for all sectors."""
        reach = self.p["ceasefire.contact_km"]
        sectors_at: dict[str, list[str]] = defaultdict(list)  # node -> sectors it counts for
        for sector, pairs in pairs_by_sector.items():
            front = {a for a, *_ in pairs} | {b for _a, _fa, b, *_ in pairs}
            for n in {n for f in front for n in self.near(f, reach)}:
                sectors_at[n].append(sector)
        own = dict.fromkeys(pairs_by_sector, 0.0)
        hostile = dict.fromkeys(pairs_by_sector, 0.0)
        for u in self._units:
            if u.node in sectors_at and u.active:
                s = self.unit_strength(u)
                for sector in sectors_at[u.node]:
                    if u.faction == faction:
                        own[sector] += s
                    else:
                        hostile[sector] += s
        return {
            sector: own[sector] / hostile[sector]
            if hostile[sector] > 0
            else (math.inf if own[sector] > 0 else 0.0)
            for sector in pairs_by_sector
        }

    def power_shift(self: ConflictModel, faction: str) -> float:
        """Projected loss of the faction's share of all personnel once scheduled arrivals land
        (commitment problem): share now minus share then, >= 0."""
        now = self.personnel_by_faction()
        later = dict(now)
        for _hour, side, personnel in self.pending_arrivals:
            later[side] = later.get(side, 0.0) + personnel
        share_now = now[faction] / max(sum(now.values()), 1.0)
        share_later = later[faction] / max(sum(later.values()), 1.0)
        return max(share_now - share_later, 0.0)
