"""Sensitivity indices of a sweep's outcomes: Sobol' (SALib) for a Saltelli design, partial rank
correlations otherwise (see `sim.sweep_analysis` for how they are shown); and the numbers over
runs they and the per-parameter table share (`numeric`, `outcome_band`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

NOISE = 1e-9  # |index| below this is floating-point noise: reported as 0


def as_float(v: Any) -> float:
    return np.nan if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def numeric(runs: pd.DataFrame, col: str) -> pd.Series:
    """A column as float64: true/false as 1/0, None as NaN."""
    s = runs[col]
    if s.dtype == object:
        s = s.map(as_float)
    return pd.to_numeric(s, errors="coerce").astype("float64")


SHARE_CONFIDENCE = 0.90


def outcome_band(values: np.ndarray, share: bool) -> tuple[float, float]:
    """(low, high) of an outcome's runs in one bin: the 5th-95th percentiles of `values`, or for
    0/1 values (`share`) the 90% Wilson score interval of their mean (Wilson 1927, via scipy's
    `binomtest(...).proportion_ci`); NaN, NaN for no values."""
    if not len(values):
        return np.nan, np.nan
    if not share:
        return float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))
    from scipy.stats import binomtest

    ci = binomtest(int(values.sum() + 0.5), len(values)).proportion_ci(  # 0/1 values
        confidence_level=SHARE_CONFIDENCE, method="wilson"
    )
    return float(ci.low), float(ci.high)


def prcc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of y with each column of x (the others partialled out), p-values."""
    from scipy import stats

    n, d = x.shape
    rx = np.column_stack([stats.rankdata(x[:, j]) for j in range(d)])
    ry = stats.rankdata(y)
    coef, pval = np.full(d, np.nan), np.full(d, np.nan)
    for j in range(d):
        others = np.column_stack([np.ones(n), np.delete(rx, j, axis=1)])
        res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        if res_x.std() == 0 or res_y.std() == 0:
            continue
        r = float(np.corrcoef(res_x, res_y)[0, 1])
        dof = n - 2 - (d - 1)
        coef[j] = r
        if dof > 0 and abs(r) < 1:
            t = r * math.sqrt(dof / (1 - r * r))
            pval[j] = float(2 * stats.t.sf(abs(t), dof))
    return coef, pval


def sobol_indices(
    means: pd.DataFrame, params: Sequence[str], bounds: Sequence[tuple[float, float]],
    outcome: str, points: int, seed: int,
) -> pd.DataFrame | None:  # fmt: skip
    """First-order and total Sobol' indices from the point means, in Saltelli design order."""
    from SALib.analyze import sobol

    d = len(params)
    block = d + 2
    y = means[outcome].reindex(range(points)).to_numpy(dtype=float)
    complete = 0
    while complete + block <= points and not np.isnan(y[complete : complete + block]).any():
        complete += block
    if complete < 2 * block:
        return None
    problem = {"num_vars": d, "names": list(params), "bounds": [list(b) for b in bounds]}
    res = sobol.analyze(
        problem, y[:complete], calc_second_order=False, print_to_console=False, seed=seed
    )
    rows = []
    for j, p in enumerate(params):
        for idx in ("S1", "ST"):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": p,
                    "method": "sobol",
                    "index": idx,
                    "value": float(res[idx][j]),
                    "conf": float(res[f"{idx}_conf"][j]),
                    "n": complete,
                }
            )
    return pd.DataFrame(rows)


def sensitivity(
    runs: pd.DataFrame,
    meta: Mapping[str, Any],
    params: Sequence[str],
    outcomes: Sequence[str],
    notes: list[str],
) -> pd.DataFrame:
    """Sobol' indices for a Sobol' design (SALib), PRCC otherwise; one row per index."""
    design = meta["sweep"]["design"]
    frames: list[pd.DataFrame] = []
    use_sobol = design == "sobol"
    if use_sobol:
        try:
            import SALib  # noqa: F401
        except ImportError:
            use_sobol = False
            notes.append(
                "SALib is not installed (pip install 'conflict-sim[sa]'): partial rank "
                "correlations instead of Sobol' indices."
            )
    if use_sobol:
        bounds = [(a["low"], a["high"]) for a in meta["sweep"]["parameters"]]
        means = pd.DataFrame({o: numeric(runs, o) for o in outcomes}).groupby(runs["point"]).mean()
        skipped = []
        for o in outcomes:
            df = sobol_indices(means, params, bounds, o, meta["sweep"]["points"], meta["seed"])
            if df is None:
                skipped.append(o)
            else:
                frames.append(df)
        if frames:
            base = int(frames[0]["n"].iloc[0]) // (len(params) + 2)
            if base < 64:
                notes.append(
                    f"Sobol' indices from {base} base samples are rough (see their confidence "
                    "intervals); use --samples 64 or more for stable estimates."
                )
        if skipped:
            notes.append(
                "No Sobol' indices (missing values or too few complete Saltelli blocks) for: "
                + ", ".join(skipped)
            )
    else:
        x_all = runs[list(params)].to_numpy(dtype=float)
        for o in outcomes:
            y = numeric(runs, o).to_numpy()
            ok = ~np.isnan(y)
            if ok.sum() < len(params) + 3:
                notes.append(
                    f"No partial rank correlations for {o}: {int(ok.sum())} runs have a value, "
                    f"{len(params) + 3} are needed."
                )
                continue
            coef, pval = prcc(x_all[ok], y[ok])
            frames.append(
                pd.DataFrame(
                    {
                        "outcome": o,
                        "parameter": list(params),
                        "method": "prcc",
                        "index": "PRCC",
                        "value": coef,
                        "conf": pval,
                        "n": int(ok.sum()),
                    }
                )
            )
    cols = ["outcome", "parameter", "method", "index", "value", "conf", "n"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["value"].abs() < NOISE, "value"] = 0.0
    return out
