"""The package names no theater: no Libyan place, faction or patron appears in sim/ (every .py).

The list is built from config/theaters/libya.yaml (every place name and alias, every faction
and patron key and name) plus the war's leaders and outside forces that the file does not list
as such, so it stays complete as the theater grows. Theater choices live in the theater file
(its `report:` block) or are derived from it (sim.theater_view)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sim.names import normalise

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
# Named in the Libyan theater's sources and units rather than as places, factions or patrons.
EXTRA = ("Libya", "Libyan", "Haftar", "Wagner", "Sarraj", "Erdogan", "Misratan", "Tripolitania",
         "Cyrenaica", "Turkish", "Russian", "Emirati")  # fmt: skip


def libyan_names() -> set[str]:
    data = yaml.safe_load((ROOT / "config" / "theaters" / "libya.yaml").read_text("utf-8"))
    names = set(EXTRA)
    for place in data["places"]:
        names.add(place["name"])
        names.update(place.get("aliases", []))
    for block in ("factions", "patrons"):
        for key, body in data.get(block, {}).items():
            names.update((key, body["name"]))
    return names


def pattern(names: set[str]) -> re.Pattern:
    """Whole words (or phrases) after sim.names.normalise (any case, Arabic with or without
    vowel marks and letter variants); longest first so a phrase wins over its part."""
    words = sorted({normalise(n) for n in names}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.I)


def test_the_list_is_built_from_the_theater():
    names = libyan_names()
    assert {
        "Tripoli",
        "Sirte",
        "Misrata",
        "Benghazi",
        "GNA",
        "LNA",
        "Turkey",
        "Russia",
        "UAE",
    } <= names
    assert len(names) > 60  # places and their aliases in three scripts
    rx = pattern(names)
    assert rx.search(normalise("the LNA took sirte")) and not rx.search("libyaml parses it")
    assert rx.search(normalise("سِرْت")) and rx.search(normalise("مصراته"))


def test_no_module_names_a_libyan_place_faction_or_patron():
    rx = pattern(libyan_names())
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            for m in rx.finditer(normalise(line)):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)!r} in {line.strip()[:90]}")
    assert not hits, "theater names in the package:\n" + "\n".join(hits)
