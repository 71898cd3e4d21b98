"""Observations: dated facts about what happened, each with its source, to score runs against.

A file under `data/observations/` lists three kinds of facts:

- `control`: who held a place at a time (`at`), or over a `window` (held `throughout`, or at
  its `end`); `controller` may list several acceptable states (e.g. `[<faction>, contested]`);
- `event`: something of a kind (engagement, strike, withdrawal, control_change, ...) at a place
  or within `within_km` of it by road (`near: {place, within_km}`), by given factions, within a
  window, optionally with at least `min_casualties`;
- `number`: a quantity over a window (the change of a cumulative timeseries column such as
  `casualties_<faction>`, or the level of another column; or `event_count`, `event_casualties`,
  `event_civilian_casualties` (sums) or `event_mean_casualties` (casualties per event) of the
  events matching a filter), with the source's own range (`low`/`high`) or `value` ± `sd`.

Every observation has an id, a description and a source (publication, date, URL where known).
Files are validated like scenarios: every error names file:line:col and, for a misspelt place,
faction or kind, the closest match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.config import Day, Setup, Strict, Time, validate_located
from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import Located, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OBSERVATIONS_DIR = PROJECT_ROOT / "data" / "observations"

# Event kinds the model logs (sim/model.py, sim/agents.py); `event` is a logged scenario event.
EVENT_KINDS = (
    "engagement",
    "strike",
    "withdrawal",
    "control_change",
    "offensive",
    "violation",
    "ceasefire",
    "ceasefire_collapse",
    "deployment",
    "defection",
    "request",
    "air_loss",
    "surrender",
    "event",
)
CONTROLLER_STATES = ("contested",)
# Timeseries columns: per-faction ones are checked against the theater's factions.
# casualties_<F> are killed + wounded, beside killed_, wounded_ and captured_ (see sim/recording.py).
FACTION_SERIES = ("personnel", "casualties", "killed", "wounded", "captured", "places")
PLAIN_SERIES = (
    "front_km",
    "civilian_casualties",
    "civilians_killed",
    "displaced",
    "displaced_now",
    "violations",
    "incident_rate",
)
EVENT_METRICS = (
    "event_count",
    "event_casualties",
    "event_civilian_casualties",
    "event_mean_casualties",
)
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


# --- schema ----------------------------------------------------------------------------------


class Source(Strict):
    """Where a fact comes from: publication, its date, and a URL or title where known."""

    publication: str = Field(min_length=1)
    date: Day
    url: str | None = None
    title: str | None = None
    quote: str = ""
    note: str = ""
    rows: list[str] = Field(default_factory=list)  # ids of the data rows (ACLED, GED) used

    def label(self) -> str:
        parts = [self.publication, self.date.isoformat()]
        if self.url:
            parts.append(self.url)
        elif self.title:
            parts.append(self.title)
        return ", ".join(parts)


class Window(Strict):
    from_: Time = Field(alias="from")
    to: Time

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.to < self.from_:
            raise ValueError("window 'to' is before 'from'")
        return self


class Near(Strict):
    place: str
    within_km: float = Field(ge=0)


class ObservationBase(Strict):
    id: str = Field(pattern=_ID)
    description: str = Field(min_length=1)
    source: Source
    weight: float = Field(default=1.0, gt=0)
    at: Time | None = None
    window: Window | None = None

    @property
    def start(self) -> datetime:
        return self.at if self.at is not None else self.window.from_  # type: ignore[union-attr]

    @property
    def end(self) -> datetime:
        return self.at if self.at is not None else self.window.to  # type: ignore[union-attr]


class _PlaceFilter(Strict):
    """Optional event filter: a place (or near a place), factions, a minimum of casualties."""

    event: str | None = None
    place: str | None = None
    within_km: float = Field(default=0.0, ge=0)
    near: Near | None = None
    factions: list[str] = Field(default_factory=list)
    attacker: str | None = None
    target: str | None = None
    min_casualties: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _one_place(self) -> _PlaceFilter:
        if self.near is not None and self.place is not None:
            raise ValueError("give either 'place' (with optional 'within_km') or 'near', not both")
        return self

    def centre(self) -> tuple[str | None, float]:
        if self.near is not None:
            return self.near.place, self.near.within_km
        return self.place, self.within_km


class ControlObservation(ObservationBase):
    """Who held a place at a time, or over a window (throughout, or at its end)."""

    kind: Literal["control"]
    place: str
    controller: str | list[str]
    hold: Literal["throughout", "end"] = "throughout"

    @model_validator(mode="after")
    def _when(self) -> ControlObservation:
        _one_time(self)
        return self

    def controllers(self) -> list[str]:
        return [self.controller] if isinstance(self.controller, str) else list(self.controller)


class EventObservation(ObservationBase, _PlaceFilter):
    """At least one event of a kind at (or near) a place within a window."""

    kind: Literal["event"]
    event: str  # type: ignore[assignment]

    @model_validator(mode="after")
    def _when(self) -> EventObservation:
        if self.window is None:
            raise ValueError("an event observation needs a 'window' with 'from' and 'to'")
        if self.at is not None:
            raise ValueError("give a 'window' for an event observation, not 'at'")
        return self


class NumberObservation(ObservationBase, _PlaceFilter):
    """A number over a window (or a level at a time) with the source's own uncertainty."""

    kind: Literal["number"]
    metric: str
    low: float | None = None
    high: float | None = None
    value: float | None = None
    sd: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _shape(self) -> NumberObservation:
        _one_time(self)
        ranged = self.low is not None or self.high is not None
        pointed = self.value is not None or self.sd is not None
        if ranged == pointed:
            raise ValueError("give either 'low' and 'high', or 'value' with optional 'sd'")
        if ranged:
            if self.low is None or self.high is None:
                raise ValueError("give both 'low' and 'high'")
            if self.high < self.low:
                raise ValueError("'high' is below 'low'")
        elif self.value is None:
            raise ValueError("'sd' needs a 'value'")
        if self.metric in EVENT_METRICS and self.window is None:
            raise ValueError(f"{self.metric} counts events over a 'window', not 'at' a time")
        return self

    def interval(self) -> tuple[float, float]:
        """The range a replicate must fall in to match: [low, high], or value ± 2 sd."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
        sd = self.sd or 0.0
        return self.value - 2 * sd, self.value + 2 * sd  # type: ignore[operator]


def _one_time(obs: ObservationBase) -> None:
    if (obs.at is None) == (obs.window is None):
        raise ValueError("give either 'at' or a 'window' with 'from' and 'to'")


Observation = Annotated[
    ControlObservation | EventObservation | NumberObservation, Field(discriminator="kind")
]


class ObservationSet(Strict):
    title: str
    description: str = ""
    theater: str | None = None
    notes: list[str] = Field(default_factory=list)
    observations: list[Observation] = Field(min_length=1)


_FIELD_NAMES = {
    name
    for model in (
        Source,
        Window,
        Near,
        ControlObservation,
        EventObservation,
        NumberObservation,
        ObservationSet,
    )
    for name in model.model_fields
}


@dataclass(frozen=True)
class ObservationFile:
    """A validated observations file and where its values came from (for located errors)."""

    path: Path
    data: ObservationSet
    src: Located

    @property
    def observations(self) -> list[Any]:
        return list(self.data.observations)

    def last_time(self) -> datetime:
        return max(o.end for o in self.data.observations)

    def first_time(self) -> datetime:
        return min(o.start for o in self.data.observations)

    def problem(self, index: int, field: str | tuple, message: str) -> Problem:
        loc = ("observations", index, *((field,) if isinstance(field, str) else field))
        return self.src.problem(loc, message)


# --- loading and cross-checks ----------------------------------------------------------------


def is_observations_file(path: str | Path) -> bool:
    """Tell observation files from scenarios and theaters by their top-level keys (for `check`)."""
    try:
        return "observations" in load_yaml(path).data
    except InputError:
        return False


def load_observations(path: str | Path, setup: Setup | None = None) -> ObservationFile:
    """Read and validate an observations file; with a setup, also check names and dates, and
    give every time in the theater's local time (as the scenario's), whatever the file's offset."""
    path = Path(path)
    src = load_yaml(path)
    try:
        data: ObservationSet = validate_located(ObservationSet, src, _FIELD_NAMES)
    except InputError as exc:
        raise InputError([_untag(p) for p in exc.problems]) from None
    if setup is not None:
        data = _in_timezone(data, setup.scenario.start.tzinfo)
    out = ObservationFile(path, data, src)
    problems = _check_ids(out)
    if setup is not None:
        problems.extend(check_against(out, setup))
    if problems:
        raise InputError(problems)
    return out


def _in_timezone(data: ObservationSet, tz: Any) -> ObservationSet:
    """The same instants in another time zone (what tables and descriptions show)."""

    def local(o: Any) -> Any:
        update: dict[str, Any] = {}
        if o.at is not None:
            update["at"] = o.at.astimezone(tz)
        if o.window is not None:
            window = {"from_": o.window.from_.astimezone(tz), "to": o.window.to.astimezone(tz)}
            update["window"] = o.window.model_copy(update=window)
        return o.model_copy(update=update)

    return data.model_copy(update={"observations": [local(o) for o in data.observations]})


_TAG = re.compile(r"^(observations\.\d+)\.(?:control|event|number)(?=\.|$)")


def _untag(problem: Problem) -> Problem:
    """Drop the union tag pydantic puts in error paths (`observations.0.control.at`)."""
    field = _TAG.sub(r"\1", problem.field)
    return replace(problem, field=field) if field != problem.field else problem


def _check_ids(obs: ObservationFile) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for i, o in enumerate(obs.data.observations):
        if o.id in seen:
            problems.append(obs.problem(i, "id", f"duplicate observation id {o.id!r}"))
        seen.add(o.id)
    return problems


def check_against(obs: ObservationFile, setup: Setup) -> list[Problem]:
    """Places, factions, kinds, metrics and times checked against a scenario and its theater."""
    from sim.runner import network_for

    theater, scenario = setup.theater, setup.scenario
    net = network_for(setup)
    factions = set(theater.factions)
    problems: list[Problem] = []
    if obs.data.theater is not None and obs.data.theater != theater.name:
        problems.append(
            obs.src.problem(
                ("theater",),
                f"observations are for theater {obs.data.theater!r}, the scenario uses {theater.name!r}",
            )
        )

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
        if o.event is not None and o.event not in EVENT_KINDS:
            hint = did_you_mean(o.event, EVENT_KINDS)
            problems.append(
                obs.problem(
                    i,
                    "event",
                    f"unknown event kind {o.event!r}; expected one of {list(EVENT_KINDS)}{hint}",
                )
            )
        elif o.event is None and need_kind:
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
        o.event or o.place or o.near or o.factions or o.attacker or o.target or o.min_casualties
    )


def metric_names(factions: set[str] | list[str]) -> list[str]:
    """Every metric a number observation can name, for a theater's factions."""
    out = [f"{s}_{f}" for s in FACTION_SERIES for f in sorted(factions)]
    return [*out, *PLAIN_SERIES, *EVENT_METRICS]


def is_cumulative(metric: str) -> bool:
    """Cumulative columns are compared as a change over a window; others as a level at its end."""
    return metric.startswith(("casualties_", "killed_", "wounded_", "captured_")) or metric in (
        "civilian_casualties",
        "civilians_killed",
        "displaced",
        "violations",
    )


def after_cutoff(o: ObservationBase, cutoff: datetime) -> str | None:
    """Why an observation postdates `cutoff` (its facts or its source), or None."""
    if o.end > cutoff:
        return f"its time {o.end.isoformat()} is after {cutoff.isoformat()}"
    if o.source.date > cutoff.date():
        return f"its source is dated {o.source.date.isoformat()}, after {cutoff.date().isoformat()}"
    return None


def scenario_cutoff(setup: Setup) -> datetime:
    """When calibration must stop looking: the theater's `calibration_cutoff` if it sets one,
    else the scenario's first ceasefire, else its end (every fact in its window may be used)."""
    if setup.theater.calibration_cutoff is not None:
        return setup.theater.calibration_cutoff
    times = [e.at for e in setup.scenario.events if getattr(e, "kind", "") == "ceasefire"]
    return min(times, default=setup.scenario.end)


def check_in_sample(obs: ObservationFile, setup: Setup) -> None:
    """Refuse observations dated after the ceasefire began (calibration's honesty rule)."""
    cutoff = scenario_cutoff(setup)
    problems = []
    for i, o in enumerate(obs.data.observations):
        why = after_cutoff(o, cutoff)
        if why:
            field = "source" if why.startswith("its source") else ("at" if o.at else "window")
            problems.append(
                obs.problem(
                    i, field,
                    f"observation {o.id!r} is dated after the ceasefire began ({why}): calibration "
                    "may use only what was known before it (the rest is the out-of-sample test); "
                    "pass --allow-after-ceasefire to override",
                )
            )  # fmt: skip
    if problems:
        raise InputError(problems)


def cut_setup(setup: Setup, until: datetime, margin: timedelta = timedelta(days=1)) -> Setup:
    """The scenario cut to end `margin` after `until` (events after the new end dropped).

    Observations rarely reach past the first week; running the full window to score them would
    waste most of the time. Returns the setup unchanged when the cut would not shorten it.
    """
    s = setup.scenario
    end = (until + margin).astimezone(s.start.tzinfo)  # local, like the scenario's times
    if end >= s.end:
        return setup
    end = max(end, s.start + timedelta(hours=1))
    events = [e for e in s.events if e.at <= end]
    return setup.model_copy(
        update={"scenario": s.model_copy(update={"end": end, "events": events})}
    )


def describe(o: Any) -> str:
    """One line saying what was observed (for tables)."""
    if isinstance(o, ControlObservation):
        who = "/".join(o.controllers())
        if o.at is not None:
            return f"{who} holds {o.place} at {_short(o.at)}"
        span = f"{_short(o.window.from_)}..{_short(o.window.to)}"  # type: ignore[union-attr]
        return f"{who} holds {o.place} {'throughout ' if o.hold == 'throughout' else 'at end of '}{span}"
    if isinstance(o, EventObservation):
        where, km = o.centre()
        at = f" within {km:g} km of {where}" if km and where else (f" at {where}" if where else "")
        return f"{o.event}{at} {_short(o.start)}..{_short(o.end)}"
    lo, hi = o.interval()
    if o.low is not None:
        return f"{o.metric} in [{lo:g}, {hi:g}]"
    return f"{o.metric} = {o.value:g} ± {o.sd or 0:g}"


def _short(t: datetime) -> str:
    return t.strftime("%d %b %H:%M")
