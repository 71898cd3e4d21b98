"""The parameter registry: every tunable number with its default, unit, valid range and source.

Keys are dotted and stable (`ceasefire.violation_rate`, `faction.<faction>.aggression`,
`patron.<patron>.troops`, with the theater's own faction and patron keys) so that `--set`,
sweeps and calibration all speak the same language.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, RootModel, field_validator

from sim.errors import InputError, Problem, did_you_mean
from sim.schema_types import Strict
from sim.yamlsource import Located, load_yaml

PARAMETERS_FILE = Path(__file__).resolve().parent.parent / "config" / "parameters.yaml"


class ParamEntry(Strict):
    """One entry of the parameter file (docs/parameters.md), its numbers finite (that the
    defaults are inside the range is checked with the key, see ParamRegistry._expand)."""

    default: float
    defaults: dict[str, float] = {}
    unit: str
    range: list[float] = Field(min_length=2, max_length=2)
    source: str
    doc: str = ""
    test: str | None = None
    start_only: bool = False  # read once when a run starts: a `set` event may not change it

    @field_validator("range")
    @classmethod
    def _ordered(cls, rng: list[float]) -> list[float]:
        if rng[0] > rng[1]:
            raise ValueError(f"expected [low, high], got low {rng[0]:g} above high {rng[1]:g}")
        return rng


_FIELDS = set(ParamEntry.model_fields)
# The expanded specs of each parameter file read, by path, content, factions and patrons.
_LOADED: dict[tuple, dict[str, ParamSpec]] = {}


@dataclass(frozen=True)
class ParamSpec:
    key: str
    default: float
    unit: str
    low: float
    high: float
    source: str
    doc: str
    start_only: bool = False

    @property
    def switch(self) -> bool:
        """An on/off parameter (its unit says `switch`): only 0 and 1 mean anything, since the
        model reads it as on from 0.5."""
        return self.unit.startswith("switch")


class ParamRegistry:
    """All parameters of a theater, expanded over its factions and patrons."""

    def __init__(self, specs: Mapping[str, ParamSpec]):
        self.specs = dict(specs)

    @classmethod
    def load(cls, theater: Any = None, path: Path = PARAMETERS_FILE) -> ParamRegistry:
        """Every parameter expanded over the theater's factions and patrons (without a theater:
        the project's default theater, see `sim.project.default_theater`)."""
        if theater is None:
            from sim.config import load_theater
            from sim.project import default_theater

            theater = load_theater(default_theater())
        factions, patrons = list(theater.factions), list(theater.patrons)
        # Read once per process and file content: `conflict-sim run` asks three times (checking
        # the scenario, the overrides, the run), a sweep more; an edited file is read again.
        try:
            content = hashlib.sha256(Path(path).read_bytes()).digest()
        except OSError:
            content = None  # not cached: load_yaml reports what is wrong, located
        key = (str(path), content, tuple(factions), tuple(patrons))
        specs = _LOADED.get(key) if content is not None else None
        if specs is None:
            specs = cls._expand(load_yaml(path), factions, patrons)
            if content is not None:
                _LOADED[key] = specs
        return cls(specs)

    @staticmethod
    def _expand(src: Located, factions: list[str], patrons: list[str]) -> dict[str, ParamSpec]:
        """Every entry checked, its templates expanded over the factions and patrons."""
        from sim.config import validate_located

        entries = validate_located(RootModel[dict[str, ParamEntry]], src, _FIELDS).root
        specs: dict[str, ParamSpec] = {}
        problems = [p for t, body in entries.items() for p in _entry_problems(src, t, body)]
        if problems:
            raise InputError(problems)
        for template, body in entries.items():
            names: Iterable[str | None] = [None]
            if "{faction}" in template:
                names = factions
            elif "{patron}" in template:
                names = patrons
            for name in names:
                key = template.format(faction=name, patron=name) if name else template
                low, high = body.range
                specs[key] = ParamSpec(
                    key=key,
                    default=float(body.defaults.get(name, body.default) if name else body.default),
                    unit=body.unit,
                    low=float(low),
                    high=float(high),
                    source=body.source,
                    doc=body.doc,
                    start_only=body.start_only,
                )
        return specs

    def defaults(self) -> dict[str, float]:
        return {k: s.default for k, s in self.specs.items()}

    def check(self, key: str, value: float) -> str | None:
        """Why `key=value` is not acceptable, or None."""
        spec = self.specs.get(key)
        if spec is None:
            return f"unknown parameter {key!r}{did_you_mean(key, self.specs)}"
        if not spec.low <= value <= spec.high:
            return f"{key}={value:g} is outside its valid range [{spec.low:g}, {spec.high:g}] ({spec.unit})"
        if spec.switch and value not in (0.0, 1.0):
            return f"{key}={value:g} is a switch: 0 or 1 ({spec.unit})"
        return None

    def problems(self, key: str, value: float, src: Located, loc: tuple) -> list[Problem]:
        """Located problems for a parameter set in a YAML file."""
        why = self.check(key, value)
        return [src.problem(loc, why, key=True)] if why else []

    def resolve(self, *overrides: Mapping[str, float], origin: str = "--set") -> dict[str, float]:
        """Defaults, then each mapping of overrides in turn; unknown keys are input errors."""
        values = self.defaults()
        for mapping in overrides:
            for key, value in mapping.items():
                why = self.check(key, float(value))
                if why:
                    raise InputError(Problem(origin, 1, 1, key, why))
                values[key] = float(value)
        zeroed = weight_problem(values)
        if zeroed:
            raise InputError(Problem(origin, 1, 1, *zeroed))
        return values


# Parameters that are relative weights of one draw (an incident's kind): not all of them 0.
_WEIGHT_GROUPS = {
    "incident kind": (
        "ceasefire.share_small_arms",
        "ceasefire.share_shelling",
        "ceasefire.share_drone",
        "ceasefire.share_ground_probe",
    )
}


def weight_problem(values: Mapping[str, float]) -> tuple[str, str] | None:
    """(first key, why) when every parameter of a group of weights (`_WEIGHT_GROUPS`) present
    in `values` is 0: the model could not draw from the group (ValueError mid-run)."""
    for group, keys in _WEIGHT_GROUPS.items():
        present = [k for k in keys if k in values]
        if present and sum(values[k] for k in present) <= 0:
            why = f"{', '.join(present)} are all 0: at least one {group} needs a positive share"
            return present[0], why
    return None


def _entry_problems(src: Located, key: str, body: ParamEntry) -> list[Problem]:
    """A placeholder other than {faction} and {patron}, per-name defaults on a key with
    neither, a default or per-name default outside the range."""
    out = []
    rest = re.sub(r"\{(?:faction|patron)\}", "", key)
    if "{" in rest or "}" in rest:
        why = "a key's only placeholders are {faction} and {patron}"
        out.append(src.problem((key,), why, key=True))
    elif body.defaults and rest == key:
        why = "per-name defaults need a key with {faction} or {patron}"
        out.append(src.problem((key, "defaults"), why, key=True))
    low, high = body.range
    values = [((key, "default"), body.default)]
    values += [((key, "defaults", name), value) for name, value in body.defaults.items()]
    for loc, value in values:
        if not low <= value <= high:
            out.append(src.problem(loc, f"{value:g} is outside the range [{low:g}, {high:g}]"))
    return out


def parse_assignments(items: Iterable[str], origin: str = "--set") -> dict[str, float]:
    """Parse `key=value` strings from the command line into numbers; a key given twice is an
    InputError (the later value would silently win), as `sweep` refuses a --param given twice."""
    out: dict[str, float] = {}
    raw_of: dict[str, str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(Problem(origin, 1, 1, item, "expected key=value"))
        if key in out:
            raise InputError(
                Problem(
                    origin, 1, 1, key,
                    f"given twice ({origin} {key}={raw_of[key]} and {origin} {key}={raw}); "
                    f"give each parameter one {origin}",
                )
            )  # fmt: skip
        try:
            out[key] = float(raw)
        except ValueError:
            raise InputError(
                Problem(origin, 1, 1, key, f"expected a number, got {raw!r}")
            ) from None
        raw_of[key] = raw.strip()
    return out


def load_set_file(path: str | Path, registry: ParamRegistry | None = None) -> dict[str, float]:
    """A YAML mapping of parameter overrides (what `calibrate` writes, `run --set-file` reads),
    with or without a top-level `set:`. With a registry, an unknown key or a value outside its
    range is a problem located in the file (checked later, it could only name `--set`).

    Raises InputError: not a mapping, the first value that is not a finite number, or with a
    registry every unknown key and value out of range, one located problem each."""
    src = load_yaml(path)
    data = src.data.get("set", src.data)
    top = ("set",) if "set" in src.data else ()
    if not isinstance(data, dict):
        raise InputError(src.problem(top, "expected a mapping of parameter: number"))
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        # bool is an int in Python: `true` is not 1 here, as it is not in a scenario's `set:`.
        # The first value that is not a number ends the reading: a file of another kind (the
        # parameter file) would otherwise get a line for every key.
        if isinstance(value, dict):
            raise InputError(src.problem((*top, key), _nested(str(key), value), key=True))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(src.problem((*top, key), "expected a number"))
        if not math.isfinite(value):
            raise InputError(src.problem((*top, key), "expected a finite number"))
        out[str(key)] = float(value)
        if registry is not None:
            problems.extend(registry.problems(str(key), float(value), src, (*top, key)))
    if problems:
        raise InputError(problems)
    return out


def _nested(key: str, value: dict) -> str:
    """The message for a parameter written as nested mappings: its first dotted key; or, for
    an entry of the parameter file (a dotted key with a `default` and a `range`), that a set
    file gives the value alone."""
    if "." in key and "default" in value and "range" in value:
        return (
            "a parameter's definition (default, range, source), not a value: this looks like "
            f"the parameter file; a set file maps each parameter to a number: {key}: "
            f"{value['default']}"
        )
    path = [key]
    while isinstance(value, dict) and value:
        inner, value = next(iter(value.items()))
        path.append(str(inner))
    example = f"{'.'.join(path)}: {value}" if not isinstance(value, dict) else ".".join(path)
    return f"a mapping, not a number: write each parameter as one dotted key: {example}"


def _parameter_groups() -> set[str]:
    """The first parts of the parameter names (`faction`, `ceasefire`, ...)."""
    return {str(key).split(".")[0] for key in load_yaml(PARAMETERS_FILE).data}


def file_kind(data: Any) -> str | None:
    """'parameters' or 'set file' when a YAML file's top level is one (for `check`), else None:
    a parameter file maps dotted keys to entries with a `range`; a set file has only `set:`, or
    only dotted keys (parameters) mapped to anything but mappings, or only parameter groups
    (`faction:`) mapped to mappings (refused by its reader with the dotted key to write).
    Scenarios, theaters and observations have neither at the top."""
    if not isinstance(data, dict) or not data:
        return None
    if set(data) == {"set"}:
        return "set file"
    if all(isinstance(v, dict) for v in data.values()) and set(data) <= _parameter_groups():
        return "set file"  # written as nested mappings: its reader says how to write it
    if not all(isinstance(k, str) and "." in k for k in data):
        return None
    if all(isinstance(v, dict) for v in data.values()):
        return "parameters" if any("range" in v for v in data.values()) else None
    return "set file" if not any(isinstance(v, dict) for v in data.values()) else None


def check_set_file(path: str | Path, registries: Iterable[ParamRegistry]) -> dict[str, float]:
    """A set file checked on its own (`check`): its keys must be parameters of one of the
    theaters' registries (a set file names no theater), each value inside that parameter's
    range. Raises InputError, one located problem each."""
    values = load_set_file(path)
    specs: dict[str, ParamSpec] = {}
    for registry in registries:
        for key, spec in registry.specs.items():
            specs.setdefault(key, spec)
    src = load_yaml(path)
    top = ("set",) if "set" in src.data else ()
    problems = ParamRegistry(specs).problems
    found = [p for key, value in values.items() for p in problems(key, value, src, (*top, key))]
    if found:
        raise InputError(found)
    return values
