"""Stochastic Lanchester attrition: the square law (aimed fire) blended with the linear law (area fire).

For sides of size A and B with per-person effectiveness ka, kb the expected losses per hour are
    dB/dt = -(w * aimed * ka * A + (1 - w) * area * ka * A * B)
    dA/dt = -(w * aimed * kb * B + (1 - w) * area * kb * B * A)
integrated over the hour with RK4, then drawn binomially so that no side loses more than it has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def loss_rates(
    a: float, b: float, ka: float, kb: float, aimed: float, area: float, w: float
) -> tuple[float, float]:
    """Instantaneous loss rates (of A, of B) per hour; a side below zero neither fires nor bleeds."""
    a, b = max(a, 0.0), max(b, 0.0)
    loss_b = w * aimed * ka * a + (1.0 - w) * area * ka * a * b
    loss_a = w * aimed * kb * b + (1.0 - w) * area * kb * b * a
    return loss_a, loss_b


def expected_losses(
    a: float,
    b: float,
    ka: float,
    kb: float,
    aimed: float,
    area: float,
    w: float,
    dt: float = 1.0,
    substeps: int = 4,
) -> tuple[float, float]:
    """Expected losses of A and B over `dt` hours (RK4), never more than each side has."""
    if a <= 0 or b <= 0:
        return 0.0, 0.0
    h = dt / substeps
    x, y = a, b
    for _ in range(substeps):
        k1 = loss_rates(x, y, ka, kb, aimed, area, w)
        k2 = loss_rates(x - h / 2 * k1[0], y - h / 2 * k1[1], ka, kb, aimed, area, w)
        k3 = loss_rates(x - h / 2 * k2[0], y - h / 2 * k2[1], ka, kb, aimed, area, w)
        k4 = loss_rates(x - h * k3[0], y - h * k3[1], ka, kb, aimed, area, w)
        x = max(0.0, x - h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]))
        y = max(0.0, y - h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]))
    return a - x, b - y


def square_law_solution(
    a0: float, b0: float, alpha_a: float, alpha_b: float, t: float
) -> tuple[float, float]:
    """Closed-form square law: A(t), B(t) for dA/dt = -alpha_b B, dB/dt = -alpha_a A (until one is 0)."""
    g = math.sqrt(alpha_a * alpha_b)
    ch, sh = math.cosh(g * t), math.sinh(g * t)
    a = a0 * ch - math.sqrt(alpha_b / alpha_a) * b0 * sh
    b = b0 * ch - math.sqrt(alpha_a / alpha_b) * a0 * sh
    return max(a, 0.0), max(b, 0.0)


def effectiveness(
    firepower: float,
    morale: float,
    supply: float,
    morale_exponent: float,
    supply_exponent: float,
    air_bonus: float = 0.0,
) -> float:
    """Per-person fire effectiveness: firepower scaled by morale, supply and air cover.

    A broken or empty unit still fires at a fifth of its strength (the floor keeps a routed unit
    from becoming a free target and matches the idea that some fighters always shoot back).
    """
    m = (0.2 + 0.8 * min(max(morale, 0.0), 1.0)) ** morale_exponent
    s = (0.2 + 0.8 * min(max(supply, 0.0), 1.0)) ** supply_exponent
    return firepower * m * s * (1.0 + air_bonus)


def realise(rng: np.random.Generator, personnel: float, expected: float, noise: bool) -> float:
    """Realised losses: binomial around the expectation, or the expectation itself without noise."""
    expected = min(max(expected, 0.0), personnel)
    if not noise:
        return expected
    n = round(personnel)
    if n <= 0:
        return 0.0
    p = min(expected / personnel, 1.0)
    return float(min(rng.binomial(n, p), personnel))


def split(total: float, weights: Sequence[float]) -> list[float]:
    """Share `total` losses among units in proportion to their weights (personnel); no unit
    loses more than its weight. Plain floats: a handful of units is faster without numpy."""
    s = sum(weights)
    if s <= 0 or total <= 0:
        return [0.0] * len(weights)
    return [min(float(w), total * w / s) for w in weights]
