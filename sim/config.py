"""Theater and scenario files: pydantic models, cross-reference checks, located errors.

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
)

from sim.errors import InputError, Problem, did_you_mean
from sim.names import PlaceNames
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
    """A fixed offset (`+02:00`, `UTC+02:00`) or an IANA zone (`Africa/Tripoli`); ValueError."""
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
            "'Africa/Tripoli'"
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
    key_places: list[str] = []
    checks: list[CheckSpec] = []
    units: list[UnitSpec] = []
    air: list[AirSpec] = []

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


def _Names(theater: Theater) -> PlaceNames:
    """Place names and aliases of a theater, matched after Arabic and case normalisation."""
    return PlaceNames((p.name, p.aliases) for p in theater.places)


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
    problems.extend(_name_collisions(t, src, names))
    for key, f in t.factions.items():
        place(("factions", key, "capital"), f.capital)
    for key, pat in t.patrons.items():
        member(("patrons", key, "client"), pat.client, factions, "faction")
    problems.extend(_road_problems(t, src, names))
    for i, name in enumerate(t.front_axis):
        place(("front_axis", i), name)
    for i, name in enumerate(t.key_places):
        place(("key_places", i), name)
    for i, c in enumerate(t.checks):
        place(("checks", i, "a"), c.a)
        place(("checks", i, "b"), c.b)
    _check_units(t.units, "units", src, names, factions, set(t.patrons), problems)
    air_ids: set[str] = set()
    for i, a in enumerate(t.air):
        if a.id in air_ids:
            problems.append(src.problem(("air", i, "id"), f"duplicate air asset id {a.id!r}"))
        air_ids.add(a.id)
        member(("air", i, "owner"), a.owner, owners, "owner")
        member(("air", i, "faction"), a.faction, factions, "faction")
        place(("air", i, "base"), a.base)
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


def _network_problems(t: Theater, src: Located) -> list[Problem]:
    """What needs the road graph: the front axis joined by roads, and the theater's own
    `checks:` distances (road km within their tolerance)."""
    from sim.network import build_network, no_road

    net = build_network(t, axis=False)
    out: list[Problem] = []
    axis = [net.resolve(n) for n in t.front_axis]
    for i in range(1, len(axis)):
        if no_road(net.graph, axis[i - 1], axis[i]):
            out.append(
                src.problem(("front_axis", i), f"no road joins {axis[i - 1]!r} and {axis[i]!r}")
            )
    if out:
        return out
    # Units move by road: one placed, or sent, where no road joins the front could never get
    # anywhere (the model would fail looking up its path).
    front = net.reachable(axis[0])
    for key, f in t.factions.items():
        if net.resolve(f.capital) not in front:
            out.append(_cut_off(src, ("factions", key, "capital"), f.capital, axis[0]))
    for i, u in enumerate(t.units):
        if net.resolve(u.place) not in front:
            out.append(_cut_off(src, ("units", i, "place"), u.place, axis[0]))
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


def _movement_problems(s: Scenario, t: Theater, src: Located) -> list[Problem]:
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
    names = _Names(t)
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
    """Load and cross-check a theater file; InputError with located problems."""
    return _load_theater(path)[0]


def _load_theater(path: str | Path) -> tuple[Theater, Located]:
    src = load_yaml(path)
    theater = validate_located(Theater, src)
    _check_theater(theater, src)
    return theater, src


def check_theater_file(path: str | Path) -> tuple[Theater, list[Problem]]:
    """Load and cross-check a theater file: the theater and its warnings (see theater_warnings)."""
    theater, src = _load_theater(path)
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
    problems = _check_scenario(scenario, theater, src, ParamRegistry.load(theater))
    if problems:
        raise InputError(problems)
    problems = _movement_problems(scenario, theater, src)
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


def _check_scenario(s: Scenario, t: Theater, src: Located, registry: Any) -> list[Problem]:
    names = _Names(t)
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
    last = s.start + timedelta(hours=s.hours)
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
