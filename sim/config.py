"""Theater and scenario files: the scenario's pydantic models, loading both kinds of file, and
located errors (the theater's models are in sim.theater_schema, the cross-reference checks in
sim.checks).

A theater holds the slow facts (places, roads, factions, order of battle); a scenario holds a
window, a start state and dated events. Every error names file:line:col, the field and, for a
misspelt name, the closest match.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from sim import schema_paths
from sim.errors import InputError, Problem, did_you_mean

# The schema's building blocks and the theater's models live in their own modules; they are
# re-exported here (`X as X`), where every caller has always found them.
from sim.schema_types import Day as Day
from sim.schema_types import Strict as Strict
from sim.schema_types import Time as Time
from sim.schema_types import parse_timezone as parse_timezone
from sim.theater_schema import AirSpec as AirSpec
from sim.theater_schema import CheckSpec as CheckSpec
from sim.theater_schema import FactionSpec as FactionSpec
from sim.theater_schema import HubSpec as HubSpec
from sim.theater_schema import InflowSpec as InflowSpec
from sim.theater_schema import PatronSpec as PatronSpec
from sim.theater_schema import PlaceSpec as PlaceSpec
from sim.theater_schema import ReportSpec as ReportSpec
from sim.theater_schema import RoadSpec as RoadSpec
from sim.theater_schema import SectorSpec as SectorSpec
from sim.theater_schema import Theater as Theater
from sim.theater_schema import UnitSpec as UnitSpec
from sim.yamlsource import Located, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
THEATER_DIR = CONFIG_DIR / "theaters"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"

# --- scenario --------------------------------------------------------------------------------


class EventBase(Strict):
    at: Time
    text: str = ""


class OffensiveEvent(EventBase):
    """A faction starts an offensive toward its targets, in order (the next once one is held)."""

    kind: Literal["offensive"]
    faction: str
    targets: list[str] = Field(min_length=1)
    units: list[str] = []


class ReinforceEvent(EventBase):
    """Units move to a place and hold it (e.g. a city's reserves sent to a threatened checkpoint)."""

    kind: Literal["reinforce"]
    faction: str
    units: list[str] = Field(min_length=1)
    place: str


class CeasefireEvent(EventBase):
    """A ceasefire between the parties takes effect."""

    kind: Literal["ceasefire"]
    parties: list[str] = Field(min_length=2)


class DeploymentEvent(EventBase):
    """A patron sends a contingent to its client; it arrives after `delay_hours`."""

    kind: Literal["deployment"]
    patron: str
    place: str
    personnel: int = Field(default=0, ge=0)
    firepower: float = Field(default=1.0, gt=0)
    drones: int = Field(default=0, ge=0)
    air_defence: int = Field(default=0, ge=0)
    delay_hours: float = Field(default=0.0, ge=0)
    name: str = ""


class DefectionEvent(EventBase):
    """A unit changes sides (e.g. a battalion inside a besieged city goes over to the besiegers)."""

    kind: Literal["defection"]
    unit: str
    to: str


class SetEvent(EventBase):
    """Parameters change at a date (e.g. a faction's aggression after a political decision)."""

    kind: Literal["set"]
    params: dict[str, float] = Field(min_length=1)


class RecommitEvent(EventBase):
    """The parties recommit to the ceasefire (a conference, a joint military commission): every
    sector's truce is restored and its clock restarts (OSCE SMM, Donbas recommitments)."""

    kind: Literal["recommit"]


class TalksEvent(EventBase):
    """A political-track event that scales every party's hazard of resuming offensives by
    `factor` for `days` (e.g. talks in a capital, a joint commission meeting)."""

    kind: Literal["talks"]
    factor: float = Field(ge=0, le=10)
    days: float = Field(gt=0, le=365)


class NoteEvent(EventBase):
    """A dated fact with no mechanical effect, logged (e.g. the 8 January call for a ceasefire)."""

    kind: Literal["note"]


Event = Annotated[
    OffensiveEvent
    | ReinforceEvent
    | CeasefireEvent
    | DeploymentEvent
    | DefectionEvent
    | SetEvent
    | RecommitEvent
    | TalksEvent
    | NoteEvent,
    Field(discriminator="kind"),
]


class Scenario(Strict):
    title: str
    description: str
    theater: str
    start: Time
    end: Time
    seed: int = Field(default=20200112, ge=0)
    replicates: int = Field(default=20, ge=1)
    sample_every_hours: int = Field(default=6, ge=1)
    facts: list[str] = []
    # Its in-sample facts, the default of `validate` and `calibrate`: an id in data/observations
    # or a path relative to this file (sim.scenario_observations).
    observations: str | None = None
    set: dict[str, float] = {}
    control: dict[str, str] = {}
    units: list[UnitSpec] = []
    remove_units: list[str] = []
    events: list[Event] = []

    # Elapsed time is taken in UTC: Python subtracts two times of one tzinfo (an IANA zone, after
    # in_timezone) by their wall clocks, an hour wrong across a daylight-saving change.

    @property
    def hours(self) -> int:
        """Whole hours from start to end."""
        return int((self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() // 3600)

    def hour_of(self, when: datetime) -> float:
        """Hours from the start to `when` (an aware time), as elapsed in UTC."""
        return (when.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() / 3600.0


# --- loading ---------------------------------------------------------------------------------


def _field_names(*models: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for model in models:
        names.update(model.model_fields)
    return names


_ALL_FIELDS = _field_names(
    PlaceSpec,
    RoadSpec,
    CheckSpec,
    FactionSpec,
    PatronSpec,
    UnitSpec,
    AirSpec,
    SectorSpec,
    ReportSpec,
    Theater,
    OffensiveEvent,
    ReinforceEvent,
    CeasefireEvent,
    DeploymentEvent,
    DefectionEvent,
    SetEvent,
    RecommitEvent,
    TalksEvent,
    NoteEvent,
    Scenario,
)


def validate_located(model: type[BaseModel], src: Located, fields: set[str] | None = None) -> Any:
    """Validate parsed YAML against a model (sim.schema_paths.validate_located); a misspelt
    field with no field of its own mapping close to it is matched against `fields`, by default
    every field a theater or scenario file has. Raises InputError, one problem per line."""
    return schema_paths.validate_located(model, src, _ALL_FIELDS if fields is None else fields)


def resolve_theater_path(name: str, relative_to: Path | None = None) -> Path:
    """A theater named by id (the file's stem) lives in config/theaters; a path is taken as
    given (relative to `relative_to`, the scenario's folder, when one is given)."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path
    return THEATER_DIR / f"{name}.yaml"


def theater_option(name: str) -> Path:
    """The theater file a `--theater` option names (an id in config/theaters, or a file).

    Raises InputError on the command line, naming the closest id, when there is no such file."""
    path = resolve_theater_path(name)
    if not path.is_file() and not path.is_dir():
        known = sorted(p.stem for p in THEATER_DIR.glob("*.yaml"))
        why = f"no theater {name!r} in {THEATER_DIR}{did_you_mean(name, known)}"
        if path == Path(name):  # a file was named
            why = f"no such file {name!r}"
        raise InputError(Problem("<command line>", 1, 1, "--theater", why))
    return path


def load_theater(path: str | Path) -> Theater:
    """Load and cross-check a theater file; InputError with located problems."""
    return _load_theater(path)[0]


def _load_theater(path: str | Path) -> tuple[Theater, Located]:
    """Validate and cross-check; a stub `theater new` left (text starting `TODO`) is a problem
    too, reported in place of what else its value breaks (an unknown controller, a time zone)."""
    from sim.checks import check_theater
    from sim.theater_view import report_problems, stub_problems

    src = load_yaml(path)
    stubs = stub_problems(src)
    at = {(p.line, p.col) for p in stubs}
    try:
        theater = validate_located(Theater, src)
        check_theater(theater, src)
        problems = report_problems(theater, src)
        if problems:
            raise InputError(problems)
    except InputError as exc:
        raise InputError(stubs + [p for p in exc.problems if (p.line, p.col) not in at]) from None
    if stubs:
        raise InputError(stubs)
    return theater, src


def check_theater_file(path: str | Path) -> tuple[Theater, list[Problem]]:
    """Load and cross-check a theater file: the theater and its warnings (see theater_warnings)."""
    theater, src = _load_theater(path)
    from sim.checks import theater_warnings

    return theater, theater_warnings(theater, src)


def is_theater_file(path: str | Path) -> bool:
    """Tell theater files from scenarios by their top-level keys (used by `check`)."""
    try:
        src = load_yaml(path)
    except InputError:
        return False
    return "places" in src.data or "roads" in src.data


class Setup(BaseModel):
    """A scenario with its theater and where both came from: what a run needs."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    scenario: Scenario
    theater: Theater
    scenario_path: str
    scenario_sha256: str
    theater_path: str
    theater_sha256: str = ""


def load_scenario(path: str | Path) -> Setup:
    """Load a scenario and its theater, cross-checking names, dates and parameter keys."""
    from sim.checks import check_scenario, movement_problems
    from sim.params import ParamRegistry

    path = Path(path)
    src = load_yaml(path)
    scenario: Scenario = validate_located(Scenario, src)
    theater_path = resolve_theater_path(scenario.theater, path.parent)
    if not theater_path.is_file():
        known = [p.stem for p in THEATER_DIR.glob("*.yaml")]
        raise InputError(
            src.problem(
                ("theater",),
                f"no theater {scenario.theater!r} in {THEATER_DIR}{did_you_mean(scenario.theater, known)}",
            )
        )
    theater = load_theater(theater_path)
    scenario = in_timezone(scenario, theater.tzinfo())
    problems = check_scenario(scenario, theater, src, ParamRegistry.load(theater))
    if problems:
        raise InputError(problems)
    problems = movement_problems(scenario, theater, src)
    if problems:
        raise InputError(problems)
    return Setup(
        scenario=scenario,
        theater=theater,
        scenario_path=str(path),
        scenario_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        theater_path=str(theater_path),
        theater_sha256=hashlib.sha256(theater_path.read_bytes()).hexdigest(),
    )


def in_timezone(s: Scenario, tz: tzinfo) -> Scenario:
    """The scenario with its times in the theater's local time (the same instants), so every
    time shown or written (summary, report, tables, manifest) is local whatever the input's offset."""
    events = [ev.model_copy(update={"at": ev.at.astimezone(tz)}) for ev in s.events]
    return s.model_copy(
        update={"start": s.start.astimezone(tz), "end": s.end.astimezone(tz), "events": events}
    )


def list_files(folder: Path) -> list[tuple[str, str, str]]:
    """(id, path, one-line description) for each YAML file in a folder."""
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = load_yaml(path).data
        except InputError:
            rows.append((path.stem, str(path), "(unreadable: run `conflict-sim check`)"))
            continue
        desc = str(data.get("title") or data.get("description") or "").strip().splitlines()
        rows.append((path.stem, str(path), desc[0] if desc else ""))
    return rows
