"""Theater and scenario files: pydantic models, loading, located errors (the cross-reference
checks are in sim.checks).

A theater holds the slow facts (places, roads, factions, order of battle); a scenario holds a
window, a start state and dated events. Every error names file:line:col, the field and, for a
misspelt name, the closest match.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import Located, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
THEATER_DIR = CONFIG_DIR / "theaters"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"


class Strict(BaseModel):
    """Input models: unknown fields refused, no NaN or infinity. Read from a file (see
    `validate_located`) they are validated strictly: numbers and booleans only when written as
    such (no `"5"` or `true` for a number, no `"yes"` or `1` for a boolean)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _iso(value: Any) -> Any:
    """Text in ISO 8601 as a datetime (`2020-01-05T00:00+02:00` is not a YAML timestamp: it has
    no seconds); other types are left for validation to refuse."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a time like 2020-01-05T00:00+02:00 ({exc})") from None
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a date like 2020-01-05 ({exc})") from None
    return value


Time = Annotated[AwareDatetime, BeforeValidator(_iso)]
Day = Annotated[date, BeforeValidator(_iso_date)]
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d\d):(\d\d)$")


def parse_timezone(text: str) -> tzinfo:
    """A fixed offset (`+02:00`, `UTC+02:00`) or an IANA zone (`Europe/Kyiv`); ValueError."""
    if text in ("UTC", "Z"):
        return UTC
    m = _OFFSET.match(text)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        hours, minutes = int(m.group(2)), int(m.group(3))
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad UTC offset {text!r}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}: write an offset like '+02:00' or a zone like "
            "'Europe/Kyiv'"
        ) from None


# --- theater ---------------------------------------------------------------------------------


class PlaceSpec(Strict):
    name: str
    aliases: list[str] = []
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: Literal["city", "town", "checkpoint", "airbase", "port"]
    controller: str
    coord_source: str
    population: int = Field(ge=0)
    population_source: str
    value: float = Field(ge=0, le=10)
    value_source: str = "assumption"
    fortification: float = Field(ge=0, le=1)
    depot: bool = False
    airbase: bool = False


class RoadSpec(Strict):
    a: str
    b: str
    km: float = Field(gt=0)
    source: str
    route: str | None = None
    corridor: bool = False


class CheckSpec(Strict):
    a: str
    b: str
    km: float = Field(gt=0)
    tolerance: float = Field(gt=0, lt=1)
    source: str


class FactionSpec(Strict):
    name: str
    color: str
    capital: str


class InflowSpec(Strict):
    """A patron's dated inflow of fighters or drones at a monthly rate within a stated range
    (sampled per replicate), arriving at the client's nearest held place to `place`."""

    kind: Literal["fighters", "drones"]
    start: Time
    end: Time | None = None
    per_month_low: float = Field(ge=0)
    per_month_high: float = Field(ge=0)
    place: str
    source: str

    @model_validator(mode="after")
    def _range(self) -> InflowSpec:
        if self.per_month_low > self.per_month_high:
            raise ValueError("per_month_low is above per_month_high")
        return self


class PatronSpec(Strict):
    name: str
    client: str
    source: str
    inflows: list[InflowSpec] = []


class UnitSpec(Strict):
    id: str
    name: str
    faction: str
    patron: str | None = None
    place: str
    personnel: int = Field(gt=0)
    personnel_low: int | None = Field(default=None, gt=0)
    personnel_high: int | None = Field(default=None, gt=0)
    firepower: float = Field(default=1.0, gt=0)
    speed_kmh: float = Field(default=8.0, gt=0)
    posture: Literal["hold", "reserve", "attack"] = "hold"
    source: str

    @model_validator(mode="after")
    def _range(self) -> UnitSpec:
        _check_range(self.personnel_low, self.personnel, self.personnel_high, "personnel")
        return self


def _check_range(low: float | None, estimate: float, high: float | None, what: str) -> None:
    """A stated range holds its best estimate (the model draws from low / estimate / high and
    would otherwise silently ignore or clamp it)."""
    if (low is None) != (high is None):
        raise ValueError(f"give both {what}_low and {what}_high, or neither")
    if low is not None and high is not None and not low <= estimate <= high:
        raise ValueError(f"{what} {estimate:g} is outside its range [{low:g}, {high:g}]")


class AirSpec(Strict):
    id: str
    name: str
    owner: str
    faction: str
    kind: Literal["drone", "aircraft", "air_defence"]
    base: str
    count: int = Field(ge=0)
    count_low: int | None = Field(default=None, ge=0)
    count_high: int | None = Field(default=None, ge=0)
    radius_km: float = Field(gt=0)
    source: str

    @model_validator(mode="after")
    def _range(self) -> AirSpec:
        _check_range(self.count_low, self.count, self.count_high, "count")
        return self


class HubSpec(Strict):
    """A supply hub: a stock at a place, refilled by a patron's sea or air bridge while the
    faction the bridge serves holds it."""

    place: str
    stock_days: float = Field(gt=0)
    bridge: Literal["sea", "air", "overland"] | None = None
    bridge_for: str | None = None
    bridge_from: str | None = None  # an overland bridge's rear place: it runs while held
    source: str


class SectorSpec(Strict):
    """A front sector: its axis of places, from one side's rear to the other's.

    The sector's front (`front_km_<name>`) is the road distance along the axis from its first
    place to the first boundary between the first place's holder and its enemy."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    axis: list[str] = Field(min_length=2)
    source: str


class ReportSpec(Strict):
    """How the report draws a theater. Every field is optional: left out, it is derived from the
    theater (see `sim.theater_view.report_settings`)."""

    map_labels: list[str] = []  # places named on the map
    front_marks: list[str] = []  # places marked on the front figure's km axis
    map_lon: list[float] | None = Field(default=None, min_length=2, max_length=2)  # degrees E
    map_lat: list[float] | None = Field(default=None, min_length=2, max_length=2)  # degrees N

    @field_validator("map_lon", "map_lat")
    @classmethod
    def _range(cls, rng: list[float] | None, info: Any) -> list[float] | None:
        limit = 180 if info.field_name == "map_lon" else 90
        if rng is not None and not -limit <= rng[0] < rng[1] <= limit:
            raise ValueError(f"expected [low, high] with -{limit} <= low < high <= {limit}")
        return rng


class Theater(Strict):
    name: str
    title: str
    description: str
    timezone: str = "+02:00"  # local time of the theater: every time shown is in it
    data_notes: str = ""
    corridor_max_km: float = Field(default=35.0, gt=0)
    factions: dict[str, FactionSpec]
    patrons: dict[str, PatronSpec] = {}
    places: list[PlaceSpec]
    roads: list[RoadSpec]
    front_axis: list[str] = Field(min_length=1)
    sectors: list[SectorSpec] = []
    key_places: list[str] = []
    checks: list[CheckSpec] = []
    units: list[UnitSpec] = []
    air: list[AirSpec] = []
    report: ReportSpec = ReportSpec()
    # Nothing dated after this may tune a default or a calibration: what follows is the theater's
    # out-of-sample test. None: the first ceasefire of the scenario being calibrated.
    calibration_cutoff: Time | None = None
    supply_hubs: list[HubSpec] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    def place_names(self) -> list[str]:
        return [p.name for p in self.places]

    def tzinfo(self) -> tzinfo:
        """The theater's local time zone (its `timezone`)."""
        return parse_timezone(self.timezone)


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
    params: dict[str, float]


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
    set: dict[str, float] = {}
    control: dict[str, str] = {}
    units: list[UnitSpec] = []
    remove_units: list[str] = []
    events: list[Event] = []

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    def hour_of(self, when: datetime) -> float:
        return (when - self.start).total_seconds() / 3600.0


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
    """Validate parsed YAML against a model; pydantic errors become located problems."""
    names = _ALL_FIELDS if fields is None else fields
    try:
        return model.model_validate(src.data, strict=True)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _untagged(src.data, tuple(err["loc"]))
            if err["type"] == "extra_forbidden":
                hint = did_you_mean(str(loc[-1]), names)
                problems.append(src.problem(loc, f"unknown field{hint}", key=True))
            elif err["type"] == "missing":
                problems.append(src.problem(loc, "required field is missing", key=True))
            else:
                problems.append(src.problem(loc, err["msg"] + _yaml11_hint(err.get("input"))))
        raise InputError(problems) from None


def _untagged(data: Any, loc: tuple) -> tuple:
    """A pydantic error path without the union tags it inserts (`events.1.deployment.at` is
    `events.1.at` in the file): a part that is not a key but the mapping's `kind` is dropped."""
    out = []
    for part in loc:
        if isinstance(data, dict) and part not in data and data.get("kind") == part:
            continue
        out.append(part)
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            data = None
    return tuple(out)


_YAML11 = yaml.resolver.Resolver()


def _yaml11_hint(value: Any) -> str:
    """For text that YAML 1.1 would have read as a number or boolean (`1:30`, `yes`, `off`)."""
    if not isinstance(value, str):
        return ""
    tag = _YAML11.resolve(yaml.ScalarNode, value, (True, False)).rsplit(":", 1)[-1]
    if tag in ("int", "float"):
        return f" ({value!r} is text under YAML 1.2: write a plain decimal number)"
    if tag == "bool":
        return f" ({value!r} is text under YAML 1.2: write true or false)"
    return ""


def resolve_theater_path(name: str, relative_to: Path | None = None) -> Path:
    """A theater named by id (the file's stem) lives in config/theaters; a path is taken as
    given (relative to `relative_to`, the scenario's folder, when one is given)."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path
    return THEATER_DIR / f"{name}.yaml"


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
