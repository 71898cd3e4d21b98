"""Operational command: each faction's decisions under uncertainty, every few hours.

- Offensives: units of an offensive head for its next target; an offensive stalled for
  `command.stall_days` launches probing attacks, and one stalled for `command.abandon_days` is
  abandoned and its units become reserves.
- Local attacks: where a faction sees an opportunity (chance per day = aggression, raised before
  a truce takes effect: the land grab before a ceasefire, as at Debaltseve around Minsk II in
  February 2015), it commits the units it can spare and decides go or no-go by a logistic rule
  on a noisy estimate of the odds of the force it actually commits.
- Reserves: one spare unit a decision goes where the faction is most outmatched, counting the
  main effort (an offensive short of its attack ratio), by roads through friendly ground; a
  town behind a line the faction holds with troops is not in danger from the enemy beyond it.
- Holding the line: a unit leaves a place on a line of contact (to reinforce or to attack) only
  if those who stay keep at least even strength against the enemy next to it, the enemy it
  attacks excepted. On a front of places a few km apart, a region of `faction.threat_km` holds
  the whole front, and without this a unit facing the enemy would be "spare" because the rest
  of the front is strong, and walk away from its sector.
A truce binds none of this but the attacks: units move, rotate and reinforce during a truce.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mesa import Agent

from sim.agents import Posture, Unit
from sim.config import CeasefireEvent
from sim.routes import FriendlyRoads

if TYPE_CHECKING:
    from sim.model import ConflictModel

StrengthMap = dict[str, dict[str, float]]


def go_probability(estimated_odds: float, attack_ratio: float, decisiveness: float) -> float:
    """Chance of a go: logistic in log(estimated odds / attack ratio); 0.5 at the ratio."""
    if estimated_odds <= 0:
        return 0.0
    if math.isinf(estimated_odds):
        return 1.0
    z = decisiveness * (math.log(estimated_odds) - math.log(attack_ratio))
    if z < -700.0:  # math.exp(-z) would overflow; the chance is below 1e-304
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


class Faction(Agent):
    """A side: its offensive targets, and the decisions that turn them into unit routes."""

    def __init__(self, model: ConflictModel, key: str, name: str, capital: str):
        super().__init__(model)
        self.key = key
        self.name = name
        self.capital = capital
        self.targets: list[str] = []
        self.offensive_units: set[str] = set()
        self.bound_by_ceasefire = False
        self.stalled_hours = 0.0  # decision hours the current target has held out, unbound
        self._target: str | None = None
        self.roads = FriendlyRoads(model, key)
        self._ceasefire_hours: list[float] | None = None

    def units(self) -> list[Unit]:
        return [u for u in self.model.units if u.faction == self.key and u.active]

    def current_target(self) -> str | None:
        for t in self.targets:
            if self.model.places[t].controller != self.key:
                return t
        return None

    def start_offensive(self, targets: list[str], units: list[Unit]) -> None:
        self.targets = targets
        for u in units:
            if u.faction == self.key and u.active:
                u.posture = Posture.ATTACK
                self.offensive_units.add(u.uid)

    def decide(self) -> None:
        """Route attackers to their targets; probe, abandon, attack locally, reinforce."""
        m = self.model
        target = self.current_target()
        if target != self._target:
            self._target, self.stalled_hours = target, 0.0
        elif target is not None and not m.truce.bound(self.key, target):
            # A truce stops the clock: an offensive it froze is not stalled by the enemy.
            self.stalled_hours += m.p["faction.decision_interval_hours"]
        regroup = m.p["faction.regroup_morale"]
        give_up = m.p["command.stall_days"] * 24.0
        for u in self.units():
            if (
                u.posture == Posture.ATTACK
                and u.uid not in self.offensive_units
                and u.attack_since is not None
                and m.time - u.attack_since > give_up
            ):
                u.posture, u.attack_since = Posture.HOLD, None  # a local attack that stalled
                u.halt()
            if u.uid in self.offensive_units and u.posture == Posture.HOLD and u.morale >= regroup:
                u.posture = Posture.ATTACK  # back to the offensive once it has regrouped
            if u.posture != Posture.ATTACK:
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
        smap = m.decision_strength_map()  # routes and postures above do not change it
        if target is not None:
            self._stalled_offensive(target, smap)
        else:
            m.streams["command"].random()  # the probe's draw, taken anyway (aligned streams)
        self._reinforce(smap)  # secure what is threatened before attacking elsewhere
        self._maybe_local_attack(m.decision_strength_map())  # after a probe's losses

    # --- offensives -----------------------------------------------------------------------

    def _stalled_offensive(self, target: str, smap: StrengthMap) -> None:
        m, p = self.model, self.model.p
        draw = m.streams["command"].random()  # drawn at every decision: streams stay aligned
        stalled_days = self.stalled_hours / 24.0
        if stalled_days < p["command.stall_days"] or m.truce.bound(self.key, target):
            return
        if stalled_days >= p["command.abandon_days"]:
            self._abandon(target)
            return
        chance = 1.0 - math.exp(
            -p["command.probe_per_day"] * p["faction.decision_interval_hours"] / 24
        )
        if draw >= chance:
            return
        front = self._lead_node(target)
        if front is None:
            return
        near = [n for n, km in m.dist[front].items() if 0 < km <= p["combat.max_fire_km"]]
        near = [n for n in sorted(near) if m.hostile_present(n, self.key)] or [target]
        node = min(near, key=lambda n: (m.dist[n].get(target, math.inf), n))
        probers = [u for u in m.units_at(front) if u.faction == self.key]
        enemy = [u for u in m.units_at(node) if u.faction != self.key]
        if not probers or not enemy:
            return
        hours = p["command.probe_hours"]
        # A probe closes with the enemy: close-engagement fire, not fire across the distance.
        factor = p["command.probe_intensity"] * hours
        la, lb, civ = m.battlefield.exchange(front, node, probers, enemy, factor)
        m.log(
            "offensive", node, f"{self.key},{enemy[0].faction}", la + lb,
            f"{self.key} probes {node} from {front} ({hours:.0f} h): {la + lb:.0f} killed",
            civilian=civ, duration=hours, detail="probe",
        )  # fmt: skip

    def _lead_node(self, target: str) -> str | None:
        m = self.model
        nodes = [u.node for u in self.units() if u.uid in self.offensive_units]
        return min(nodes, key=lambda n: (m.dist[n].get(target, math.inf), n)) if nodes else None

    def _abandon(self, target: str) -> None:
        m = self.model
        for u in self.units():
            if u.uid in self.offensive_units:
                u.posture = Posture.HOLD
                u.halt()
        self.offensive_units.clear()
        self.targets = []
        m.log(
            "offensive", target, self.key, 0.0,
            f"{self.key} abandons its offensive on {target}", detail="abandoned",
        )  # fmt: skip

    # --- local attacks --------------------------------------------------------------------

    def _maybe_local_attack(self, smap: StrengthMap) -> None:
        m, p = self.model, self.model.p
        rng = m.streams["command"]
        p_day = p[f"faction.{self.key}.aggression"]
        if self._truce_due():
            p_day = min(1.0, p_day * p["command.land_grab_factor"])
        chance = 1.0 - (1.0 - p_day) ** (p["faction.decision_interval_hours"] / 24.0)
        if rng.random() >= chance:
            return
        best = self.best_local_attack(smap)
        if best is None:
            return
        committed, target, own, enemy = best
        noise = math.exp(rng.normal(0.0, p["command.estimate_noise"]))
        estimate = own / enemy * noise if enemy > 0 else math.inf
        go = go_probability(
            estimate, p[f"faction.{self.key}.attack_ratio"], p["command.decisiveness"]
        )
        if rng.random() >= go:
            return
        for u in committed:
            u.posture = Posture.ATTACK
            u.set_route(target)
        m.log(
            "offensive", target, self.key, 0.0,
            f"{self.key} local attack on {target} by {', '.join(u.name for u in committed)} "
            f"(estimated odds {estimate:.2f}:1, true {own / enemy if enemy else math.inf:.2f}:1)",
            detail="local",
        )  # fmt: skip

    def _truce_due(self) -> bool:
        """A ceasefire this faction is party to takes effect within `command.land_grab_hours`."""
        m = self.model
        if self._ceasefire_hours is None:
            self._ceasefire_hours = [
                m.sc.hour_of(ev.at)
                for ev in m.sc.events
                if isinstance(ev, CeasefireEvent) and self.key in ev.parties
            ]
        ahead = m.p["command.land_grab_hours"]
        return any(0 < h - m.time <= ahead for h in self._ceasefire_hours)

    def best_local_attack(self, smap: StrengthMap) -> tuple[list[Unit], str, float, float] | None:
        """The most valuable reachable enemy place for the units one place can spare.

        Returns (units committed, target, their strength, the enemy's strength there), or None.
        The force is drawn from what the faction can take away without its region falling below
        even, and only as much of it as the attack ratio asks (economy of force: the rest stays
        a reserve); the odds are those of the force committed, not of the whole stack."""
        m, p = self.model, self.model.p
        best, best_score = None, 0.0
        by_node: dict[str, list[Unit]] = {}
        for u in self.units():
            if u.local or u.posture != Posture.HOLD or u.route:
                continue
            by_node.setdefault(u.node, []).append(u)
        for node in sorted(by_node):
            spare = m.spare_group(sorted(by_node[node], key=lambda u: u.uid), smap)
            if not spare:
                continue
            for nb, edge in sorted(m.network.graph[node].items()):
                if edge["km"] > p["faction.threat_km"] or m.truce.bound(self.key, nb):
                    continue
                place = m.places[nb]
                if place.controller == self.key and not m.hostile_present(nb, self.key):
                    continue
                enemy = sum(smap[f].get(nb, 0.0) for f in smap if f != self.key)
                if place.controller == self.key or enemy <= 0:
                    fort = 1.0
                else:
                    fort = 1.0 - place.fortification * p["combat.fortification_weight"]
                enemy_eff = enemy / max(fort, 1e-9)
                committed = self._enough(spare, p[f"faction.{self.key}.attack_ratio"] * enemy_eff)
                own = sum(m.unit_strength(u) for u in committed)
                if own <= 0 or not self.line_holds(node, own, smap, attacked=nb):
                    continue  # a broken force at `combat.effectiveness_floor` 0 cannot attack
                score = (place.value + 1.0) / (1.0 + enemy_eff / own)
                if score > best_score:
                    best, best_score = (committed, nb, own, enemy_eff), score
        return best

    def line_holds(
        self, node: str, leaving: float, smap: StrengthMap, attacked: str | None = None
    ) -> bool:
        """Whether this faction's strength at `node` less `leaving` (effective strength) is at
        least the enemy's at the places next to it by a road within `combat.max_fire_km`,
        `attacked` excepted (its enemy is the one being attacked). Even odds, as for a region
        (`Situation.can_spare`): an assumption."""
        m = self.model
        reach = m.p["combat.max_fire_km"]
        facing = sum(
            smap[f].get(nb, 0.0)
            for nb, edge in m.network.graph[node].items()
            if edge["km"] <= reach and nb != attacked
            for f in smap
            if f != self.key
        )
        return facing <= 0 or smap[self.key].get(node, 0.0) - leaving >= facing

    def _enough(self, spare: list[Unit], needed: float) -> list[Unit]:
        """The strongest spare units first, until their strength reaches `needed` (all of them
        if it never does)."""
        m = self.model
        out, total = [], 0.0
        for u in sorted(spare, key=lambda u: (-m.unit_strength(u), u.uid)):
            out.append(u)
            total += m.unit_strength(u)
            if total >= needed > 0:
                break
        return out

    # --- reserves -------------------------------------------------------------------------

    def _reinforce(self, smap: StrengthMap) -> None:
        """Send one spare unit where the faction is most outmatched and a unit can get to,
        the main effort (an offensive short of its attack ratio) included."""
        m = self.model
        needs = []
        for name, _ratio in m.endangered(self.key, smap):
            ratio = self.unscreened_threat(name, smap)
            if ratio > 1.0:
                needs.append((ratio, name, False))
        main = self._main_effort_need(smap)
        if main is not None:
            needs.append((main[1], main[0], True))
        for _ratio, target, joins_offensive in sorted(needs, key=lambda x: (-x[0], x[1])):
            unit = self._spare_unit(target, smap)
            if unit is None:
                continue
            if joins_offensive:
                unit.posture = Posture.ATTACK
                self.offensive_units.add(unit.uid)
            else:
                unit.posture = Posture.HOLD
            unit.set_route(target, self.roads.path(unit.node, target))
            m.log(
                "reinforce", target, self.key, 0.0,
                f"{self.key} sends {unit.name} from {unit.node} to {target}",
            )  # fmt: skip
            return

    def unscreened_threat(self, place: str, smap: StrengthMap) -> float:
        """Enemy strength within `faction.threat_km` of `place` over this faction's there, counting
        only enemies whose road to it passes no place this faction holds with troops: a town
        behind a held line is not in danger from the enemy beyond it until the line gives way
        (without this, a front of places a few km apart puts every town near it in danger)."""
        m = self.model
        own, _hostile = m.regional(place, self.key, smap)
        reach = m.p["faction.threat_km"]
        km_to = m.dist[place]
        ours = smap[self.key]
        threat = 0.0
        for f, by_node in smap.items():
            if f == self.key:
                continue
            for node, enemy in by_node.items():
                if enemy <= 0 or km_to.get(node, math.inf) > reach:
                    continue
                between = m.paths[node][place][1:-1]
                if not any(
                    ours.get(n, 0.0) > 0 and m.places[n].controller == self.key for n in between
                ):
                    threat += enemy
        return threat / max(own, 1.0)

    def _main_effort_need(self, smap: StrengthMap) -> tuple[str, float] | None:
        """(the offensive's lead node, how far it is short of the attack ratio), if it is."""
        m = self.model
        target = self.current_target()
        if target is None:
            return None
        lead = self._lead_node(target)
        if lead is None:
            return None
        enemy = sum(smap[f].get(target, 0.0) for f in smap if f != self.key)
        own = sum(smap[self.key].get(n, 0.0) for n in (lead, target))
        short = m.p[f"faction.{self.key}.attack_ratio"] * enemy / max(own, 1.0)
        return (lead, short) if short > 1.0 else None

    def _spare_unit(self, target: str, smap: StrengthMap) -> Unit | None:
        """The nearest spare unit by a road through friendly ground; reserves, and units with no
        enemy in their region (idle garrisons), come from any distance, others from within
        `faction.reinforce_km`."""
        m = self.model
        if target not in self.roads.held():
            return None
        dist = self.roads.km_to(target)
        reach = m.p["faction.reinforce_km"]
        options = []
        for u in self.units():
            if u.local or u.route or u.node == target or u.uid in self.offensive_units:
                continue
            if u.posture not in (Posture.HOLD, Posture.RESERVE) or not m.can_spare(u, smap):
                continue
            if not self.line_holds(u.node, m.unit_strength(u), smap):
                continue
            km = dist.get(u.node)
            idle = u.posture == Posture.RESERVE or m.regional(u.node, self.key, smap)[1] <= 0
            if km is None or (km > reach and not idle):
                continue
            options.append((km, u.uid, u))
        return min(options)[2] if options else None
