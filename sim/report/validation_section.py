"""The report's validation section: what validation found, overall and fact by fact.

From validation.parquet (and the manifest's `validation` summary, for the baseline's origin):
findings in words, a chart of each fact's score for the model and the no-change baseline, the
overall scores with the skill, and the table of facts with their windows, in-/out-of-sample
marks and source links. Works on older validation.parquet files without the baseline columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.report.html import Section, esc
from sim.report.tables import fact_window, validation_summary_table, validation_table

MODEL_COLOR = "#2b5fa8"
BASELINE_COLOR = "#d95f02"
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)
MOST_RUNS = 0.5


def has_baseline(df: pd.DataFrame) -> bool:
    return "baseline_score" in df.columns and bool(df["baseline_score"].notna().any())


def _sample(df: pd.DataFrame) -> pd.Series:
    if "sample" in df.columns:
        return df["sample"].fillna("").astype(str)
    if "after_ceasefire" in df.columns:
        return df["after_ceasefire"].map(lambda v: "out-of-sample" if v else "in-sample")
    return pd.Series("", index=df.index)


def summarise(df: pd.DataFrame) -> dict[str, Any]:
    """Overall scores: `sim.baseline.compare` when the baseline was scored, else the model's
    `sim.validation.overall` (a weight of 1 assumed where the file has none)."""
    from sim.baseline import compare
    from sim.validation import overall

    df = df if "weight" in df.columns else df.assign(weight=1.0)
    if has_baseline(df):
        return compare(df)
    return {"model": overall(df)}


def _fmt(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _ids(df: pd.DataFrame, limit: int = 8) -> str:
    ids = df["id"].astype(str).tolist()
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def findings(df: pd.DataFrame, note: str = "") -> list[str]:
    """What the validation found, as sentences: matches and misses, the comparison with the
    baseline overall and by sample, and where the baseline does better."""
    n = len(df)
    share = pd.to_numeric(df["share_matching"], errors="coerce")
    matched = df[share >= MOST_RUNS]
    missed = df[share < MOST_RUNS]
    out = [f"{len(matched)} of {n} facts are matched in most runs."]
    if len(missed):
        out.append(f"Missed in most runs: {_ids(missed)}.")
    if not has_baseline(df):
        return out
    samples = _sample(df)
    for name in ("in-sample", "out-of-sample"):
        part = df[samples == name]
        if part.empty:
            continue
        c = summarise(part)
        k = c["skill"]["score"]
        verdict = (
            "undefined"
            if isinstance(k, float) and math.isnan(k)
            else ("beats" if k > 0 else "does not beat") + " 'nothing changes'"
        )
        out.append(
            f"{name.capitalize()} ({c['facts_compared']} facts): overall score "
            f"{_fmt(c['model']['score'])} against the baseline's {_fmt(c['baseline']['score'])}, "
            f"skill {_fmt(k)}: the model {verdict}."
        )
    worse = df[pd.to_numeric(df["baseline_score"], errors="coerce") < df["score"] - 1e-9]
    if len(worse):
        out.append(f"The baseline scores better on {len(worse)} facts: {_ids(worse)}.")
    if note:
        out.append(note[0].upper() + note[1:] + ".")
    return out


def score_chart(df: pd.DataFrame) -> Any:
    """Each fact's score (lower is better) for the model and, when scored, the baseline: one
    row per fact in the file's order, out-of-sample facts marked with an asterisk."""
    import plotly.graph_objects as go

    samples = _sample(df).tolist()
    labels = [
        f"{i} *" if s == "out-of-sample" else str(i) for i, s in zip(df["id"], samples, strict=True)
    ]
    hover = [  # plotly reads hover text as HTML: user text is escaped
        f"{esc(label)}<br>{fact_window(r)} ({s or 'sample unknown'})<br>{esc(r.get('observed'))}"
        for label, s, r in zip(labels, samples, df.to_dict("records"), strict=True)
    ]
    model = pd.to_numeric(df["score"], errors="coerce")
    fig = go.Figure()
    if has_baseline(df):
        base = pd.to_numeric(df["baseline_score"], errors="coerce")
        xs: list[Any] = []
        ys: list[Any] = []
        for label, m, b in zip(labels, model, base, strict=True):
            if not (math.isnan(m) or math.isnan(b)):
                xs += [m, b, None]
                ys += [label, label, None]
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbbbbb", width=2),
                       hoverinfo="skip", showlegend=False)
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=base, y=labels, mode="markers", name="no-change baseline",
                marker=dict(symbol="diamond", size=10, color=BASELINE_COLOR),
                customdata=hover, hovertemplate="%{customdata}<br>baseline %{x:.3f}<extra></extra>",
            )
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=model, y=labels, mode="markers", name="model",
            marker=dict(symbol="circle", size=10, color=MODEL_COLOR),
            customdata=hover, hovertemplate="%{customdata}<br>model %{x:.3f}<extra></extra>",
        )
    )  # fmt: skip
    top = pd.concat([model, pd.to_numeric(df.get("baseline_score", model), errors="coerce")])
    high = max(1.0, float(top.max()) if top.notna().any() else 1.0)
    fig.update_xaxes(
        range=[-0.02 * high, high * 1.05],
        title_text="score: Brier for yes/no facts, CRPS / scale for numbers (lower is better)",
        zeroline=True,
    )
    fig.update_yaxes(
        autorange="reversed", type="category", categoryorder="array", categoryarray=labels,
        tickfont=dict(size=11), title_text="fact (* out of sample)",
    )  # fmt: skip
    fig.update_layout(
        title=dict(text="Score of each fact: model vs the no-change baseline", x=0.01),
        height=160 + 26 * len(labels),
        margin=dict(l=230, r=30, t=70, b=60),
        font=FONT,
        template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hovermode="closest",
    )
    return fig


def validation_section(df: pd.DataFrame, manifest: Mapping[str, Any] | None = None) -> Section:
    """The report section for a validation.parquet frame (and its results folder's manifest)."""
    meta = (manifest or {}).get("validation") or {}
    note = str(meta.get("baseline_note") or "")
    source = meta.get("observations_file")
    intro = "How often the runs match what is known to have happened" + (
        f" ({source})." if source else "."
    )
    if has_baseline(df):
        intro += (
            " Each fact is also scored for a no-change baseline made from each run's own state "
            "at the start of the observations: control stays as it was and events go on at the "
            "rate of the 14 days before (Poisson). Skill is 1 - model / baseline: above 0 the "
            "model beats 'nothing changes'."
        )
    return Section(
        heading="Validation against the record",
        id="validation",
        intro=intro,
        bullets=findings(df, note),
        figures=[score_chart(df)],
        tables=[validation_summary_table(summarise(df)), validation_table(df)],
    )
