"""Checks of a scenario's events, in the order they fire, and of unit ids: what passes them the
run does as written (nothing silently ignored: an order to the other side's unit, a
recommitment before any ceasefire). (That it can run, with no hour with every weight of a group
0, is sim.weights'.) Each returns located problems (`file:line:col: field: msg`); sim.checks calls them."""

from __future__ import annotations

import re
from typing import Any

from sim.config import (
    CeasefireEvent,
    DefectionEvent,
    DeploymentEvent,
    OffensiveEvent,
    RecommitEvent,
    ReinforceEvent,
    Scenario,
    Theater,
    UnitSpec,
)
from sim.errors import Problem, did_you_mean
from sim.names import PlaceNames
from sim.yamlsource import Located


def reserved_id_problems(units: list[UnitSpec], t: Theater, src: Located) -> list[Problem]:
    """Unit ids the model gives units it makes: `local_<place>` to a place's local defence,
    `<patron>_<n>` to a patron's n-th arrival (sim.model, sim.scenario_events). A unit of the
    file's with one would share its id with another in the tables, and events naming it could
    act on the other."""
    from sim.recording import slug

    locals_ = {f"local_{slug(p.name)}": p.name for p in t.places}
    patrons = {slug(k): k for k in t.patrons}
    out = []
    for i, u in enumerate(units):
        arrival = re.fullmatch(r"(.+)_\d+", u.id)
        if u.id in locals_:
            why = f"{u.id!r} is the id of {locals_[u.id]}'s local defence: give another"
        elif arrival and arrival.group(1) in patrons:
            patron = patrons[arrival.group(1)]
            why = f"{u.id!r} is the id of one of {patron}'s arriving contingents: give another"
        else:
            continue
        out.append(src.problem(("units", i, "id"), why))
    return out


def sequence_problems(s: Scenario, t: Theater, src: Located) -> list[Problem]:
    """Events naming a unit that is not the event's faction's when it fires (after the defections
    before it), a defection to the side the unit is already on, a recommitment before any
    ceasefire: the model would silently do nothing."""
    side = {u.id: u.faction for u in t.units} | {u.id: u.faction for u in s.units}
    out = []
    declared = False
    # In the order they fire: by time, then as written (the model schedules them so).
    for i, ev in sorted(enumerate(s.events), key=lambda pair: pair[1].at):
        declared = declared or isinstance(ev, CeasefireEvent)
        if isinstance(ev, RecommitEvent) and not declared:
            why = "no ceasefire before it: the recommitment would do nothing"
            out.append(src.problem(("events", i, "kind"), why))
        if isinstance(ev, OffensiveEvent | ReinforceEvent):
            for j, uid in enumerate(ev.units):
                if side.get(uid, ev.faction) != ev.faction:
                    why = (
                        f"unit {uid!r} is {side[uid]}'s then, not {ev.faction}'s: it would not move"
                    )
                    out.append(src.problem(("events", i, "units", j), why))
        elif isinstance(ev, DefectionEvent):
            if side.get(ev.unit) == ev.to:
                why = f"unit {ev.unit!r} is already {ev.to}'s then: the defection would do nothing"
                out.append(src.problem(("events", i, "to"), why))
            side[ev.unit] = ev.to
    return out


def event_problems(
    ev: Any,
    loc: tuple,
    src: Located,
    names: PlaceNames,
    factions: set[str],
    patrons: set[str],
    unit_ids: set[str],
) -> list[Problem]:
    out: list[Problem] = []

    def need(field: str, value: str, allowed: set[str], what: str, idx: int | None = None) -> None:
        if value not in allowed:
            where = (*loc, field) if idx is None else (*loc, field, idx)
            out.append(
                src.problem(where, f"unknown {what} {value!r}{did_you_mean(value, allowed)}")
            )

    def place(field: str, value: str, idx: int | None = None) -> None:
        if names.resolve(value) is None:
            where = (*loc, field) if idx is None else (*loc, field, idx)
            out.append(src.problem(where, f"unknown place {value!r}{names.hint(value)}"))

    if isinstance(ev, OffensiveEvent):
        need("faction", ev.faction, factions, "faction")
        for j, target in enumerate(ev.targets):
            place("targets", target, j)
        for j, uid in enumerate(ev.units):
            need("units", uid, unit_ids, "unit", j)
    elif isinstance(ev, ReinforceEvent):
        need("faction", ev.faction, factions, "faction")
        place("place", ev.place)
        for j, uid in enumerate(ev.units):
            need("units", uid, unit_ids, "unit", j)
    elif isinstance(ev, CeasefireEvent):
        for j, party in enumerate(ev.parties):
            need("parties", party, factions, "faction", j)
            if party in ev.parties[:j]:  # [X, X] would be a ceasefire with no other side
                out.append(src.problem((*loc, "parties", j), f"{party!r} is named twice"))
    elif isinstance(ev, DeploymentEvent):
        need("patron", ev.patron, patrons, "patron")
        place("place", ev.place)
        if ev.personnel == 0 and ev.drones == 0 and ev.air_defence == 0:
            why = "personnel, drones and air_defence are all 0: nothing would arrive"
            out.append(src.problem(loc, why))
    elif isinstance(ev, DefectionEvent):
        need("unit", ev.unit, unit_ids, "unit")
        need("to", ev.to, factions, "faction")
    return out
