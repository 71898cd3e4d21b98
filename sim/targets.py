"""Observations resolved against one scenario: each fact as a `Target` in the scenario's hours,
with place names turned into network nodes and event filters into node sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sim.observations import (
    ControlObservation,
    EventObservation,
    NumberObservation,
    ObservationFile,
    after_cutoff,
    describe,
    scenario_cutoff,
)


@dataclass(frozen=True)
class EventFilter:
    """Which events count: a kind, a set of places (None = anywhere), factions, casualties."""

    kind: str | None = None
    places: frozenset[str] | None = None
    factions: tuple[str, ...] = ()
    attacker: str | None = None
    target: str | None = None
    min_casualties: float = 0.0
    also: tuple[str, ...] = ()  # further kinds that count as `kind`
    min_deaths: float = 0.0  # whole fighters killed plus whole civilians killed in the event


@dataclass(frozen=True)
class Target:
    """One observation in the scenario's hours, with place names resolved to network nodes."""

    id: str
    kind: str  # control | event | number
    description: str
    source: str
    source_date: date
    start: float  # hours since scenario start
    end: float
    weight: float = 1.0
    observed: str = ""
    after_ceasefire: bool = False
    # control
    place: str | None = None
    controllers: tuple[str, ...] = ()
    mode: str = "at"  # at | throughout | end
    # event, or the filter of an event metric
    filter: EventFilter = field(default_factory=EventFilter)
    # number
    metric: str | None = None
    low: float | None = None
    high: float | None = None
    value: float | None = None
    sd: float | None = None


def hours_since(start: datetime, when: datetime) -> float:
    return (when - start).total_seconds() / 3600.0


def places_near(distances: Mapping[str, Mapping[str, float]], place: str, km: float) -> frozenset:
    """Nodes within `km` of `place` by road (the place itself included)."""
    return frozenset(n for n, d in distances.get(place, {place: 0.0}).items() if d <= km + 1e-9)


def resolve_targets(obs: ObservationFile, setup: Any, network: Any) -> list[Target]:
    """Turn a checked observations file into targets for one (possibly cut) scenario."""
    start = setup.scenario.start
    cutoff = scenario_cutoff(setup)
    dist, _paths = network.all_pairs()
    out = []
    for o in obs.observations:
        common: dict[str, Any] = dict(
            id=o.id,
            kind=o.kind,
            description=o.description.strip(),
            source=o.source.label(),
            source_date=o.source.date,
            start=hours_since(start, o.start),
            end=hours_since(start, o.end),
            weight=o.weight,
            observed=describe(o),
            after_ceasefire=after_cutoff(o, cutoff) is not None,
        )
        if isinstance(o, ControlObservation):
            mode = "at" if o.at is not None else o.hold
            out.append(
                Target(
                    **common,
                    place=network.resolve(o.place),
                    controllers=tuple(o.controllers()),
                    mode=mode,
                )
            )
            continue
        flt = _filter(o, network, dist)
        if isinstance(o, EventObservation):
            out.append(Target(**common, filter=flt))
        elif isinstance(o, NumberObservation):
            out.append(
                Target(
                    **common,
                    filter=flt,
                    metric=o.metric,
                    low=o.low,
                    high=o.high,
                    value=o.value,
                    sd=o.sd,
                    mode="at" if o.at is not None else "change",
                )
            )
    return out


def _filter(o: Any, network: Any, dist: Mapping) -> EventFilter:
    centre, km = o.centre()
    places = None
    if centre is not None:
        node = network.resolve(centre)
        places = places_near(dist, node, km) if km > 0 else frozenset({node})
    return EventFilter(
        kind=o.event,
        places=places,
        factions=tuple(o.factions),
        attacker=o.attacker,
        target=o.target,
        min_casualties=o.min_casualties,
        also=tuple(o.also_events),
        min_deaths=o.min_deaths,
    )
