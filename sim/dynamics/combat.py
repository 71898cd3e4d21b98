"""Stochastic Lanchester attrition: aimed fire (the square law) plus area fire in Helmbold's form.

For sides of size A and B with per-person effectiveness ka, kb the expected casualties (killed
and wounded) per hour are
    dB/dt = -(w * aimed * ka * A + (1 - w) * area * ka * A * (B / A) ** (1 - W))
    dA/dt = -(w * aimed * kb * B + (1 - w) * area * kb * B * (A / B) ** (1 - W))
integrated over the hour with RK4, then drawn binomially so that no side loses more than it has.

The area-fire term is Helmbold's modification of Lanchester's equations (Helmbold 1965,
Operations Research 13: 857-859): W = 1 gives the square law, W = 0 the logarithmic law (losses
in proportion to one's own size). Both sides' terms are homogeneous of degree one in (A, B), so
the share of a stack lost per hour does not grow with the number of fighters standing at a node
(the linear law's A * B did: 10k against 10k lost 76% of its casualties to area fire). Campaign
fits favour linear or Helmbold forms over the product form and find loss rates that fall as
forces grow (Bracken 1995; Fricker 1998; Hartley & Helmbold 1995; Lucas & Turkes 2004; Dupuy 1990).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

import numpy as np

SINGLE_STEP_SHARE = 0.1  # see expected_losses


def loss_rates(
    a: float, b: float, ka: float, kb: float, aimed: float, area: float, w: float, helmbold_w: float
) -> tuple[float, float]:
    """Instantaneous casualty rates (of A, of B) per hour; a side at or below zero neither fires
    nor bleeds. `helmbold_w` is Helmbold's W in [0, 1]."""
    a, b = max(a, 0.0), max(b, 0.0)
    if a <= 0.0 or b <= 0.0:
        return 0.0, 0.0
    e = 1.0 - helmbold_w
    loss_b = w * aimed * ka * a + (1.0 - w) * area * ka * a * (b / a) ** e
    loss_a = w * aimed * kb * b + (1.0 - w) * area * kb * b * (a / b) ** e
    return loss_a, loss_b


def expected_losses(
    a: float,
    b: float,
    ka: float,
    kb: float,
    aimed: float,
    area: float,
    w: float,
    helmbold_w: float,
    dt: float = 1.0,
    substeps: int | None = None,
) -> tuple[float, float]:
    """Expected casualties of A and B over `dt` hours (RK4), never more than each side has.

    `substeps` None chooses: one RK4 step when the starting rates would take at most
    `SINGLE_STEP_SHARE` of either side over `dt` (all 28,456 exchanges of three runs of
    ceasefire_jan12; the error is then below 3e-8 of a side's size), else four, as the model always took before (where one
    step errs by up to 10% and two by 2% as a side is wiped out within the hour). Over sides
    of 1 to 10,000 and effectiveness 0.05 to 3 at the default rates the result stays within
    2e-5 of a side of a 256-step solution (tests/test_dynamics.py). The rates are
    `loss_rates`' with the constant factors taken out."""
    if a <= 0 or b <= 0:
        return 0.0, 0.0
    e = 1.0 - helmbold_w
    aimed_a, area_a = w * aimed * ka, (1.0 - w) * area * ka  # A's fire, B's losses
    aimed_b, area_b = w * aimed * kb, (1.0 - w) * area * kb
    x, y = a, b

    def rates(x: float, y: float) -> tuple[float, float]:
        if x <= 0.0 or y <= 0.0:  # as loss_rates: a side at or below zero neither fires nor bleeds
            return 0.0, 0.0
        return aimed_b * y + area_b * y * (x / y) ** e, aimed_a * x + area_a * x * (y / x) ** e

    start = rates(a, b)
    if substeps is None:
        small = dt * start[0] <= SINGLE_STEP_SHARE * a and dt * start[1] <= SINGLE_STEP_SHARE * b
        substeps = 1 if small else 4
    h = dt / substeps
    h2, h6 = h / 2, h / 6
    for i in range(substeps):
        k1a, k1b = start if i == 0 else rates(x, y)
        k2a, k2b = rates(x - h2 * k1a, y - h2 * k1b)
        k3a, k3b = rates(x - h2 * k2a, y - h2 * k2b)
        k4a, k4b = rates(x - h * k3a, y - h * k3b)
        x = x - h6 * (k1a + 2 * k2a + 2 * k3a + k4a)
        y = y - h6 * (k1b + 2 * k2b + 2 * k3b + k4b)
        x = x if x > 0.0 else 0.0  # max(0.0, x), as floats compare
        y = y if y > 0.0 else 0.0
    return a - x, b - y


def static_line_casualties_per_day(
    personnel: float, factor: float, aimed: float, area: float, w: float
) -> float:
    """Casualties a day on BOTH sides of a static line between two equal sides of `personnel`
    each at full effectiveness, fighting `factor` of an hour's close engagement every hour.

    Analytic: at A = B both terms are (w * aimed + (1 - w) * area) * factor * A per side and
    hour, whatever Helmbold's W; valid while a day's losses are small against A (the line is
    static). The calibration target of `combat.area_rate`."""
    return 2.0 * 24.0 * factor * personnel * (w * aimed + (1.0 - w) * area)


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
    floor: float = 0.2,
) -> float:
    """Per-person fire effectiveness: firepower scaled by morale, supply and air cover.

    A broken or empty unit still fires at `floor` of its strength (`combat.effectiveness_floor`:
    it keeps a routed unit from becoming a free target; some fighters always shoot back)."""
    span = 1.0 - floor
    m = (floor + span * min(max(morale, 0.0), 1.0)) ** morale_exponent
    s = (floor + span * min(max(supply, 0.0), 1.0)) ** supply_exponent
    return firepower * m * s * (1.0 + air_bonus)


def weighted_index(rng: np.random.Generator, weights: Sequence[float]) -> int:
    """An index drawn in proportion to non-negative `weights`, from one uniform draw: what
    `rng.choice(len(w), p=w / sum(w))` draws, without building arrays (a tenth of its cost
    for a handful of weights). ValueError if the weights do not have a positive total."""
    cumulative = list(itertools.accumulate(weights))
    if not cumulative or not cumulative[-1] > 0:
        raise ValueError(f"weights {list(weights)} have no positive total")
    i = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    return min(i, len(cumulative) - 1)


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


def split_casualties(
    rng: np.random.Generator, casualties: float, killed_share: float, noise: bool
) -> tuple[float, float]:
    """(killed, wounded) of `casualties`: binomial with `killed_share` (`losses.killed_share`),
    or the expected split without noise. Killed + wounded == casualties exactly."""
    if casualties <= 0:
        return 0.0, 0.0
    if not noise:
        killed = casualties * killed_share
    else:
        killed = float(rng.binomial(round(casualties), min(max(killed_share, 0.0), 1.0)))
        killed = min(killed, casualties)
    return killed, casualties - killed


def wounded_for_killed(
    rng: np.random.Generator, killed: float, killed_share: float, noise: bool = True
) -> float:
    """Wounded that go with `killed` deaths (a strike's, whose deaths are drawn first): Poisson
    with mean killed * (1 - share) / share, or that mean without noise; 0 for no deaths."""
    if killed <= 0 or killed_share <= 0:
        return 0.0
    mean = killed * (1.0 - killed_share) / killed_share
    return float(rng.poisson(mean)) if noise else mean


def split(total: float, weights: Sequence[float]) -> list[float]:
    """Share `total` losses among units in proportion to their weights (personnel); no unit
    loses more than its weight. Plain floats: a handful of units is faster without numpy."""
    s = sum(weights)
    if s <= 0 or total <= 0:
        return [0.0] * len(weights)
    return [min(float(w), total * w / s) for w in weights]
