"""Proper scores for forecasts against observations (pure functions on arrays).

Scores (lower is better, 0 is perfect):
- yes/no facts (control, event): the Brier score (share - 1)**2, the forecast being the share
  of replicates in which the fact holds and the outcome 1 (it happened);
- numbers: the CRPS of the ensemble, CRPS(F, y) = E|X - y| - 0.5 E|X - X'|, taken in expectation
  over the observation's own uncertainty (y uniform on [low, high], or normal with the given
  sd). The expectation of a proper score under a distribution of the truth is still minimised
  by forecasting that distribution, so the score stays proper; an interval score would need a
  point observation and a forecast interval, the reverse of what a source's range gives. For the
  overall score a CRPS is divided by the observation's scale, max(|centre|, width, 1), so that
  casualties and kilometres can be averaged with Brier scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def brier(forecast: float, outcome: float = 1.0) -> float:
    """Brier score of a probability forecast for a yes/no outcome (0 best, 1 worst)."""
    return float((forecast - outcome) ** 2)


def _spread(x: np.ndarray) -> float:
    """E|X - X'| over an ensemble, in O(n log n) from the sorted values."""
    x = np.sort(x)
    n = len(x)
    i = np.arange(1, n + 1)
    return float(2.0 * np.sum((2 * i - n - 1) * x) / (n * n))


def crps_ensemble(samples: Sequence[float] | np.ndarray, y: float) -> float:
    """CRPS of an ensemble (its empirical distribution) against an observed value."""
    x = np.asarray(samples, dtype=float)
    return float(np.mean(np.abs(x - y)) - 0.5 * _spread(x))


def crps_uniform_obs(samples: Sequence[float] | np.ndarray, low: float, high: float) -> float:
    """Expected ensemble CRPS when the truth is uniform on [low, high] (the source's range)."""
    x = np.asarray(samples, dtype=float)
    if high <= low:
        return crps_ensemble(x, low)
    mid = 0.5 * (low + high)
    inside = ((x - low) ** 2 + (high - x) ** 2) / (2.0 * (high - low))
    dist = np.where((x >= low) & (x <= high), inside, np.abs(x - mid))
    return float(np.mean(dist) - 0.5 * _spread(x))


def crps_normal_obs(samples: Sequence[float] | np.ndarray, mu: float, sd: float) -> float:
    """Expected ensemble CRPS when the truth is normal(mu, sd) (a value reported with its sd)."""
    from scipy.stats import norm

    x = np.asarray(samples, dtype=float)
    if sd <= 0:
        return crps_ensemble(x, mu)
    z = (x - mu) / sd
    dist = sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z))
    return float(np.mean(dist) - 0.5 * _spread(x))
