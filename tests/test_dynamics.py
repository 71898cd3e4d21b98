"""The pure mechanism functions against analytic solutions and invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sim.dynamics import air, civilians, combat, morale, supply

ALPHA_A, ALPHA_B = 0.002, 0.003  # per-hour kill rates of A's and B's fighters


def _simulate(a: float, b: float, hours: int, w: float, area: float = 0.0, rng=None) -> tuple:
    """Hour by hour, as the model does: expected losses over the hour, realised or not."""
    for _ in range(hours):
        la, lb = combat.expected_losses(a, b, ALPHA_A, ALPHA_B, 1.0, area, w, 0.5)
        if rng is not None:
            la = combat.realise(rng, a, la, True)
            lb = combat.realise(rng, b, lb, True)
        a, b = a - la, b - lb
    return a, b


def test_square_law_without_noise_follows_the_closed_form_within_one_percent():
    a0, b0, hours = 1000.0, 800.0, 150
    a, b = _simulate(a0, b0, hours, w=1.0)
    a_ref, b_ref = combat.square_law_solution(a0, b0, ALPHA_A, ALPHA_B, hours)
    assert a == pytest.approx(a_ref, rel=0.01)
    assert b == pytest.approx(b_ref, rel=0.01)
    assert a_ref < 0.9 * a0 and b_ref < 0.7 * b0  # the fight really happened


def test_blended_law_matches_solve_ivp():
    a0, b0, hours, w, area = 1200.0, 900.0, 80, 0.6, 2e-3

    def rhs(_t, y):
        la, lb = combat.loss_rates(y[0], y[1], ALPHA_A, ALPHA_B, 1.0, area, w, 0.5)
        return [-la, -lb]

    ref = solve_ivp(rhs, (0, hours), [a0, b0], rtol=1e-9, atol=1e-9).y[:, -1]
    a, b = _simulate(a0, b0, hours, w=w, area=area)
    assert a == pytest.approx(ref[0], rel=0.005)
    assert b == pytest.approx(ref[1], rel=0.005)


def test_noisy_engagements_average_to_the_analytic_solution():
    a0, b0, hours, n = 1000.0, 800.0, 48, 500
    rng = np.random.default_rng(7)
    finals = np.array([_simulate(a0, b0, hours, w=1.0, rng=rng) for _ in range(n)])
    a_ref, b_ref = combat.square_law_solution(a0, b0, ALPHA_A, ALPHA_B, hours)
    for col, ref in ((0, a_ref), (1, b_ref)):
        mean, sd = finals[:, col].mean(), finals[:, col].std(ddof=1)
        half = 2.576 * sd / math.sqrt(n)
        assert abs(mean - ref) <= half + 0.005 * ref, (mean, ref, half)
        assert sd > 0  # noise is on


@given(
    a=st.floats(0, 1e5),
    b=st.floats(0, 1e5),
    ka=st.floats(0, 5),
    kb=st.floats(0, 5),
    w=st.floats(0, 1),
    hw=st.floats(0, 1),
)
@settings(max_examples=200, deadline=None)
def test_expected_losses_never_exceed_what_a_side_has(a, b, ka, kb, w, hw):
    la, lb = combat.expected_losses(a, b, ka, kb, 0.01, 0.05, w, hw)
    assert 0.0 <= la <= a + 1e-9
    assert 0.0 <= lb <= b + 1e-9


@given(total=st.floats(0, 1e4), weights=st.lists(st.floats(0, 1e4), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_split_shares_losses_without_creating_or_exceeding(total, weights):
    w = np.array(weights)
    shares = np.array(combat.split(total, list(weights)))
    assert shares.shape == w.shape
    assert np.all(shares >= 0) and np.all(shares <= w + 1e-9)
    if w.sum() > 0 and total <= w.sum():
        assert shares.sum() == pytest.approx(total, rel=1e-9, abs=1e-9)


def test_realise_without_noise_is_the_expectation_and_with_noise_is_bounded():
    rng = np.random.default_rng(1)
    assert combat.realise(rng, 100.0, 12.5, noise=False) == 12.5
    draws = [combat.realise(rng, 100.0, 12.5, noise=True) for _ in range(2000)]
    assert min(draws) >= 0 and max(draws) <= 100
    assert np.mean(draws) == pytest.approx(12.5, rel=0.05)


def test_effectiveness_falls_with_morale_and_supply_but_never_to_zero():
    full = combat.effectiveness(1.0, 1.0, 1.0, 1.0, 1.0)
    assert full == pytest.approx(1.0)
    assert combat.effectiveness(1.0, 0.5, 1.0, 1.0, 1.0) < full
    assert combat.effectiveness(1.0, 1.0, 0.5, 1.0, 1.0) < full
    assert combat.effectiveness(1.0, 0.0, 0.0, 1.0, 1.0) > 0
    assert combat.effectiveness(1.0, 1.0, 1.0, 1.0, 1.0, air_bonus=0.3) == pytest.approx(1.3)


def test_air_defence_lowers_hits_and_raises_losses():
    assert air.hit_probability(0.5, 0, 0.3) == 0.5
    assert air.hit_probability(0.5, 2, 0.3) == pytest.approx(0.5 * 0.49)
    assert air.loss_probability(0.1, 0) == 0.0
    assert air.loss_probability(0.1, 2) == pytest.approx(0.19)
    assert air.expected_sorties(4, 1.5, hours=24) == pytest.approx(6.0)
    from sim.geodesy import geodesic_km

    assert float(geodesic_km(32.887, 13.187, 31.209, 16.589)) == pytest.approx(371, abs=2)


@given(
    m=st.floats(0, 1),
    loss=st.floats(0, 1),
    s=st.floats(0, 1),
    enc=st.booleans(),
    contact=st.booleans(),
)
def test_morale_stays_in_unit_interval(m, loss, s, enc, contact):
    out = morale.update_morale(m, loss, s, enc, contact, 3.0, 0.01, 0.01, 0.004)
    assert 0.0 <= out <= 1.0


def test_morale_falls_with_losses_and_recovers_out_of_contact():
    assert morale.update_morale(
        0.8, 0.1, 1.0, False, True, 3.0, 0.01, 0.01, 0.004
    ) == pytest.approx(0.5)
    assert morale.update_morale(
        0.5, 0.0, 1.0, False, False, 3.0, 0.01, 0.01, 0.004
    ) == pytest.approx(0.504)
    assert morale.update_morale(0.5, 0.0, 1.0, False, True, 3.0, 0.01, 0.01, 0.004) == 0.5
    assert morale.should_withdraw(0.2, 1.0, 0.3, 2.5)
    assert morale.should_withdraw(0.9, 3.0, 0.3, 2.5)
    assert not morale.should_withdraw(0.9, 2.0, 0.3, 2.5)


def test_supply_is_traced_through_friendly_ground_only():
    import networkx as nx

    g = nx.Graph()
    g.add_edge("depot", "a", km=10)
    g.add_edge("a", "enemy", km=10)
    g.add_edge("enemy", "beyond", km=10)
    reach = supply.nearest_hubs(g, {"depot", "a", "beyond"}, ["depot"], max_km=1000)
    # the enemy node is reached, not crossed
    assert reach == {"depot": (0.0, "depot"), "a": (10, "depot"), "enemy": (20, "depot")}
    assert supply.nearest_hubs(g, {"a"}, ["depot"], 1000) == {}
    assert supply.nearest_hubs(g, {"depot", "a"}, ["depot"], max_km=5) == {"depot": (0.0, "depot")}
    assert supply.update_supply(0.5, 1.0, 0.01, 0.05) == pytest.approx(0.55)
    assert supply.update_supply(0.005, None, 0.01, 0.05) == 0.0
    assert supply.speed_factor(0.0) == 0.5 and supply.speed_factor(1.0) == 1.0


def test_civilian_intensity_pool_and_displacement_shares():
    assert civilians.intensity(1000, 2000) == 0.5 and civilians.intensity(10_000, 2000) == 1.0
    assert civilians.at_risk_pool(1_100_000, 100_000) == 100_000
    assert civilians.at_risk_pool(3_000, 100_000) == 3_000
    assert civilians.displaced_share(0.0, 0.1) == 0.0
    assert civilians.displaced_share(1.0, 2.4, hours=24) == pytest.approx(1 - math.exp(-2.4))
    with pytest.raises(ValueError):
        civilians.intensity(10, 0)


def test_the_hours_rk4_stays_within_3e5_of_a_side_of_a_fine_solution():
    aimed, area, w, hw = 0.0008, 0.0042, 0.7, 0.5  # the defaults of config/parameters.yaml
    sizes = (1, 3, 5, 10, 20, 50, 100, 300, 1000, 3000, 5000, 10000)
    effs = (0.05, 0.2, 0.5, 1.0, 2.0, 3.0)
    worst = 0.0
    for a, b, ka, kb in itertools.product(sizes, sizes, effs, effs):
        fine = combat.expected_losses(a, b, ka, kb, aimed, area, w, hw, substeps=256)
        used = combat.expected_losses(a, b, ka, kb, aimed, area, w, hw)
        for f, u, n in zip(fine, used, (a, b), strict=True):
            worst = max(worst, abs(f - u) / n)
    assert worst < 3e-5
    for steps in (1, 2):  # fewer steps where a side is wiped out would not do: the bound bites
        few = combat.expected_losses(5, 3000, 3.0, 3.0, aimed, area, w, hw, substeps=steps)
        fine = combat.expected_losses(5, 3000, 3.0, 3.0, aimed, area, w, hw, substeps=256)
        assert abs(few[0] - fine[0]) / 5 > 1e-2


def test_weighted_index_draws_in_proportion_to_the_weights():
    from scipy import stats

    rng = np.random.default_rng(3)
    weights = [5.0, 0.0, 1.0, 14.0]
    counts = np.bincount([combat.weighted_index(rng, weights) for _ in range(20000)], minlength=4)
    assert counts[1] == 0
    expected = np.array(weights) / sum(weights) * counts.sum()
    keep = expected > 0
    assert stats.chisquare(counts[keep], expected[keep]).pvalue > 0.001
    assert combat.weighted_index(np.random.default_rng(0), [2.0]) == 0


def test_the_hour_takes_one_rk4_step_only_while_losses_are_a_small_share():
    aimed, area, w, hw = 0.0008, 0.0042, 0.7, 0.5
    # 5,000 against 4,000 at full effectiveness: well under a tenth of either side an hour
    quiet = (5000, 4000, 1.0, 1.0, aimed, area, w, hw)
    assert combat.expected_losses(*quiet) == combat.expected_losses(*quiet, substeps=1)
    # 20 against 5,000 lose more than a tenth in the hour: four steps
    rout = (20, 5000, 1.0, 3.0, aimed, area, w, hw)
    assert combat.expected_losses(*rout) == combat.expected_losses(*rout, substeps=4)
    assert combat.expected_losses(*rout) != combat.expected_losses(*rout, substeps=1)


def test_weighted_index_refuses_weights_with_no_positive_total():
    for weights in ([0.0, 0.0], []):
        with pytest.raises(ValueError):
            combat.weighted_index(np.random.default_rng(0), weights)


@pytest.mark.parametrize(("ka", "kb"), [(0.5, 2.0), (1.5, 0.3)])
def test_area_fire_at_helmbold_w_0_and_1_is_the_logarithmic_and_the_square_law(ka, kb):
    """Area fire alone (w = 0): at W = 0 each side decays exponentially at its enemy's rate,
    whatever the enemy's size (Helmbold's logarithmic law), and at W = 1 it is the square law
    with the area rate; the defaults' W = 0.5 cannot tell W from 1 - W."""
    area, a0, b0, hours = 0.004, 1000.0, 700.0, 48
    a, b = a0, b0
    for _ in range(hours):
        la, lb = combat.expected_losses(a, b, ka, kb, 0.0, area, 0.0, 0.0)
        a, b = a - la, b - lb
    assert a == pytest.approx(a0 * math.exp(-area * kb * hours), rel=1e-6)
    assert b == pytest.approx(b0 * math.exp(-area * ka * hours), rel=1e-6)
    a, b = a0, b0
    for _ in range(hours):
        la, lb = combat.expected_losses(a, b, ka, kb, 0.0, area, 0.0, 1.0)
        a, b = a - la, b - lb
    a_ref, b_ref = combat.square_law_solution(a0, b0, area * ka, area * kb, hours)
    assert (a, b) == pytest.approx((a_ref, b_ref), rel=1e-4)


def test_each_exponent_of_effectiveness_weighs_its_own_factor():
    """A unit out of supply at full morale fires at floor ** supply_exponent, one broken at full
    supply at floor ** morale_exponent: the exponents (swept over [0, 3]) are not exchangeable."""
    floor = 0.2
    assert combat.effectiveness(1.0, 1.0, 0.0, 1.0, 2.0, floor=floor) == pytest.approx(floor**2)
    assert combat.effectiveness(1.0, 0.0, 1.0, 1.0, 2.0, floor=floor) == pytest.approx(floor)
    assert combat.effectiveness(1.0, 0.0, 1.0, 3.0, 0.5, floor=floor) == pytest.approx(floor**3)
    assert combat.effectiveness(1.0, 1.0, 0.0, 3.0, 0.5, floor=floor) == pytest.approx(floor**0.5)


def test_encirclement_lowers_morale_by_its_penalty_an_hour():
    """Cut off, in contact, without losses and supplied: morale falls by the penalty each hour;
    out of contact the penalty outweighs a smaller recovery."""
    args = dict(loss_sensitivity=3.0, supply_sensitivity=0.01, recovery=0.004)
    held = morale.update_morale(0.6, 0.0, 1.0, True, True, encircled_penalty=0.05, **args)
    assert held == pytest.approx(0.55)
    resting = morale.update_morale(0.6, 0.0, 1.0, True, False, encircled_penalty=0.05, **args)
    assert resting == pytest.approx(0.554)
    free = morale.update_morale(0.6, 0.0, 1.0, False, False, encircled_penalty=0.05, **args)
    assert resting < free


def test_supply_moves_toward_the_hubs_level_at_its_own_rate_each_way():
    """Above the level its hub sustains (moved further from it) a unit's supply falls at
    `decay` an hour and stops at that level; below it, it rises at `resupply`, as far as it."""
    decay, resupply = 0.01, 0.05
    hours, level = [0.9], 0.5
    while hours[-1] > level:
        hours.append(supply.update_supply(hours[-1], level, decay, resupply))
    assert hours[1] == pytest.approx(0.89)
    assert len(hours) - 1 == 40 and hours[-1] == level
    assert supply.update_supply(0.3, level, decay, resupply) == pytest.approx(0.35)
    assert supply.update_supply(0.48, level, decay, resupply) == level


def test_an_overland_bridge_refills_its_hub_only_while_its_side_holds_both_ends():
    """A bridge that replaces the draw keeps the hub level while X holds the hub and the rear
    place it comes from; losing either end leaves the hub to run down by a day in 24 hours."""
    for holder, rear, days_after in (("X", "X", 2.0), ("X", "Y", 1.0), ("Y", "X", 1.0)):
        stock = supply.HubStock(2.0, 1000.0, 1.0, bridge_for="X", bridge_from="R")
        for _ in range(24):
            stock.hour(1000.0, holder, rear)
        assert stock.days == pytest.approx(days_after), (holder, rear)
    sea = supply.HubStock(2.0, 1000.0, 1.0, bridge_for="X")  # by sea: no rear place to hold
    for _ in range(24):
        sea.hour(1000.0, "X", None)
    assert sea.days == pytest.approx(2.0)
