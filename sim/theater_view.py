"""Theater choices the report needs (map labels, front marks, map extent) and the stubs that
`conflict-sim theater new` leaves for the user to fill in.

A stub is any text in a theater file that starts with `TODO` (`name: "TODO: the faction's full
name"`): `check` reports each one, located, until it is replaced.

The report's choices come from the theater's optional `report:` block; whatever it leaves out is
derived from the theater, so a new theater needs none:

- `map_labels`: the faction capitals, the key places, then the most populous places, up to
  `MAX_LABELS` in all;
- `front_marks`: the front axis' two ends and the capitals and key places on it;
- `map_lon`, `map_lat`: the places' bounding box with `MAP_MARGIN` of its size (at least
  `MIN_MARGIN_DEG`) on each side.
"""

from __future__ import annotations

from typing import Any

from sim.config import Theater
from sim.errors import Problem
from sim.yamlsource import Located

STUB = "TODO"
MAX_LABELS = 7
MAP_MARGIN = 0.1  # of the places' extent, on each side
MIN_MARGIN_DEG = 0.5


def stub_problems(src: Located) -> list[Problem]:
    """Every text value starting with `TODO` in a parsed YAML file, located, in file order."""
    out: list[Problem] = []

    def walk(value: Any, loc: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))
        elif isinstance(value, str) and value.lstrip().startswith(STUB):
            out.append(
                src.problem(loc, f"a stub to fill in: {value.strip()!r} (left by `theater new`)")
            )

    walk(src.data, ())
    return sorted(out, key=lambda p: (p.line, p.col))


def report_problems(t: Theater, src: Located) -> list[Problem]:
    """Unknown places in the `report:` block (with the closest name)."""
    from sim.checks import place_names

    names = place_names(t)
    out = []
    for field in ("map_labels", "front_marks"):
        for i, name in enumerate(getattr(t.report, field)):
            if names.resolve(name) is None:
                out.append(
                    src.problem(("report", field, i), f"unknown place {name!r}{names.hint(name)}")
                )
    return out


def report_settings(t: Theater) -> dict[str, Any]:
    """The report's labels, marks and map extent for a theater (module notes), as plain data for
    network.json: {"map_labels": [place], "front_marks": [place], "map_lon": [lo, hi],
    "map_lat": [lo, hi]} in degrees."""
    from sim.checks import place_names

    names = place_names(t)

    def resolved(items: list[str]) -> list[str]:
        return list(dict.fromkeys(n for n in (names.resolve(i) for i in items) if n is not None))

    r = t.report
    capitals = [f.capital for f in t.factions.values()]
    labels = resolved(r.map_labels)
    if not labels:
        by_pop = [p.name for p in sorted(t.places, key=lambda p: -p.population)]
        labels = resolved([*capitals, *t.key_places, *by_pop])[:MAX_LABELS]
    marks = resolved(r.front_marks)
    if not marks:
        axis = resolved(t.front_axis)
        notable = set(resolved([*capitals, *t.key_places]))
        marks = [axis[0], *(p for p in axis[1:-1] if p in notable), axis[-1]]
        marks = list(dict.fromkeys(marks))
    lats = [p.lat for p in t.places]
    lons = [p.lon for p in t.places]
    return {
        "map_labels": labels,
        "front_marks": marks,
        "map_lon": list(r.map_lon) if r.map_lon else _padded(min(lons), max(lons), 180),
        "map_lat": list(r.map_lat) if r.map_lat else _padded(min(lats), max(lats), 90),
    }


def _padded(low: float, high: float, limit: float) -> list[float]:
    pad = max(MAP_MARGIN * (high - low), MIN_MARGIN_DEG)
    return [round(max(low - pad, -limit), 3), round(min(high + pad, limit), 3)]
