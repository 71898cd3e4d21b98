"""The data standard: every figure a theater or the parameter file gives says where it came from
or that it is an assumption, no source leans on the out-of-sample file, and a parameter a theater's
source names is one the registry has (a renamed parameter once left the Hodeidah coalition's
aircraft count explained by a rate the model no longer used)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.config import load_theater
from sim.params import ParamRegistry
from sim.theater_schema import Theater

from .conftest import ROOT

THEATERS = sorted((ROOT / "config" / "theaters").glob("*.yaml"))
# A parameter key as sources write it: a known group, then dotted parts ({faction} allowed).
PARAMETER = re.compile(
    r"\b(?:forces|movement|control|faction|combat|losses|air|morale|supply|patron|ceasefire"
    r"|command|civilians)(?:\.[A-Za-z_{}]+)+"
)


def _sources(theater: Theater) -> Iterator[tuple[str, str]]:
    """(what, source text) for every figure-bearing entry of a theater."""
    for p in theater.places:
        yield f"place {p.name} coordinates", p.coord_source
        yield f"place {p.name} population", p.population_source
        yield f"place {p.name} value", p.value_source
    for r in theater.roads:
        yield f"road {r.a}-{r.b}", r.source
    for c in theater.checks:
        yield f"check {c.a}-{c.b}", c.source
    for name, patron in theater.patrons.items():
        yield f"patron {name}", patron.source
        for i, inflow in enumerate(patron.inflows):
            yield f"patron {name} inflow {i}", inflow.source
    for u in theater.units:
        yield f"unit {u.id}", u.source
    for a in theater.air:
        yield f"air {a.id}", a.source
    for h in theater.supply_hubs:
        yield f"supply hub {h.place}", h.source
    for s in theater.sectors:
        yield f"sector {s.name}", s.source


def _expansions(name: str, theater: Theater) -> set[str]:
    """The registry keys a name written in a source stands for ({faction} over the factions)."""
    if "{faction}" in name:
        return {name.replace("{faction}", f) for f in theater.factions}
    if "{patron}" in name:
        return {name.replace("{patron}", p) for p in theater.patrons}
    return {name}


@pytest.mark.parametrize("path", THEATERS, ids=lambda p: p.stem)
def test_every_theater_figure_has_a_source_and_none_uses_the_out_of_sample_file(path: Path):
    for what, text in _sources(load_theater(path)):
        assert text.strip(), what
        assert "after_ceasefire" not in text, what


def test_every_parameter_has_a_source_and_none_uses_the_out_of_sample_file():
    for key, spec in ParamRegistry.load().specs.items():
        assert spec.source.strip(), key
        assert "after_ceasefire" not in spec.source, key


@pytest.mark.parametrize("path", THEATERS, ids=lambda p: p.stem)
def test_parameters_named_in_a_theaters_sources_exist(path: Path):
    theater = load_theater(path)
    known = set(ParamRegistry.load(theater).specs)
    for what, text in _sources(theater):
        for name in PARAMETER.findall(text):
            assert _expansions(name.rstrip("."), theater) & known, f"{what}: {name}"
