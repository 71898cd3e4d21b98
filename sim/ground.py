"""The ground systems of an hour, after the fighting: supply, morale and withdrawal, control.

Functions over the model (as Mesa's examples keep per-step systems apart from the wiring); the
maths is in `sim.dynamics.supply` and `sim.dynamics.morale`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import networkx as nx

from sim.agents import Posture, Unit
from sim.dynamics import morale, supply
from sim.network import km_avoiding

if TYPE_CHECKING:
    from sim.model import ConflictModel


def update_supply(m: ConflictModel) -> None:
    """Trace each unit's supply to the nearest hub of its side that has stock, through ground
    its side holds or that nobody contests against it; the unit's supply moves toward the level
    the hub sustains at that road distance, and runs down when no hub reaches it. Hubs are the
    theater's `supply_hubs` (or, in a theater without them, its depots with unlimited stocks).
    The trace is recomputed when control changes, a hub runs dry, or every decision interval."""
    p = m.p
    hubs = _hub_stocks(m)
    # Traces keep supply levels: a parameter set by a scenario event traces again too.
    key = (
        m._control_version,
        round(m.time) // int(p["faction.decision_interval_hours"]),
        m._p_version,
    )
    if m._supply_version != key:
        for f in m.factions:
            passable = {
                n for n, place in m.places.items()
                if place.controller == f
                or (place.controller == "contested" and not m.hostile_present(n, f))
            }  # fmt: skip
            sources = [
                n for n in passable
                if m.places[n].controller == f and (n in hubs and not hubs[n].empty)
            ]  # fmt: skip
            # The same ground and hubs give the same trace: contested places flicker, the
            # ground they leave passable mostly does not, so most traces are found here.
            trace_key = (
                f, frozenset(passable), tuple(sorted(sources)), p["supply.max_trace_km"],
                p["supply.full_km"], p["supply.falloff_km"],
            )  # fmt: skip
            trace = m._supply_traces.get(trace_key)
            if trace is None:
                if len(m._supply_traces) > 256:  # a long war's states: keep the memory flat
                    m._supply_traces.clear()
                nearest = supply.nearest_hubs(
                    m.network.graph, passable, sources, p["supply.max_trace_km"]
                )
                full_km, falloff_km = p["supply.full_km"], p["supply.falloff_km"]
                trace = m._supply_traces[trace_key] = {
                    n: (supply.level_at(km, full_km, falloff_km), hub)
                    for n, (km, hub) in nearest.items()
                }
            if m._supplied.get(f) is not trace:
                m._supplied[f] = trace
                m._supplied_version += 1
        m._supply_version = key
    drawing: dict[str, float] = defaultdict(float)
    decay, resupply = p["supply.decay_per_hour"], p["supply.resupply_per_hour"]
    reached, cut_off = _supply_lines(m)
    for hub, group in reached.items():
        total = drawing[hub]
        for u, target in group:
            total += u.personnel
            if u.supply != target:  # at its level a unit's supply stays there (most unit-hours)
                u.supply = supply.update_supply(u.supply, target, decay, resupply)
        drawing[hub] = total
    for u in cut_off:
        u.supply = supply.update_supply(u.supply, None, decay, resupply)
    for name, stock in hubs.items():
        was_empty = stock.empty
        rear = m.places[stock.bridge_from].controller if stock.bridge_from else None
        stock.hour(drawing.get(name, 0.0), m.places[name].controller, rear)
        if stock.empty != was_empty:
            m._supply_version = None  # a hub ran dry or was refilled: trace again next hour


def _supply_lines(m: ConflictModel) -> tuple[dict[str, list[tuple[Unit, float]]], list[Unit]]:
    """Each hub's units with the level it sustains where they stand, in creation order, and
    the units no hub reaches (encircled, flagged here). Kept until a trace is made again or a
    unit moves (`occupancy_version`)."""
    key = (m._supplied_version, m.occupancy_version)
    if m._supply_lines[0] == key and not m.verify_caches:
        return m._supply_lines[1]
    reached: dict[str, list[tuple[Unit, float]]] = defaultdict(list)
    cut_off: list[Unit] = []
    none: dict = {}
    for u in m._units:
        line = m._supplied.get(u.faction, none).get(u.node)
        u.encircled = line is None
        if line is None:
            cut_off.append(u)
        else:
            reached[line[1]].append((u, line[0]))
    if m._supply_lines[0] == key:
        assert m._supply_lines[1] == (reached, cut_off), f"supply lines stale at {m.time}"
    m._supply_lines = (key, (reached, cut_off))
    return reached, cut_off


def _hub_stocks(m: ConflictModel) -> dict[str, supply.HubStock]:
    """The hubs' stocks, made at the first hour: `stock_days` of the personnel their side has
    nearest to them then (at least `supply.min_hub_personnel`); a theater without hubs has its
    depots as hubs that never run dry."""
    if m.hub_stocks:
        return m.hub_stocks
    p = m.p
    specs = m.theater.supply_hubs
    if not specs:
        m.hub_stocks = {
            n: supply.HubStock(days=math.inf, base=1.0) for n, pl in m.places.items() if pl.depot
        }
        return m.hub_stocks
    names = [m.network.resolve(h.place) for h in specs]
    served: dict[str, float] = defaultdict(float)
    for f in m.factions:
        friendly = {n for n, pl in m.places.items() if pl.controller == f}
        own = [n for n in names if n in friendly]
        reach = supply.nearest_hubs(m.network.graph, friendly, own, p["supply.max_trace_km"])
        for u in m.units:
            if u.faction == f and u.node in reach:
                served[reach[u.node][1]] += u.personnel
    for name, h in zip(names, specs, strict=True):
        share = p[f"supply.{h.bridge}_bridge_share"] if h.bridge else 0.0
        base = max(served[name], p["supply.min_hub_personnel"])
        rear = m.network.resolve(h.bridge_from) if h.bridge_from else None
        m.hub_stocks[name] = supply.HubStock(h.stock_days, base, share, h.bridge_for, rear)
    return m.hub_stocks


def morale_and_withdrawal(m: ConflictModel) -> None:
    """Morale after the hour's losses; units whose morale or odds break their faction's
    thresholds withdraw; local militias and cut-off broken units surrender."""
    p = m.p
    # Only where two sides have people together, or a unit took losses, can anyone be in
    # contact: strengths are summed there alone (elsewhere no unit has an enemy beside it). A
    # remnant below the minimum size counts here: it is in contact with an active enemy.
    hot = m.two_sided() | {u.node for u in m.hurt}
    smap = m.strength_map(hot)  # one snapshot, so the order of units does not matter
    if m.verify_caches:  # no unit outside the hot nodes has an enemy beside it
        assert {u for u in m._units if u.lost_this_hour > 0} == set(m.hurt), "hurt units"
        full = m.strength_map()
        for u in m._units:
            if u.personnel > 0 and u.node not in hot:
                assert not any(s.get(u.node) for f, s in full.items() if f != u.faction), u.uid
    others = {f: [s for g, s in smap.items() if g != f] for f in smap}  # in smap's order
    loss_s, supply_s = p["morale.loss_sensitivity"], p["morale.supply_sensitivity"]
    encircled_penalty, recovery = p["morale.encircled_penalty"], p["morale.recovery_per_hour"]
    low_supply, fort_w = p["morale.low_supply"], p["combat.fortification_weight"]
    for u in m._units:  # nothing here adds or removes a unit
        if u.personnel <= 0:
            continue
        node = u.node
        enemy = sum([s.get(node, 0.0) for s in others[u.faction]]) if node in hot else 0.0
        lost = u.lost_this_hour
        u.in_contact = enemy > 0 or lost > 0
        # No loss, supplied and not cut off: morale holds in contact, and at 1 out of it it
        # stays there (most unit-hours; `update_morale` would return it unchanged).
        steady = lost == 0 and not u.encircled and u.supply >= low_supply
        if not (steady and (u.in_contact or u.morale == 1.0)):
            before = u.personnel + lost
            u.morale = morale.update_morale(
                u.morale, lost / before if before > 0 else 0.0, u.supply, u.encircled,
                u.in_contact, loss_s, supply_s, encircled_penalty, recovery, low_supply,
            )  # fmt: skip
        if not u.in_contact or u.posture == Posture.WITHDRAW or (u.local and enemy <= 0):
            continue  # a militia gives its town up only to an enemy who is there to take it
        own = smap[u.faction].get(node, 0.0)
        place = m.places[node]
        if place.controller == u.faction:
            enemy *= 1.0 - place.fortification * fort_w
        odds = enemy / own if own > 0 else float("inf")
        if not morale.should_withdraw(
            u.morale, odds, p[f"faction.{u.faction}.withdraw_morale"],
            p[f"faction.{u.faction}.withdraw_ratio"],
        ):  # fmt: skip
            continue
        if u.local:
            surrender(m, u, odds)  # local militias cannot leave their town
        elif not withdraw(m, u, odds) and u.morale < p["morale.broken"]:
            surrender(m, u, odds)  # cut off and broken


def surrender(m: ConflictModel, u: Unit, odds: float) -> None:
    """A broken unit with nowhere to go lays down its arms: its people are lost to its side as
    captured or dispersed, not as casualties (a local militia that gives up its town)."""
    lost = u.personnel
    u.personnel = 0.0
    m.occupancy_version += 1  # no longer active
    m.loss_events += 1
    m.losses[u.faction] += lost
    m.battlefield.book_captured(u.faction, lost)
    text = f"{u.name} gives up {u.node} ({lost:.0f} personnel, odds {odds:.1f}:1)"
    m.log("surrender", u.node, u.faction, lost, text)


def withdraw(m: ConflictModel, u: Unit, odds: float) -> bool:
    """Fall back along roads free of the enemy to the nearest friendly place out of range."""
    blocked = {n for n in m.places if n != u.node and m.hostile_present(n, u.faction)}
    dist, paths = nx.single_source_dijkstra(m.network.graph, u.node, weight=km_avoiding(blocked))
    safe_km = m.p["combat.withdraw_safe_km"]
    friendly = [
        (km, n) for n, km in dist.items() if n != u.node and m.places[n].status == u.faction
    ]
    safe = [(km, n) for km, n in friendly if not m.hostile_within(n, u.faction, safe_km)]
    if not friendly:
        return False
    _, dest = min(safe or friendly)
    u.posture = Posture.WITHDRAW
    u.set_route(dest, paths[dest])
    m.log(
        "withdrawal", u.node, u.faction, 0.0,
        f"{u.name} withdraws from {u.node} to {dest} (morale {u.morale:.2f}, odds {odds:.1f}:1)",
    )  # fmt: skip
    return True


def update_control(m: ConflictModel) -> None:
    """Control passes to a side that holds a place unopposed for `control.hold_hours`."""
    present = _presence(m)
    hold = int(m.p["control.hold_hours"])
    # A place settled last hour stays so while nobody comes or goes (nothing else changes a
    # place's control): with the same presence, only the unsettled ones need an update.
    same = present == m._presence
    if same and m.verify_caches:
        for name, place in m.places.items():
            assert name in m._unsettled or place.settled(present.get(name, set())), name
    names = m._unsettled if same and not m.verify_caches else list(m.places)
    m._presence, m._unsettled = present, []
    nobody: set[str] = set()
    for name in names:
        place = m.places[name]
        here = present.get(name, nobody)
        settled = place.settled(here)
        if settled and not m.verify_caches:
            continue  # nothing to change: empty or held by its controller, no count running
        before = place.status
        new = place.update_control(here, hold)
        assert not settled or (new is None and place.status == before), f"{name} not settled"
        if not place.settled(here):
            m._unsettled.append(name)
        if new is not None:
            m._control_version += 1
            if name in m.key_places and name not in m.captured_at:
                m.captured_at[name] = m.event_hour
            m.log("control_change", name, new, 0.0, f"{new} takes {name}")
        elif place.status != before:
            m._control_version += 1


def _on_road(u: Unit) -> bool:
    """A withdrawal under way along a road: the unit no longer holds the place it left."""
    return u.posture is Posture.WITHDRAW and bool(u.route) and u.progress_km > 0


def _presence(m: ConflictModel) -> dict[str, set[str]]:
    """The sides present at each place: their active units, less those withdrawing along a
    road. Kept under the occupancy version while no withdrawal is on the road (most hours);
    only this hour's movers (`m.movers`) can be on a road, since a unit without a route has
    no progress along one."""
    transit = any(_on_road(u) for u in m.movers)
    kept = m._present_at
    if not transit and kept[0] == m.occupancy_version and not m.verify_caches:
        return kept[1]
    present: dict[str, set[str]] = defaultdict(set)
    least = m.min_personnel
    for u in m._units:
        if u.personnel >= (1.0 if u.local else least) and not _on_road(u):  # Unit.active
            present[u.node].add(u.faction)
    if m.verify_caches:
        assert {u for u in m._units if _on_road(u)} <= set(m.movers), "on the road, not a mover"
    if not transit:
        assert kept[0] != m.occupancy_version or kept[1] == present, "presence stale"
        m._present_at = (m.occupancy_version, present)
    return present
