"""The report's tables: summary metrics with bootstrap intervals, outcome shares, parameters,
the optional validation table. DataFrames and dicts in, `sim.report.html.Table` out."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.recording import slug  # the slug that names the summary columns
from sim.report.html import Link, Table
from sim.report.labels import as_date
from sim.summary import percent

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
    return as_date(start, float(h)).strftime("%d %b %Y %H:%M")


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
    # column tokens -> the theater's own spellings: place names and faction keys (`losses_gna`)
    places = {slug(n["name"]): n["name"] for n in (network or {}).get("nodes", [])}
    places.update({slug(k): k for k in (network or {}).get("factions", {})})
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
            # whole percentages where exact, else one decimal, as the terminal summary writes
            # them: 1 run of 200 is 0.5%, not 0%, and 2 of 3 is 66.7%, not 67%
            share = ", ".join(f"{k} {percent(v)}" for k, v in counts.items()) or "–"
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
_URL = re.compile(r"https?://[^\s,\"'<>]+")


def fact_window(row: Mapping[str, Any]) -> str:
    """'07 Jan 2020 12:00 – 08 Jan 00:00' (or one time) from ISO window columns."""
    start, end = row.get("window_start"), row.get("window_end")
    if not isinstance(start, str) or not isinstance(end, str):
        return ""
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    fmt = "%d %b %Y %H:%M"
    if a == b:
        return a.strftime(fmt)
    return f"{a.strftime(fmt)} – {b.strftime('%d %b %H:%M' if a.year == b.year else fmt)}"


def source_cell(row: Mapping[str, Any]) -> Any:
    """The source label, as a link to its URL (`source_url`, else the first URL in the label)."""
    label = str(row.get("source") or "")
    url = row.get("source_url")
    if not isinstance(url, str) or not url:
        m = _URL.search(label)
        url = m.group(0) if m else None
    if not url:
        return label
    text = label.replace(url, "").strip().rstrip(",").strip() or url
    return Link(text=text, href=url)


def _score(v: Any, kind: Any = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    unit = {"brier": "Brier", "crps_normalised": "CRPS/scale"}.get(str(kind), "")
    return f"{v:.3f} {unit}".strip()


def _share(v: Any) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else percent(v)


def validation_table(df: pd.DataFrame) -> Table:
    """One row per fact: its window, in- or out-of-sample, what was observed, the share of runs
    matching and the score of the model and of the no-change baseline (when validation.parquet
    has them), and the source as a link."""
    baseline = "baseline_score" in df.columns
    columns = ["id", "window", "sample", "description", "score", "model: share, score"]
    if baseline:
        columns.append("baseline: share, score")
    columns.append("source")
    rows = []
    for r in df.to_dict("records"):
        sample = r.get("sample")
        if not isinstance(sample, str):
            ac = r.get("after_ceasefire")
            sample = "" if ac is None else ("out-of-sample" if ac else "in-sample")
        kind = {"brier": "Brier", "crps_normalised": "CRPS/scale"}.get(str(r.get("score_kind")))
        row = [
            str(r.get("id", "")),
            fact_window(r),
            sample,
            str(r.get("description") or ""),
            kind or str(r.get("score_kind") or ""),
            f"{_share(r.get('share_matching'))}, {_score(r.get('score'))}",
        ]
        if baseline:
            row.append(
                f"{_share(r.get('baseline_share_matching'))}, {_score(r.get('baseline_score'))}"
            )
        row.append(source_cell(r))
        rows.append(row)
    return Table(
        columns=columns,
        rows=rows,
        caption=(
            "Each fact (from validation.parquet): the share of runs matching it and its score, "
            "lower is better, 0 when every run matches"
            + (", for the model and the no-change baseline" if baseline else "")
        ),
        align=["left"] * 5 + ["right"] * (2 if baseline else 1) + ["left"],
    )


def validation_summary_table(summary: Mapping[str, Any]) -> Table:
    """Overall scores of the model and the baseline with the skill, from `sim.baseline.compare`
    (or, without a baseline, the model's `sim.validation.overall`)."""
    model = summary.get("model") or summary
    base = summary.get("baseline") or {}
    skill = summary.get("skill") or {}
    rows = []
    for key, label in (
        ("brier", "mean Brier score (yes/no facts)"),
        ("crps_normalised", "mean CRPS / scale (numbers)"),
        ("score", "overall score"),
        ("share_matching", "mean share of runs matching"),
    ):
        fmt = _share if key == "share_matching" else _score
        row = [label, fmt(model.get(key))]
        if base:
            k = skill.get(key)
            row += [fmt(base.get(key)), "" if k is None else _score(k)]
        rows.append(row)
    columns = ["", "model"] + (["no-change baseline", "skill (1 - model/baseline)"] if base else [])
    n = summary.get("facts_compared")
    return Table(
        columns=columns,
        rows=rows,
        caption=(
            "Overall scores (lower is better; skill above 0: the model beats 'nothing changes')"
            + (f", over the {n} facts both score" if n is not None else "")
        ),
        align=["left"] + ["right"] * (len(columns) - 1),
    )
