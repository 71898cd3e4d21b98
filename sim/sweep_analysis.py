"""What a sweep says: outcomes against parameters, a two-parameter heatmap, sensitivity indices,
feature scores and (with `--discover`) a PRIM box.

This module computes the numbers (DataFrames from the sweep's runs table); `sim.sweep_report`
draws them (figures, `analysis.html`) and `sim.sweep_terminal` prints them. Labels, units and kinds of outcomes
come from `sim.report.labels`.

- Outcomes: an outcome with no value in any run ("empty", e.g. `ceasefire_collapsed_at` when
  the ceasefire never collapses) and one with the same value in every run ("constant") are
  listed, not plotted. An outcome with a value in only some runs (a `*_at` time: missing means
  never) is analysed over the runs that have one, and the share of runs with a value is shown
  next to every mean.
- Outcome vs parameter: runs grouped by the parameter's value (a grid's levels) or, for a
  continuous design (lhs, sobol), into equal-width bins over the swept range; per bin the number
  of runs, how many have a value, the mean and the 5th-95th percentile band over runs (a band
  of runs, not a confidence interval of the mean). A yes/no outcome (a share of runs) has no
  band of runs worth drawing (its runs are 0 or 1; interpolated percentiles such as 85% are
  no run's value): its band is the 90% Wilson score interval of the share
  (`scipy.stats.binomtest(...).proportion_ci`; Wilson 1927), and `band` says which it is.
- Heatmap: the mean of one outcome over two parameters. A continuous design is always binned,
  into at most `bins` equal-width bins per parameter and fewer when there are few points
  (about two points per cell), and the figure says so.
- Sensitivity: for a Sobol' (Saltelli) design with SALib installed, first-order and total
  Sobol' indices (`SALib.analyze.sobol`, outcomes averaged over replicates per design point);
  otherwise partial rank correlation coefficients (PRCC) over runs. Indices smaller than
  `NOISE` in magnitude are numerical noise and reported as 0. With EMA Workbench installed,
  extra-trees feature scores (`sim.discovery.feature_scores`) too.

`ceasefire_survived_30d` is derived here: 1 when the ceasefire has not collapsed 720 hours after
it began, 0 when it collapsed within that time, and missing when the scenario window ends before
the 30 days are up and the ceasefire still held.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem, did_you_mean
from sim.report.labels import is_share, local_start
from sim.sweep import read_design, read_manifest, read_runs
from sim.sweep_sensitivity import (  # noqa: F401
    NOISE,
    as_float,
    numeric,
    outcome_band,
    prcc,
    sensitivity,
    sobol_indices,
)

SURVIVAL_HOURS = 720.0
SURVIVED = "ceasefire_survived_30d"
ID_COLUMNS = ("run_id", "point", "replicate", "seed")
DEFAULT_FOCUS = (SURVIVED, "ceasefire_violations", "front_km_end")
EXACT_LEVELS = 12  # a grid parameter with at most this many values is grouped by value
CONTINUOUS = ("lhs", "sobol")


# --- numbers --------------------------------------------------------------------------------


def add_derived(runs: pd.DataFrame, meta: Mapping[str, Any]) -> pd.DataFrame:
    """Add `ceasefire_survived_30d` (see the module notes) when the scenario has a ceasefire."""
    runs = runs.copy()
    start = meta["sweep"].get("ceasefire_hour")
    if start is None or "ceasefire_collapsed_at" not in runs:
        return runs
    hours = float(meta["scenario"]["hours"])
    since = pd.to_numeric(runs["ceasefire_collapsed_at"], errors="coerce") - float(start)
    survived = pd.Series(np.nan, index=runs.index)
    # A collapse is booked at the start of the hour it happened in: one in the hour starting
    # 720 hours after the ceasefire came after 30 whole days of it.
    survived[since < SURVIVAL_HOURS] = 0.0
    if hours - float(start) >= SURVIVAL_HOURS:
        survived[since.isna() | (since >= SURVIVAL_HOURS)] = 1.0
    else:
        survived[since >= SURVIVAL_HOURS] = 1.0
    runs.insert(len(runs.columns), SURVIVED, survived)
    return runs


@dataclass
class Outcomes:
    """The runs table's outcome columns by what can be shown of them."""

    varying: list[str]
    constant: list[str]  # one value, in every run
    empty: list[str]  # no value in any run
    categorical: list[str]  # text outcomes (e.g. controller_end_<place>): PRIM conditions only
    present: dict[str, int]  # outcome -> runs with a value


def outcome_columns(runs: pd.DataFrame, params: Sequence[str]) -> Outcomes:
    """Sort the outcome columns (see `Outcomes` and the module notes)."""
    skip = set(ID_COLUMNS) | set(params)
    out = Outcomes([], [], [], [], {})
    for col in runs.columns:
        if col in skip:
            continue
        s = runs[col]
        if not (pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)):
            if s.dropna().map(type).isin([bool, np.bool_]).all() and s.notna().any():
                s = s.map(as_float)
            else:
                if s.notna().any():
                    out.categorical.append(col)
                continue
        x = pd.to_numeric(s.astype("float64"), errors="coerce")
        n = int(x.notna().sum())
        out.present[col] = n
        if n == 0:
            out.empty.append(col)
        elif n == len(x) and x.nunique() == 1:
            out.constant.append(col)
        else:
            out.varying.append(col)
    out.varying.sort(key=lambda c: (c != SURVIVED, not c.startswith("ceasefire")))
    return out


@dataclass
class Bins:
    codes: np.ndarray  # bin of each run (-1 none)
    labels: list[str]
    centers: list[float]
    lows: list[float]
    highs: list[float]
    binned: bool = False  # equal-width bins of a continuous parameter (not exact values)


def bin_values(values: pd.Series, bins: int, span: tuple[float, float] | None = None) -> Bins:
    """Group by exact value (a grid), or, with `span` (a continuous design's range), into
    `bins` equal-width bins over that range."""
    v = values.to_numpy(dtype=float)
    if span is None:
        levels = np.unique(v[~np.isnan(v)])
        codes = np.searchsorted(levels, v)
        codes[np.isnan(v)] = -1
        names = [f"{x:g}" for x in levels]
        return Bins(codes, names, list(levels), list(levels), list(levels))
    lo, hi = span
    edges = np.linspace(lo, hi, bins + 1)
    codes = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, bins - 1)
    codes[np.isnan(v)] = -1
    centers = list((edges[:-1] + edges[1:]) / 2)
    names = [f"{edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(bins)]
    return Bins(codes, names, centers, list(edges[:-1]), list(edges[1:]), binned=True)


def spans(meta: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Swept range of each parameter of a continuous design; {} for a grid."""
    s = meta["sweep"]
    if s["design"] not in CONTINUOUS:
        return {}
    return {a["key"]: (float(a["low"]), float(a["high"])) for a in s["parameters"]}


def heatmap_bins(points: int, bins: int) -> int:
    """Bins per parameter for a continuous design's heatmap: about two points per cell."""
    return max(2, min(bins, math.isqrt(max(points // 2, 1))))


def by_parameter(
    runs: pd.DataFrame, params: Sequence[str], outcomes: Sequence[str], bins: int,
    span: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Per parameter bin and outcome: runs, runs with a value (n), mean, and the band `p05`..`p95`:
    the 5th and 95th percentiles over runs (`band` "runs"), or for a yes/no outcome the 90%
    Wilson interval of the share (`band` "share")."""
    rows = []
    span = span or {}
    for p in params:
        b = bin_values(runs[p], bins, span.get(p))
        for o in outcomes:
            values = numeric(runs, o)
            share = is_share(o, values)
            y = values.to_numpy()
            for i, name in enumerate(b.labels):
                inbin = b.codes == i
                sel = y[inbin & ~np.isnan(y)]
                lo, hi = outcome_band(sel, share)
                rows.append(
                    {
                        "parameter": p, "bin": name, "x": b.centers[i], "low": b.lows[i],
                        "high": b.highs[i], "outcome": o, "runs": int(inbin.sum()),
                        "n": len(sel), "mean": float(sel.mean()) if len(sel) else np.nan,
                        "p05": lo, "p95": hi, "band": "share" if share else "runs",
                    }
                )  # fmt: skip
    # the columns even with no row (no outcome varies): readers select them by name
    return pd.DataFrame(rows, columns=BY_PARAMETER_COLUMNS)


BY_PARAMETER_COLUMNS = ["parameter", "bin", "x", "low", "high", "outcome", "runs", "n", "mean",
                        "p05", "p95", "band"]  # fmt: skip


@dataclass
class Heatmap:
    x: str
    y: str
    outcome: str
    x_labels: list[str]
    y_labels: list[str]
    mean: np.ndarray  # [y, x]
    n: np.ndarray  # runs with a value
    runs: np.ndarray  # runs in the cell
    binned: str = ""  # how a continuous design was binned, said on the figure


def heatmap_data(
    runs: pd.DataFrame, x: str, y: str, outcome: str, bins: int,
    span: Mapping[str, tuple[float, float]] | None = None, points: int = 0,
) -> Heatmap:  # fmt: skip
    span = span or {}
    k = heatmap_bins(points, bins) if span else bins
    bx, by = bin_values(runs[x], k, span.get(x)), bin_values(runs[y], k, span.get(y))
    vals = numeric(runs, outcome).to_numpy()
    mean = np.full((len(by.labels), len(bx.labels)), np.nan)
    n = np.zeros_like(mean, dtype=int)
    total = np.zeros_like(mean, dtype=int)
    for j in range(len(by.labels)):
        for i in range(len(bx.labels)):
            cell = (bx.codes == i) & (by.codes == j)
            sel = vals[cell & ~np.isnan(vals)]
            n[j, i], total[j, i] = len(sel), int(cell.sum())
            if len(sel):
                mean[j, i] = sel.mean()
    note = ""
    if span:
        note = (
            f"{points} design points binned into {k} equal-width bins per parameter "
            "over the swept range"
        )
    return Heatmap(x, y, outcome, bx.labels, by.labels, mean, n, total, note)


@dataclass
class Analysis:
    folder: Path
    meta: dict[str, Any]
    runs: pd.DataFrame
    params: list[str]
    outcomes: list[str]  # shown: the focus, then every other varying outcome
    focus: list[str]
    by_param: pd.DataFrame
    heatmap: Heatmap | None
    sensitivity: pd.DataFrame
    columns: Outcomes
    notes: list[str] = field(default_factory=list)
    scores: pd.DataFrame | None = None  # extra-trees feature scores: outcome, parameter, score
    discovery: Any = None  # sim.discovery.Discovery
    html_path: Path | None = None

    @property
    def start(self) -> pd.Timestamp:
        """The scenario's start in the theater's time zone (`labels.local_start`)."""
        return local_start(self.meta)

    def share(self, outcome: str) -> bool:
        return is_share(outcome, numeric(self.runs, outcome))

    def presence(self, outcome: str) -> str:
        """'in 1 of 8 runs' when some runs have no value, else ''."""
        n, total = self.columns.present.get(outcome, len(self.runs)), len(self.runs)
        return "" if n == total else f"a value in {n} of {total} runs"


def _pick(
    name: str, choices: Sequence[str], what: str, flag: str, categorical: Sequence[str] = ()
) -> str:
    if name in choices:
        return name
    if name in categorical:  # a holder or a state: no mean to draw, but a condition to discover
        raise InputError(
            Problem(flag, 1, 1, name, f"a categorical {what} has no mean to draw; ask which "
                    f"parameters lead to a category with --discover \"{name} == VALUE\"")
        )  # fmt: skip
    article = "an" if what[:1] in "aeiou" else "a"
    raise InputError(
        Problem(flag, 1, 1, name, f"not {article} {what} of this sweep"
                f"{did_you_mean(name, choices)}; {what}s: {', '.join(choices)}")
    )  # fmt: skip


def analyze_runs(
    folder: str | Path,
    outcomes: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    bins: int = 6,
    discover: str | None = None,
) -> Analysis:
    """Compute every number of the sweep report (no files written).

    Raises InputError for a folder that is not a sweep or has no complete run, an unknown
    outcome or parameter, and a bad `discover` condition (see `sim.discovery`).
    """
    folder = Path(folder)
    meta = read_manifest(folder)
    params = list(read_design(folder).columns)
    runs = read_runs(folder)
    notes: list[str] = []
    total = meta["sweep"]["runs"]
    if runs.empty:
        raise InputError(Problem(str(folder), 1, 1, "", "no complete runs yet"))
    if len(runs) < total:
        notes.append(f"Partial sweep: {len(runs)} of {total} runs complete.")
    runs = add_derived(runs, meta)
    if SURVIVED in runs and runs[SURVIVED].isna().any():
        notes.append(
            f"{SURVIVED} is missing for {int(runs[SURVIVED].isna().sum())} runs whose window "
            "ends less than 30 days after the ceasefire while it still held."
        )
    cols = outcome_columns(runs, params)
    condition = None
    if discover is not None:
        from sim.discovery import parse_condition

        condition = parse_condition(
            discover, cols.varying + cols.constant + cols.empty + cols.categorical,
            cols.categorical,
        )  # fmt: skip
    if cols.constant:
        notes.append("Constant over the sweep (not plotted): " + ", ".join(cols.constant) + ".")
    if cols.empty:
        notes.append("No run has a value (not plotted): " + ", ".join(cols.empty) + ".")
    if not cols.varying:
        notes.append(
            "No outcome varies over the sweep: nothing to plot or rank. The swept parameters "
            "changed no outcome of these runs (under --seeds common, or in a deterministic "
            "scenario, an inert parameter gives identical runs)."
        )
    for o in cols.varying:
        if cols.present[o] < len(runs):
            notes.append(
                f"{o} has a value in {cols.present[o]} of {len(runs)} runs; its means are over "
                "those runs."
            )
    if outcomes:
        choices = cols.varying + cols.constant + cols.empty
        focus = [_pick(o, choices, "outcome", "--outcome", cols.categorical) for o in outcomes]
    else:
        focus = [o for o in DEFAULT_FOCUS if o in cols.varying] or cols.varying[:3]
    x = _pick(x, params, "parameter", "--x") if x else params[0]
    y = _pick(y, params, "parameter", "--y") if y else next((p for p in params if p != x), None)
    if y == x:
        raise InputError(Problem("--y", 1, 1, y, "the heatmap needs two different parameters"))
    drawable = [o for o in focus if o in cols.varying]
    shown = list(dict.fromkeys([*drawable, *cols.varying]))
    span = spans(meta)
    table = by_parameter(runs, params, shown, bins, span)
    heat = None
    if y is not None and drawable:
        heat = heatmap_data(runs, x, y, drawable[0], bins, span, int(meta["sweep"]["points"]))
    elif y is None:
        notes.append("One swept parameter: no heatmap.")
    sens = sensitivity(runs, meta, params, shown, notes)
    a = Analysis(folder, meta, runs, params, shown, focus, table, heat, sens, cols, notes)
    a.scores = _scores(a)
    if condition is not None:
        from sim.discovery import discover as run_prim

        ranges = {
            a_["key"]: (float(a_["low"]), float(a_["high"]))
            for a_ in meta["sweep"]["parameters"]
            if a_.get("low") is not None
        }
        a.discovery = run_prim(runs, params, condition, ranges=ranges)
    return a


def _scores(a: Analysis) -> pd.DataFrame | None:
    from sim.discovery import feature_scores

    frames = []
    for o in [o for o in a.focus if o in a.columns.varying]:
        df = feature_scores(a.runs, a.params, numeric(a.runs, o), a.share(o), int(a.meta["seed"]))
        if df is not None:
            frames.append(df.assign(outcome=o))
    return pd.concat(frames, ignore_index=True) if frames else None


def analyze_sweep(
    folder: str | Path,
    outcomes: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    bins: int = 6,
    out: str | Path | None = None,
    discover: str | None = None,
) -> Analysis:
    """Compute the sweep report and write it (default SWEEP_DIR/analysis.html)."""
    from sim.sweep_report import write_html

    a = analyze_runs(folder, outcomes, x, y, bins, discover)
    a.html_path = write_html(a, Path(out) if out else Path(folder) / "analysis.html")
    return a
