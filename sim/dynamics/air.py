"""Air and drone strikes: sortie budgets, hit probability under air defence, losses per hit."""

from __future__ import annotations

import math

import numpy as np


def expected_sorties(count: int, per_day: float, hours: float = 1.0) -> float:
    """Mean sorties flown by `count` airframes in `hours`."""
    return count * per_day * hours / 24.0


def hit_probability(base: float, defences: int, suppression: float) -> float:
    """Each air-defence system covering the target removes a share `suppression` of the chance."""
    return base * (1.0 - suppression) ** max(defences, 0)


def loss_probability(per_system: float, defences: int) -> float:
    """Chance that a sortie loses its airframe: independent per covering system."""
    return 1.0 - (1.0 - per_system) ** max(defences, 0)


def strike_losses(rng: np.random.Generator, mean_per_hit: float, personnel: float) -> float:
    """Personnel lost by the target unit to one hit (Poisson), never more than it has."""
    return float(min(rng.poisson(mean_per_hit), personnel))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
