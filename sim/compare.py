"""Two results folders side by side: `conflict-sim compare RESULTS_A RESULTS_B`.

For every summary metric the two `runs.parquet` share, the difference B - A of the means with a
bootstrap 95% interval (`scipy.stats.bootstrap`, percentile method, 2,000 resamples, seeded).
When both folders ran the same seeds (common random numbers: the same base seed and replicates),
runs are paired by seed and the interval is that of the mean paired difference, which removes
the noise the two scenarios share. Categorical outcomes (who holds a place at the end, whether
the ceasefire held) become the share of runs in each category, with the difference of shares.

Weekly series (from the scenario's start, 7-day weeks; the last may be shorter): deaths
(fighters of every faction and civilians), incidents (ceasefire incidents: events of kind `violation`),
people displaced (the level at the week's end) and each front column present (`front_km`,
`front_km_<sector>`: the level at the week's end), with the 5-95% band of each folder's runs and
the difference of means with its interval.

Folders from different theaters, or with different windows (start or end), are refused: hours,
weekly bins and cumulative metrics would not mean the same thing.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem

ID_COLUMNS = ("run_id", "point", "replicate", "seed")
INCIDENT_KINDS = ("violation",)
WEEK_HOURS = 168.0
N_RESAMPLES = 2000


@dataclass
class Folder:
    """One results folder's manifest and tables (events: only run_id, hour and kind)."""

    path: Path
    manifest: dict
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame

    @property
    def label(self) -> str:
        return self.path.name or str(self.path)

    @property
    def title(self) -> str:
        return str(self.manifest.get("scenario", {}).get("title", ""))


@dataclass
class Comparison:
    a: Folder
    b: Folder
    paired: bool
    metrics: pd.DataFrame  # one row per metric (or metric = category)
    weekly: dict[str, pd.DataFrame] = field(default_factory=dict)  # series -> one row per week

    @property
    def pairing(self) -> str:
        if self.paired:
            return f"paired by seed: both ran the same {len(self.a.runs)} seeds (common random numbers)"
        shared = _shared_seeds(self.a, self.b)
        if shared:  # e.g. -n 10 against -n 20 from one base seed: pairing needs the same set
            return (
                f"unpaired: the folders share {shared} seeds of {len(self.a.runs)} and "
                f"{len(self.b.runs)} (each mean resampled on its own; run both with the same -n "
                "and --seed to pair them)"
            )
        return "unpaired: the folders ran different seeds (each mean resampled on its own)"


def _shared_seeds(a: Folder, b: Folder) -> int:
    if "seed" not in a.runs.columns or "seed" not in b.runs.columns:
        return 0
    return len(set(a.runs["seed"]) & set(b.runs["seed"]))


def load_folder(path: str | Path) -> Folder:
    """Read what compare needs; InputError (one line) if it is not a results folder."""
    path = Path(path)
    for name in ("manifest.json", "runs.parquet", "timeseries.parquet"):
        if not (path / name).is_file():
            raise InputError(
                Problem(str(path), 1, 1, "results", f"not a results folder: no {name}")
            )
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    events = pd.DataFrame({"run_id": [], "hour": [], "kind": []})
    events_path = path / "events.parquet"
    if events_path.is_file():  # a run with no event at all writes a table without columns
        import pyarrow.parquet as pq

        if {"run_id", "hour", "kind"} <= set(pq.read_schema(events_path).names):
            events = pd.read_parquet(events_path, columns=["run_id", "hour", "kind"])
    return Folder(
        path,
        manifest,
        pd.read_parquet(path / "runs.parquet"),
        pd.read_parquet(path / "timeseries.parquet"),
        events,
    )


def check_comparable(a: Folder, b: Folder) -> None:
    """Refuse folders from different theaters or windows, in one located line each."""
    problems = []
    where = str(b.path / "manifest.json")
    ta, tb = a.manifest.get("theater", {}).get("name"), b.manifest.get("theater", {}).get("name")
    if ta != tb:
        problems.append(
            Problem(
                where,
                1,
                1,
                "theater.name",
                f"theater {tb!r}, but {a.label} is from {ta!r}: nothing to compare",
            )
        )
    sa, sb = a.manifest.get("scenario", {}), b.manifest.get("scenario", {})
    for key in ("start", "end"):
        if sa.get(key) != sb.get(key):
            problems.append(
                Problem(
                    where, 1, 1, f"scenario.{key}",
                    f"window {key}s {sb.get(key)}, but {a.label}'s {sa.get(key)}: hours and weekly "
                    "series would not line up (run both over the same window)",
                )
            )  # fmt: skip
    if problems:
        raise InputError(problems)


def _paired(a: Folder, b: Folder) -> bool:
    if "seed" not in a.runs.columns or "seed" not in b.runs.columns:
        return False
    sa, sb = a.runs["seed"], b.runs["seed"]
    return sa.is_unique and sb.is_unique and set(sa) == set(sb) and len(sa) > 1


def diff_interval(
    x: np.ndarray, y: np.ndarray, paired: bool, rng: np.random.Generator
) -> tuple[float, float, float]:
    """(mean(y) - mean(x), low, high): the bootstrap 95% interval of the difference of means, of
    the mean paired difference when `paired` (x[i] and y[i] from the same seed). NaN interval
    with fewer than two values a side; a zero-width one when nothing varies."""
    from scipy.stats import bootstrap

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if paired:
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
    else:
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) == 0 or len(y) == 0:
        return math.nan, math.nan, math.nan
    diff = float(np.mean(y) - np.mean(x))
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    spread = np.ptp(y - x) if paired else max(np.ptp(x), np.ptp(y))
    if spread == 0:
        return diff, diff, diff
    if paired:
        data, stat = (y - x,), lambda d, axis: np.mean(d, axis=axis)
    else:
        data, stat = (x, y), lambda u, v, axis: np.mean(v, axis=axis) - np.mean(u, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when few distinct resamples exist
        res = bootstrap(
            data, stat, n_resamples=N_RESAMPLES, vectorized=True, paired=False,
            method="percentile", rng=rng,
        )  # fmt: skip
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def _aligned(a: Folder, b: Folder, col: str, paired: bool) -> tuple[pd.Series, pd.Series]:
    if not paired:
        return a.runs[col], b.runs[col]
    ia, ib = a.runs.set_index("seed")[col], b.runs.set_index("seed")[col]
    order = sorted(ia.index)
    return ia.loc[order], ib.loc[order]


def metric_table(a: Folder, b: Folder, paired: bool, rng: np.random.Generator) -> pd.DataFrame:
    """One row per shared numeric metric, and per category of a categorical one."""
    shared = [
        c for c in a.runs.columns if c in b.runs.columns and c not in ID_COLUMNS and "." not in c
    ]
    rows: list[dict[str, Any]] = []
    for col in shared:
        xa, xb = _aligned(a, b, col, paired)
        numeric = all(
            pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) for s in (xa, xb)
        )
        if numeric:
            xa, xb = xa.astype(float), xb.astype(float)
            if xa.isna().any() or xb.isna().any():  # e.g. a capture time: NaN is "never"
                rows.append(
                    _share_row(f"{col} (runs with a value)", xa.notna(), xb.notna(), paired, rng)
                )
                if xa.isna().all() and xb.isna().all():
                    continue
            d, lo, hi = diff_interval(xa.to_numpy(), xb.to_numpy(), paired, rng)
            both = int((xa.notna().to_numpy() & xb.notna().to_numpy()).sum()) if paired else -1
            rows.append(
                {"metric": col, "kind": "mean", "a": float(xa.mean()), "b": float(xb.mean()),
                 "diff": d, "low": lo, "high": hi, "n_a": int(xa.notna().sum()), "n_b": int(xb.notna().sum()),
                 "n_pairs": both}
            )  # fmt: skip
            continue
        sa, sb = (
            xa.astype(object).where(xa.notna(), "none"),
            xb.astype(object).where(xb.notna(), "none"),
        )
        for cat in sorted({str(v) for v in (*sa, *sb)}):
            rows.append(
                _share_row(
                    f"{col} = {cat}", sa.astype(str) == cat, sb.astype(str) == cat, paired, rng
                )
            )
    return pd.DataFrame(
        rows, columns=["metric", "kind", "a", "b", "diff", "low", "high", "n_a", "n_b", "n_pairs"]
    )


def metric_name(r: Any) -> str:
    """A row's metric as shown: a paired B - A taken over fewer runs than A's or B's mean (a
    capture time some runs of either side never reach) says over how many, or A, B and B - A
    do not add up."""
    pairs = r.n_pairs  # -1 when unpaired (metric_table and _share_row always give it)
    if 0 < pairs < max(r.n_a, r.n_b):
        return f"{r.metric} (B - A over the {pairs} seeds with both)"
    return str(r.metric)


def _share_row(
    name: str, ia: pd.Series, ib: pd.Series, paired: bool, rng: np.random.Generator
) -> dict:
    d, lo, hi = diff_interval(ia.to_numpy(float), ib.to_numpy(float), paired, rng)
    return {
        "metric": name, "kind": "share", "a": float(ia.mean()), "b": float(ib.mean()),
        "diff": d, "low": lo, "high": hi, "n_a": len(ia), "n_b": len(ib),
        "n_pairs": len(ia) if paired else -1,
    }  # fmt: skip


def _week_ends(folder: Folder) -> list[float]:
    hours = float(
        folder.manifest.get("scenario", {}).get("hours") or folder.timeseries["hour"].max()
    )
    n = max(1, math.ceil(hours / WEEK_HOURS - 1e-9))
    return [min((w + 1) * WEEK_HOURS, hours) for w in range(n)]


def _levels(ts: pd.DataFrame, col: str, ends: list[float], runs: pd.Index) -> pd.DataFrame:
    """Each run's value of `col` at the last sample at or before each week's end (runs x weeks)."""
    out = {}
    for w, end in enumerate(ends):
        before = ts[ts["hour"] <= end + 1e-9].sort_values(["run_id", "hour"])
        out[w] = before.groupby("run_id")[col].last().reindex(runs)
    return pd.DataFrame(out)


def weekly_values(folder: Folder, ends: list[float]) -> dict[str, pd.DataFrame]:
    """Per series, a runs x weeks frame of weekly values (see the module docstring)."""
    ts, runs = folder.timeseries, pd.Index(sorted(folder.runs["run_id"]), name="run_id")
    out: dict[str, pd.DataFrame] = {}
    # Deaths: the killed of each faction and civilians killed (folders written before the losses
    # were split have only casualties_<F> and civilian_casualties, which stand in for them).
    loss_cols = [c for c in ts.columns if c.startswith("killed_")] or [
        c for c in ts.columns if c.startswith("casualties_")
    ]
    civ = "civilians_killed" if "civilians_killed" in ts.columns else "civilian_casualties"
    if civ in ts.columns:
        loss_cols.append(civ)
    if loss_cols:
        total = ts.assign(_deaths=ts[loss_cols].sum(axis=1))
        level = _levels(total, "_deaths", ends, runs)
        first = total.sort_values(["run_id", "hour"]).groupby("run_id")["_deaths"].first()
        steps = pd.concat([first.reindex(runs).rename(-1), level], axis=1).diff(axis=1)
        out["deaths"] = steps.drop(columns=-1).astype(float)
    ev = folder.events[folder.events["kind"].isin(INCIDENT_KINDS)]
    # An incident logged at hour h happened in the hour from h to h + 1 (events are booked at
    # the start of their hour), whose deaths the sample at h + 1 holds: one logged at a week's
    # end hour is the next week's, as its deaths are (`_levels` takes samples at or before the
    # end).
    week = np.searchsorted(np.asarray(ends), ev["hour"].to_numpy(float), side="right")
    counts = ev.assign(week=week).groupby(["run_id", "week"]).size().unstack(fill_value=0)
    out["incidents"] = counts.reindex(index=runs, columns=range(len(ends)), fill_value=0).astype(
        float
    )
    level_cols = [c for c in ("displaced",) if c in ts.columns]
    level_cols += sorted(c for c in ts.columns if c.startswith("front_km"))
    for col in level_cols:
        out[col] = _levels(ts, col, ends, runs).astype(float)
    return out


def weekly_table(
    va: pd.DataFrame, vb: pd.DataFrame, a: Folder, b: Folder, paired: bool, rng: np.random.Generator
) -> pd.DataFrame:
    rows = []
    seeds_a = a.runs.set_index("run_id")["seed"] if paired else None
    seeds_b = b.runs.set_index("run_id")["seed"] if paired else None
    for w in va.columns:
        xa, xb = va[w], vb[w]
        if paired:  # line the runs up by seed
            xa = xa.set_axis(seeds_a.reindex(xa.index)).sort_index()
            xb = xb.set_axis(seeds_b.reindex(xb.index)).reindex(xa.index)
        d, lo, hi = diff_interval(xa.to_numpy(), xb.to_numpy(), paired, rng)
        qa = np.nanquantile(xa, [0.05, 0.5, 0.95]) if xa.notna().any() else [math.nan] * 3
        qb = np.nanquantile(xb, [0.05, 0.5, 0.95]) if xb.notna().any() else [math.nan] * 3
        rows.append(
            {"week": int(w), "a_p05": qa[0], "a_p50": qa[1], "a_p95": qa[2], "a_mean": float(xa.mean()),
             "b_p05": qb[0], "b_p50": qb[1], "b_p95": qb[2], "b_mean": float(xb.mean()),
             "diff": d, "low": lo, "high": hi}
        )  # fmt: skip
    return pd.DataFrame(rows)


def compare_folders(path_a: str | Path, path_b: str | Path, seed: int = 0) -> Comparison:
    """Load, check and compare two results folders (B - A). Raises InputError (one line per
    problem) for a missing folder, different theaters or different windows."""
    a, b = load_folder(path_a), load_folder(path_b)
    check_comparable(a, b)
    paired = _paired(a, b)
    rng = np.random.default_rng(seed)
    metrics = metric_table(a, b, paired, rng)
    ends = _week_ends(a)
    wa, wb = weekly_values(a, ends), weekly_values(b, ends)
    weekly = {
        name: weekly_table(wa[name], wb[name], a, b, paired, rng) for name in wa if name in wb
    }
    return Comparison(a, b, paired, metrics, weekly)


def fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def print_comparison(result: Comparison) -> None:
    """The terminal table of differences."""
    from rich.console import Console
    from rich.table import Table

    a, b = result.a, result.b
    table = Table(
        title=f"B - A: {b.label} minus {a.label}; {result.pairing}",
        caption="Means, or shares of runs (metric = category); times (*_at) are hours since "
        "the start.",
    )
    for col, just in (
        ("metric", "left"),
        ("A", "right"),
        ("B", "right"),
        ("B - A", "right"),
        ("95% CI", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in result.metrics.itertuples():
        table.add_row(
            metric_name(r), fmt(r.a), fmt(r.b), fmt(r.diff), f"{fmt(r.low)} .. {fmt(r.high)}"
        )
    Console(width=140).print(table)


def write_compare_html(result: Comparison, folder: str | Path) -> Path:
    """Write `compare.html` into `folder` (created if needed) with the report's assembler."""
    from sim.compare_report import compare_page
    from sim.report.html import write_html

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_html(compare_page(result), folder / "compare.html")
