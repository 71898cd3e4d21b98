"""The theater data, the road network and the parameter registry."""

from __future__ import annotations

import itertools

import pytest

from sim.config import load_scenario
from sim.errors import InputError
from sim.params import ParamRegistry, parse_assignments

from .conftest import SCENARIOS


def test_theater_has_all_places_with_sources(theater):
    # 39 rows of shared/theater/libya_places.csv + 8 places of the southern Tripoli front
    # (data/research/tripoli_front_axes.yaml)
    assert len(theater.places) == 47
    for p in theater.places:
        assert p.coord_source.strip() and p.population_source.strip(), p.name
        assert p.value_source.strip()
    for u in theater.units:
        assert u.source.strip(), u.id
        assert u.personnel_low is None or u.personnel_low <= u.personnel, u.id
        assert u.personnel_high is None or u.personnel <= u.personnel_high, u.id
    for r in theater.roads:
        assert r.source.strip()
    for a in theater.air:
        assert a.source.strip()


@pytest.mark.parametrize(
    ("a", "b", "km", "tol"),
    [
        ("Tripoli", "Sirte", 450, 0.05),
        ("Misrata", "Sirte", 256, 0.10),
        ("Tripoli", "Misrata", 200, 0.05),
    ],
)
def test_road_distances_match_reported_figures(net, a, b, km, tol):
    _, length = net.route(a, b)
    assert abs(length - km) <= tol * km, length


def test_every_stated_check_holds(theater, net):
    assert theater.checks
    for c in theater.checks:
        _, length = net.route(net.resolve(c.a), net.resolve(c.b))
        assert abs(length - c.km) <= c.tolerance * c.km, (c.a, c.b, length)


def test_misrata_sirte_corridor_is_split_into_short_waypoints(net):
    path, _ = net.route("Misrata", "Sirte")
    legs = [net.graph.edges[u, v]["km"] for u, v in itertools.pairwise(path)]
    assert max(legs) <= 35
    assert any(net.graph.nodes[n]["waypoint"] for n in path)


def test_names_resolve_case_insensitively_and_through_alternative_spellings(net):
    assert net.resolve("Misurata") == "Misrata"
    assert net.resolve("abu qurayn") == "Abu Grein"
    assert net.resolve("SURT") == "Sirte"
    with pytest.raises(InputError, match="did you mean 'Sirte'"):
        net.resolve("Sirtte")


def test_front_axis_runs_west_to_east_along_roads(net):
    kms = [net.axis_km[n] for n in net.axis]
    assert kms == sorted(kms) and kms[0] == 0
    for u, v in zip(net.axis, net.axis[1:], strict=False):
        assert net.graph.has_edge(u, v)
    assert net.axis[0] == "Tripoli" and net.axis[-1] == "Benghazi"
    assert net.axis_km["Sirte"] == pytest.approx(net.route("Tripoli", "Sirte")[1])


def test_graph_is_connected(net):
    import networkx as nx

    assert nx.is_connected(net.graph)


def test_parameters_carry_unit_range_and_source(theater):
    reg = ParamRegistry.load(theater)
    assert {"ceasefire.violation_rate", "faction.LNA.aggression", "patron.Turkey.troops"} <= set(
        reg.specs
    )
    for spec in reg.specs.values():
        assert spec.unit and spec.source
        assert spec.low <= spec.default <= spec.high
    assert (
        reg.specs["faction.LNA.aggression"].default != reg.specs["faction.GNA.aggression"].default
    )


def test_parameter_errors_name_close_matches(theater):
    reg = ParamRegistry.load(theater)
    with pytest.raises(InputError, match=r"did you mean 'ceasefire\.violation_rate'"):
        reg.resolve({"ceasefire.violaton_rate": 1.0})
    with pytest.raises(InputError, match="outside its valid range"):
        reg.resolve({"faction.LNA.aggression": 3.0})
    with pytest.raises(InputError, match="expected a number"):
        parse_assignments(["combat.noise=abc"])
    with pytest.raises(InputError, match="expected key=value"):
        parse_assignments(["combat.noise"])


def test_all_shipped_scenarios_load():
    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    libya = ["ceasefire_jan12", "no_ceasefire", "sirte_advance", "turkish_deployment"]
    hodeidah = ["hodeidah_ceasefire_dec18", "hodeidah_november_push", "hodeidah_offensive"]
    assert names == sorted(libya + hodeidah)
    offset = {"libya": 7200, "hodeidah": 10800}  # local time: UTC+2, UTC+3
    for name in names:
        setup = load_scenario(SCENARIOS / f"{name}.yaml")
        assert setup.scenario.title and setup.scenario.description and setup.scenario.facts
        assert setup.scenario.start.utcoffset().total_seconds() == offset[setup.theater.name]
