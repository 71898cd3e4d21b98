"""Force sizes drawn per replicate from the theater's stated ranges (`forces.sample_personnel`)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_scenario
from sim.model import ConflictModel
from sim.runner import resolve_params

from .conftest import SCENARIOS

SETUP = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
SPECS = {u.id: u for u in SETUP.theater.units}


def sizes(setup, seed: int, **overrides) -> dict[str, float]:
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=seed)
    return {uid: m.unit_by_id[uid].personnel for uid in SPECS if uid in m.unit_by_id}


def test_without_sampling_every_unit_has_its_best_estimate():
    assert sizes(SETUP, 1, **{"forces.sample_personnel": 0}) == {
        uid: float(u.personnel) for uid, u in SPECS.items()
    }


def test_sampled_sizes_stay_in_range_and_follow_the_triangular_mean():
    draws = [sizes(SETUP, seed) for seed in range(300)]
    for uid, u in SPECS.items():
        got = np.array([d[uid] for d in draws])
        assert got.min() >= u.personnel_low and got.max() <= u.personnel_high
        mean = (u.personnel_low + u.personnel + u.personnel_high) / 3
        spread = (u.personnel_high - u.personnel_low) / np.sqrt(18 * 300)  # sd of the mean
        assert got.mean() == pytest.approx(mean, abs=4 * spread + 1)
    assert len({d["gna_misrata_reserve"] for d in draws}) > 100


def test_paired_scenarios_draw_the_same_forces_and_removing_a_unit_shifts_no_other():
    other = load_scenario(SCENARIOS / "no_ceasefire.yaml")
    assert sizes(SETUP, 7) == sizes(other, 7)
    fewer = SETUP.model_copy(
        update={"scenario": SETUP.scenario.model_copy(update={"remove_units": ["gna_zuwara"]})}
    )
    left = sizes(fewer, 7)
    assert "gna_zuwara" not in left
    assert left == {k: v for k, v in sizes(SETUP, 7).items() if k != "gna_zuwara"}
