"""`analyze`: the band drawn around a yes/no outcome. Its runs are 0 or 1, so percentiles of
runs say nothing (and interpolated ones, such as 85%, are no run's value); the band is the 90%
Wilson score interval of the share, checked against Wilson's closed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.sweep_analysis import by_parameter

Z90 = 1.6448536269514722  # the standard normal's 95th percentile


def wilson(k: int, n: int, z: float = Z90) -> tuple[float, float]:
    """Wilson (1927): the score interval of a binomial proportion, in closed form."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patron.X.leverage": [0.0] * 4 + [1.0] * 5,
            "ceasefire_survived_30d": [1, 0, 0, 0, 1, 1, 1, 1, 0],  # 1/4 at 0, 4/5 at 1
            "front_km_end": [10.0, 20.0, 30.0, 40.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )


@pytest.mark.parametrize("value, k, n", [(0.0, 1, 4), (1.0, 4, 5)])
def test_a_share_has_the_wilson_interval_of_the_share(value, k, n):
    t = by_parameter(_runs(), ["patron.X.leverage"], ["ceasefire_survived_30d"], bins=6)
    row = t[t["x"] == value].iloc[0]
    assert row["band"] == "share" and row["mean"] == pytest.approx(k / n)
    assert (row["p05"], row["p95"]) == pytest.approx(wilson(k, n), abs=1e-9)
    assert row["p05"] < row["mean"] < row["p95"]


def test_an_amount_keeps_the_band_of_runs():
    t = by_parameter(_runs(), ["patron.X.leverage"], ["front_km_end"], bins=6)
    row = t[t["x"] == 0.0].iloc[0]
    assert row["band"] == "runs"
    assert (row["p05"], row["p95"]) == pytest.approx(
        tuple(np.quantile([10.0, 20.0, 30.0, 40.0], [0.05, 0.95]))
    )
