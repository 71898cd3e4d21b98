"""The theater file's schema (`config/theaters/*.yaml`, documented field by field in
docs/theater.md): places, roads, factions, patrons and their inflows, units, air assets, supply
hubs, sectors and report settings. Loading and located errors are in sim.config; the
cross-reference checks in sim.checks."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.schema_types import Strict, Time, parse_timezone


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
        if self.end is not None and self.end <= self.start:
            raise ValueError("end is not after start: the inflow would never flow")
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

    @model_validator(mode="after")
    def _bridge(self) -> HubSpec:
        # The model refills a hub only for `bridge_for` and at the `bridge`'s share: one without
        # the other would silently do nothing.
        if (self.bridge is None) != (self.bridge_for is None):
            raise ValueError("give both bridge and bridge_for, or neither")
        if self.bridge_from is not None and self.bridge != "overland":
            raise ValueError("bridge_from is the rear place of an overland bridge only")
        return self


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

    @field_validator("factions")
    @classmethod
    def _not_contested(cls, factions: dict[str, FactionSpec]) -> dict[str, FactionSpec]:
        if "contested" in factions:
            raise ValueError("'contested' is the controller of a place no faction holds")
        return factions

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
