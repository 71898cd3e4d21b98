"""What a sweep says: outcomes against parameters, a two-parameter heatmap, sensitivity indices.

Numbers first (DataFrames from the sweep's runs table), then pure figure functions
(DataFrames in, `go.Figure` out), then one self-contained HTML page through
`sim.report.html.assemble` and terminal tables with the same numbers.

- Outcome vs parameter: runs grouped by the parameter's value (a grid's levels, or quantile bins
  of a continuous parameter); per bin the number of runs, the mean and the 5th-95th percentile
  band of the outcome over runs (a band of runs, not a confidence interval of the mean).
- Heatmap: the mean of one outcome over bins of two parameters; for a 0/1 outcome such as
  `ceasefire_survived_30d` the mean is the share of runs.
- Sensitivity: for a Sobol' (Saltelli) design with SALib installed, first-order and total Sobol'
  indices (`SALib.analyze.sobol`, outcomes averaged over replicates per design point);
  otherwise partial rank correlation coefficients (PRCC) over runs, which rank parameters by
  monotone influence with the others held fixed. Morris screening needs its own trajectory
  design and is not offered.

`ceasefire_survived_30d` is derived here: 1 when the ceasefire has not collapsed 720 hours after
it began, 0 when it collapsed within that time, and missing when the scenario window ends before
the 30 days are up and the ceasefire still held.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem, did_you_mean
from sim.sweep import read_design, read_manifest, read_runs

SURVIVAL_HOURS = 720.0
SURVIVED = "ceasefire_survived_30d"
ID_COLUMNS = ("run_id", "point", "replicate", "seed")
DEFAULT_FOCUS = (SURVIVED, "ceasefire_violations", "front_km_end")
LABELS = {
    SURVIVED: "ceasefire survives 30 days (share of runs)",
    "ceasefire_held": "ceasefire holds to the end (share of runs)",
    "ceasefire_violations": "ceasefire violations",
    "ceasefire_collapsed_at": "ceasefire collapse (hours from start, runs where it collapsed)",
    "front_km_end": "front position at the end (km along the axis)",
}
EXACT_LEVELS = 12  # a parameter with at most this many values is grouped by value, not binned


def label(outcome: str) -> str:
    return LABELS.get(outcome, outcome)


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
    survived[since <= SURVIVAL_HOURS] = 0.0
    if hours - float(start) >= SURVIVAL_HOURS:
        survived[since.isna() | (since > SURVIVAL_HOURS)] = 1.0
    else:
        survived[since > SURVIVAL_HOURS] = 1.0
    runs.insert(len(runs.columns), SURVIVED, survived)
    return runs


def outcome_columns(runs: pd.DataFrame, params: Sequence[str]) -> tuple[list[str], list[str]]:
    """Numeric (and true/false) outcomes that vary, and those that are constant or empty."""
    skip = set(ID_COLUMNS) | set(params)
    varying, constant = [], []
    for col in runs.columns:
        if col in skip:
            continue
        s = runs[col]
        if pd.api.types.is_bool_dtype(s) or s.dropna().map(type).isin([bool, np.bool_]).all():
            s = s.astype("float64") if s.notna().all() else s.map(_as_float)
        if not pd.api.types.is_numeric_dtype(s):
            continue
        x = pd.to_numeric(s, errors="coerce").dropna()
        (varying if x.nunique() > 1 else constant).append(col)
    varying.sort(key=lambda c: (c != SURVIVED, not c.startswith("ceasefire")))
    return varying, constant


def _as_float(v: Any) -> float:
    return np.nan if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def numeric(runs: pd.DataFrame, col: str) -> pd.Series:
    s = runs[col]
    if s.dtype == object:
        s = s.map(_as_float)
    return pd.to_numeric(s, errors="coerce").astype("float64")


@dataclass
class Bins:
    codes: np.ndarray  # bin of each run (-1 none)
    labels: list[str]
    centers: list[float]
    lows: list[float]
    highs: list[float]


def bin_values(values: pd.Series, bins: int) -> Bins:
    """Group by exact value when there are few levels, otherwise into quantile bins."""
    v = values.to_numpy(dtype=float)
    levels = np.unique(v[~np.isnan(v)])
    if len(levels) <= max(bins, EXACT_LEVELS):
        codes = np.searchsorted(levels, v)
        codes[np.isnan(v)] = -1
        names = [f"{x:g}" for x in levels]
        return Bins(codes, names, list(levels), list(levels), list(levels))
    edges = np.unique(np.quantile(v[~np.isnan(v)], np.linspace(0, 1, bins + 1)))
    codes = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    codes[np.isnan(v)] = -1
    centers = [
        float(np.mean(v[codes == i])) if (codes == i).any() else np.nan
        for i in range(len(edges) - 1)
    ]
    names = [f"{edges[i]:.3g}-{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
    return Bins(codes, names, centers, list(edges[:-1]), list(edges[1:]))


def by_parameter(
    runs: pd.DataFrame, params: Sequence[str], outcomes: Sequence[str], bins: int
) -> pd.DataFrame:
    """Per parameter bin and outcome: runs, mean, 5th and 95th percentiles."""
    rows = []
    for p in params:
        b = bin_values(runs[p], bins)
        for o in outcomes:
            y = numeric(runs, o).to_numpy()
            for i, name in enumerate(b.labels):
                sel = y[(b.codes == i) & ~np.isnan(y)]
                rows.append(
                    {
                        "parameter": p,
                        "bin": name,
                        "x": b.centers[i],
                        "low": b.lows[i],
                        "high": b.highs[i],
                        "outcome": o,
                        "n": len(sel),
                        "mean": float(sel.mean()) if len(sel) else np.nan,
                        "p05": float(np.quantile(sel, 0.05)) if len(sel) else np.nan,
                        "p95": float(np.quantile(sel, 0.95)) if len(sel) else np.nan,
                    }
                )
    return pd.DataFrame(rows)


@dataclass
class Heatmap:
    x: str
    y: str
    outcome: str
    x_labels: list[str]
    y_labels: list[str]
    mean: np.ndarray  # [y, x]
    n: np.ndarray


def heatmap_data(runs: pd.DataFrame, x: str, y: str, outcome: str, bins: int) -> Heatmap:
    bx, by = bin_values(runs[x], bins), bin_values(runs[y], bins)
    vals = numeric(runs, outcome).to_numpy()
    mean = np.full((len(by.labels), len(bx.labels)), np.nan)
    n = np.zeros_like(mean, dtype=int)
    ok = (bx.codes >= 0) & (by.codes >= 0) & ~np.isnan(vals)
    for j in range(len(by.labels)):
        for i in range(len(bx.labels)):
            sel = vals[ok & (bx.codes == i) & (by.codes == j)]
            n[j, i] = len(sel)
            if len(sel):
                mean[j, i] = sel.mean()
    return Heatmap(x, y, outcome, bx.labels, by.labels, mean, n)


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
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


@dataclass
class Analysis:
    folder: Path
    meta: dict[str, Any]
    runs: pd.DataFrame
    params: list[str]
    outcomes: list[str]
    focus: list[str]
    by_param: pd.DataFrame
    heatmap: Heatmap | None
    sensitivity: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    html_path: Path | None = None


def _pick(name: str, choices: Sequence[str], what: str, flag: str) -> str:
    if name in choices:
        return name
    raise InputError(
        Problem(flag, 1, 1, name, f"not a {what} of this sweep{did_you_mean(name, choices)}; "
                f"{what}s: {', '.join(choices)}")
    )  # fmt: skip


def analyze_runs(
    folder: str | Path,
    outcomes: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    bins: int = 6,
) -> Analysis:
    """Compute every number of the sweep report (no files written)."""
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
    varying, constant = outcome_columns(runs, params)
    if constant:
        notes.append("Constant over the sweep (not shown): " + ", ".join(constant) + ".")
    if outcomes:
        focus = [_pick(o, varying + constant, "outcome", "--outcome") for o in outcomes]
    else:
        focus = [o for o in DEFAULT_FOCUS if o in varying] or varying[:3]
    x = _pick(x, params, "parameter", "--x") if x else params[0]
    y = _pick(y, params, "parameter", "--y") if y else next((p for p in params if p != x), None)
    if y == x:
        raise InputError(Problem("--y", 1, 1, y, "the heatmap needs two different parameters"))
    shown = list(dict.fromkeys([*focus, *varying]))
    table = by_parameter(runs, params, shown, bins)
    heat = None
    if y is not None and focus:
        heat = heatmap_data(runs, x, y, focus[0], bins)
    elif y is None:
        notes.append("One swept parameter: no heatmap.")
    sens = sensitivity(runs, meta, params, shown, notes)
    return Analysis(folder, meta, runs, params, shown, focus, table, heat, sens, notes)


# --- figures --------------------------------------------------------------------------------


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def outcome_figure(table: pd.DataFrame, outcome: str, params: Sequence[str]):
    """The outcome against each parameter: mean line and 90% band of runs, one panel each."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(
        rows=rows, cols=cols, shared_yaxes=True, subplot_titles=[esc(p) for p in params],
        horizontal_spacing=0.05, vertical_spacing=0.18 if rows > 1 else 0.1,
    )  # fmt: skip
    for k, p in enumerate(params):
        d = table[(table.parameter == p) & (table.outcome == outcome)].dropna(subset=["mean"])
        r, c = divmod(k, cols)
        hover = [
            f"{esc(p)} {esc(b)}<br>mean {m:.3g}<br>90% of runs {lo:.3g} to {hi:.3g}<br>{n} runs"
            for b, m, lo, hi, n in zip(d["bin"], d["mean"], d["p05"], d["p95"], d["n"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(x=d["x"], y=d["p95"], mode="lines", line=dict(width=0),
                       showlegend=False, hoverinfo="skip"),
            row=r + 1, col=c + 1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=d["x"], y=d["p05"], mode="lines", line=dict(width=0), fill="tonexty",
                       fillcolor="rgba(31,119,180,0.2)", name="90% of runs",
                       showlegend=False, hoverinfo="skip"),
            row=r + 1, col=c + 1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=d["x"], y=d["mean"], mode="lines+markers", name="mean",
                       line=dict(color="#1f77b4"), showlegend=False, text=hover,
                       hovertemplate="%{text}<extra></extra>"),
            row=r + 1, col=c + 1,
        )  # fmt: skip
    fig.update_layout(
        title=esc(label(outcome)), height=300 * rows + 80, margin=dict(l=60, r=20, t=80, b=40),
        template="plotly_white",
    )  # fmt: skip
    return fig


def heatmap_figure(h: Heatmap):
    import plotly.graph_objects as go

    share = h.outcome == SURVIVED or set(np.unique(h.mean[~np.isnan(h.mean)])) <= {0.0, 1.0}
    text = [
        [
            "" if n == 0 else (f"{m:.0%}" if share else f"{m:.3g}") + f"<br>({n})"
            for m, n in zip(mr, nr, strict=True)
        ]
        for mr, nr in zip(h.mean, h.n, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            x=[esc(v) for v in h.x_labels], y=[esc(v) for v in h.y_labels], z=h.mean,
            text=text, texttemplate="%{text}", colorscale="RdYlGn" if share else "Viridis",
            zmin=0 if share else None, zmax=1 if share else None,
            hovertemplate=f"{esc(h.x)} %{{x}}<br>{esc(h.y)} %{{y}}<br>%{{text}}<extra></extra>",
            colorbar=dict(title="share" if share else "mean", tickformat=".0%" if share else None),
        )
    )  # fmt: skip
    fig.update_layout(
        title=esc(label(h.outcome)) + " (runs in brackets)", xaxis_title=esc(h.x),
        yaxis_title=esc(h.y), height=480, template="plotly_white",
        xaxis=dict(type="category"), yaxis=dict(type="category"),
    )  # fmt: skip
    return fig


def sensitivity_figure(sens: pd.DataFrame, outcomes: Sequence[str]):
    """Bars per parameter: S1 and ST (with confidence) for Sobol', PRCC otherwise."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for o in outcomes:
        d = sens[sens.outcome == o]
        for idx in d["index"].unique():
            e = d[d["index"] == idx]
            sobol = idx in ("S1", "ST")
            fig.add_trace(
                go.Bar(
                    x=[esc(p) for p in e["parameter"]], y=e["value"],
                    name=esc(f"{o}: {idx}" if len(outcomes) > 1 else idx),
                    error_y=dict(type="data", array=e["conf"]) if sobol else None,
                    customdata=e["conf"],
                    hovertemplate=f"{esc(o)}<br>%{{x}}: {idx} %{{y:.3f}}"
                    + (" ± %{customdata:.3f}" if sobol else "<br>p = %{customdata:.2g}")
                    + "<extra></extra>",
                )
            )  # fmt: skip
    method = (
        "Sobol' indices (first order S1, total ST)"
        if (sens["method"] == "sobol").any()
        else "partial rank correlation (PRCC)"
    )
    fig.update_layout(
        title=f"Sensitivity: {method}", barmode="group", height=440, template="plotly_white",
        yaxis_title="index", legend=dict(orientation="h", y=-0.2),
    )  # fmt: skip
    return fig


def sensitivity_matrix_figure(sens: pd.DataFrame):
    """All outcomes x parameters: ST (Sobol') or PRCC, as a heatmap."""
    import plotly.graph_objects as go

    idx = "ST" if (sens["index"] == "ST").any() else "PRCC"
    d = sens[sens["index"] == idx]
    m = d.pivot(index="outcome", columns="parameter", values="value")
    m = m.loc[list(dict.fromkeys(d.outcome))[::-1], list(dict.fromkeys(d.parameter))]
    fig = go.Figure(
        go.Heatmap(
            z=m.to_numpy(), x=[esc(c) for c in m.columns], y=[esc(r) for r in m.index],
            colorscale="RdBu" if idx == "PRCC" else "Blues", zmid=0 if idx == "PRCC" else None,
            texttemplate="%{z:.2f}", hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title=f"{idx} of every outcome", height=max(360, 26 * len(m) + 140),
        template="plotly_white", margin=dict(l=220),
    )  # fmt: skip
    return fig


# --- HTML and terminal ----------------------------------------------------------------------


def _describe(a: Analysis) -> list[str]:
    m, s = a.meta, a.meta["sweep"]
    items = [
        f"Scenario: {m['scenario'].get('title', '')} ({m['scenario']['file']})",
        f"Design: {s['design']}, {s['points']} points x {s['replicates']} replicates = "
        f"{s['runs']} runs ({len(a.runs)} complete, status {m['status']}); base seed {m['seed']}",
        "Parameters: " + "; ".join(f"{p['key']} = {p['spec']}" for p in s["parameters"]),
    ]
    return items + list(a.notes)


def _table(df: pd.DataFrame, columns: Sequence[str], caption: str, share: bool = False):
    from sim.report.html import Table

    rows = [
        [
            _fmt(v, share) if isinstance(v, float) and c in ("mean", "p05", "p95") else
            (f"{v:.3f}" if isinstance(v, float) else v)
            for c, v in zip(columns, r, strict=True)
        ]
        for r in df[list(columns)].itertuples(index=False)
    ]  # fmt: skip
    align = [
        "left" if df[c].dtype == object or c in ("bin", "outcome") else "right" for c in columns
    ]
    return Table(columns=list(columns), rows=rows, caption=caption, align=align, collapsed=True)


def write_html(a: Analysis, path: Path) -> Path:
    """The sweep report through `sim.report.html` (plotly.js once, all text escaped there)."""
    from sim.report.html import Section, Table, assemble
    from sim.report.html import write_html as write_page

    title = f"Sweep: {a.meta['scenario'].get('title') or a.folder.name}"
    sections = [Section(heading="About this sweep", bullets=_describe(a))]
    if a.heatmap is not None:
        h = a.heatmap
        share = h.outcome == SURVIVED
        grid = Table(
            columns=[f"{h.y} \\ {h.x}", *h.x_labels],
            rows=[
                [yl, *(_fmt(h.mean[j, i], share) for i in range(len(h.x_labels)))]
                for j, yl in enumerate(h.y_labels)
            ],
            caption="The heatmap's numbers",
            collapsed=True,
        )
        sections.append(
            Section(
                heading=f"{label(h.outcome)} over {h.x} and {h.y}",
                intro="Mean over the runs in each cell (their number in brackets); for a 0/1 "
                "outcome this is the share of runs.",
                figures=[heatmap_figure(h)],
                tables=[grid],
            )
        )
    if not a.sensitivity.empty:
        sections.append(
            Section(
                heading="Sensitivity",
                intro=_sens_note(a.sensitivity),
                figures=[
                    sensitivity_figure(a.sensitivity, a.focus),
                    sensitivity_matrix_figure(a.sensitivity),
                ],
                tables=[
                    _table(
                        a.sensitivity, ["outcome", "parameter", "index", "value", "conf", "n"],
                        "Every index (conf: 95% interval half-width for Sobol', p-value for PRCC)",
                    )
                ],
            )
        )  # fmt: skip
    sections.append(
        Section(
            heading="Outcomes against each parameter",
            intro="Line: the mean over runs; shaded band: 90% of runs (5th to 95th percentile), "
            "per parameter value or bin. Hover for the numbers.",
            figures=[outcome_figure(a.by_param, o, a.params) for o in a.outcomes],
            tables=[
                _table(
                    a.by_param, ["outcome", "parameter", "bin", "n", "mean", "p05", "p95"],
                    "Every outcome, parameter and bin",
                )
            ],
        )
    )  # fmt: skip
    return write_page(assemble(title, sections, subtitle=str(a.folder)), path)


def _sens_note(sens: pd.DataFrame) -> str:
    if (sens["method"] == "sobol").any():
        return (
            "Sobol' indices from SALib on the Saltelli design (outcomes averaged over replicates "
            "per point): S1 is the share of output variance due to the parameter alone, ST "
            "includes its interactions; bars show 95% bootstrap confidence."
        )
    return (
        "Partial rank correlation coefficients over runs (-1 to 1): the monotone influence of "
        "each parameter with the others held fixed; hover for p-values."
    )


def analyze_sweep(
    folder: str | Path,
    outcomes: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    bins: int = 6,
    out: str | Path | None = None,
) -> Analysis:
    """Compute the sweep report and write it (default SWEEP_DIR/analysis.html)."""
    a = analyze_runs(folder, outcomes, x, y, bins)
    a.html_path = write_html(a, Path(out) if out else Path(folder) / "analysis.html")
    return a


def _fmt(x: float, share: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if share:
        return f"{x:.0%}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def print_analysis(a: Analysis, console: Any = None) -> None:
    """The report's numbers as terminal tables (rich)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console(width=120)
    s = a.meta["sweep"]
    console.print(
        f"[bold]{a.folder}[/]: {s['design']} design, {s['points']} points x {s['replicates']} "
        f"replicates, {len(a.runs)} of {s['runs']} runs, status {a.meta['status']}",
        markup=True,
        highlight=False,
    )
    for note in a.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    for o in a.focus:
        share = o == SURVIVED
        console.print(Text(f"{label(o)}: mean and 90% of runs", style="bold"))
        t = Table()
        for col in ("parameter", "value", "runs", "mean", "5%", "95%"):
            t.add_column(col, justify="left" if col in ("parameter", "value") else "right")
        d = a.by_param[a.by_param.outcome == o]
        for p in a.params:
            for r in d[d.parameter == p].itertuples():
                t.add_row(
                    p, r.bin, str(r.n), _fmt(r.mean, share), _fmt(r.p05, share), _fmt(r.p95, share)
                )
        console.print(t)
    if a.heatmap is not None:
        h = a.heatmap
        share = h.outcome == SURVIVED
        console.print(Text(f"{label(h.outcome)}: {h.y} (rows) x {h.x} (columns)", style="bold"))
        t = Table()
        t.add_column(f"{h.y} \\ {h.x}", justify="left")
        for xl in h.x_labels:
            t.add_column(xl, justify="right")
        for j, yl in enumerate(h.y_labels):
            t.add_row(yl, *(_fmt(h.mean[j, i], share) for i in range(len(h.x_labels))))
        console.print(t)
    if not a.sensitivity.empty:
        sens = a.sensitivity[a.sensitivity.outcome.isin(a.focus)]
        console.print(Text(f"Sensitivity ({_method(sens)})", style="bold"))
        t = Table()
        t.add_column("parameter", justify="left")
        cols = list(dict.fromkeys(zip(sens.outcome, sens["index"], strict=True)))
        for o, idx in cols:
            t.add_column(f"{o} {idx}", justify="right")
        for p in a.params:
            cells = []
            for o, idx in cols:
                r = sens[(sens.outcome == o) & (sens["index"] == idx) & (sens.parameter == p)]
                if r.empty or pd.isna(r.value.iloc[0]):
                    cells.append("-")
                elif idx in ("S1", "ST"):
                    cells.append(f"{r.value.iloc[0]:.2f} ± {r.conf.iloc[0]:.2f}")
                else:
                    cells.append(f"{r.value.iloc[0]:+.2f}")
            t.add_row(p, *cells)
        console.print(t)


def _method(sens: pd.DataFrame) -> str:
    return "Sobol' S1/ST ± 95% conf." if (sens["method"] == "sobol").any() else "PRCC"
