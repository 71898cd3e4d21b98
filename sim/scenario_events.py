"""What each dated scenario event does to the model (offensive, reinforcement, ceasefire,
recommitment, talks, deployment, defection, parameter change, note). `HANDLERS` maps an event
class to its handler; the model schedules them with Mesa's `schedule_event`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents import AirAsset, Posture
from sim.config import (
    CeasefireEvent,
    DefectionEvent,
    DeploymentEvent,
    NoteEvent,
    OffensiveEvent,
    RecommitEvent,
    ReinforceEvent,
    SetEvent,
    TalksEvent,
    UnitSpec,
)
from sim.recording import slug

if TYPE_CHECKING:
    from sim.model import ConflictModel


def offensive(m: ConflictModel, ev: OffensiveEvent) -> None:
    f = m.factions[ev.faction]
    targets = [m.network.resolve(t) for t in ev.targets]
    if ev.units:
        chosen = [m.unit_by_id[u] for u in ev.units if u in m.unit_by_id]
    else:
        chosen = [u for u in f.units() if u.posture in (Posture.ATTACK, Posture.RESERVE)]
    f.start_offensive(targets, chosen)
    text = ev.text or f"{f.key} offensive toward {', '.join(targets)}"
    m.log("offensive", targets[0], f.key, 0.0, text, detail="ordered")
    f.decide()


def reinforce(m: ConflictModel, ev: ReinforceEvent) -> None:
    dest = m.network.resolve(ev.place)
    for uid in ev.units:
        u = m.unit_by_id.get(uid)
        if u is None or not u.active or u.faction != ev.faction:
            continue
        u.posture = Posture.HOLD
        u.set_route(dest)
    m.log("event", dest, ev.faction, 0.0, ev.text or f"{ev.faction} reinforces {dest}")


def ceasefire(m: ConflictModel, ev: CeasefireEvent) -> None:
    m.truce.declare(list(ev.parties))
    m.log("ceasefire", "", ",".join(ev.parties), 0.0, ev.text or "ceasefire takes effect")


def recommit(m: ConflictModel, ev: RecommitEvent) -> None:
    m.truce.recommit()
    m.log("ceasefire", "", ",".join(sorted(m.truce.parties)), 0.0,
          ev.text or "the parties recommit to the ceasefire", detail="recommit")  # fmt: skip


def talks(m: ConflictModel, ev: TalksEvent) -> None:
    m.truce.add_talks(ev.factor, ev.days)
    m.log("event", "", "", 0.0, ev.text or f"talks: resume hazard x{ev.factor:g} for {ev.days:g} days",
          detail="talks")  # fmt: skip


def deployment(m: ConflictModel, ev: DeploymentEvent) -> None:
    m.schedule_deployment(
        ev.patron, m.network.resolve(ev.place), personnel=ev.personnel,
        firepower=ev.firepower, drones=ev.drones, air_defence=ev.air_defence,
        delay_hours=ev.delay_hours, name=ev.name or f"{ev.patron} contingent", text=ev.text,
    )  # fmt: skip


def arrive(
    m: ConflictModel, patron: str, place: str, personnel: float, firepower: float, drones: int,
    air_defence: int, name: str, text: str = "",
) -> None:  # fmt: skip
    """A patron's contingent arrives at the client's nearest held place: troops, drones, air
    defence. `personnel` counts whole people: a fraction (a parameter swept over a range)
    is rounded down, and under one person no ground unit arrives."""
    personnel = int(personnel)
    client = m.theater.patrons[patron].client
    node = m.nearest_held(place, client) or m.factions[client].capital
    m.pending_arrivals = [a for a in m.pending_arrivals if a[0] > m.time]
    if personnel > 0:
        uid = f"{slug(patron)}_{m.patrons[patron].deployments + 1}"
        spec = UnitSpec(
            id=uid, name=name, faction=client, patron=patron, place=node,
            personnel=personnel, firepower=firepower, source="deployment",
            speed_kmh=m.p[f"patron.{patron}.speed_kmh"],
        )  # fmt: skip
        unit = m.add_unit(spec)
        m.reinforcements[client] += unit.personnel
        m.truce.draw_compliance(unit)
    for kind, count in (("drone", drones), ("air_defence", air_defence)):
        if count > 0:
            base = m.nearest_airbase(node, client) or node
            radius = m.p[f"patron.{patron}.{kind}_radius_km"]
            AirAsset(
                m, f"{patron}_{kind}", f"{patron} {kind}", patron, client, kind, base, count, radius
            )
    m.patrons[patron].deployments += 1
    m.deployments += 1
    msg = text or f"{name} arrives at {node}: {personnel} personnel, {drones} drones"
    m.log("deployment", node, f"{client},{patron}", 0.0, msg)
    m.refresh_air_cover()


def defection(m: ConflictModel, ev: DefectionEvent) -> None:
    u = m.unit_by_id.get(ev.unit)
    if u is None or u.faction == ev.to:
        return
    m.reinforcements[u.faction] -= u.personnel
    m.reinforcements[ev.to] += u.personnel
    old, u.faction = u.faction, ev.to
    m.occupancy_version += 1  # who stands where, by side, has changed
    u.posture, u.compliant = Posture.HOLD, False
    u.halt()
    for other in m.units_at(u.node):
        if other.faction == old:  # betrayal from inside shakes those left behind
            other.morale = max(0.0, other.morale - m.p["morale.defection_shock"])
    text = ev.text or f"{u.name} changes sides to {ev.to}"
    m.log("defection", u.node, f"{old},{ev.to}", 0.0, text)


def set_params(m: ConflictModel, ev: SetEvent) -> None:
    m.p.update(ev.params)
    m.p_version += 1
    m.log("event", "", "", 0.0, ev.text or f"parameters changed: {ev.params}")


def note(m: ConflictModel, ev: NoteEvent) -> None:
    m.log("event", "", "", 0.0, ev.text)


HANDLERS = {
    OffensiveEvent: offensive,
    ReinforceEvent: reinforce,
    CeasefireEvent: ceasefire,
    RecommitEvent: recommit,
    TalksEvent: talks,
    DeploymentEvent: deployment,
    DefectionEvent: defection,
    SetEvent: set_params,
    NoteEvent: note,
}
