"""The ground systems of an hour (sim/ground.py) on the toy line, by their meaning: supply is
traced only through ground nobody contests against the side, morale falls with the share of
the hour's starting strength lost, control follows presence, a withdrawal seeks safety."""

from __future__ import annotations

import pytest

from sim import ground
from sim.agents import Posture
from sim.config import load_scenario
from sim.model import ConflictModel
from sim.runner import resolve_params

from .test_calibration_air import _toy_with_hubs
from .test_model import TOY


def test_supply_is_not_traced_through_a_contested_place_the_enemy_stands_in(tmp_path):
    """X's hub is at A; its unit on the road beyond B (at the corridor's waypoint, which X
    holds) is reached only through B. With B contested and Y's unit there, the unit is cut
    off; once Y is gone from B, the same contested B lets supply by."""
    m = _toy_with_hubs(tmp_path, 30)
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    beyond = next(n for n in m.places if n.startswith("B–C"))
    m.places["B"].controller, m.places[beyond].controller = "contested", "X"
    x1.cell, y1.cell = m.grid._cells[beyond], m.grid._cells["B"]
    ground.update_supply(m)
    assert x1.encircled and beyond not in m._supplied["X"]
    y1.personnel = 0.0
    m.occupancy_version += 1
    m._control_version += 1  # traced again (as at a change of control)
    ground.update_supply(m)
    assert not x1.encircled and m._supplied["X"][beyond][1] == "A"


def test_morale_falls_with_the_share_of_the_hours_starting_strength_lost():
    """A unit of 1,000 that loses 500 in an hour has lost half its strength: morale falls by
    loss_sensitivity x 0.5, not by the loss over the 500 left."""
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, {"morale.loss_sensitivity": 0.2}), seed=1)
    x1 = m.unit_by_id["x1"]
    m.inflict(x1, 100.0, 400.0)
    ground.morale_and_withdrawal(m)
    assert x1.personnel == 500.0 and x1.morale == pytest.approx(1.0 - 0.2 * 0.5)


def _toy(tmp_path=None, extra_x: bool = False, extra_y: bool = False, **overrides: float):
    """The toy line (tests/data), with a second unit of X at A if `extra_x` (of Y at C if
    `extra_y`)."""
    if not (extra_x or extra_y):
        setup = load_scenario(TOY)
        return ConflictModel(setup, resolve_params(setup, overrides), seed=1)
    import yaml

    data = TOY.parent
    theater = yaml.safe_load((data / "toy_theater.yaml").read_text())
    if extra_x:
        theater["units"].append({**theater["units"][0], "id": "x2", "name": "X two"})
    if extra_y:
        theater["units"].append({**theater["units"][1], "id": "y2", "name": "Y two"})
    (tmp_path / "toy_theater.yaml").write_text(yaml.safe_dump(theater, sort_keys=False))
    (tmp_path / "s.yaml").write_text((data / "toy_scenario.yaml").read_text())
    setup = load_scenario(tmp_path / "s.yaml")
    return ConflictModel(setup, resolve_params(setup, overrides), seed=1)


def _waypoint(m: ConflictModel) -> str:
    return next(n for n in m.places if n.startswith("B–C"))


def test_a_withdrawal_passes_a_nearer_friendly_place_within_the_enemys_reach():
    """From B, X's friendly places are the waypoint 20 km on (20 km from Y at C, inside
    `combat.withdraw_safe_km`) and A 30 km back (out of Y's reach): it falls back to A."""
    m = _toy()
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    wp = _waypoint(m)
    m.places["B"].controller = m.places[wp].controller = "X"
    x1.cell = m.grid._cells["B"]
    assert m.dist["B"][wp] < m.dist["B"]["A"] and m.dist[wp]["C"] <= m.p["combat.withdraw_safe_km"]
    assert y1.node == "C" and ground.withdraw(m, x1, 3.0)
    assert x1.route[-1] == "A"


def test_supply_is_traced_again_in_the_hour_a_place_changes_hands(tmp_path):
    """Once X takes B, its ground beyond B is in reach of its hub at A at once, not only at
    the next decision interval."""
    m = _toy_with_hubs(tmp_path, 30)
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    wp = _waypoint(m)
    m.places[wp].controller = "X"
    y1.personnel = 0.0
    m._control_version += 1
    ground.update_supply(m)
    assert wp not in m._supplied["X"]  # B, Y's, is reached but not passed
    x1.cell = m.grid._cells["B"]
    for _ in range(int(m.p["control.hold_hours"])):
        ground.update_control(m)
    assert m.places["B"].controller == "X"
    ground.update_supply(m)
    assert m._supplied["X"][wp][1] == "A"


def test_an_advance_into_the_enemy_needs_the_attack_ratio_not_even_odds():
    """X at 1.5 times Y's strength at B: it may advance with an attack ratio of 1.35, not 1.65."""
    answers = []
    for ratio in (1.35, 1.65):
        m = _toy(**{"faction.X.attack_ratio": ratio})
        x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
        x1.cell = y1.cell = m.grid._cells["B"]
        y1.personnel *= m.unit_strength(x1) / m.unit_strength(y1) / 1.5
        assert m.unit_strength(x1) == pytest.approx(1.5 * m.unit_strength(y1))
        answers.append(m.may_advance_into(x1, "B"))
    assert answers == [True, False]


def test_a_unit_is_spare_only_if_its_region_stays_even_without_it():
    """X's only unit at A, with a tenth of its strength of Y's within `faction.threat_km`:
    leaving would leave nothing against it, so it cannot be spared; with no enemy, it can."""
    m = _toy()
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    y1.cell = m.grid._cells["B"]
    y1.personnel *= 0.1 * m.unit_strength(x1) / m.unit_strength(y1)
    assert not m.can_spare(x1, m.strength_map())
    y1.personnel = 0.0
    assert m.can_spare(x1, m.strength_map())


def test_a_local_attack_counts_a_fortified_defender_as_stronger(tmp_path):
    """The enemy's strength behind fortification f counts 1 / (1 - f x weight) times over in
    the force an attack needs and in its odds."""
    found = []
    for fort in (0.0, 0.5):
        m = _toy(tmp_path, extra_x=True)
        m.unit_by_id["y1"].cell = m.grid._cells["B"]
        for uid in ("x1", "x2"):
            m.unit_by_id[uid].posture = Posture.HOLD
        m.places["B"].fortification = fort
        best = m.factions["X"].best_local_attack(m.strength_map())
        assert best is not None and best[1] == "B"
        found.append(best[3])
    weight = m.p["combat.fortification_weight"]
    assert found[1] == pytest.approx(found[0] / (1.0 - 0.5 * weight))


@pytest.mark.parametrize(("fortification", "withdraws"), [(0.0, True), (0.5, False)])
def test_a_unit_behind_its_own_fortification_holds_against_odds_it_would_flee_in_the_open(
    fortification, withdraws
):
    """Y at 1.2 times X's withdrawal ratio in X's town B: in the open X falls back; behind
    fortification 0.5 (the enemy counted at 1 - 0.5 x weight) the odds are below the ratio."""
    m = _toy()
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    x1.posture = Posture.HOLD
    x1.cell = y1.cell = m.grid._cells["B"]
    m.places["B"].controller, m.places["B"].fortification = "X", fortification
    ratio = m.p["faction.X.withdraw_ratio"]
    y1.personnel *= 1.2 * ratio * m.unit_strength(x1) / m.unit_strength(y1)
    assert 1.2 * ratio * (1 - 0.5 * m.p["combat.fortification_weight"]) < ratio
    ground.morale_and_withdrawal(m)
    assert (x1.posture == Posture.WITHDRAW) == withdraws


def test_an_encircled_unit_in_contact_loses_morale_without_losses():
    """Cut off, supplied from its own stocks and in contact without losses: the encirclement
    penalty still applies each hour (the steady case is for units that are not cut off)."""
    m = _toy()
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    x1.cell = y1.cell = m.grid._cells["B"]
    x1.encircled, x1.supply = True, 1.0
    ground.morale_and_withdrawal(m)
    assert x1.in_contact and x1.morale == pytest.approx(1.0 - m.p["morale.encircled_penalty"])


@pytest.mark.parametrize(("morale", "gives_up"), [(0.05, True), (0.25, False)])
def test_a_unit_with_nowhere_to_go_gives_up_only_when_broken(morale, gives_up):
    """X's unit at B, outnumbered three to one, with no place of X's to fall back to: broken
    (below `morale.broken`) it surrenders; shaken but not broken, it stands."""
    m = _toy(**{"faction.X.withdraw_morale": 0.3})
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    x1.cell = y1.cell = m.grid._cells["B"]
    x1.posture = Posture.HOLD
    for place in m.places.values():
        place.controller = "Y"
    y1.personnel *= 3.0 * m.unit_strength(x1) / m.unit_strength(y1)
    x1.morale = morale
    assert (morale < m.p["morale.broken"]) == gives_up
    ground.morale_and_withdrawal(m)
    assert (x1.personnel == 0.0) == gives_up
    assert (m.battlefield.captured["X"] > 0) == gives_up
