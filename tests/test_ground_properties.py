"""The ground systems of an hour (sim/ground.py) on the toy line, by their meaning: supply is
traced only through ground nobody contests against the side, morale falls with the share of
the hour's starting strength lost, control follows presence, a withdrawal seeks safety."""

from __future__ import annotations

import pytest

from sim import ground
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
