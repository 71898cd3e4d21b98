"""Event data files (ACLED, UCDP GED): the kind table, the actor mapping, and reading rows.

The model's event kinds and ACLED's event types meet in one table, `ACLED_KINDS`: each row says
how a model kind (optionally a sub-kind: the event's `detail`, e.g. a `violation` of kind
`shelling`) is written by
`conflict-sim export` and whether ACLED rows of that type are read back as that kind by
`conflict-sim observe import`. Adding a model kind means adding a row here.

Sources for the schemas: ACLED Codebook (2023) and its export columns; UCDP GED Codebook
version 23.1 (Davies, Pettersson and Öberg 2023), columns as in `GEDEvent_v23_1.csv`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from sim.config import Strict, validate_located
from sim.errors import InputError, did_you_mean
from sim.yamlsource import load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ACTORS_DIR = PROJECT_ROOT / "config" / "actors"
FORMATS = ("acled", "ucdp-ged")

ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
GED_COLUMNS = (
    "id", "year", "type_of_violence", "conflict_name", "dyad_name", "side_a", "side_b",
    "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude", "longitude", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low",
)  # fmt: skip
# Columns an import needs; the rest of each schema is optional on input.
ACLED_NEEDED = (
    "event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "actor2",
    "location", "latitude", "longitude", "geo_precision", "fatalities",
)  # fmt: skip
GED_NEEDED = (
    "id", "type_of_violence", "side_a", "side_b", "where_prec", "where_coordinates",
    "latitude", "longitude", "date_start", "date_end", "best", "high", "low",
)  # fmt: skip

POLITICAL_VIOLENCE = "Political violence"
STRATEGIC = "Strategic developments"
BATTLES = "Battles"
REMOTE = "Explosions/Remote violence"
CIVILIANS = "Violence against civilians"
CIVILIAN_TARGETING = "Civilian targeting"


@dataclass(frozen=True)
class KindRow:
    """One model kind (and sub-kind) against one ACLED event type and sub-event type.

    `imported`: ACLED rows of this type become this kind on import (the first such row, in
    table order, whose kind the model logs wins). `deaths`: the model's casualties of this kind
    are deaths, written as ACLED `fatalities` (a surrender's "casualties" are people who gave up).
    """

    kind: str
    subkind: str | None
    disorder_type: str
    event_type: str
    sub_event_type: str
    imported: bool
    deaths: bool


def _sd(kind: str, sub: str, subkind: str | None = None, imported: bool = False) -> KindRow:
    return KindRow(kind, subkind, STRATEGIC, STRATEGIC, sub, imported, False)


ACLED_KINDS: tuple[KindRow, ...] = (
    KindRow("engagement", None, POLITICAL_VIOLENCE, BATTLES, "Armed clash", True, True),
    KindRow("strike", None, POLITICAL_VIOLENCE, REMOTE, "Air/drone strike", True, True),
    # A ceasefire incident (`violation`) by its kind (`detail`, sim/truce.py), as ACLED codes fire.
    KindRow("violation", "shelling", POLITICAL_VIOLENCE, REMOTE, "Shelling/artillery/missile attack", True, True),
    KindRow("violation", "drone", POLITICAL_VIOLENCE, REMOTE, "Air/drone strike", False, True),
    KindRow("violation", "small_arms", POLITICAL_VIOLENCE, BATTLES, "Armed clash", False, True),
    KindRow("violation", "ground_probe", POLITICAL_VIOLENCE, BATTLES, "Armed clash", False, True),
    KindRow("violation", None, POLITICAL_VIOLENCE, REMOTE, "Shelling/artillery/missile attack", True, True),
    KindRow("control_change", "government", POLITICAL_VIOLENCE, BATTLES, "Government regains territory", True, False),
    KindRow("control_change", None, POLITICAL_VIOLENCE, BATTLES, "Non-state actor overtakes territory", True, False),
    _sd("control_change", "Non-violent transfer of territory", "non_violent", imported=True),
    _sd("air_loss", "Disrupted weapons use", imported=True),
    _sd("ceasefire", "Agreement"),
    _sd("ceasefire_collapse", "Other"),
    _sd("withdrawal", "Change to group/activity"),
    _sd("offensive", "Change to group/activity"),
    _sd("reinforce", "Change to group/activity"),
    _sd("surrender", "Change to group/activity"),
    _sd("defection", "Change to group/activity"),
    _sd("deployment", "Change to group/activity"),
    _sd("request", "Other"),
    _sd("event", "Other"),
)  # fmt: skip
# Kinds read back from the tag `export` writes (`conflict-sim kind=...`): those of political
# violence or with a type of their own; the strategic ones stay ignored, as ACLED rows of them are.
TAGGED_KINDS = frozenset(
    r.kind for r in ACLED_KINDS if r.imported or r.disorder_type == POLITICAL_VIOLENCE
)
UNKNOWN_KIND = _sd("*", "Other")  # a kind the table does not list yet: written, never imported
# Kinds whose `factions` are (acting side, other side); others list the sides in no order.
ORDERED_KINDS = frozenset({"strike", "air_loss"})
# A ceasefire incident is logged as a `violation` with its kind of fire in `detail`; for an
# observed strike or engagement it counts as the fire it was, as ACLED codes it above (shelling
# and drone strikes are remote violence, small-arms fire and ground probes are battles), so a
# rocket attack during a truce matches a reported strike. The event type of each such kind, and
# the incident kinds (`detail`) that count as it; used by validation and by `observe import`.
INCIDENT_EVENT_TYPES = {"strike": REMOTE, "engagement": BATTLES}
INCIDENT_AS = {
    kind: frozenset(
        r.subkind
        for r in ACLED_KINDS
        if r.kind == "violation" and r.subkind and r.event_type == etype
    )
    for kind, etype in INCIDENT_EVENT_TYPES.items()
}


def export_row(kind: str, subkind: str | None = None) -> KindRow:
    """The table row a model event is written with: (kind, sub-kind), else (kind, None), else
    `UNKNOWN_KIND` (Strategic developments / Other), so a new kind never breaks an export."""
    for want in (subkind, None):
        for row in ACLED_KINDS:
            if row.kind == kind and row.subkind == want:
                return row
    return UNKNOWN_KIND


def import_kind(event_type: str, sub_event_type: str, known: tuple[str, ...]) -> str | None:
    """The model kind ACLED rows of this type are scored as, or None (not a model kind)."""
    for row in ACLED_KINDS:
        if (
            row.imported
            and row.kind in known
            and row.event_type.lower() == event_type.strip().lower()
            and row.sub_event_type.lower() == sub_event_type.strip().lower()
        ):
            return row.kind
    return None


# --- actor mapping ---------------------------------------------------------------------------


class ActorRule(Strict):
    """An actor name (case-insensitive, whole name) or a regular expression, with its source."""

    name: str | None = None
    pattern: str | None = None
    source: str = Field(min_length=1)


class FactionActors(Strict):
    export_actor: str | None = None  # the name `export` writes (default: the theater's name)
    inter: int | None = Field(default=None, ge=1, le=8)  # ACLED's actor type code
    actors: list[ActorRule] = Field(default_factory=list)


class ActorMapping(Strict):
    theater: str
    description: str = ""
    government: str | None = None  # the faction ACLED codes as state forces
    country: str = ""
    iso: int | None = None
    iso3: str = ""
    region: str = ""
    factions: dict[str, FactionActors]
    ignore: list[ActorRule] = Field(default_factory=list)  # neither side (civilians, ...)
    # UCDP type_of_violence (1 state-based, 2 non-state, 3 one-sided) to a model kind
    ged_kinds: dict[int, str | None] = Field(
        default_factory=lambda: {1: "engagement", 2: "engagement", 3: None}
    )


_MAPPING_FIELDS = {
    n for m in (ActorRule, FactionActors, ActorMapping) for n in m.model_fields
}  # fmt: skip


@dataclass
class Actors:
    """Actor names to factions, compiled from a mapping (or the theater's own faction names)."""

    mapping: ActorMapping
    rules: list[tuple[str | None, re.Pattern[str]]]  # (faction or None to ignore, matcher)
    path: Path | None = None

    def faction(self, actor: str) -> str | bool | None:
        """The faction an actor name belongs to; None if ignored, False if unknown or if it
        matches rules of two factions (ambiguous)."""
        actor = (actor or "").strip()
        if not actor:
            return None
        hits = {f for f, rx in self.rules if rx.search(actor)}
        sides = hits - {None}
        if len(sides) == 1:
            return sides.pop()
        return None if not sides and None in hits else False

    def with_patrons(self, patrons: Mapping[str, tuple[str, str]]) -> Actors:
        """These rules and, for a patron (its id -> (name, client)) whose id or name no rule
        knows, that whole name for its client: patrons' forces count for their client, and
        `export` writes a patron under its id (a deployment's actor2 is the patron's id), which the
        import of its own output reported as an unknown actor."""
        extra = [
            (client, _rule(ActorRule(name=n, source="theater patron")))
            for key, (name, client) in sorted(patrons.items())
            for n in dict.fromkeys((key, name))
            if not any(rx.search(n) for _f, rx in self.rules)
        ]
        return Actors(self.mapping, [*self.rules, *extra], self.path)

    def export_name(self, faction: str, theater_names: dict[str, str]) -> str:
        spec = self.mapping.factions.get(faction)
        if spec is not None and spec.export_actor:
            return spec.export_actor
        return theater_names.get(faction, faction)


def _rule(rule: ActorRule) -> re.Pattern[str]:
    if rule.pattern is not None:
        return re.compile(rule.pattern, re.IGNORECASE)
    return re.compile(rf"^{re.escape((rule.name or '').strip())}$", re.IGNORECASE)


def load_actors(theater: str, factions: dict[str, str], path: str | Path | None = None) -> Actors:
    """The actor mapping of a theater (its id, and its factions' ids to names): `path`, else
    `config/actors/<theater>.yaml`, else the factions' own ids and names, matched whole.
    Errors are located (`file:line:col: field: message`)."""
    if path is None:
        default = ACTORS_DIR / f"{theater}.yaml"
        if not default.is_file():
            spec = {
                k: FactionActors(
                    actors=[
                        ActorRule(name=k, source="theater"),
                        ActorRule(name=n, source="theater"),
                    ]
                )
                for k, n in factions.items()
            }
            mapping = ActorMapping(theater=theater, factions=spec)
            return Actors(mapping, _compile(mapping), None)
        path = default
    src = load_yaml(path)
    mapping: ActorMapping = validate_located(ActorMapping, src, _MAPPING_FIELDS)
    problems = []
    if mapping.theater != theater:
        problems.append(
            src.problem(
                ("theater",), f"mapping is for theater {mapping.theater!r}, not {theater!r}"
            )
        )
    known = set(factions)
    for f in [*mapping.factions, *([mapping.government] if mapping.government else [])]:
        if f not in known:
            loc = (
                ("government",)
                if f == mapping.government and f not in mapping.factions
                else ("factions", f)
            )
            problems.append(
                src.problem(
                    loc,
                    f"unknown faction {f!r}; expected one of {sorted(known)}{did_you_mean(f, known)}",
                    key=loc[0] == "factions",
                )
            )
    for loc, rule in _rules_with_loc(mapping):
        if (rule.name is None) == (rule.pattern is None):
            problems.append(src.problem(loc, "give either 'name' or 'pattern'"))
        elif rule.pattern is not None:
            try:
                re.compile(rule.pattern)
            except re.error as exc:
                problems.append(src.problem((*loc, "pattern"), f"bad regular expression: {exc}"))
    from sim.observations import EVENT_KINDS

    for k, kind in mapping.ged_kinds.items():
        if kind is not None and kind not in EVENT_KINDS:
            problems.append(
                src.problem(
                    ("ged_kinds", k),
                    f"unknown event kind {kind!r}{did_you_mean(kind, EVENT_KINDS)}",
                )
            )
    if problems:
        raise InputError(problems)
    return Actors(mapping, _compile(mapping), Path(path))


def _rules_with_loc(mapping: ActorMapping) -> list[tuple[tuple, ActorRule]]:
    out = [
        (("factions", f, "actors", i), r)
        for f, s in mapping.factions.items()
        for i, r in enumerate(s.actors)
    ]
    return out + [(("ignore", i), r) for i, r in enumerate(mapping.ignore)]


def _compile(mapping: ActorMapping) -> list[tuple[str | None, re.Pattern[str]]]:
    out: list[tuple[str | None, re.Pattern[str]]] = []
    for f, spec in mapping.factions.items():
        out.extend((f, _rule(r)) for r in spec.actors)
    out.extend((None, _rule(r)) for r in mapping.ignore)
    return out
