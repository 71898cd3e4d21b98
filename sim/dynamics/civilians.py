"""Civilian harm and displacement: the pure functions (the bookkeeping is in sim/population.py).

Three processes, none scaled by a whole city's population:
- *Exposure*: only the front-line residents of a place are at risk (`at_risk_pool`), a pool that
  displacement empties and returns refill.
- *Stand-off fire* (shelling, rockets, mortars) on a populated place under fire: Poisson events
  at a rate that grows with the intensity of the fighting, each harming a heavy-tailed
  (negative binomial) number of the residents still there.
- *Strikes* (air and drone) on a populated place: the same heavy-tailed harm per strike.
"""

from __future__ import annotations

import math

import numpy as np


def intensity(engaged_personnel: float, full_at: float) -> float:
    """How intense an hour of fighting is, 0..1: the personnel engaged (already thinned by
    distance) over `full_at` (`civilians.full_intensity_personnel`), capped at 1.

    Raises ValueError if `full_at` is not positive."""
    if full_at <= 0:
        raise ValueError(f"full_at must be positive, got {full_at}")
    return min(1.0, max(engaged_personnel, 0.0) / full_at)


def at_risk_pool(population: float, frontline_residents: float) -> float:
    """Residents of a place who live where the fighting is: all of a small town, at most
    `frontline_residents` (`civilians.frontline_residents`) of a city."""
    return max(0.0, min(population, frontline_residents))


def event_hazard(rate_per_day: float, level: float, hours: float = 1.0) -> float:
    """Expected number of stand-off fire events on a place in `hours` at intensity `level`."""
    return rate_per_day / 24.0 * level * hours


def heavy_tailed_harm(rng: np.random.Generator, mean: float, dispersion: float) -> float:
    """Civilian casualties (killed and injured) of one event: negative binomial with `mean` and
    shape `dispersion` (variance mean + mean^2 / dispersion; most events harm nobody, a few harm
    many; the default's sources are in config/parameters.yaml). 0 when the mean is 0."""
    if mean <= 0:
        return 0.0
    return float(rng.negative_binomial(dispersion, dispersion / (dispersion + mean)))


def harm_moments(mean: float, dispersion: float) -> tuple[float, float]:
    """(mean, variance) of `heavy_tailed_harm`: the overdispersion the tests check."""
    return mean, mean + mean * mean / dispersion


def displaced_share(level: float, rate_per_day: float, hours: float = 1.0) -> float:
    """Share of the at-risk residents who flee in `hours` of fighting at `level`: a constant
    hazard `rate_per_day * level`, so that a pool empties as 1 - exp(-rate * level * t)."""
    return 1.0 - math.exp(-rate_per_day / 24.0 * level * hours)


def return_share(rate_per_day: float, hours: float = 1.0) -> float:
    """Share of the displaced who return home in `hours` once their place is quiet."""
    return 1.0 - math.exp(-rate_per_day / 24.0 * hours)


def displaced_by(pool: float, level: float, rate_per_day: float, days: float) -> float:
    """Analytic cumulative displacement from a `pool` under fire at a constant `level` for
    `days`, with no returns: pool * (1 - exp(-rate * level * days)). Never more than the pool."""
    return pool * (1.0 - math.exp(-rate_per_day * level * days))
