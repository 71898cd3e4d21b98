"""The sweep report: figures (DataFrames in, `go.Figure` out) and `analysis.html` through
`sim.report.html.assemble` (`sim.sweep_terminal` prints the same numbers).

Every outcome is named by `sim.report.labels` (one label and unit per outcome); shares are drawn
on 0-100% axes, times (`*_at`) as local dates; an outcome with nothing to draw gets a sentence
saying why instead of an empty figure.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report.labels import as_date, describe, format_value, is_time, label
from sim.sweep_analysis import Analysis, Heatmap

BAND = "rgba(31,119,180,0.2)"


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# What the band of `by_parameter` is ("band" column): a band of runs, or an interval of a share.
BAND_NAMES = {"runs": "90% of runs", "share": "90% interval of the share"}


def _dates(start: pd.Timestamp | str, hours: Any) -> list[Any]:
    return [None if pd.isna(h) else as_date(start, h) for h in hours]


def outcome_figure(a: Analysis, outcome: str):
    """The outcome against each parameter: mean line and 90% band of runs, one panel each;
    None when no bin has a value."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    table, params = a.by_param, a.params
    d_all = table[table.outcome == outcome]
    if d_all["mean"].notna().sum() == 0:
        return None
    share, when = a.share(outcome), is_time(outcome)
    band = BAND_NAMES["share" if share else "runs"]
    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(
        rows=rows, cols=cols, shared_yaxes=True, subplot_titles=[esc(p) for p in params],
        horizontal_spacing=0.05, vertical_spacing=0.18 if rows > 1 else 0.1,
    )  # fmt: skip
    for k, p in enumerate(params):
        d = d_all[d_all.parameter == p].dropna(subset=["mean"])
        r, c = divmod(k, cols)
        ys = {
            q: (_dates(a.start, d[q]) if when else d[q].to_numpy()) for q in ("mean", "p05", "p95")
        }
        hover = [
            f"{esc(p)} {esc(b)}<br>mean {format_value(outcome, m, a.start)}<br>{band} "
            f"{format_value(outcome, lo, a.start)} to {format_value(outcome, hi, a.start)}"
            f"<br>{n} of {t} runs have a value"
            for b, m, lo, hi, n, t in zip(
                d["bin"], d["mean"], d["p05"], d["p95"], d["n"], d["runs"], strict=True
            )
        ]
        where = dict(row=r + 1, col=c + 1)
        fig.add_trace(
            go.Scatter(x=d["x"], y=ys["p95"], mode="lines", line=dict(width=0),
                       showlegend=False, hoverinfo="skip"), **where,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=d["x"], y=ys["p05"], mode="lines", line=dict(width=0), fill="tonexty",
                       fillcolor=BAND, name=band, showlegend=False, hoverinfo="skip"),
            **where,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=d["x"], y=ys["mean"], mode="lines+markers", name="mean",
                       line=dict(color="#1f77b4"), showlegend=False, text=hover,
                       hovertemplate="%{text}<extra></extra>"), **where,
        )  # fmt: skip
        fig.update_xaxes(title_text=esc(_param_axis(a, p)), **where)
    axis = describe(outcome).axis_title
    if share:
        fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    fig.update_yaxes(title_text=esc(axis), row=1, col=1)
    title = esc(label(outcome)) + (f" ({esc(a.presence(outcome))})" if a.presence(outcome) else "")
    fig.update_layout(
        title=title, height=300 * rows + 100, margin=dict(l=70, r=20, t=80, b=60),
        template="plotly_white",
    )  # fmt: skip
    return fig


def _param_axis(a: Analysis, p: str) -> str:
    binned = a.meta["sweep"]["design"] in ("lhs", "sobol")
    return f"{p} (bin centres)" if binned else p


def heatmap_figure(h: Heatmap, a: Analysis):
    """Mean of the outcome per cell (share of runs for a 0/1 outcome, a date for a time);
    None when no cell has a value."""
    import plotly.graph_objects as go

    if not (h.n > 0).any():
        return None
    share, when = a.share(h.outcome), is_time(h.outcome)
    text = [
        [
            "" if t == 0 else (f"{format_value(h.outcome, m, a.start)}<br>({n}/{t})" if n else f"no value<br>(0/{t})")
            for m, n, t in zip(mr, nr, tr, strict=True)
        ]
        for mr, nr, tr in zip(h.mean, h.n, h.runs, strict=True)
    ]  # fmt: skip
    z = h.mean / 24.0 if when else h.mean
    colorbar: dict[str, Any] = dict(title="share of runs" if share else "mean")
    if share:
        colorbar["tickformat"] = ".0%"
    if when:
        days = np.unique(np.floor(z[~np.isnan(z)]))
        colorbar = dict(
            title="date", tickvals=list(days),
            ticktext=[as_date(a.start, 24 * d).strftime("%d %b") for d in days],
        )  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            x=[esc(v) for v in h.x_labels], y=[esc(v) for v in h.y_labels], z=z,
            text=text, texttemplate="%{text}", colorscale="RdYlGn" if share else "Viridis",
            zmin=0 if share else None, zmax=1 if share else None,
            hovertemplate=f"{esc(h.x)} %{{x}}<br>{esc(h.y)} %{{y}}<br>%{{text}}<extra></extra>",
            colorbar=colorbar,
        )
    )  # fmt: skip
    sub = "runs with a value / runs in brackets" + (f"; {h.binned}" if h.binned else "")
    fig.update_layout(
        title=dict(text=f"{esc(label(h.outcome))}<br><sup>{esc(sub)}</sup>"),
        xaxis_title=esc(h.x + (" (bins)" if h.binned else "")),
        yaxis_title=esc(h.y + (" (bins)" if h.binned else "")), height=500,
        template="plotly_white", xaxis=dict(type="category"), yaxis=dict(type="category"),
    )  # fmt: skip
    return fig


def sensitivity_figure(sens: pd.DataFrame, outcomes: Sequence[str]):
    """Bars per parameter: S1 and ST (with confidence) for Sobol', PRCC (-1 to 1) otherwise."""
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
                    name=esc(f"{label(o)}: {idx}" if len(outcomes) > 1 else idx),
                    error_y=dict(type="data", array=e["conf"]) if sobol else None,
                    customdata=e["conf"],
                    hovertemplate=f"{esc(label(o))}<br>%{{x}}: {idx} %{{y:.3f}}"
                    + (" ± %{customdata:.3f}" if sobol else "<br>p = %{customdata:.2g}")
                    + "<extra></extra>",
                )
            )  # fmt: skip
    sobol = (sens["method"] == "sobol").any()
    method = (
        "Sobol' indices (first order S1, total ST)" if sobol else "partial rank correlation (PRCC)"
    )
    fig.update_layout(
        title=f"Sensitivity: {method}", barmode="group", height=440, template="plotly_white",
        yaxis=dict(title="Sobol' index" if sobol else "PRCC",
                   range=_index_range(sens, outcomes, sobol)),
        xaxis_title="parameter", legend=dict(orientation="h", y=-0.25),
    )  # fmt: skip
    return fig


def _index_range(sens: pd.DataFrame, outcomes: Sequence[str], sobol: bool) -> list[float]:
    """The y range: 0..1 for Sobol' indices, -1..1 for PRCC, widened to every bar and error
    bar drawn. Sobol' estimates from few samples fall outside 0..1 (S1 below 0, ST above 1):
    a fixed range cut those bars off where the table shows them whole."""
    d = sens[sens.outcome.isin(outcomes)]
    conf = d["conf"].fillna(0.0) if sobol and "conf" in d else 0.0
    low, high = (d["value"] - conf).min(), (d["value"] + conf).max()
    base_low = -0.05 if sobol else -1.05
    low = base_low if pd.isna(low) else min(base_low, float(low) - 0.05)
    high = 1.05 if pd.isna(high) else max(1.05, float(high) + 0.05)
    return [low, high]


def sensitivity_matrix_figure(sens: pd.DataFrame):
    """All outcomes x parameters: ST (Sobol') or PRCC, as a heatmap."""
    import plotly.graph_objects as go

    idx = "ST" if (sens["index"] == "ST").any() else "PRCC"
    d = sens[sens["index"] == idx]
    m = d.pivot(index="outcome", columns="parameter", values="value")
    m = m.loc[list(dict.fromkeys(d.outcome))[::-1], list(dict.fromkeys(d.parameter))]
    fig = go.Figure(
        go.Heatmap(
            z=m.to_numpy(), x=[esc(c) for c in m.columns], y=[esc(label(r)) for r in m.index],
            colorscale="RdBu" if idx == "PRCC" else "Blues", zmid=0 if idx == "PRCC" else None,
            zmin=-1 if idx == "PRCC" else 0, zmax=1,
            texttemplate="%{z:.2f}", hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title=f"{idx} of every outcome that varies", height=max(360, 26 * len(m) + 140),
        template="plotly_white", margin=dict(l=260), xaxis_title="parameter",
    )  # fmt: skip
    return fig


def scores_figure(scores: pd.DataFrame):
    """Extra-trees feature scores (0-1, summing to 1 per outcome), one bar group per outcome."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for o, d in scores.groupby("outcome", sort=False):
        fig.add_trace(
            go.Bar(x=[esc(p) for p in d["parameter"]], y=d["score"], name=esc(label(o)),
                   hovertemplate=f"{esc(label(o))}<br>%{{x}}: %{{y:.3f}}<extra></extra>")
        )  # fmt: skip
    fig.update_layout(
        title="Feature scores (extra trees)", barmode="group", height=420,
        template="plotly_white", yaxis=dict(title="score (sums to 1)", range=[0, 1]),
        xaxis_title="parameter", legend=dict(orientation="h", y=-0.25),
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


def why_empty(a: Analysis, outcome: str) -> str:
    """The sentence shown instead of an outcome's figures when there is nothing to draw."""
    if outcome in a.columns.empty:
        return f"{label(outcome)} ({outcome}): no run has a value (it never happened), so there is nothing to draw."
    if outcome in a.columns.constant:
        v = format_value(outcome, float(a.runs[outcome].astype("float64").iloc[0]), a.start)
        return f"{label(outcome)} ({outcome}) is {v} in every run: nothing varies, nothing to draw."
    return ""


def _by_param_table(a: Analysis):
    from sim.report.html import Table

    d = a.by_param
    rows = [
        [o, p, b, f"{n}/{t}", format_value(o, m, a.start), format_value(o, lo, a.start),
         format_value(o, hi, a.start)]
        for o, p, b, n, t, m, lo, hi in d[
            ["outcome", "parameter", "bin", "n", "runs", "mean", "p05", "p95"]
        ].itertuples(index=False)
    ]  # fmt: skip
    cols = ["outcome", "parameter", "bin", "runs with a value", "mean", "5% (share: low)",
            "95% (share: high)"]  # fmt: skip
    align = ["left", "left", "left", "right", "right", "right", "right"]
    return Table(cols, rows, "Every outcome, parameter and bin", align, collapsed=True)


def write_html(a: Analysis, path: Path) -> Path:
    """The sweep report through `sim.report.html` (plotly.js once, all text escaped there)."""
    from sim.report.html import Section, Table, assemble
    from sim.report.html import write_html as write_page

    title = f"Sweep: {a.meta['scenario'].get('title') or a.folder.name}"
    sections = [Section(heading="About this sweep", bullets=_describe(a))]
    if a.discovery is not None:
        from sim.discovery_report import discovery_section

        sections.append(discovery_section(a.discovery))
    empty = [why_empty(a, o) for o in a.focus if why_empty(a, o)]
    if empty:
        sections.append(Section(heading="Outcomes with nothing to draw", bullets=empty))
    h = a.heatmap
    fig = heatmap_figure(h, a) if h is not None else None
    if h is not None and fig is not None:
        grid = Table(
            columns=[f"{h.y} \\ {h.x}", *h.x_labels],
            rows=[
                [yl, *(format_value(h.outcome, h.mean[j, i], a.start) for i in range(len(h.x_labels)))]
                for j, yl in enumerate(h.y_labels)
            ],
            caption="The heatmap's numbers", collapsed=True,
        )  # fmt: skip
        sections.append(
            Section(
                heading=f"{label(h.outcome)} over {h.x} and {h.y}",
                intro="Mean over the runs in each cell that have a value (runs with a value / "
                "runs in the cell in brackets); for a 0/1 outcome this is the share of runs."
                + (f" The design is continuous: {h.binned}." if h.binned else ""),
                figures=[fig],
                tables=[grid],
            )
        )
    if not a.sensitivity.empty:
        focus = [o for o in a.focus if o in set(a.sensitivity.outcome)]
        figs = [sensitivity_figure(a.sensitivity, focus)] if focus else []
        figs.append(sensitivity_matrix_figure(a.sensitivity))
        tables = [_sens_table(a.sensitivity)]
        intro = _sens_note(a.sensitivity)
        if a.scores is not None:
            figs.append(scores_figure(a.scores))
            intro += (
                " Feature scores: impurity importance of an extra-trees forest (EMA Workbench), "
                "which also catches non-monotone effects and interactions."
            )
        sections.append(Section(heading="Sensitivity", intro=intro, figures=figs, tables=tables))
    figs = [f for f in (outcome_figure(a, o) for o in a.outcomes) if f is not None]
    sections.append(
        Section(
            heading="Outcomes against each parameter",
            intro="Line: the mean over runs; shaded band: 90% of runs (5th to 95th percentile), "
            "per parameter value or bin; for a yes/no outcome (a share of runs, whose runs are "
            "0 or 1) the band is the 90% Wilson interval of the share. Hover for the numbers.",
            figures=figs,
            tables=[_by_param_table(a)],
        )
    )
    return write_page(assemble(title, sections, subtitle=str(a.folder)), path)


def _sens_table(sens: pd.DataFrame):
    from sim.report.html import Table

    rows = [
        [o, p, i, f"{v:.3f}", f"{c:.3f}" if not pd.isna(c) else "-", n]
        for o, p, i, v, c, n in sens[
            ["outcome", "parameter", "index", "value", "conf", "n"]
        ].itertuples(index=False)
    ]
    return Table(
        ["outcome", "parameter", "index", "value", "conf", "n"], rows,
        "Every index (conf: 95% interval half-width for Sobol', p-value for PRCC; "
        "|index| below 1e-9 shown as 0)",
        ["left", "left", "left", "right", "right", "right"], collapsed=True,
    )  # fmt: skip


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
