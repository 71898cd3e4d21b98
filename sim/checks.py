"""Cross-reference checks of theaters and scenarios: names, roads, the road graph, units,
events and the window. Each returns or raises located problems (`file:line:col: field: msg`).

A theater or scenario that passes them runs as written: nothing is silently replaced (a second
road for one pair, a spelling two places claim), nothing the model cannot reach is accepted (a
unit or target no road joins to the front, an event after the last simulated hour).
"""

from __future__ import annotations

import math
from datetime import UTC, timedelta
from typing import Any

from sim.config import (
    DeploymentEvent,
    OffensiveEvent,
    ReinforceEvent,
    Scenario,
    SetEvent,
    Theater,
    UnitSpec,
)
from sim.errors import InputError, Problem, did_you_mean
from sim.event_checks import (
    event_problems,
    reserved_id_problems,
    sequence_problems,
)
from sim.names import PlaceNames
from sim.weights import zeroed_group
from sim.yamlsource import Located


def place_names(theater: Theater) -> PlaceNames:
    """Place names and aliases of a theater, matched after Arabic and case normalisation."""
    return PlaceNames((p.name, p.aliases) for p in theater.places)


def check_theater(t: Theater, src: Located) -> None:
    names = place_names(t)
    problems: list[Problem] = []
    factions = set(t.factions)
    owners = factions | set(t.patrons)

    def place(loc: tuple, name: str) -> None:
        if names.resolve(name) is None:
            problems.append(src.problem(loc, f"unknown place {name!r}{names.hint(name)}"))

    def member(loc: tuple, value: str, allowed: set[str], what: str) -> None:
        if value not in allowed:
            hint = did_you_mean(value, allowed)
            problems.append(
                src.problem(
                    loc, f"unknown {what} {value!r}; expected one of {sorted(allowed)}{hint}"
                )
            )

    seen: set[str] = set()
    for i, p in enumerate(t.places):
        if p.name in seen:
            problems.append(src.problem(("places", i, "name"), f"duplicate place {p.name!r}"))
        seen.add(p.name)
        member(("places", i, "controller"), p.controller, factions | {"contested"}, "controller")
    problems.extend(_name_collisions(t, src, names))
    for key, f in t.factions.items():
        place(("factions", key, "capital"), f.capital)
    for key, pat in t.patrons.items():
        member(("patrons", key, "client"), pat.client, factions, "faction")
        for j, flow in enumerate(pat.inflows):
            place(("patrons", key, "inflows", j, "place"), flow.place)
    problems.extend(_road_problems(t, src, names))
    problems.extend(_waypoint_problems(t, src))
    for i, name in enumerate(t.front_axis):
        place(("front_axis", i), name)
    for i, sector in enumerate(t.sectors):
        for j, name in enumerate(sector.axis):
            place(("sectors", i, "axis", j), name)
    if len({sec.name for sec in t.sectors}) != len(t.sectors):
        problems.append(src.problem(("sectors",), "sector names must be unique"))
    for i, name in enumerate(t.key_places):
        place(("key_places", i), name)
    for i, c in enumerate(t.checks):
        place(("checks", i, "a"), c.a)
        place(("checks", i, "b"), c.b)
    _check_units(t.units, "units", src, names, factions, set(t.patrons), problems)
    problems.extend(reserved_id_problems(t.units, t, src))
    air_ids: set[str] = set()
    for i, a in enumerate(t.air):
        if a.id in air_ids:
            problems.append(src.problem(("air", i, "id"), f"duplicate air asset id {a.id!r}"))
        air_ids.add(a.id)
        member(("air", i, "owner"), a.owner, owners, "owner")
        member(("air", i, "faction"), a.faction, factions, "faction")
        place(("air", i, "base"), a.base)
    for i, h in enumerate(t.supply_hubs):
        place(("supply_hubs", i, "place"), h.place)
        if h.bridge_from is not None:
            place(("supply_hubs", i, "bridge_from"), h.bridge_from)
        if h.bridge_for is not None:
            member(("supply_hubs", i, "bridge_for"), h.bridge_for, factions, "faction")
    if problems:
        raise InputError(problems)
    problems = _network_problems(t, src)
    if problems:
        raise InputError(problems)


def _name_collisions(t: Theater, src: Located, names: PlaceNames) -> list[Problem]:
    """A spelling (name or alias, after normalisation) that two places claim."""
    out = []
    for spelling, first, second in names.collisions:
        i = next(i for i, p in enumerate(t.places) if p.name == second)
        p = t.places[i]
        loc = ("places", i, "name") if spelling == p.name else ("places", i, "aliases")
        if spelling != p.name:
            loc = (*loc, next(j for j, a in enumerate(p.aliases) if a == spelling))
        out.append(src.problem(loc, f"{spelling!r} already names place {first!r}"))
    return out


def _road_problems(t: Theater, src: Located, names: PlaceNames) -> list[Problem]:
    """Unknown places, a road from a place to itself, and a second road for one pair of places
    (the graph keeps one edge a pair: the later road would silently replace the first)."""
    out: list[Problem] = []
    first: dict[frozenset[str], int] = {}
    for i, r in enumerate(t.roads):
        a, b = names.resolve(r.a), names.resolve(r.b)
        for end, name, node in (("a", r.a, a), ("b", r.b, b)):
            if node is None:
                out.append(
                    src.problem(("roads", i, end), f"unknown place {name!r}{names.hint(name)}")
                )
        if a is None or b is None:
            continue
        if a == b:
            out.append(src.problem(("roads", i, "b"), f"a road from {a!r} to itself"))
            continue
        pair = frozenset((a, b))
        if pair in first:
            j = first[pair]
            line, _ = src.where(("roads", j))
            out.append(
                src.problem(
                    ("roads", i),
                    f"a second road between {a!r} and {b!r} (the first, {t.roads[j].km:g} km, "
                    f"is at line {line}): one road a pair",
                )
            )
        first.setdefault(pair, i)
    return out


# Corridor roads are cut into waypoints (sim.network): a theater's are a few dozen; past this
# many the graph takes minutes to build and the model hours to run (a mistyped corridor_max_km of
# 0.001 or a road of 1e9 km asks for millions).
MAX_WAYPOINTS = 10_000


def _waypoint_problems(t: Theater, src: Located) -> list[Problem]:
    """Corridor roads that would be cut into more than MAX_WAYPOINTS waypoints in all."""
    # km / corridor_max_km may overflow to infinity: counted as floats, capped before ceil.
    pieces = {i: r.km / t.corridor_max_km for i, r in enumerate(t.roads) if r.corridor}
    cuts = {i: math.ceil(min(n, MAX_WAYPOINTS + 2.0)) - 1 for i, n in pieces.items()}
    if sum(cuts.values()) <= MAX_WAYPOINTS:
        return []
    worst = max(pieces, key=pieces.__getitem__)
    why = (
        f"corridor roads would be cut into more than {MAX_WAYPOINTS:,} waypoints (a waypoint "
        f"every corridor_max_km, {t.corridor_max_km:g} km; this road alone {pieces[worst]:,.0f})"
    )
    return [src.problem(("roads", worst, "km"), why)]


def _network_problems(t: Theater, src: Located) -> list[Problem]:
    """What needs the road graph: the front axis and each sector's axis joined by roads, and
    the theater's own `checks:` distances (road km within their tolerance)."""
    from sim.network import build_network, no_road

    net = build_network(t, axes=False)
    out: list[Problem] = []
    lines = [(("front_axis",), t.front_axis)]
    lines += [(("sectors", i, "axis"), sec.axis) for i, sec in enumerate(t.sectors)]
    for loc, names in lines:
        nodes = [net.resolve(n) for n in names]
        for i in range(1, len(nodes)):
            if no_road(net.graph, nodes[i - 1], nodes[i]):
                out.append(
                    src.problem((*loc, i), f"no road joins {nodes[i - 1]!r} and {nodes[i]!r}")
                )
    if out:
        return out
    axis = [net.resolve(n) for n in t.front_axis]
    # Units move by road: one placed, or sent, where no road joins the front could never get
    # anywhere (the model would fail looking up its path).
    front = net.reachable(axis[0])
    for key, f in t.factions.items():
        if net.resolve(f.capital) not in front:
            out.append(_cut_off(src, ("factions", key, "capital"), f.capital, axis[0]))
    for i, u in enumerate(t.units):
        if net.resolve(u.place) not in front:
            out.append(_cut_off(src, ("units", i, "place"), u.place, axis[0]))
    for key, pat in t.patrons.items():  # an inflow's fighters arrive as units there
        for j, flow in enumerate(pat.inflows):
            if net.resolve(flow.place) not in front:
                out.append(
                    _cut_off(src, ("patrons", key, "inflows", j, "place"), flow.place, axis[0])
                )
    for i, c in enumerate(t.checks):
        a, b = net.resolve(c.a), net.resolve(c.b)
        if no_road(net.graph, a, b):
            out.append(src.problem(("checks", i), f"no road joins {a!r} and {b!r}"))
            continue
        km = net.route(a, b)[1]
        if abs(km - c.km) > c.tolerance * c.km:
            out.append(
                src.problem(
                    ("checks", i, "km"),
                    f"the roads give {a} -> {b} {km:.0f} km, not {c.km:g} km "
                    f"within {c.tolerance:.0%} (`conflict-sim route` shows the path)",
                )
            )
    return out


def _cut_off(src: Located, loc: tuple, place: str, front: str) -> Problem:
    return src.problem(loc, f"no road joins {place!r} to the front ({front!r}): units move by road")


def movement_problems(s: Scenario, t: Theater, src: Located) -> list[Problem]:
    """Places a scenario puts or sends units to must be joined by road to the front."""
    from sim.network import build_network

    net = build_network(t)
    front = net.reachable(net.axis[0])
    out = []
    for i, u in enumerate(s.units):
        if net.lookup(u.place) not in front:
            out.append(_cut_off(src, ("units", i, "place"), u.place, net.axis[0]))
    for i, ev in enumerate(s.events):
        if isinstance(ev, OffensiveEvent):
            places = [(("events", i, "targets", j), p) for j, p in enumerate(ev.targets)]
        elif isinstance(ev, ReinforceEvent | DeploymentEvent):
            places = [(("events", i, "place"), ev.place)]
        else:
            continue
        for loc, name in places:
            if net.lookup(name) not in front:
                out.append(_cut_off(src, loc, name, net.axis[0]))
    return out


def theater_warnings(t: Theater, src: Located) -> list[Problem]:
    """Not errors, but likely mistakes: places no road reaches from the front axis."""
    from sim.network import build_network

    net = build_network(t)
    names = place_names(t)
    reached = set(net.reachable(net.axis[0]))
    out = []
    for i, p in enumerate(t.places):
        if names.resolve(p.name) not in reached:
            out.append(src.problem(("places", i, "name"), f"no road reaches {p.name!r}"))
    return out


def _check_units(
    units: list[UnitSpec],
    field: str,
    src: Located,
    names: PlaceNames,
    factions: set[str],
    patrons: set[str],
    problems: list[Problem],
) -> None:
    ids: set[str] = set()
    for i, u in enumerate(units):
        if u.id in ids:
            problems.append(src.problem((field, i, "id"), f"duplicate unit id {u.id!r}"))
        ids.add(u.id)
        if u.faction not in factions:
            hint = did_you_mean(u.faction, factions)
            problems.append(
                src.problem((field, i, "faction"), f"unknown faction {u.faction!r}{hint}")
            )
        if u.patron is not None and u.patron not in patrons:
            hint = did_you_mean(u.patron, patrons)
            problems.append(src.problem((field, i, "patron"), f"unknown patron {u.patron!r}{hint}"))
        if names.resolve(u.place) is None:
            problems.append(
                src.problem((field, i, "place"), f"unknown place {u.place!r}{names.hint(u.place)}")
            )


def check_scenario(s: Scenario, t: Theater, src: Located, registry: Any) -> list[Problem]:
    names = place_names(t)
    factions = set(t.factions)
    problems: list[Problem] = []
    if s.end <= s.start:
        problems.append(src.problem(("end",), "end must be after start"))
    elif s.hours < 1:
        problems.append(
            src.problem(
                ("end",), "the window is shorter than one step (one hour): nothing would run"
            )
        )
    # One step is one hour: the model runs whole hours, and an event after the last one never fires.
    last = (s.start.astimezone(UTC) + timedelta(hours=s.hours)).astimezone(s.start.tzinfo)
    for key, value in s.set.items():
        problems.extend(registry.problems(key, value, src, ("set", key)))
    controlled: dict[str, str] = {}
    for place_name, ctl in s.control.items():
        node = names.resolve(place_name)
        if node is None:
            problems.append(
                src.problem(
                    ("control", place_name), f"unknown place {place_name!r}{names.hint(place_name)}"
                )
            )
        elif node in controlled:
            problems.append(
                src.problem(
                    ("control", place_name),
                    f"{place_name!r} is {node!r}, already given as {controlled[node]!r}",
                    key=True,
                )
            )
        else:
            controlled[node] = place_name
        if ctl not in factions | {"contested"}:
            problems.append(src.problem(("control", place_name), f"unknown controller {ctl!r}"))
    _check_units(s.units, "units", src, names, factions, set(t.patrons), problems)
    problems.extend(reserved_id_problems(s.units, t, src))
    theater_ids = {u.id for u in t.units}
    all_ids = theater_ids | {u.id for u in s.units}
    for i, uid in enumerate(s.remove_units):
        if uid not in all_ids:
            hint = did_you_mean(uid, all_ids)
            problems.append(src.problem(("remove_units", i), f"unknown unit {uid!r}{hint}"))
    for i, u in enumerate(s.units):
        if u.id in theater_ids and u.id not in s.remove_units:
            problems.append(
                src.problem(
                    ("units", i, "id"),
                    f"the theater has a unit {u.id!r}: give another id, or remove_units it",
                )
            )
    # A removed unit is not there to act: an event naming it would silently do nothing.
    unit_ids = all_ids - (set(s.remove_units) - {u.id for u in s.units})
    for i, ev in enumerate(s.events):
        loc = ("events", i)
        if not s.start <= ev.at <= s.end:
            problems.append(
                src.problem(
                    (*loc, "at"),
                    f"{ev.at.isoformat()} is outside the scenario window "
                    f"{s.start.isoformat()} .. {s.end.isoformat()}",
                )
            )
        elif ev.at > last:
            problems.append(
                src.problem(
                    (*loc, "at"),
                    f"{ev.at.isoformat()} is after the last simulated hour {last.isoformat()} "
                    "(the window runs whole hours): the event would never happen",
                )
            )
        problems.extend(event_problems(ev, loc, src, names, factions, set(t.patrons), unit_ids))
        if isinstance(ev, SetEvent):
            for key, value in ev.params.items():
                problems.extend(registry.problems(key, value, src, (*loc, "params", key)))
                spec = registry.specs.get(key)
                if spec is not None and spec.start_only:
                    why = (
                        f"{key} is read once, when the run starts: a set event would change "
                        "nothing (give it in the scenario's set:, or with --set)"
                    )
                    problems.append(src.problem((*loc, "params", key), why, key=True))
    if not problems:
        problems.extend(sequence_problems(s, t, src))
    if not problems:
        zeroed = zeroed_group(s, registry.defaults() | s.set)
        if zeroed is not None:
            loc = zeroed.event or (("set", zeroed.key) if zeroed.key in s.set else ("set",))
            problems.append(src.problem(loc, zeroed.located_why, key=True))
    return problems
