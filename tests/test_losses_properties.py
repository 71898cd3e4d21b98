"""Booking the war's losses by their meaning (sim/battle.py, sim/losses.py, sim/population.py):
fortification shields its holder, the running totals give any window's deaths, civilians
harmed but not killed stay at home, and those who come home are at risk again."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_scenario
from sim.model import ConflictModel
from sim.runner import resolve_params

from .test_calibration_levels import _toy_with_town
from .test_ground_properties import _toy as _toy_with
from .test_model import TOY


def _toy(**overrides: float) -> ConflictModel:
    setup = load_scenario(TOY)
    return ConflictModel(setup, resolve_params(setup, overrides), seed=1)


def _close_fight(fortification: float, defender_first: bool) -> dict[str, float]:
    """Killed of X and Y in an hour's close fight at B, held by Y, without noise."""
    m = _toy(**{"combat.noise": 0})
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    x1.cell = y1.cell = m.grid._cells["B"]
    m.places["B"].fortification = fortification
    first, second = ([y1], [x1]) if defender_first else ([x1], [y1])
    killed_first, killed_second, _civ = m.battlefield.exchange("B", "B", first, second, 1.0)
    return {first[0].faction: killed_first, second[0].faction: killed_second}


@pytest.mark.parametrize("defender_first", [True, False])
def test_fortification_shields_its_holder_and_leaves_the_attackers_losses(defender_first):
    """Y holds B: fortification f cuts X's fire by f x weight, so Y loses that much less (the
    hour's losses are a small share of each side) while X's losses are as in the open."""
    open_ = _close_fight(0.0, defender_first)
    fort = _close_fight(0.5, defender_first)
    weight = _toy().p["combat.fortification_weight"]
    assert open_["X"] > 0 and open_["Y"] > 0
    assert fort["Y"] == pytest.approx(open_["Y"] * (1.0 - 0.5 * weight), rel=0.01)
    assert fort["X"] == pytest.approx(open_["X"], rel=0.01)


def test_deaths_in_a_window_are_the_running_totals_difference():
    """deaths_between(s, e) counts the fighters killed or wounded in hours s+1 .. e: the total
    at the end of hour e less the total at the end of hour s, read hour by hour as the model
    runs."""
    m = _toy()
    m.unit_by_id["x1"].cell = m.grid._cells["C"]  # a close fight from the first hour
    totals = [m.fighter_losses]
    for _ in range(12):
        m.step()
        totals.append(m.fighter_losses)
    assert totals[-1] > totals[0]
    for start, end in ((0, 12), (3, 7), (5, 6), (6, 6)):
        assert m.deaths_between(start, end) == pytest.approx(totals[end] - totals[start])


def test_civilians_harmed_but_not_killed_stay_in_the_population():
    """Of a strike's harm, only the killed leave the place's people and its front-line pool;
    the harm is the casualties counted."""
    m = _toy_with_town(50_000.0)
    civ, place = m.battlefield.civilians, m.places["B"]
    pool, people = civ.pool(place), place.population
    killed = civ.book(place, 200.0, np.random.default_rng(2))
    assert 0 < killed < 200.0
    assert place.population == people - killed and civ.at_risk["B"] == pool - killed
    assert civ.casualties == 200.0 and place.civilian_casualties == 200.0


def test_people_who_come_home_are_at_risk_there_again():
    """Every returnee goes back into the place's front-line pool (never above its size)."""
    m = _toy_with_town(50_000.0, **{"civilians.shelling_per_day": 0.0})
    civ = m.battlefield.civilians
    rng = np.random.default_rng(9)
    for _ in range(24 * 5):
        m.time += 1
        civ.ground_fire(m.places["B"], m.p["civilians.full_intensity_personnel"], rng)
    left = civ.at_risk["B"]
    m.time += int(m.p["civilians.return_after_hours"])
    for _ in range(24 * 3):
        m.time += 1
        civ.returns(rng)
    assert civ.returned > 100
    assert civ.at_risk["B"] == pytest.approx(min(civ.pool0["B"], left + civ.returned))


def test_a_place_in_close_combat_does_not_also_fire_across_the_distance(tmp_path):
    """X and Y fight at B; another unit of Y stands 20 km on, within fire range of B. Each pair
    of places exchanges fire at most once an hour: the close fight is B's, with no ranged
    exchange from B on top of it."""
    m = _toy_with(tmp_path, extra_y=True)
    x1, y1, y2 = (m.unit_by_id[u] for u in ("x1", "y1", "y2"))
    wp = next(n for n in m.places if n.startswith("B–C"))
    x1.cell = y1.cell = m.grid._cells["B"]
    y2.cell = m.grid._cells[wp]
    assert any({a, b} == {"B", wp} for a, b, _km in m.fire_edges)
    plan, engaged = m.battlefield.plan()
    assert engaged == {"B"}
    assert [(a, b, [u.uid for u in sa], [u.uid for u in sb]) for a, b, sa, sb, _f in plan] == [
        ("B", "B", ["x1"], ["y1"])
    ]


def test_a_strikes_harm_scales_with_the_residents_still_there(monkeypatch):
    """The mean harm of a strike on a place is `civilians.harm_per_strike` times the share of
    its front-line residents still at home: half of them gone, half the expected harm."""
    from sim import population

    m = _toy_with_town(50_000.0)
    civ, place = m.battlefield.civilians, m.places["B"]
    means = []
    monkeypatch.setattr(
        population.civ_fn, "heavy_tailed_harm", lambda _rng, mean, _k: means.append(mean) or 0.0
    )
    rng = np.random.default_rng(1)
    civ.strike(place, rng)
    civ.at_risk["B"] = 0.5 * civ.pool0["B"]
    civ.strike(place, rng)
    per_strike = m.p["civilians.harm_per_strike"]
    assert means == pytest.approx([per_strike, 0.5 * per_strike])


def test_a_truce_measures_the_violence_before_it_over_the_collapse_window():
    """Declared at hour 400 with one fighter lost an hour so far, the truce's yardstick is
    the window's hours of losses (168 for 7 days)."""
    m = _toy(**{"ceasefire.collapse_window_days": 7})
    m.time = 400
    m.cumulative_losses = [float(h) for h in range(400)]
    m.fighter_losses = 400.0
    m.truce.declare(["X", "Y"])
    assert m.truce.pre_truce_deaths == pytest.approx(7 * 24)


def test_a_strike_finds_formations_in_proportion_to_their_size():
    """Bigger formations are easier to find: of 4,000 strikes on a pool of 900 and 100, about
    nine in ten go to the bigger one."""
    from sim.agents import AirAsset

    m = _toy()
    big, small = m.unit_by_id["x1"], m.unit_by_id["y1"]
    big.personnel, small.personnel = 900.0, 100.0
    rng = np.random.default_rng(6)
    hits = sum(AirAsset._pick([small, big], rng) is big for _ in range(4000))
    assert hits / 4000 == pytest.approx(0.9, abs=0.02)
