"""Civilian harm and displacement where fighting or strikes reach populated places."""

from __future__ import annotations


def intensity(engaged_personnel: float, full_at: float = 2000.0) -> float:
    """How intense an hour of fighting is, 0..1, from the personnel engaged."""
    return min(1.0, max(engaged_personnel, 0.0) / full_at)


def expected_harm(population: float, level: float, harm_rate: float) -> float:
    """Expected civilian casualties in one hour of fighting."""
    return population * harm_rate * level


def expected_strike_harm(population: float, per_100k: float) -> float:
    return population / 100_000.0 * per_100k


def displaced_share(level: float, rate: float) -> float:
    """Share of residents who leave during one hour of fighting at `level`."""
    return 1.0 - (1.0 - rate) ** level
