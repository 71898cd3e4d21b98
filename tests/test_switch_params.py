"""A switch parameter (unit `switch`) takes 0 or 1 only: the model reads it as on from 0.5, so
`--set forces.sample_personnel=0.3` silently turned sampling off, a grid `0:1:3` ran 0.5 as on,
and an lhs sweep or a calibration spread a switch over [0, 1] as if it were a quantity."""

from __future__ import annotations

import pytest

from sim.calibration import parse_param_ranges
from sim.errors import InputError
from sim.params import ParamRegistry, parse_assignments
from sim.sweep_design import parse_axis


@pytest.fixture(scope="module")
def registry() -> ParamRegistry:
    return ParamRegistry.load()


@pytest.mark.parametrize("value", ["0.3", "0.5"])
def test_set_refuses_a_switch_between_0_and_1(registry, value):
    with pytest.raises(InputError, match="is a switch: 0 or 1"):
        registry.resolve(parse_assignments([f"forces.sample_personnel={value}"]))


def test_set_takes_a_switch_at_0_or_1(registry):
    for value in ("0", "1"):
        registry.resolve(parse_assignments([f"combat.noise={value}"]))


@pytest.mark.parametrize("spec", ["0:1:3", "0:1", "0,0.5"])
def test_sweep_refuses_a_switch_off_0_and_1(registry, spec):
    with pytest.raises(InputError, match="switch"):
        parse_axis(f"forces.sample_personnel={spec}", registry)


def test_sweep_takes_a_switch_as_0_and_1(registry):
    assert parse_axis("forces.sample_personnel=0:1:2", registry).values == (0.0, 1.0)


def test_calibrate_refuses_to_fit_a_switch(registry):
    with pytest.raises(InputError, match="switch"):
        parse_param_ranges(["combat.noise=0:1"], registry)
