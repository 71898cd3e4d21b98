"""Observations: dated facts about what happened, each with its source, to score runs against.

A file under `data/observations/` lists three kinds of facts:

- `control`: who held a place at a time (`at`), or over a `window` (held `throughout`, or at
  its `end`); `controller` may list several acceptable states (e.g. `[<faction>, contested]`);
- `event`: something of a kind (engagement, strike, withdrawal, control_change, ...) at a place
  or within `within_km` of it by road (`near: {place, within_km}`), by given factions, within a
  window, optionally with at least `min_casualties` (or `min_deaths`, fighters and civilians
  killed, in whole people) and counting kinds in `also_events` as `event` too;
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
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.config import Day, Setup, Strict, Time, validate_located
from sim.errors import InputError, Problem

# What calibration may use and what stays out of sample live in sim.sample_split; they are
# re-exported here, where callers have always found them.
from sim.sample_split import after_cutoff as after_cutoff
from sim.sample_split import check_in_sample as check_in_sample
from sim.sample_split import cut_setup as cut_setup
from sim.sample_split import scenario_cutoff as scenario_cutoff
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
    # UCDP GED's rows: every state-based event with a death, whatever its kind in the model.
    also_events: list[str] = Field(default_factory=list)
    min_deaths: float = Field(default=0.0, ge=0)

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
    """Tell observation files from scenarios and theaters by their top-level keys (for `check`):
    `observations` and none of the keys only a scenario has (`start`, `events`, `seed`, ...,
    from the two schemas). A scenario's own `observations:` names a file
    (sim.scenario_observations); one that lacks `start`, or gives `observations:` as a list,
    is still a scenario, and gets the scenario's one located error."""
    from sim.config import Scenario

    try:
        data = load_yaml(path).data
    except InputError:
        return False
    scenario_only = set(Scenario.model_fields) - set(ObservationSet.model_fields)
    return isinstance(data, dict) and "observations" in data and not scenario_only & set(data)


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
    from sim.observation_checks import check_against, kind_problems  # they need the models here

    problems = _check_ids(out) + kind_problems(out)
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
