"""`analyze`'s figures say what the numbers say: the band drawn around a yes/no outcome (its runs
are 0 or 1, so percentiles of runs say nothing, and interpolated ones such as 85% are no run's
value) is the 90% Wilson score interval of the share, checked against Wilson's closed form; and
the sensitivity bars are never cut off by the axis."""

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


def _sens(method: str, rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"outcome": "front_km_end", "parameter": "a.b", "method": method, "index": idx,
             "value": value, "conf": conf, "n": 16}
            for idx, value, conf in rows
        ]
    )  # fmt: skip


def test_sobol_bars_outside_zero_to_one_are_drawn_whole():
    """Few samples give Sobol' estimates outside 0..1; the axis widens to show every bar and
    error bar, as the table shows them, instead of cutting them at 0..1."""
    from sim.sweep_report import sensitivity_figure

    fig = sensitivity_figure(
        _sens("sobol", [("S1", -0.2, 0.1), ("ST", 1.4, 0.3)]), ["front_km_end"]
    )
    low, high = fig.layout.yaxis.range
    assert low <= -0.3 and high >= 1.7
    assert fig.layout.yaxis.title.text == "Sobol' index"


def test_prcc_keeps_its_minus_one_to_one_axis():
    from sim.sweep_report import sensitivity_figure

    fig = sensitivity_figure(_sens("prcc", [("PRCC", 0.4, 0.01)]), ["front_km_end"])
    assert list(fig.layout.yaxis.range) == [-1.05, 1.05]
    assert fig.layout.yaxis.title.text == "PRCC"
