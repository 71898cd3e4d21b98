"""The report's tables: summary metrics with bootstrap intervals, outcome shares, parameters,
the optional validation table. DataFrames and dicts in, `sim.report.html.Table` out."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.report.html import Table

ID_COLUMNS = ("run_id", "point", "replicate", "seed")
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20200112


def median_ci(
    values: Any, seed: int = BOOTSTRAP_SEED, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Median and a bootstrap `confidence` interval for it (`scipy.stats.bootstrap`, percentile
    method, seeded). NaNs are dropped; no values: all NaN; one value: the interval is NaN;
    constant values: the interval is that value."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(x))
    if x.size == 1:
        return med, math.nan, math.nan
    if np.all(x == x[0]):
        return med, med, med
    from scipy.stats import bootstrap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap(
            (x,),
            np.median,
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=confidence,
            method="percentile",
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return med, lo, hi


def fmt_num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if x == int(x):
        return f"{x:.0f}"
    return f"{x:.3g}"


def fmt_hour(start: pd.Timestamp, h: float | None) -> str:
    if h is None or (isinstance(h, float) and math.isnan(h)):
        return "–"
    t = pd.Timestamp(start)
    if t.tzinfo is not None:
        t = t.tz_localize(None)
    return (t + pd.Timedelta(hours=float(h))).strftime("%d %b %Y %H:%M")


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def metric_label(col: str, places: Mapping[str, str]) -> str:
    """A readable label from the one table of outcome labels (`sim.report.labels`)."""
    from sim.report.labels import table_label

    return table_label(col, places)


def is_time_metric(col: str) -> bool:
    """Metrics in hours since the start (shown as dates)."""
    return col.endswith("_at")


def is_categorical(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s)


def metric_tables(
    runs: pd.DataFrame, start: pd.Timestamp, network: Mapping[str, Any] | None = None
) -> tuple[Table, Table]:
    """(numeric metrics: median, bootstrap 95% CI of the median, 5–95% of runs; outcomes:
    shares of runs) from runs.parquet."""
    places = {slug(n["name"]): n["name"] for n in (network or {}).get("nodes", [])}
    n = len(runs)
    num_rows: list[list[str]] = []
    cat_rows: list[list[str]] = []
    for col in runs.columns:
        if col in ID_COLUMNS:
            continue
        s = runs[col]
        label = metric_label(col, places)
        if is_categorical(s):
            counts = s.dropna().astype(str).value_counts(normalize=True)
            counts = counts.sort_values(ascending=False, kind="stable")
            share = ", ".join(f"{k} {v:.0%}" for k, v in counts.items()) or "–"
            missing = n - int(s.notna().sum())
            cat_rows.append(
                [label, share, f"{missing} of {n} runs without a value" if missing else ""]
            )
            continue
        x = pd.to_numeric(s, errors="coerce")
        k = int(x.notna().sum())
        med, lo, hi = median_ci(x)
        fmt = (lambda v: fmt_hour(start, v)) if is_time_metric(col) else fmt_num
        if k == 0:
            note = "never" if is_time_metric(col) else "no values"
        elif k < n:
            note = f"in {k} of {n} runs"
        else:
            note = ""
        ci = "–" if math.isnan(lo) else f"{fmt(lo)} – {fmt(hi)}"
        if k == 1:
            ci = "one value: no interval"
        spread = "–"
        if k > 1:
            spread = f"{fmt(float(x.quantile(0.05)))} – {fmt(float(x.quantile(0.95)))}"
        num_rows.append([label, fmt(med), ci, spread, note])
    numeric = Table(
        columns=["metric", "median", "95% CI of the median", "5–95% of runs", "note"],
        rows=num_rows,
        caption=(
            f"Summary metrics over {n} run{'s' if n != 1 else ''}: median, bootstrap 95% "
            f"confidence interval of the median ({BOOTSTRAP_RESAMPLES} resamples, percentile "
            "method), and the range of the middle 90% of runs. Times of day are local."
        ),
        align=["left", "right", "right", "right", "left"],
    )
    outcomes = Table(
        columns=["outcome", "share of runs", "note"],
        rows=cat_rows,
        caption=f"Outcomes as shares of {n} run{'s' if n != 1 else ''}.",
    )
    return numeric, outcomes


def parameter_table(manifest: Mapping[str, Any]) -> Table:
    params = manifest.get("parameters") or {}
    overrides = manifest.get("overrides") or {}
    rows = [
        [k, fmt_param(v), "overridden" if k in overrides else ""] for k, v in sorted(params.items())
    ]
    for k, v in sorted(overrides.items()):
        if k not in params:
            rows.append([k, fmt_param(v), "overridden"])
    n_over = len(overrides)
    return Table(
        columns=["parameter", "value", "note"],
        rows=rows,
        caption=f"Parameters ({len(rows)}; {n_over} overridden on the command line)",
        collapsed=True,
        align=["left", "right", "left"],
    )


def fmt_param(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def run_table(manifest: Mapping[str, Any]) -> Table:
    sc = manifest.get("scenario") or {}
    versions = manifest.get("versions") or {}
    rows = [
        ["scenario file", str(sc.get("file", ""))],
        ["scenario sha256", str(sc.get("sha256", ""))],
        ["theater", str((manifest.get("theater") or {}).get("name", ""))],
        ["window", f"{sc.get('start', '')} to {sc.get('end', '')} ({sc.get('hours', '')} hours)"],
        ["sampled every", f"{sc.get('sample_every_hours', '')} hours"],
        ["base seed", str(manifest.get("seed", ""))],
        ["replicates", str(manifest.get("replicates", ""))],
        ["status", str(manifest.get("status", ""))],
        ["created", str(manifest.get("created", ""))],
        ["versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))],
    ]
    return Table(columns=["", ""], rows=rows, caption="Run", collapsed=True)


VALIDATION_COLUMNS = (
    "id",
    "description",
    "kind",
    "source",
    "share_matching",
    "score",
    "score_kind",
)


def validation_table(df: pd.DataFrame) -> Table:
    cols = [c for c in VALIDATION_COLUMNS if c in df.columns]
    rows = []
    for r in df.itertuples(index=False):
        row = []
        for c in cols:
            v = getattr(r, c)
            if c == "share_matching" and isinstance(v, int | float) and not pd.isna(v):
                row.append(f"{v:.0%}")
            elif isinstance(v, float):
                row.append(fmt_num(v))
            else:
                row.append("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
        rows.append(row)
    return Table(
        columns=[c.replace("_", " ") for c in cols],
        rows=rows,
        caption="Checks against the historical record (from validation.parquet)",
    )
