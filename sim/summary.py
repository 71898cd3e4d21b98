"""Ensemble summaries: for each metric the median and a 90% interval; for outcomes, shares."""

from __future__ import annotations

import pandas as pd

ID_COLUMNS = {"run_id", "point", "replicate", "seed"}


def summarize(runs: pd.DataFrame, exclude: set[str] | None = None) -> pd.DataFrame:
    """One row per metric: n, median, 5th and 95th percentiles, or shares for categorical ones."""
    skip = ID_COLUMNS | (exclude or set())
    rows = []
    for col in runs.columns:
        if col in skip:
            continue
        s = runs[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            counts = s.dropna().astype(str).value_counts(normalize=True).sort_index()
            share = ", ".join(f"{k} {percent(v)}" for k, v in counts.items())
            rows.append(
                {
                    "metric": col,
                    "n": int(s.notna().sum()),
                    "median": None,
                    "p05": None,
                    "p95": None,
                    "shares": share,
                }
            )
            continue
        x = pd.to_numeric(s, errors="coerce").dropna()
        if x.empty:
            rows.append(
                {"metric": col, "n": 0, "median": None, "p05": None, "p95": None, "shares": "never"}
            )
            continue
        rows.append(
            {
                "metric": col,
                "n": len(x),
                "median": float(x.median()),
                "p05": float(x.quantile(0.05)),
                "p95": float(x.quantile(0.95)),
                "shares": "" if len(x) == len(s) else f"in {len(x)} of {len(s)} runs",
            }
        )
    return pd.DataFrame(rows, columns=["metric", "n", "median", "p05", "p95", "shares"])


def percent(share: float) -> str:
    """A share as a percentage: whole numbers where exact, else one decimal (0.5%, not 0%)."""
    pct = share * 100
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"


def format_number(x: float | None) -> str:
    if x is None or pd.isna(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"
