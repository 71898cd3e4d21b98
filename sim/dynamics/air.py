"""Air and drone strikes: sortie budgets, hit probability under air defence, killed per strike,
airframe losses, and the support that sorties over a place give the ground units there.

Pure functions; the agents in `sim.agents` (AirAsset) draw from the model's `air` stream.
"""

from __future__ import annotations

import numpy as np


def expected_sorties(count: int, per_day: float, hours: float = 1.0) -> float:
    """Mean strike sorties flown by `count` airframes at `per_day` each, over `hours`."""
    return count * per_day * hours / 24.0


def hit_probability(base: float, defences: int, suppression: float) -> float:
    """Each air-defence or jamming system covering the target removes a share `suppression` of
    the chance that a strike finds and hits it."""
    return base * (1.0 - suppression) ** max(defences, 0)


def loss_probability(per_system: float, defences: int) -> float:
    """Chance that a sortie loses its airframe: independent per covering system."""
    return 1.0 - (1.0 - per_system) ** max(defences, 0)


def killed_per_hit(
    rng: np.random.Generator, mean: float, dispersion: float, personnel: float
) -> float:
    """Fighters killed by one hit: negative binomial with mean `mean` and shape `dispersion`
    (variance mean + mean^2 / dispersion: most hits kill none or one, a few kill many; the
    sources of the default are in config/parameters.yaml), never more than the unit has.

    Raises:
        ValueError: a negative mean or a dispersion <= 0.
    """
    if mean < 0 or dispersion <= 0:
        raise ValueError(f"mean {mean} must be >= 0 and dispersion {dispersion} > 0")
    if mean == 0:
        return 0.0
    # numpy's parametrisation: failures before `n` successes with success chance `p`.
    k = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    return float(min(k, personnel))


def support_bonus(sorties: float, per_sortie: float, cap: float) -> float:
    """Fire-effectiveness bonus of ground units from the sorties their side flew over their
    area in the support window: `per_sortie` each, at most `cap`; none without sorties."""
    return min(cap, max(sorties, 0.0) * per_sortie)
