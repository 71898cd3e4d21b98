"""Theater and scenario files: pydantic models, cross-reference checks, located errors.

A theater holds the slow facts (places, roads, factions, order of battle); a scenario holds a
window, a start state and dated events. Every error names file:line:col, the field and, for a
misspelt name, the closest match.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import Located, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
THEATER_DIR = CONFIG_DIR / "theaters"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class PatronSpec(Strict):
    name: str
    client: str
    source: str


class UnitSpec(Strict):
    id: str
    name: str
    faction: str
    patron: str | None = None
    place: str
    personnel: int = Field(gt=0)
    personnel_low: int | None = None
    personnel_high: int | None = None
    firepower: float = Field(default=1.0, gt=0)
    speed_kmh: float = Field(default=8.0, gt=0)
    posture: Literal["hold", "reserve", "attack"] = "hold"
    source: str


class AirSpec(Strict):
    id: str
    name: str
    owner: str
    faction: str
    kind: Literal["drone", "aircraft", "air_defence"]
    base: str
    count: int = Field(ge=0)
    count_low: int | None = None
    count_high: int | None = None
    radius_km: float = Field(gt=0)
    source: str


class SectorSpec(Strict):
    """A front sector: its axis of places, from one side's rear to the other's.

    The sector's front (`front_km_<name>`) is the road distance along the axis from its first
    place to the first boundary between the first place's holder and its enemy."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    axis: list[str] = Field(min_length=2)
    source: str


class Theater(Strict):
    name: str
    title: str
    description: str
    timezone: str = "+02:00"
    data_notes: str = ""
    corridor_max_km: float = Field(default=35.0, gt=0)
    factions: dict[str, FactionSpec]
    patrons: dict[str, PatronSpec] = {}
    places: list[PlaceSpec]
    roads: list[RoadSpec]
    front_axis: list[str]
    sectors: list[SectorSpec] = []
    key_places: list[str] = []
    checks: list[CheckSpec] = []
    units: list[UnitSpec] = []
    air: list[AirSpec] = []

    def place_names(self) -> list[str]:
        return [p.name for p in self.places]


# --- scenario --------------------------------------------------------------------------------


class EventBase(Strict):
    at: AwareDatetime
    text: str = ""


class OffensiveEvent(EventBase):
    """A faction starts an offensive toward its targets, in order (the next once one is held)."""

    kind: Literal["offensive"]
    faction: str
    targets: list[str] = Field(min_length=1)
    units: list[str] = []


class ReinforceEvent(EventBase):
    """Units move to a place and hold it (e.g. Misratan reserves sent toward Abu Grein)."""

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
    """A unit changes sides (Sirte's 604th battalion on 6 January 2020)."""

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
    start: AwareDatetime
    end: AwareDatetime
    seed: int = 20200112
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
    Theater,
    OffensiveEvent,
    ReinforceEvent,
    CeasefireEvent,
    DeploymentEvent,
    DefectionEvent,
    SetEvent,
    NoteEvent,
    Scenario,
)


def validate_located(model: type[BaseModel], src: Located, fields: set[str] | None = None) -> Any:
    """Validate parsed YAML against a model; pydantic errors become located problems."""
    names = _ALL_FIELDS if fields is None else fields
    try:
        return model.model_validate(src.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                hint = did_you_mean(str(loc[-1]), names)
                problems.append(src.problem(loc, f"unknown field{hint}", key=True))
            elif err["type"] == "missing":
                problems.append(src.problem(loc, "required field is missing", key=True))
            else:
                problems.append(src.problem(loc, err["msg"]))
        raise InputError(problems) from None


class _Names:
    """Place names with aliases, matched case-insensitively."""

    def __init__(self, theater: Theater):
        self.lookup: dict[str, str] = {}
        for p in theater.places:
            for n in [p.name, *p.aliases]:
                self.lookup.setdefault(n.lower(), p.name)

    def resolve(self, name: str) -> str | None:
        return self.lookup.get(name.strip().lower())

    def hint(self, name: str) -> str:
        return did_you_mean(name, self.lookup.values())


def _check_theater(t: Theater, src: Located) -> None:
    names = _Names(t)
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
    for key, f in t.factions.items():
        place(("factions", key, "capital"), f.capital)
    for key, pat in t.patrons.items():
        member(("patrons", key, "client"), pat.client, factions, "faction")
    for i, r in enumerate(t.roads):
        place(("roads", i, "a"), r.a)
        place(("roads", i, "b"), r.b)
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
    for i, a in enumerate(t.air):
        member(("air", i, "owner"), a.owner, owners, "owner")
        member(("air", i, "faction"), a.faction, factions, "faction")
        place(("air", i, "base"), a.base)
    if problems:
        raise InputError(problems)


def _check_units(
    units: list[UnitSpec],
    field: str,
    src: Located,
    names: _Names,
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


def resolve_theater_path(name: str, relative_to: Path | None = None) -> Path:
    """A theater named by id (`libya`) lives in config/theaters; a path is taken as given."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path
    return THEATER_DIR / f"{name}.yaml"


def load_theater(path: str | Path) -> Theater:
    """Load and cross-check a theater file."""
    src = load_yaml(path)
    theater = validate_located(Theater, src)
    _check_theater(theater, src)
    return theater


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
    problems = _check_scenario(scenario, theater, src, ParamRegistry.load(theater))
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


def _check_scenario(s: Scenario, t: Theater, src: Located, registry: Any) -> list[Problem]:
    names = _Names(t)
    factions = set(t.factions)
    problems: list[Problem] = []
    if s.end <= s.start:
        problems.append(src.problem(("end",), "end must be after start"))
    for key, value in s.set.items():
        problems.extend(registry.problems(key, value, src, ("set", key)))
    for place_name, ctl in s.control.items():
        if names.resolve(place_name) is None:
            problems.append(
                src.problem(
                    ("control", place_name), f"unknown place {place_name!r}{names.hint(place_name)}"
                )
            )
        if ctl not in factions | {"contested"}:
            problems.append(src.problem(("control", place_name), f"unknown controller {ctl!r}"))
    _check_units(s.units, "units", src, names, factions, set(t.patrons), problems)
    unit_ids = {u.id for u in t.units} | {u.id for u in s.units}
    for i, uid in enumerate(s.remove_units):
        if uid not in unit_ids:
            hint = did_you_mean(uid, unit_ids)
            problems.append(src.problem(("remove_units", i), f"unknown unit {uid!r}{hint}"))
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
        problems.extend(_check_event(ev, loc, src, names, factions, set(t.patrons), unit_ids))
        if isinstance(ev, SetEvent):
            for key, value in ev.params.items():
                problems.extend(registry.problems(key, value, src, (*loc, "params", key)))
    return problems


def _check_event(
    ev: Any,
    loc: tuple,
    src: Located,
    names: _Names,
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
    elif isinstance(ev, DeploymentEvent):
        need("patron", ev.patron, patrons, "patron")
        place("place", ev.place)
    elif isinstance(ev, DefectionEvent):
        need("unit", ev.unit, unit_ids, "unit")
        need("to", ev.to, factions, "faction")
    return out


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
