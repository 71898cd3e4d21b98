"""Every parameter anywhere in its declared range gives a run that keeps the model's books.

A sweep draws parameters from their registry ranges (`config/parameters.yaml`), all at once; a
run that crashes, goes negative or loses people at one corner of that box spoils a whole
design. These tests run the Libya scenario through the ceasefire (5-16 January 2020) at the
box's two corners and at points hypothesis draws inside it, and Hodeidah's November 2018 push
at the corners, and check each hour:

- fighters: each faction's personnel plus its losses equal its initial strength plus its
  reinforcements (killed, wounded and captured all count as losses);
- civilians: the places' population, plus the civilians killed, plus those who fled to no
  refuge in the theater and are still away, equal the population at the start;
- bounds: personnel, population and the civilian tallies are never negative, and morale and
  supply stay within [0, 1];
- the recorded tables hold no NaN or infinity in a numeric column.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.config import load_scenario
from sim.model import ConflictModel
from sim.params import ParamRegistry, weight_problem
from sim.runner import resolve_params

from .conftest import SCENARIOS, short_scenario

END = "2020-01-16T00:00+02:00"  # the war's last week and the ceasefire's first days


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return load_scenario(short_scenario(tmp_path_factory.mktemp("ranges"), end=END))


def _registry(setup) -> ParamRegistry:
    return ParamRegistry.load(setup.theater)


def _civilians_in_theater(m: ConflictModel) -> float:
    civ = m.battlefield.civilians
    away_from_theater = sum(went.get("", 0.0) for went in civ.away.values())
    return sum(p.population for p in m.places.values()) + civ.killed + away_from_theater


def _valid(overrides: dict[str, float], specs) -> dict[str, float]:
    """The point with each group of relative weights (an incident's kind) given one positive
    share where all were 0: the registry refuses that corner of the box, as a sweep's would."""
    while zeroed := weight_problem(overrides):  # the registry's own rule, one group at a time
        key = zeroed[0]
        overrides[key] = specs[key].high
    return overrides


def _run_and_check(setup, overrides: dict[str, float], seed: int) -> ConflictModel:
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=seed)
    civilians0 = _civilians_in_theater(m)
    while m.time < setup.scenario.hours:
        m.step()
        personnel = m.personnel_by_faction()
        for f in m.factions:
            expected = m.initial[f] + m.reinforcements[f]
            assert personnel[f] + m.losses[f] == pytest.approx(expected, rel=1e-9, abs=1e-6), f
        for u in m.units:
            assert u.personnel >= 0 and 0 <= u.morale <= 1 and 0 <= u.supply <= 1, u.uid
        assert all(p.population >= 0 for p in m.places.values())
        civ = m.battlefield.civilians
        assert civ.killed >= 0 and civ.displaced >= civ.returned >= 0
        assert _civilians_in_theater(m) == pytest.approx(civilians0, rel=1e-9)
    for table in (m.rows_timeseries, m.rows_units, m.rows_control, m.rows_events):
        for row in table:
            bad = [k for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)]
            assert not bad, (bad, row)
    return m


@pytest.fixture(scope="module")
def hodeidah():
    return load_scenario(SCENARIOS / "hodeidah_november_push.yaml")  # 15 days, another theater


@pytest.mark.parametrize("theater", ["libya", "hodeidah"])
@pytest.mark.parametrize("corner", ["low", "high"])
def test_every_parameter_at_one_end_of_its_range(setup, hodeidah, theater, corner):
    setup = setup if theater == "libya" else hodeidah
    specs = _registry(setup).specs
    overrides = {k: (s.low if corner == "low" else s.high) for k, s in specs.items()}
    m = _run_and_check(setup, _valid(overrides, specs), seed=3)
    assert m.time == setup.scenario.hours


def test_units_without_supply_or_a_floor_to_their_fire_do_not_attack(setup):
    """With `combat.effectiveness_floor` 0, a unit out of supply (no hub within 10 km) fires at
    nothing: it has no strength to attack with, where choosing a local attack used to divide
    by its strength (found by the test below)."""
    overrides = {"combat.effectiveness_floor": 0.0, "supply.max_trace_km": 10.0}
    m = _run_and_check(setup, overrides, seed=0)
    assert any(m.unit_strength(u) == 0 for u in m.units if u.personnel > 0)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    # An example is a run of 264 hours drawn over every parameter: shrinking one takes many
    # minutes, so a failure is reported as drawn (each draw is labelled with its parameter).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_any_point_in_the_parameter_box_keeps_the_books(setup, data, seed):
    specs = _registry(setup).specs
    overrides = {
        k: data.draw(
            st.sampled_from([0.0, 1.0]) if s.switch else st.floats(s.low, s.high, allow_nan=False),
            label=k,
        )  # a switch is 0 or 1 (ParamSpec.switch)
        for k, s in sorted(specs.items())
    }
    _run_and_check(setup, _valid(overrides, specs), seed)
