"""One table of outcome names, labels and units, used by every chart, table and terminal line.

An outcome column of `runs.parquet` (or a derived one, such as `ceasefire_survived_30d`) gets
its reader-facing label, its unit and its kind from `describe(column)`:

- kind "share": a 0/1 or true/false outcome; its mean over runs is a share of runs, shown on a
  0-100% axis.
- kind "time": hours since the scenario's start (`*_at`), shown as local dates.
- kind "amount": a count or a distance, with its unit (people, km, violations, ...).

Exact names are looked up first, then the patterns (`<place>_captured_at`,
`front_km_end_<sector>`, `personnel_end_<faction>`, ...), so per-sector fronts and any place
or faction get a label without an entry here. A column no rule covers keeps its name, with
the underscores read as spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sim.summary import percent


@dataclass(frozen=True)
class Outcome:
    """How one outcome column is shown: `label` (plain text), `unit`, `kind`."""

    column: str
    label: str
    unit: str = ""
    kind: str = "amount"  # "share" | "time" | "amount"

    @property
    def axis_title(self) -> str:
        """The label with its unit, for an axis: 'front at the end (km)'."""
        if self.kind == "share":
            return f"{self.label} (% of runs)"
        if self.kind == "time":
            return f"{self.label} (local date)"
        return f"{self.label} ({self.unit})" if self.unit else self.label


EXACT: dict[str, tuple[str, str, str]] = {
    "ceasefire_survived_30d": ("ceasefire survives 30 days", "", "share"),
    "ceasefire_held": ("ceasefire holds to the end", "", "share"),
    "ceasefire_violations": ("ceasefire violations", "", "amount"),
    "ceasefire_first_violation_at": ("first ceasefire violation", "", "time"),
    "ceasefire_collapsed_at": ("ceasefire collapse", "", "time"),
    "front_km_end": ("front at the end", "km along the axis from its first place", "amount"),
    "front_km_min": (
        "front, nearest its axis' start",
        "km along the axis from its first place",
        "amount",
    ),
    "front_km_max": (
        "front, farthest from its axis' start",
        "km along the axis from its first place",
        "amount",
    ),
    "front_km": ("front", "km along the axis from its first place", "amount"),
    "civilian_casualties": ("civilians killed or injured", "people", "amount"),
    "civilians_killed": ("civilians killed", "people", "amount"),
    "displaced": ("people displaced so far", "people", "amount"),
    "displaced_now": ("people displaced and not yet returned", "people", "amount"),
    "patron_deployments": ("patron deployments", "", "amount"),
    "offensives_resumed_at": ("offensives resumed", "", "time"),
    "offensives_resumed_by": ("offensives resumed by", "", "category"),
    "ceasefire_state_end": ("ceasefire state at the end", "", "category"),
    "incidents_small_arms": ("ceasefire incidents: small arms", "incidents", "amount"),
    "incidents_shelling": ("ceasefire incidents: shelling", "incidents", "amount"),
    "incidents_drone": ("ceasefire incidents: drones", "incidents", "amount"),
    "incidents_ground_probe": ("ceasefire incidents: ground probes", "incidents", "amount"),
    "violations": ("violations so far", "", "amount"),
}
# (pattern, label template, unit, kind): the groups fill the template
PATTERNS: tuple[tuple[str, str, str, str], ...] = (
    # the first group picks the word from _FRONT_WORDS (see describe)
    (
        r"front_km_(end|min|max)_(.+)",
        "",
        "km along the sector's axis from its first place",
        "amount",
    ),
    (r"front_km_(.+)", "front, {0}", "km along its axis from its first place", "amount"),
    (r"losses_(.+)", "losses of the {0} (killed, wounded or captured)", "people", "amount"),
    (r"killed_(.+)", "fighters of the {0} killed", "people", "amount"),
    (r"wounded_(.+)", "fighters of the {0} wounded", "people", "amount"),
    (r"captured_(.+)", "fighters of the {0} captured or dispersed", "people", "amount"),
    (r"personnel_end_(.+)", "personnel of the {0} at the end", "people", "amount"),
    (r"personnel_(.+)", "personnel of the {0}", "people", "amount"),
    (r"casualties_(.+)", "casualties of the {0} so far (killed or wounded)", "people", "amount"),
    (r"places_(.+)", "places held by the {0}", "places", "amount"),
    (r"controller_end_(.+)", "holder of {0} at the end", "", "category"),
    (r"(.+)_captured_at", "{0} first changed hands", "", "time"),
    (r"(.+)_at", "{0}", "", "time"),
)
# An axis runs from its first place (one side's rear) to its last; a sector's axis need not run
# west to east (a city's southern approaches may run north to south).
_FRONT_WORDS = {
    "end": "at the end",
    "min": "nearest its axis' start",
    "max": "farthest from its axis' start",
}
ACRONYM_MAX = (
    3  # a one-word token this short is an acronym (a faction key such as a party's initials)
)


def _name(token: str) -> str:
    """A place, faction or sector token as written in column names, made readable: one short
    word is taken for an acronym and capitalised whole, others are title-cased. Callers that
    know the theater pass its own spellings to `describe` (`places`), which win."""
    words = token.replace("_", " ").split()
    if len(words) == 1 and len(words[0]) <= ACRONYM_MAX and words[0].isalpha():
        return words[0].upper()
    return " ".join(w.title() for w in words)


def describe(column: str, places: Mapping[str, str] | None = None) -> Outcome:
    """The label, unit and kind of an outcome column (see the module notes); `places` maps
    place slugs in column names (`al_hafa`) to their names (`Al Hafa`)."""
    if column in EXACT:
        text, unit, kind = EXACT[column]
        return Outcome(column, text, unit, kind)

    def name(token: str) -> str:
        return (places or {}).get(token) or _name(token)

    for pattern, template, unit, kind in PATTERNS:
        m = re.fullmatch(pattern, column)
        if not m:
            continue
        groups = list(m.groups())
        if pattern.startswith(r"front_km_(end|min|max)_"):
            return Outcome(column, f"front {_FRONT_WORDS[groups[0]]}, {name(groups[1])}", unit)
        return Outcome(column, template.format(*(name(g) for g in groups)), unit, kind)
    return Outcome(column, column.replace("_", " "))


def table_label(column: str, places: Mapping[str, str] | None = None) -> str:
    """The label for a table row: capitalised, with its unit when it has one."""
    d = describe(column, places)
    text = f"{d.label} ({d.unit})" if d.kind == "amount" and d.unit else d.label
    return text[:1].upper() + text[1:]


def label(column: str) -> str:
    return describe(column).label


def is_share(column: str, values: pd.Series | None = None) -> bool:
    """A share outcome by name, or (values given) one whose values are all 0/1 or true/false."""
    if describe(column).kind == "share":
        return True
    if values is None:
        return False
    v = pd.to_numeric(values.dropna().astype("float64"), errors="coerce")
    return bool(len(v)) and bool(v.isin([0.0, 1.0]).all()) and describe(column).kind != "time"


def is_time(column: str) -> bool:
    return describe(column).kind == "time"


def local_start(manifest: Mapping) -> pd.Timestamp:
    """A results or sweep folder's start in its theater's time zone (the manifest's
    `theater.timezone`), so that hours added to it are elapsed hours across a daylight-saving
    change (Europe/Kyiv); for a folder written before the zone was recorded, the offset the start
    is written with."""
    start = pd.Timestamp(manifest["scenario"]["start"])
    zone = (manifest.get("theater") or {}).get("timezone")
    if zone and start.tzinfo is not None:
        from sim.schema_types import parse_timezone

        start = start.tz_convert(parse_timezone(str(zone)))
    return start


def as_date(start: pd.Timestamp | str, hours: float) -> pd.Timestamp:
    """Local clock time (offset dropped) `hours` elapsed after the scenario's start: the hours are
    added before the offset is dropped, so a start in a zone with daylight saving
    (`local_start`) gives the wall clock of that moment, not one an hour off after the change."""
    t = pd.Timestamp(start) + pd.Timedelta(hours=float(hours))
    return t.tz_localize(None) if t.tzinfo is not None else t


def format_value(column: str, value: float | None, start: pd.Timestamp | str | None) -> str:
    """One value as the reader sees it: a share as % (`sim.summary.percent`, as the run's
    summary and the report write it: 1 run in 300 is 0.3%, not 0%), a time as a local date,
    else a number."""
    if value is None or pd.isna(value):
        return "-"
    d = describe(column)
    if d.kind == "time" and start is not None:
        return as_date(start, value).strftime("%d %b %H:%M")
    if d.kind == "share":
        return percent(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
