"""Calibration targets as tests (#11, ground side): every rate with a stated target reproduces it.

The targets and their sources are in config/parameters.yaml (each names its test here):
- a static line of 10,000 against 10,000 at a fire factor of 0.030: 4 fighters killed a day on
  both sides by ground fire (analytic), and the model's hourly integration agrees;
- the 2019 Tripoli front as the theater sets it up: about 7 killed a day by ground fire and air
  together; ground fire's share is tested here, 4 a day, assuming the air war kills about 3
  a day there (~4.6 drone strikes a day front-wide at about 1 killed per strike);
- about 1 civilian killed a day on the Tripoli front: 0.5 by stand-off fire (tested here) and
  0.5 by strikes (the air war's rate times `civilians.harm_per_strike`);
- displacement never exceeds the at-risk pool and follows its analytic depletion; returns
  refill the pool once a place is quiet;
- conservation: personnel in = personnel out + killed + wounded + captured.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ground
from sim.config import load_scenario
from sim.dynamics import civilians as civ_fn
from sim.dynamics import combat
from sim.model import ConflictModel
from sim.population import Civilians
from sim.runner import resolve_params

ROOT = Path(__file__).resolve().parent.parent
TOY = Path(__file__).parent / "data" / "toy_scenario.yaml"
LIBYA = ROOT / "scenarios" / "no_ceasefire.yaml"
PARAMS = ROOT / "config" / "parameters.yaml"

GROUND_KILLED_PER_DAY = 4.0  # Tripoli front, ground fire only (7 a day in all, ~3 by air)
CIVILIANS_KILLED_BY_GROUND_FIRE = 0.5  # Tripoli front, a day (about 1 in all, half by strikes)


def _defaults(setup_path: Path = LIBYA, **overrides: float) -> tuple:
    setup = load_scenario(setup_path)
    return setup, resolve_params(setup, overrides)


def _killed_per_day(p: dict, personnel: float, km: float) -> float:
    factor = p["combat.ranged_factor_0"] * math.exp(-km / p["combat.fire_decay_km"])
    casualties = combat.static_line_casualties_per_day(
        personnel, factor, p["combat.aimed_rate"], p["combat.area_rate"], p["combat.square_weight"]
    )
    return casualties * p["losses.killed_share"]


def test_static_line_10k():
    """10,000 against 10,000 at full effectiveness at a fire factor of 0.030: 26 casualties, 4
    killed, a day (+-5%: combat.area_rate's source), and across the 6 km of the closest southern
    Tripoli contact the hour-by-hour integration the model runs agrees with the analytic rate
    within 1%."""
    _, p = _defaults()
    at_reference = combat.static_line_casualties_per_day(
        10_000, 0.030, p["combat.aimed_rate"], p["combat.area_rate"], p["combat.square_weight"]
    )
    assert at_reference * p["losses.killed_share"] == pytest.approx(4.0, rel=0.05)
    analytic = _killed_per_day(p, 10_000, 6.0)
    factor = p["combat.ranged_factor_0"] * math.exp(-6.0 / p["combat.fire_decay_km"])
    a = b = 10_000.0
    for _ in range(24):
        la, lb = combat.expected_losses(
            a, b, factor, factor, p["combat.aimed_rate"], p["combat.area_rate"],
            p["combat.square_weight"], p["combat.helmbold_w"],
        )  # fmt: skip
        a, b = a - la, b - lb
    integrated = (20_000.0 - a - b) * p["losses.killed_share"]
    assert integrated == pytest.approx(analytic, rel=0.01)


def test_area_fire_does_not_grow_with_the_stack():
    """The share of a stack lost an hour is the same at 1,000 a side and at 10,000 a side (the
    linear law's product term made it ten times larger), for any Helmbold W; W = 1 is the
    square law."""
    for w_h in (0.0, 0.5, 1.0):
        small = combat.loss_rates(1_000, 1_000, 1.0, 1.0, 8e-4, 4e-3, 0.3, w_h)
        big = combat.loss_rates(10_000, 10_000, 1.0, 1.0, 8e-4, 4e-3, 0.3, w_h)
        assert big[0] / 10_000 == pytest.approx(small[0] / 1_000, rel=1e-12)
    # A larger target stack suffers more only through (B/A)^(1-W): W = 1 leaves it unchanged.
    sq = combat.loss_rates(1_000, 4_000, 1.0, 1.0, 0.0, 4e-3, 0.0, 1.0)
    assert sq[1] == pytest.approx(4e-3 * 1_000)
    log = combat.loss_rates(1_000, 4_000, 1.0, 1.0, 0.0, 4e-3, 0.0, 0.0)
    assert log[1] == pytest.approx(4e-3 * 4_000)  # logarithmic law: in proportion to B itself


def _tripoli_static_day(monkeypatch) -> tuple[ConflictModel, dict[str, float], dict[str, list]]:
    """The Tripoli front as the theater sets it up (hour 0 stacks, no movement, no decisions, no
    noise), fighting for 24 hours; returns the model, killed by ground fire, and the intensity
    of each hour of fire on each populated place."""
    setup, p = _defaults(**{"combat.noise": 0, "forces.sample_personnel": 0})
    m = ConflictModel(setup, p, seed=1)
    levels: dict[str, list] = {}
    real = Civilians.ground_fire

    def record(self, place, engaged, rng):
        level = civ_fn.intensity(engaged, self.model.p["civilians.full_intensity_personnel"])
        levels.setdefault(place.name, []).append((level, self.exposure(place)))
        return real(self, place, engaged, rng)

    monkeypatch.setattr(Civilians, "ground_fire", record)
    for _ in range(24):
        m.time += 1
        m.battlefield.fight()
    killed = dict.fromkeys(m.factions, 0.0)  # the day's battles under way on the Tripoli front
    for node, battle in m.battlefield.ongoing.items():
        if m.sector_of.get(node, "").startswith("tripoli"):
            for f, k in battle["losses"].items():
                killed[f] += k
    return m, killed, levels


def test_tripoli_front_ground_fire(monkeypatch):
    """Ground fire on the Tripoli front as set up kills 4 a day (+-40%: the real stacks differ
    from 10k/10k in size, firepower and fortification), counting the battles at places of the
    Tripoli sectors; with ~3 a day by air (H-air's target) the front loses about 7 a day."""
    _, killed, _ = _tripoli_static_day(monkeypatch)
    total = sum(killed.values())
    assert total == pytest.approx(GROUND_KILLED_PER_DAY, rel=0.4)
    assert all(k > 0 for k in killed.values())  # both sides bleed
    assert total + 3.0 == pytest.approx(7.0, rel=0.3)


def test_tripoli_front_civilians_killed(monkeypatch):
    """Expected civilians killed a day by stand-off fire on the Tripoli front, from the
    intensity of each hour of fire the front brings on its populated places: 0.5 (+-40%)."""
    m, _, levels = _tripoli_static_day(monkeypatch)
    p = m.p
    trip = [n for n in levels if m.sector_of.get(n, "").startswith("tripoli")]
    assert trip, "fire reaches no populated place on the Tripoli front"
    expected = sum(
        civ_fn.event_hazard(p["civilians.shelling_per_day"], level)
        * p["civilians.harm_per_shelling"]
        * exposure
        * p["civilians.killed_share"]
        for n in trip
        for level, exposure in levels[n]
    )
    assert expected == pytest.approx(CIVILIANS_KILLED_BY_GROUND_FIRE, rel=0.4)
    # Only the front-line residents are exposed: a city ten times larger is harmed no more.
    tripoli = m.places["Tripoli"]
    assert m.battlefield.civilians.pool0["Tripoli"] == p["civilians.frontline_residents"]
    assert tripoli.population > 10 * p["civilians.frontline_residents"]


def test_harm_per_event_is_heavy_tailed():
    """Negative binomial harm per event: the sample mean and variance match (mean, mean +
    mean^2 / k), the variance far above a Poisson's, and most events harm nobody."""
    rng = np.random.default_rng(11)
    mean, k = 1.1, 0.2
    draws = np.array([civ_fn.heavy_tailed_harm(rng, mean, k) for _ in range(40_000)])
    m_ref, v_ref = civ_fn.harm_moments(mean, k)
    assert draws.mean() == pytest.approx(m_ref, rel=0.05)
    assert draws.var() == pytest.approx(v_ref, rel=0.15)
    assert draws.var() > 4 * draws.mean()
    assert (draws == 0).mean() > 0.6
    assert civ_fn.heavy_tailed_harm(rng, 0.0, k) == 0.0


def _toy_with_town(population: float, **overrides: float) -> ConflictModel:
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=3)
    m.places["B"].population = population
    m.places["A"].population = 10_000.0  # the refuge: held by X, no fighting
    m.places["B"].controller = "X"
    return m


def test_displacement_bounded_by_the_pool():
    """A town of 400,000 under fire at full intensity for 90 days: the displaced never exceed its
    at-risk pool (`civilians.frontline_residents`), follow pool * (1 - exp(-r * level * t))
    within 3%, and flee fastest at the onset (a burst), slower as the pool empties."""
    m = _toy_with_town(400_000.0, **{"civilians.shelling_per_day": 0.0})
    civ = m.battlefield.civilians
    rate = m.p["civilians.displacement_rate"]
    pool = m.p["civilians.frontline_residents"]
    engaged = m.p["civilians.full_intensity_personnel"]
    rng = np.random.default_rng(5)
    daily = []
    for day in range(90):
        start = civ.displaced
        for _ in range(24):
            m.time += 1
            civ.ground_fire(m.places["B"], engaged, rng)
        daily.append(civ.displaced - start)
        assert civ.displaced <= pool
        expected = civ_fn.displaced_by(pool, 1.0, rate, day + 1)
        assert civ.displaced == pytest.approx(expected, rel=0.03, abs=200)
    assert daily[0] > 2.5 * daily[-1]
    assert m.places["B"].population == pytest.approx(400_000.0 - civ.displaced)


def test_returns_refill_the_pool_once_quiet():
    """After the fighting stops and `civilians.return_after_hours` pass, the displaced come back
    at `civilians.return_rate`; nobody appears or vanishes (town + refuge stay constant)."""
    m = _toy_with_town(50_000.0, **{"civilians.shelling_per_day": 0.0})
    civ = m.battlefield.civilians
    rng = np.random.default_rng(9)
    total0 = m.places["A"].population + m.places["B"].population
    for _ in range(24 * 10):
        m.time += 1
        civ.ground_fire(m.places["B"], m.p["civilians.full_intensity_personnel"], rng)
    away = civ.away_now()
    assert away > 1_000
    for _ in range(int(m.p["civilians.return_after_hours"]) - 1):
        m.time += 1
        civ.returns(rng)
    assert civ.returned == 0  # not yet quiet long enough
    days = 10
    for _ in range(24 * days + 1):
        m.time += 1
        civ.returns(rng)
    share = 1 - math.exp(-m.p["civilians.return_rate"] * days)
    assert civ.returned == pytest.approx(away * share, rel=0.05)
    assert m.places["A"].population + m.places["B"].population == pytest.approx(total0)
    assert civ.at_risk["B"] <= civ.pool0["B"]


def test_losses_split_and_conservation():
    """Personnel in = personnel out + killed + wounded + captured, per faction, over a close fight
    with a withdrawal and a surrender; the killed are `losses.killed_share` of casualties."""
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, {}), seed=2)
    m.unit_by_id["x1"].cell = m.grid["C"]  # X stands in Y's city: a close fight
    start = m.personnel_by_faction()
    for _ in range(72):
        m.step()
    ground.surrender(m, m.unit_by_id["y1"], 2.0)  # and what is left of Y's unit gives up
    bf = m.battlefield
    assert bf.captured["Y"] > 0
    end = m.personnel_by_faction()
    for f in m.factions:
        assert start[f] == pytest.approx(end[f] + bf.killed[f] + bf.wounded[f] + bf.captured[f])
        assert m.losses[f] == pytest.approx(bf.killed[f] + bf.wounded[f] + bf.captured[f])
    casualties = sum(bf.killed.values()) + sum(bf.wounded.values())
    assert casualties > 100
    share = sum(bf.killed.values()) / casualties
    sd = math.sqrt(0.152 * 0.848 / casualties)
    assert abs(share - m.p["losses.killed_share"]) < 4 * sd + 0.01


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(st.floats(0.5, 5000), min_size=2, max_size=2),
    killed_share=st.floats(0.01, 0.99),
)
def test_a_group_wiped_out_keeps_no_negative_remnant(people, killed_share):
    """The killed and the wounded of a group are shared among its units apart; for a group
    wiped out, each unit's two shares could overshoot it by a rounding error (-1e-16 left, a
    parameter-box search found it). No unit may go below 0; the books must balance."""
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, {"losses.killed_share": killed_share}), seed=2)
    group = [m.unit_by_id["x1"], m.unit_by_id["y1"]]
    for u, n in zip(group, people, strict=True):
        u.personnel = n
    total = sum(people)
    killed0 = sum(m.battlefield.killed.values()) + sum(m.battlefield.wounded.values())
    m.battlefield._apply_losses(group, total, m.streams["combat"], noise=False)
    assert all(0.0 <= u.personnel < 1e-9 for u in group), [u.personnel for u in group]
    booked = sum(m.battlefield.killed.values()) + sum(m.battlefield.wounded.values()) - killed0
    assert booked == pytest.approx(total, rel=1e-12)


def test_surrender_is_captured_not_casualties():
    """A unit that gives up adds to its side's captured, not to its killed or wounded."""
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, {}), seed=2)
    u = m.unit_by_id["y1"]
    n = u.personnel
    ground.surrender(m, u, 3.0)
    bf = m.battlefield
    assert bf.captured["Y"] == n and bf.killed["Y"] == 0 and bf.wounded["Y"] == 0
    assert m.fighter_losses == 0  # the truce's violence measure counts casualties only


def test_split_casualties_adds_up():
    rng = np.random.default_rng(4)
    for total in (0.0, 1.0, 37.0, 1000.0):
        k, w = combat.split_casualties(rng, total, 0.152, noise=True)
        assert k + w == total and 0 <= k <= total
    assert combat.split_casualties(rng, 100.0, 0.152, noise=False) == pytest.approx((15.2, 84.8))


def test_wounded_for_killed_keeps_the_killed_share():
    """A strike's deaths come first; the wounded drawn for them keep `losses.killed_share`."""
    rng = np.random.default_rng(8)
    killed = 2_000.0
    wounded = sum(combat.wounded_for_killed(rng, 1.0, 0.152) for _ in range(int(killed)))
    assert killed / (killed + wounded) == pytest.approx(0.152, rel=0.05)
    assert combat.wounded_for_killed(rng, 0.0, 0.152) == 0.0
    assert combat.wounded_for_killed(rng, 3.0, 0.25, noise=False) == pytest.approx(9.0)


def test_every_calibration_test_named_in_the_parameters_exists():
    """config/parameters.yaml names a test beside each calibrated source: each must exist."""
    entries = yaml.safe_load(PARAMS.read_text())
    named = {body["test"] for body in entries.values() if isinstance(body, dict) and "test" in body}
    assert named
    here = Path(__file__).read_text()
    for ref in named:
        path, _, func = ref.partition("::")
        assert (ROOT / path).exists(), ref
        text = here if path.endswith(Path(__file__).name) else (ROOT / path).read_text()
        assert re.search(rf"^def {func}\(", text, re.M), ref


def test_former_constants_are_parameters():
    """The effectiveness floor, the low-supply threshold of morale and the intensity of a full
    fight are read from their parameters, not written into the code."""
    from sim.dynamics import morale

    assert combat.effectiveness(1.0, 0.0, 0.0, 1.0, 1.0, floor=0.3) == pytest.approx(0.09)
    assert combat.effectiveness(1.0, 0.0, 1.0, 1.0, 1.0, floor=0.0) == 0.0
    args = (0.5, 0.0, 0.4, False, True, 3.0, 0.01, 0.01, 0.004)
    assert morale.update_morale(*args, low_supply=0.3) == 0.5
    assert morale.update_morale(*args, low_supply=0.5) == pytest.approx(0.49)
    assert civ_fn.intensity(500, 1000) == 0.5 and civ_fn.intensity(500, 4000) == 0.125
    _, p = _defaults()
    for key in ("combat.effectiveness_floor", "morale.low_supply"):
        assert key in p
    assert "civilians.full_intensity_personnel" in p


def test_a_way_home_opened_after_returns_began_is_walked_too():
    """Returns walk origins and refuges in sorted order, kept between hours: people who flee
    from a second place after returns have begun come back as well."""
    m = _toy_with_town(50_000.0, **{"civilians.shelling_per_day": 0.0})
    m.places["A"].population = 50_000.0
    civ = m.battlefield.civilians
    rng = np.random.default_rng(4)
    full = m.p["civilians.full_intensity_personnel"]
    for _ in range(48):
        m.time += 1
        civ.ground_fire(m.places["B"], full, rng)
    civ.returns(rng)  # the ways home are kept from here
    m.places["B"].controller = "Y"  # A's people can no longer go to B: they go nowhere held
    for _ in range(48):
        m.time += 1
        civ.ground_fire(m.places["A"], full, rng)
    assert set(civ.away) == {"A", "B"}
    for _ in range(int(m.p["civilians.return_after_hours"]) + 24 * 30):
        m.time += 1
        civ.returns(rng)
    for origin in ("A", "B"):
        assert sum(civ.away[origin].values()) < 0.5 * m.places[origin].displaced_out, origin
