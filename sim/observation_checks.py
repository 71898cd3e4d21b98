"""An observations file checked against one scenario: every place, faction, metric and window
it names must exist there (one located problem each, with a close match for a misspelt name)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config import Scenario, Setup, Theater
from sim.errors import Problem, did_you_mean
from sim.observations import (
    CONTROLLER_STATES,
    EVENT_KINDS,
    EVENT_METRICS,
    ControlObservation,
    EventObservation,
    ObservationBase,
    ObservationFile,
    _PlaceFilter,
    metric_names,
)

if TYPE_CHECKING:
    from sim.network import RoadNetwork


def check_against(obs: ObservationFile, setup: Setup) -> list[Problem]:
    """Places, factions, kinds, metrics and times checked against a scenario and its theater."""
    from sim.runner import network_for

    return check_names(obs, setup.theater, network_for(setup), setup.scenario)


def check_alone(obs: ObservationFile) -> tuple[list[Problem], str]:
    """A file checked on its own (`conflict-sim check obs.yaml`): its names against the theater
    it names (`theater:`, an id in config/theaters), so that `check` does not pass a misspelt
    place that `validate` then refuses; times need a scenario's window and are not checked.
    Returns the problems and what was checked, for the line `check` prints."""
    from sim.config import THEATER_DIR, load_theater, resolve_theater_path
    from sim.network import build_network

    name = obs.data.theater
    if name is None:
        return [], "names are checked against a scenario's theater by validate"
    path = resolve_theater_path(name)
    if not path.is_file():
        hint = did_you_mean(name, [p.stem for p in THEATER_DIR.glob("*.yaml")])
        if hint:
            return [
                obs.src.problem(("theater",), f"no theater {name!r} in {THEATER_DIR}{hint}")
            ], ""
        return [], f"names not checked: no theater {name!r} in {THEATER_DIR}"
    theater = load_theater(path)
    return check_names(
        obs, theater, build_network(theater)
    ), f"names checked in theater {name!r}; times need a scenario"


def check_names(
    obs: ObservationFile, theater: Theater, net: RoadNetwork, scenario: Scenario | None = None
) -> list[Problem]:
    """Places, factions, kinds and metrics checked against a theater and its road network, and
    with a scenario each fact's times against its window."""
    factions = set(theater.factions)
    problems: list[Problem] = []
    if obs.data.theater is not None and obs.data.theater != theater.name:
        problems.append(
            obs.src.problem(
                ("theater",),
                f"observations are for theater {obs.data.theater!r}, the scenario uses {theater.name!r}",
            )
        )
        return problems  # every place, faction and date would be wrong too: a screen of them

    def place(i: int, loc: tuple, name: str | None) -> None:
        if name is not None and net.lookup(name) is None:
            hint = net.names.hint(name)
            problems.append(obs.problem(i, loc, f"unknown place {name!r}{hint}"))

    def faction(i: int, loc: tuple, name: str | None) -> None:
        if name is not None and name not in factions:
            hint = did_you_mean(name, factions)
            problems.append(
                obs.problem(
                    i, loc, f"unknown faction {name!r}; expected one of {sorted(factions)}{hint}"
                )
            )

    def when(i: int, o: ObservationBase) -> None:
        if scenario is None:
            return
        fields = (
            [("at", o.at)]
            if o.at is not None
            else [("window", o.window.from_), ("window", o.window.to)]
        )  # type: ignore[union-attr]
        for field, t in fields:
            if not scenario.start <= t <= scenario.end:
                problems.append(
                    obs.problem(
                        i, field,
                        f"{t.isoformat()} is outside the scenario window "
                        f"{scenario.start.isoformat()} .. {scenario.end.isoformat()}",
                    )
                )  # fmt: skip
                return

    def event_filter(i: int, o: _PlaceFilter, need_kind: bool) -> None:
        if o.event is None and need_kind:  # the kinds named are checked by `kind_problems`
            problems.append(obs.problem(i, "metric", "an event metric needs 'event' (the kind)"))
        if o.near is not None:
            place(i, ("near", "place"), o.near.place)
        else:
            place(i, ("place",), o.place)
        for j, f in enumerate(o.factions):
            faction(i, ("factions", j), f)
        faction(i, ("attacker",), o.attacker)
        faction(i, ("target",), o.target)

    for i, o in enumerate(obs.data.observations):
        when(i, o)
        if isinstance(o, ControlObservation):
            place(i, ("place",), o.place)
            allowed = factions | set(CONTROLLER_STATES)
            for j, c in enumerate(o.controllers()):
                if c not in allowed:
                    loc = ("controller",) if isinstance(o.controller, str) else ("controller", j)
                    hint = did_you_mean(c, allowed)
                    problems.append(
                        obs.problem(
                            i,
                            loc,
                            f"unknown controller {c!r}; expected one of {sorted(allowed)}{hint}",
                        )
                    )
        elif isinstance(o, EventObservation):
            event_filter(i, o, need_kind=True)
        else:
            known = metric_names(factions)
            if o.metric not in known:
                hint = did_you_mean(o.metric, known)
                problems.append(
                    obs.problem(
                        i,
                        "metric",
                        f"unknown metric {o.metric!r}; expected a timeseries column or one of {list(EVENT_METRICS)}{hint}",
                    )
                )
            elif o.metric in EVENT_METRICS:
                event_filter(i, o, need_kind=False)
            elif _has_filter(o):
                problems.append(
                    obs.problem(
                        i,
                        "metric",
                        f"{o.metric} is a timeseries column: event filters (event, place, near, factions, ...) apply only to {list(EVENT_METRICS)}",
                    )
                )
    return problems


def _has_filter(o: _PlaceFilter) -> bool:
    return bool(
        o.event
        or o.place
        or o.near
        or o.factions
        or o.attacker
        or o.target
        or o.min_casualties
        or o.also_events
        or o.min_deaths
    )


def kind_problems(obs: ObservationFile) -> list[Problem]:
    """The event kinds a file names (`event`, `also_events`) that the model does not log, and
    `also_events` without `event`: a check of the file alone, since the kinds are the same in
    every theater (`conflict-sim check obs.yaml` makes it, as `validate` does)."""
    problems: list[Problem] = []

    def unknown(i: int, loc: tuple, kind: str) -> None:
        hint = did_you_mean(kind, EVENT_KINDS)
        why = f"unknown event kind {kind!r}; expected one of {list(EVENT_KINDS)}{hint}"
        problems.append(obs.problem(i, loc, why))

    for i, o in enumerate(obs.data.observations):
        if not isinstance(o, _PlaceFilter):
            continue
        if o.event is not None and o.event not in EVENT_KINDS:
            unknown(i, ("event",), o.event)
        if o.also_events and o.event is None:
            problems.append(obs.problem(i, "also_events", "'also_events' needs 'event'"))
        for j, kind in enumerate(o.also_events):
            if kind not in EVENT_KINDS:
                unknown(i, ("also_events", j), kind)
    return problems
