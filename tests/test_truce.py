"""The ceasefire: the Hawkes incident process, the resume hazard, sectors, paired random streams
and counterfactual tests on seeded ensembles with common random numbers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from sim.command import go_probability
from sim.config import load_scenario
from sim.dynamics import ceasefire as cf
from sim.fronts import front_position
from sim.model import ConflictModel
from sim.runner import resolve_params, seed_for
from sim.streams import spawn_streams

from .conftest import SCENARIOS, _when, short_scenario

# --- the maths ------------------------------------------------------------------------------


def test_erosion_starts_at_the_truce_share_and_returns_to_war():
    assert cf.erosion(0, 0.2, 14) == 0.2
    assert cf.erosion(14, 0.2, 14) == pytest.approx(0.2 + 0.8 * (1 - math.exp(-1)))
    assert cf.erosion(1e6, 0.2, 14) == pytest.approx(1.0)
    days = np.linspace(0, 60, 61)
    assert np.all(np.diff([cf.erosion(d, 0.2, 14) for d in days]) > 0)


def test_one_incident_triggers_the_branching_ratio_in_expectation():
    """The kernel integrates to n * severity / mean severity (Hawkes' branching ratio)."""
    n, tau, sev, mean_sev = 0.4, 120.0, 3.0, 1.8
    total, _err = integrate.quad(
        lambda t: cf.excitation(t, [(0.0, sev)], n, mean_sev, tau), 0, 50 * tau, limit=200
    )
    assert total == pytest.approx(n * sev / mean_sev, rel=1e-6)
    assert cf.excitation(0.0, [(0.0, sev)], n, mean_sev, tau) == 0.0  # not yet


def test_a_simulated_hawkes_process_has_the_stationary_rate_mu_over_one_minus_n():
    """Hourly Poisson draws from lambda(t): the long-run rate is mu / (1 - n) (Hawkes 1971)."""
    rng = np.random.default_rng(3)
    mu_day, n, tau_h, hours = 6.0, 0.5, 24.0, 24 * 4000
    past: list[tuple[float, float]] = []
    count = 0
    decay = math.exp(-1.0 / tau_h)
    excitation = 0.0  # kept recursively: the same sum cf.excitation computes over `past`
    for h in range(hours):
        lam = cf.intensity(mu_day, 1.0, excitation)
        k = int(rng.poisson(lam))
        count += k
        excitation = (excitation + k * n / tau_h) * decay
        if h < 200:
            past.extend([(float(h), 1.0)] * k)
            assert cf.excitation(h + 1.0, past, n, 1.0, tau_h) == pytest.approx(excitation)
    rate = count / hours * 24
    assert rate == pytest.approx(mu_day / (1 - n), rel=0.05)


HAZARD_ARGS = dict(
    h0_per_day=0.03, t_days=10, shape=0.7, ref_days=30, best_odds=1.5, attack_ratio=1.5,
    gain_exponent=1.0, power_shift=0.0, shift_per_doubling=0.2, severe_incidents=0,
    recip_factor=1.5, leverages=[], monitoring=1.0,
)  # fmt: skip


def test_the_resume_hazard_falls_with_time_and_rises_with_gain_shift_and_reciprocity():
    base = HAZARD_ARGS
    h = cf.resume_hazard(**base)
    assert cf.resume_hazard(**{**base, "t_days": 30}) == pytest.approx(0.03)
    assert (
        cf.resume_hazard(**{**base, "t_days": 60}) < h < cf.resume_hazard(**{**base, "t_days": 2})
    )
    assert cf.resume_hazard(**{**base, "best_odds": 3.0}) == pytest.approx(2 * h)
    assert cf.resume_hazard(**{**base, "best_odds": 100.0}) == pytest.approx(4 * h)  # bounded
    assert cf.resume_hazard(**{**base, "power_shift": 0.2}) == pytest.approx(2 * h)
    assert cf.resume_hazard(**{**base, "severe_incidents": 2}) == pytest.approx(2.25 * h)
    assert cf.resume_hazard(**{**base, "leverages": [0.5, 0.5]}) == pytest.approx(0.25 * h)
    assert cf.resume_hazard(**{**base, "leverages": [1.0]}) == 0.0
    assert cf.resume_hazard(**{**base, "monitoring": 0.35}) == pytest.approx(0.35 * h)


def test_a_resume_hazard_beyond_a_float_is_a_certain_resumption_unless_a_factor_is_zero():
    """5 ** 500 severe incidents overflows a float (it raised OverflowError mid-run)."""
    args = {**HAZARD_ARGS, "severe_incidents": 500, "recip_factor": 5.0}
    assert cf.resume_hazard(**args) == math.inf
    assert cf.probability_within(cf.resume_hazard(**args), 6) == 1.0
    assert cf.resume_hazard(**{**args, "leverages": [1.0]}) == 0.0
    assert cf.resume_hazard(**{**args, "h0_per_day": 0.0}) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    lev=st.lists(st.floats(0, 1), min_size=0, max_size=3),
    extra=st.floats(0, 1),
    t=st.floats(0, 365),
    odds=st.floats(0.01, 50),
)
def test_more_leverage_never_raises_the_resume_hazard(lev, extra, t, odds):
    args = (0.03, t, 0.7, 30, odds, 1.5, 1.0, 0.1, 0.2, 1, 1.5)
    assert cf.resume_hazard(*args, [*lev, extra], 1.0) <= cf.resume_hazard(*args, lev, 1.0)


def test_go_no_go_is_a_coin_toss_at_the_attack_ratio_and_monotone_in_the_odds():
    assert go_probability(1.5, 1.5, 3.0) == pytest.approx(0.5)
    odds = np.geomspace(0.1, 10, 50)
    p = [go_probability(o, 1.5, 3.0) for o in odds]
    assert np.all(np.diff(p) > 0) and p[0] < 0.01 and p[-1] > 0.99
    assert go_probability(math.inf, 1.5, 3.0) == 1.0 and go_probability(0.0, 1.5, 3.0) == 0.0
    # At decisiveness 20 (its range's top), odds of 1e-16 overflowed math.exp.
    assert go_probability(1e-16, 1.5, 20.0) == 0.0 and go_probability(1e16, 1.5, 20.0) == 1.0


def test_front_position_is_half_way_between_the_last_held_and_the_first_lost_node():
    km = {"A": 0.0, "B": 30.0, "C": 70.0, "D": 100.0}
    axis = ["A", "B", "C", "D"]
    assert front_position(axis, km, {"A": "X", "B": "X", "C": "Y", "D": "Y"}.get) == 50.0
    assert front_position(axis, km, {"A": "X", "B": "contested", "C": "Y", "D": "Y"}.get) == 30.0
    assert front_position(axis, km, dict.fromkeys(axis, "X").get) == 100.0


def test_each_mechanism_has_its_own_reproducible_stream():
    a, b = spawn_streams(7), spawn_streams(7)
    draws = {k: g.random() for k, g in a.items()}
    assert draws == {k: g.random() for k, g in b.items()}
    assert len(set(draws.values())) == len(draws)  # independent streams, not one shared
    c = spawn_streams(7)
    c["incidents"].random(1000)  # using one stream leaves the others where they were
    assert c["combat"].random() == draws["combat"]


# --- the model ------------------------------------------------------------------------------


def _window(tmp_path, scenario: str, end: str, **changes):
    import datetime as dt

    data = yaml.safe_load((SCENARIOS / f"{scenario}.yaml").read_text())
    data["end"] = end
    cut = dt.datetime.fromisoformat(end)
    data["events"] = [e for e in data["events"] if _when(e["at"]) <= cut]
    data.update(changes)
    path = tmp_path / f"{scenario}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def test_every_theater_sector_has_a_front_column_and_summary(tmp_path):
    setup = load_scenario(short_scenario(tmp_path))
    m = ConflictModel(setup, resolve_params(setup), seed=1)
    names = [s.name for s in setup.theater.sectors]
    assert len(names) >= 3 and set(m.sectors) == set(names)
    m.run()
    row = m.rows_timeseries[-1]
    summary = m.summary()
    for name in names:
        assert f"front_km_{name}" in row and f"truce_{name}" in row
        assert summary[f"front_km_min_{name}"] <= summary[f"front_km_end_{name}"]
        assert summary[f"front_km_end_{name}"] <= summary[f"front_km_max_{name}"]


def test_without_a_ceasefire_its_outcomes_are_missing_not_false(tmp_path):
    setup = _window(tmp_path, "no_ceasefire", "2020-01-08T00:00+02:00")
    m = ConflictModel(setup, resolve_params(setup), seed=1)
    m.run()
    s = m.summary()
    assert s["ceasefire_held"] is None and s["ceasefire_state_end"] is None
    assert np.isnan(s["ceasefire_violations"]) and np.isnan(s["ceasefire_collapsed_at"])


def test_every_shot_fired_under_the_truce_is_a_logged_incident(tmp_path):
    """No unit complies and no party resumes: fighters' losses after the ceasefire are exactly
    the casualties of the violations logged (fire by non-compliant units is always an incident)."""
    setup = _window(tmp_path, "ceasefire_jan12", "2020-01-19T00:00+02:00")
    params = resolve_params(
        setup,
        {
            "faction.GNA.ceasefire_compliance": 0,
            "faction.LNA.ceasefire_compliance": 0,
            "faction.GNA.resume_hazard": 0,
            "faction.LNA.resume_hazard": 0,
            "ceasefire.collapse_violence_share": 2,
        },
    )
    m = ConflictModel(setup, params, seed=seed_for(4, 0, 0))
    start = 168
    while m.time < start + 1:
        m.step()
    killed_before = sum(m.battlefield.killed.values())  # an event's casualties are the killed
    while m.time < setup.scenario.hours:
        m.step()
    m.battlefield.close(set(), force=True)
    after = [e for e in m.rows_events if e["hour"] > start]
    violations = [e for e in after if e["kind"] == "violation"]
    assert len(violations) >= 5
    assert {e["detail"] for e in violations} <= {"small_arms", "shelling", "drone", "ground_probe"}
    assert not [e for e in after if e["kind"] in ("engagement", "strike")]  # logged once
    logged = sum(e["casualties"] for e in violations)
    assert sum(m.battlefield.killed.values()) - killed_before == pytest.approx(logged, abs=1e-6)


def test_a_recommitment_restores_a_collapsed_truce(tmp_path):
    setup = _window(
        tmp_path,
        "ceasefire_jan12",
        "2020-01-24T00:00+02:00",
        events=[
            *yaml.safe_load((SCENARIOS / "ceasefire_jan12.yaml").read_text())["events"],
            {"at": "2020-01-20T00:00+02:00", "kind": "recommit", "text": "recommitment"},
        ],
    )
    params = resolve_params(
        setup, {"faction.LNA.resume_hazard": 2.0, "faction.GNA.resume_hazard": 2.0}
    )
    m = ConflictModel(setup, params, seed=3)
    while m.time < setup.scenario.hour_of(setup.scenario.events[-1].at) - 1:
        m.step()
    assert m.truce.collapsed_at is not None
    m.step()
    assert m.truce.active and not m.truce.resumed and m.truce.clock_start == 360


def test_a_truce_stops_the_stall_clock_and_a_new_ceasefire_after_a_collapse_holds(tmp_path):
    setup = _window(tmp_path, "ceasefire_jan12", "2020-01-26T00:00+02:00")
    params = resolve_params(setup, {"faction.LNA.resume_hazard": 0, "faction.GNA.resume_hazard": 0})
    m = ConflictModel(setup, params, seed=seed_for(2, 0, 0))
    while m.time < 170:
        m.step()
    lna = m.factions["LNA"]
    stalled = lna.stalled_hours
    while m.time < setup.scenario.hours:
        m.step()
    assert lna.stalled_hours == stalled  # frozen by the truce, not stalled by the enemy
    assert not [e for e in m.rows_events if e["detail"] == "abandoned" and e["hour"] > 170]
    m.truce._resume("coast", "LNA", 1.0, "al-Washka")
    m.truce._check_collapse({"coast": [("Abu Grein", "GNA", "al-Washka", "LNA", 33.0)]})
    assert m.truce.collapsed_at is not None and not m.truce.active
    m.truce.declare(["GNA", "LNA"])
    assert m.truce.active and not m.truce.resumed
    assert m.truce.summary()["ceasefire_collapsed_at"] == m.truce.first_collapsed_at


def test_incidents_stop_in_a_sector_once_fire_is_open_there(tmp_path):
    setup = _window(tmp_path, "ceasefire_jan12", "2020-01-26T00:00+02:00")
    params = resolve_params(
        setup,
        {
            "faction.LNA.resume_hazard": 0,
            "faction.GNA.resume_hazard": 0,
            "faction.GNA.ceasefire_compliance": 0,
            "faction.LNA.ceasefire_compliance": 0,
            "ceasefire.collapse_violence_share": 2,
        },
    )
    m = ConflictModel(setup, params, seed=seed_for(2, 0, 1))
    while m.time < 170:
        m.step()
    m.truce._resume("coast", "LNA", 1.0, "al-Washka")
    while m.time < setup.scenario.hours:
        m.step()
    after = [e for e in m.rows_events if e["hour"] > 170 and e["kind"] == "violation"]
    assert after and not [e for e in after if e["sector"] == "coast"]


def test_runs_with_and_without_the_ceasefire_share_every_draw_until_it(tmp_path):
    """Common random numbers: the same seed gives the same war until the announced ceasefire
    changes a decision, i.e. until the land-grab window opens, or the ceasefire with none."""
    with_cf = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
    without = load_scenario(SCENARIOS / "no_ceasefire.yaml")

    def log(setup, until: float, **overrides) -> list[tuple]:
        m = ConflictModel(setup, resolve_params(setup, overrides), seed=seed_for(5, 0, 1))
        while m.time < until:
            m.step()
        return [(e["hour"], e["kind"], e["text"]) for e in m.rows_events if e["hour"] < until]

    window = 168 - resolve_params(with_cf)["command.land_grab_hours"]
    a, b = log(with_cf, window), log(without, window)
    assert a == b and len(a) > 20
    a, b = (
        log(with_cf, 168, **{"command.land_grab_factor": 1}),
        log(without, 168, **{"command.land_grab_factor": 1}),
    )
    assert a == b


def _weekly_after(setup, overrides: dict, seeds: list[int]) -> np.ndarray:
    out = []
    for seed in seeds:
        m = ConflictModel(setup, resolve_params(setup, overrides), seed=seed)
        m.run()
        lost = m.deaths_between(168, setup.scenario.hours)  # killed and wounded after 12 Jan
        out.append(lost / ((setup.scenario.hours - 168) / 168))
    return np.array(out)


@pytest.mark.slow
def test_the_truce_lowers_battle_deaths_with_a_paired_interval_that_excludes_zero(tmp_path):
    end = "2020-01-26T00:00+02:00"
    with_cf = _window(tmp_path, "ceasefire_jan12", end)
    without = _window(tmp_path, "no_ceasefire", end)
    seeds = [seed_for(20200112, 0, r) for r in range(16)]
    a = _weekly_after(with_cf, {}, seeds)
    b = _weekly_after(without, {}, seeds)
    diff = a - b
    ci = stats.bootstrap(
        (diff,), np.mean, confidence_level=0.95, random_state=1, method="percentile"
    ).confidence_interval
    assert ci.high < 0, (a, b)


@pytest.mark.slow
def test_more_patron_leverage_never_raises_the_share_of_runs_with_offensives_resumed(tmp_path):
    setup = _window(tmp_path, "ceasefire_jan12", "2020-01-26T00:00+02:00")
    seeds = [seed_for(11, 0, r) for r in range(8)]

    def resumed(leverage: float) -> list[bool]:
        out = []
        for seed in seeds:
            params = resolve_params(
                setup, {"patron.Turkey.leverage": leverage, "patron.Russia.leverage": leverage}
            )
            m = ConflictModel(setup, params, seed=seed)
            m.run()
            out.append(m.truce.first_resumed is not None)
        return out

    arms = [resumed(lev) for lev in (0.0, 0.5, 1.0)]
    shares = [np.mean(a) for a in arms]
    assert shares[0] > 0, "the test needs runs in which offensives resume"
    assert shares[0] >= shares[1] >= shares[2] == 0
    for low, high in itertools.pairwise(arms):  # per run too, on common numbers
        assert all(lo or not hi for lo, hi in zip(low, high, strict=True))


@given(
    times=st.lists(st.integers(0, 400), min_size=0, max_size=40),
    sevs=st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=40, max_size=40),
    decay=st.floats(0.5, 200.0),
)
@settings(max_examples=150, deadline=None)
def test_the_recursive_excitation_equals_the_sum_over_past_incidents(times, sevs, decay):
    """The kept Hawkes sum (cf.Excitation) against cf.excitation over the whole history, hour
    by hour, with incidents added at the hour they happen (after that hour's intensity)."""
    history = sorted(zip(times, sevs[: len(times)], strict=True))
    kept, past = cf.Excitation(), []
    for hour in range(0, 420, 7):
        for t, sev in history:
            if hour - 7 < t <= hour:
                kept.add(float(t), sev)
                past.append((float(t), sev))
        got = kept.per_hour(float(hour), 0.6, 1.7, decay)
        want = cf.excitation(float(hour), past, 0.6, 1.7, decay)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 300), st.sampled_from(["LNA", "GNA"]), st.sampled_from([1.0, 2.0, 3.0])
        ),
        max_size=40,
    ),
    st.integers(-10, 320),
)
def test_severe_incidents_counted_from_the_newest_back(raw, since) -> None:
    """The resume decision's count of the other side's severe incidents since an hour, read
    from the newest incident back, equals the count over all of them."""
    from sim.truce import SEVERE, Truce

    truce = Truce.__new__(Truce)
    truce.incidents = [(float(h), "coast", f, sev) for h, f, sev in sorted(raw)]
    for party in ("LNA", "GNA"):
        want = sum(
            1 for h, _s, f, sev in truce.incidents if f != party and sev >= SEVERE and h > since
        )
        assert truce._severe_since(float(since), party) == want
