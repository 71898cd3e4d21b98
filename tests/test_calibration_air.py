"""Calibration targets of the air war, patron inflows and uncertain air inputs, as tests.

Each test is named beside its parameter's source in config/parameters.yaml. Targets:
- UNSMIL: more than 800 drone strikes for the LNA side and about 240 for the GNA side from
  4 April to 18 November 2019, 228 days (Salame to the Security Council, 18 Nov 2019);
- about 1 fighter killed per strike, overdispersed (about 1,000 strikes against about 2,000
  fighter deaths bound it at 1-2; nine killed by one strike near al-Washka, 7 Jan 2020).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.agents import AirAsset
from sim.config import load_scenario
from sim.model import ConflictModel
from sim.runner import resolve_params

DATA = Path(__file__).parent / "data"
UN_DAYS = 228.0  # 4 April to 18 November 2019
UN_STRIKES_PER_DAY = {"LNA": 800 / UN_DAYS, "GNA": 240 / UN_DAYS}


def _static_tripoli(folder: Path, days: int = 20) -> Path:
    """The theater as it stood (the 2019 Tripoli front, its air fleets at their best
    estimates), no offensives, no local attacks, no inflows: a static front."""
    data = {
        "title": "Static Tripoli front",
        "description": "A static front for the air calibration.",
        "theater": "libya",
        "start": "2020-01-01T00:00+02:00",
        "end": f"2020-01-{1 + days:02d}T00:00+02:00",
        "seed": 1,
        "replicates": 1,
        "sample_every_hours": 24,
        "set": {
            "faction.GNA.aggression": 0,
            "faction.LNA.aggression": 0,
            "air.sample_counts": 0,
            "patron.inflows": 0,
        },
        "events": [],
    }
    path = folder / "static.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_strikes_per_day_reproduce_the_un_counts(tmp_path):
    """Drone strikes a day by side over the static front are UNSMIL's, within 15% (five
    20-day runs: about 350 LNA-side and 100 GNA-side strikes, Poisson sd 5% and 10%)."""
    setup = load_scenario(_static_tripoli(tmp_path))
    strikes, days = Counter(), 0.0
    for seed in range(5):
        m = ConflictModel(setup, resolve_params(setup), seed=seed)
        m.run()
        days += m.sc.hours / 24.0
        for a in m.assets:
            if a.kind == "drone":
                strikes[a.faction] += a.sorties
        logged = sum(1 for e in m.rows_events if e["kind"] == "strike")
        assert logged == sum(a.sorties for a in m.assets)  # every strike is an event, hit or not
    for side, target in UN_STRIKES_PER_DAY.items():
        assert strikes[side] / days == pytest.approx(target, rel=0.15), side
    assert strikes["LNA"] > 2.5 * strikes["GNA"]  # the LNA side flew over three times as many


def _toy_with_target(**overrides) -> tuple[ConflictModel, AirAsset]:
    """The toy line with a large Y formation engaged at C and an X drone based at A."""
    setup = load_scenario(DATA / "toy_scenario.yaml")
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=3)
    y1 = m.unit_by_id["y1"]
    y1.personnel = 1e6  # never runs out, so no cap on the draws
    m.places["A"].airbase = True
    m.battlefield.ongoing["C"] = {"start": 0, "hours": 1, "losses": {}, "civ": 0.0, "seen": 0}
    drone = AirAsset(m, "d", "Drone", "X", "X", "drone", "A", 10_000, 300)
    return m, drone


def test_killed_per_strike_is_about_one_and_overdispersed():
    """With the default parameters a strike with no air defence over it kills 1 a strike on
    average (within 0.08 over 6,000 strikes, about 4 standard errors), with a variance over
    three times the mean (a Poisson count would have variance = mean)."""
    m, drone = _toy_with_target()
    rng = m.streams["air"]
    y1 = m.unit_by_id["y1"]
    killed = np.array([drone._strike(y1, rng)[0] for _ in range(6000)])
    assert killed.mean() == pytest.approx(1.0, abs=0.08)
    assert killed.var() > 3 * killed.mean()
    assert (killed == 0).mean() > 0.6 and killed.max() >= 9  # most kill no one; some kill nine+


def test_air_defence_reduces_hits_and_downs_drones():
    """Two enemy systems over the target cut the hit rate to (1 - 0.3)^2 = 0.49 of the
    undefended one and down airframes at 1 - 0.98^2 = 3.96% a sortie; none are lost without."""
    n = 5000
    rates = {}
    for systems in (0, 2):
        m, drone = _toy_with_target()
        if systems:
            AirAsset(m, "ad", "AD", "Y", "Y", "air_defence", "C", systems, 20)
        y1, rng = m.unit_by_id["y1"], m.streams["air"]
        hits = sum(drone._strike(y1, rng)[0] > 0 for _ in range(n))
        rates[systems] = (hits, drone.lost)
        assert drone.lost == sum(1 for e in m.rows_events if e["kind"] == "air_loss")
    assert rates[0][1] == 0
    assert rates[2][0] / rates[0][0] == pytest.approx(0.49, rel=0.15)
    assert rates[2][1] / n == pytest.approx(1 - 0.98**2, rel=0.25)


def test_air_support_is_proportional_to_sorties_flown():
    """No sorties, no bonus (a drone whose radius covers the place gives none by itself); each
    sortie flown over a place within combat.max_fire_km adds air.support_per_sortie, up to
    combat.air_support_bonus; places further away get none."""
    m, _drone = _toy_with_target(**{"combat.max_fire_km": 35})
    x1 = m.unit_by_id["x1"]  # at A, 30 km from B and 70 km from C
    base = m.unit_strength(x1)
    m.refresh_air_cover()
    assert m.air_cover == {} and m.unit_strength(x1) == base
    per, cap = m.p["air.support_per_sortie"], m.p["combat.air_support_bonus"]
    for k in (1, 2, 10):
        m.air_sorties = [(m.time, "X", "B")] * k
        m.refresh_air_cover()
        bonus = min(cap, k * per)
        assert m.air_cover["X"]["A"] == pytest.approx(bonus)
        assert m.unit_strength(x1) == pytest.approx(base * (1 + bonus))
    m.air_sorties = [(m.time, "X", "C")] * 3  # 70 km from A: out of range
    m.refresh_air_cover()
    assert "A" not in m.air_cover["X"] and m.unit_strength(x1) == pytest.approx(base)
    m.air_sorties = [(m.time - m.p["air.support_window_hours"] - 1, "X", "B")] * 3
    m.refresh_air_cover()
    assert m.air_cover == {}  # sorties older than the window give nothing


@pytest.mark.parametrize("owner", ["P", "X"])
def test_a_complying_patron_flies_no_strikes_under_the_truce(owner):
    """Under a truce binding its client, a patron's drones strike only when the patron does not
    comply (its own draw: the client's units all comply here); a party's own air arm flies no
    regular strikes (its violations are the truce's incidents)."""
    struck = {}
    for compliance in (0.0, 1.0):
        m, other = _toy_with_target(
            **{"patron.P.ceasefire_compliance": compliance, "faction.X.ceasefire_compliance": 1}
        )
        other.count = 0
        drone = AirAsset(m, "p", "Patron drone", owner, "X", "drone", "A", 100, 300)
        m.p["air.X.drone_strikes_per_day"] = 24
        m.truce.declare(["X", "Y"])
        for _ in range(20):
            drone.fly_sorties()
        struck[compliance] = drone.sorties
        # A truce incident (by a party's non-compliant unit) may call on the party's own
        # drones, or on those of a patron that does not comply.
        may_fly = m.drone_over("C", "X") is drone
        assert may_fly == (owner == "X" or compliance == 0.0)
    if owner == "P":
        assert struck[1.0] == 0 and struck[0.0] > 0
    else:
        assert struck == {0.0: 0, 1.0: 0}


def test_aircraft_counts_are_sampled_unless_switched_off():
    """Counts are drawn in [low, high] around the estimate (triangular: mean (low+mode+high)/3),
    and are the estimate with air.sample_counts = 0."""
    m, _ = _toy_with_target()
    draws = np.array([AirAsset.sampled_count(m, 2, 3, 8) for _ in range(4000)])
    assert draws.min() >= 2 and draws.max() <= 8 and len(set(draws)) > 3
    assert draws.mean() == pytest.approx(13 / 3, abs=0.1)
    m.p["air.sample_counts"] = 0
    assert {AirAsset.sampled_count(m, 2, 3, 8) for _ in range(50)} == {3}
    libya = load_scenario(Path(__file__).parent.parent / "scenarios" / "ceasefire_jan12.yaml")
    counts = set()
    for seed in range(4):
        lm = ConflictModel(libya, resolve_params(libya), seed=seed)
        counts.add(tuple(a.count for a in lm.assets))
        for a, spec in zip(lm.assets, libya.theater.air, strict=True):
            assert spec.count_low <= a.count <= spec.count_high
    assert len(counts) > 1


def _toy_with_inflows(folder: Path, seed: int, **overrides) -> ConflictModel:
    """The toy line over 60 days with patron P sending X 300-900 fighters and 2 drones a month
    (test figures) to an X drone fleet of 1 at A; X's drones fly no strikes."""
    theater = yaml.safe_load((DATA / "toy_theater.yaml").read_text())
    theater["patrons"]["P"]["inflows"] = [
        {"kind": "fighters", "start": "2019-12-01T00:00+02:00", "per_month_low": 300,
         "per_month_high": 900, "place": "A", "source": "test"},
        {"kind": "drones", "start": "2020-01-01T00:00+02:00", "per_month_low": 2,
         "per_month_high": 2, "place": "A", "source": "test"},
    ]  # fmt: skip
    theater["air"] = [
        {"id": "pd", "name": "P drones", "owner": "P", "faction": "X", "kind": "drone",
         "base": "A", "count": 1, "radius_km": 100, "source": "test"},
    ]  # fmt: skip
    theater["places"][0]["airbase"] = True
    (folder / "toy_theater.yaml").write_text(yaml.safe_dump(theater, sort_keys=False))
    scenario = yaml.safe_load((DATA / "toy_scenario.yaml").read_text())
    scenario["end"] = "2020-03-01T00:00+02:00"  # 60 days: 8 weekly batches
    scenario["events"] = []
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    setup = load_scenario(folder / "s.yaml")
    params = resolve_params(setup, {"air.X.drone_strikes_per_day": 0, **overrides})
    return ConflictModel(setup, params, seed=seed)


def test_patron_inflows_arrive_at_their_sampled_rates(tmp_path):
    """Fighters arrive in 8 weekly batches at a monthly rate drawn in [300, 900]: in all
    floor(rate x 56 / 30.44); 2 drones a month add floor(2 x 56 / 30.44) = 3; with sampling off
    the rate is the midpoint (1,103 fighters); with inflows off nothing arrives."""
    weeks = 56 / (365.25 / 12)
    rates = []
    for seed in range(4):
        m = _toy_with_inflows(tmp_path, seed)
        m.run()
        arrivals = [
            e for e in m.rows_events if e["kind"] == "deployment" and "fighters" in e["text"]
        ]
        assert len(arrivals) == 8
        rate = m.reinforcements["X"] / weeks
        assert 300 - 1 <= rate <= 900 + 1
        rates.append(rate)
        assert [a.count for a in m.assets] == [1 + 3]
    assert len({round(r) for r in rates}) == 4  # drawn per replicate
    m = _toy_with_inflows(tmp_path, 0, **{"patron.sample_inflows": 0})
    m.run()
    assert m.reinforcements["X"] == int(600 * weeks)
    m = _toy_with_inflows(tmp_path, 0, **{"patron.inflows": 0})
    m.run()
    assert m.reinforcements["X"] == 0 and [a.count for a in m.assets] == [1]


def _toy_with_hubs(folder: Path, stock_days: float = 1.0, **overrides) -> ConflictModel:
    """The toy line with supply hubs at A (for X, by a sea bridge) and C (for Y)."""
    theater = yaml.safe_load((DATA / "toy_theater.yaml").read_text())
    theater["supply_hubs"] = [
        {"place": "A", "stock_days": stock_days, "bridge": "sea", "bridge_for": "X",
         "source": "test"},
        {"place": "C", "stock_days": 30, "source": "test"},
    ]  # fmt: skip
    (folder / "toy_theater.yaml").write_text(yaml.safe_dump(theater, sort_keys=False))
    scenario = yaml.safe_load((DATA / "toy_scenario.yaml").read_text())
    scenario["events"] = []
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    setup = load_scenario(folder / "s.yaml")
    return ConflictModel(setup, resolve_params(setup, overrides), seed=0)


def test_supply_falls_with_distance_from_hubs_and_runs_down_when_cut_off(tmp_path):
    """Analytic checks: full within supply.full_km, e^-1 one supply.falloff_km beyond it; a
    unit converges to its hub's level; cut off from every hub it loses supply.decay_per_hour
    an hour to 0; the enemy's hubs and ground do not supply it."""
    from sim import ground
    from sim.dynamics import supply

    assert supply.level_at(300, 300, 1000) == 1.0
    assert supply.level_at(1300, 300, 1000) == pytest.approx(np.exp(-1))
    assert supply.speed_factor(0.0, 0.3) == 0.3 and supply.speed_factor(0.5, 0.3) == pytest.approx(
        0.65
    )
    m = _toy_with_hubs(tmp_path, 30, **{"supply.full_km": 0, "supply.falloff_km": 30})
    x1 = m.unit_by_id["x1"]
    x1.cell = m.grid._cells["B"]  # 30 km from its hub at A: the hostile place is reached
    for _ in range(200):
        ground.update_supply(m)
    level, hub = m._supplied["X"]["B"]  # the level its hub sustains 30 km away
    assert hub == "A" and level == pytest.approx(np.exp(-30 / 30))
    assert x1.supply == pytest.approx(np.exp(-1))
    m.places["A"].controller = "Y"  # its only hub lost: cut off
    m._control_version += 1
    before, decay = x1.supply, m.p["supply.decay_per_hour"]
    for hour in range(1, 11):
        ground.update_supply(m)
        assert x1.supply == pytest.approx(max(0.0, before - hour * decay))
        assert x1.encircled


@pytest.mark.parametrize("bridge", [0.0, 1.0])
def test_a_hub_runs_dry_without_its_bridge(tmp_path, bridge):
    """A hub with a day of stock for its 1,000 fighters runs dry in 24 hours with no bridge,
    and the unit then runs down; a bridge that replaces the draw keeps it full."""
    from sim import ground

    m = _toy_with_hubs(
        tmp_path, 1.0, **{"supply.sea_bridge_share": bridge, "supply.min_hub_personnel": 1}
    )
    x1 = m.unit_by_id["x1"]
    for _ in range(23):
        ground.update_supply(m)
    assert not m.hub_stocks["A"].empty and x1.supply == 1.0
    for _ in range(12):
        ground.update_supply(m)
    assert m.hub_stocks["A"].empty == (bridge == 0.0)
    assert (x1.supply < 1.0) == (bridge == 0.0)


@pytest.mark.parametrize(
    ("block", "field", "value", "message"),
    [
        ("supply_hubs", "supply_hubs.0.place", "Tripolli", "unknown place 'Tripolli'"),
        ("supply_hubs", "supply_hubs.0.bridge_for", "GNX", "unknown faction 'GNX'"),
        ("inflows", "patrons.Turkey.inflows.0.place", "Tripolli", "unknown place 'Tripolli'"),
    ],
)
def test_a_misspelt_hub_or_inflow_is_one_located_line(tmp_path, block, field, value, message):
    """Bad hubs and inflows are refused by `check` with the field, line and a close match."""
    from typer.testing import CliRunner

    from sim.cli import app

    from .conftest import input_errors

    src = (Path(__file__).parent.parent / "config" / "theaters" / "libya.yaml").read_text()
    if block == "supply_hubs":
        old = "  - place: Tripoli\n    stock_days: 30\n    bridge: sea\n    bridge_for: GNA\n"
        new = old.replace("place: Tripoli", f"place: {value}") if "place" in field else old
        new = (
            new.replace("bridge_for: GNA", f"bridge_for: {value}") if "bridge_for" in field else new
        )
    else:
        old = '        place: Tripoli\n        source: "SOHR'
        new = old.replace("Tripoli", value, 1)
    assert src.count(old) == 1
    path = tmp_path / "libya.yaml"
    path.write_text(src.replace(old, new))
    (m,) = input_errors(CliRunner().invoke(app, ["check", str(path)]))
    assert m["field"] == field and message in m["msg"]
    if "Tripolli" in value:
        assert "did you mean 'Tripoli'" in m["msg"]
