"""Ceasefire: violation hazard per front-line contact, tension that builds and decays, collapse."""

from __future__ import annotations

import math


def violation_probability(
    rate_per_day: float,
    distance_km: float,
    scale_km: float,
    force_ratio: float,
    ratio_weight: float,
    spoiler: float,
    hours: float = 1.0,
) -> float:
    """Chance that one side of a contact violates within `hours`.

    The hazard is the base rate, doubled at zero distance (decaying with `scale_km`), raised
    when the side has the local advantage (up to 3:1, beyond which it adds nothing), and scaled by its spoiler propensity.
    """
    proximity = 1.0 + math.exp(-max(distance_km, 0.0) / scale_km)
    temptation = 1.0 + ratio_weight * (min(max(force_ratio, 1.0), 3.0) - 1.0)
    hazard = rate_per_day / 24.0 * proximity * temptation * spoiler
    return 1.0 - math.exp(-hazard * hours)


def decay_tension(tension: float, hours: float, half_life_days: float) -> float:
    return tension * 0.5 ** (hours / (24.0 * half_life_days))


def collapses(tension: float, threshold: float) -> bool:
    return tension > threshold
