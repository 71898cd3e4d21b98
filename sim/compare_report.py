"""compare.html: two results folders side by side, built with the report's HTML assembler
(`sim.report.html.assemble`: one plotly.js, escaped text, offline)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.compare import Comparison, fmt, metric_name

# series: (figure title, unit of its values: the y axes' title)
SERIES_TITLES = {
    "deaths": ("Deaths per week (fighters of every side and civilians)", "deaths in the week"),
    "incidents": (
        "Incidents per week (ceasefire violations and incidents)",
        "incidents in the week",
    ),
    "displaced": ("People displaced (at the end of each week)", "people displaced so far"),
}
COLOURS = {"a": "#1f77b4", "b": "#d62728", "diff": "#2ca02c"}


def _title(series: str) -> tuple[str, str]:
    """(figure title, unit) of a weekly series; fronts named as every chart names them
    (`sim.report.labels`: 'front, North Road' for `front_km_north_road`, not the sector id)."""
    from sim.report.labels import describe

    if series in SERIES_TITLES:
        return SERIES_TITLES[series]
    d = describe(series)
    name = d.label.replace("front", "Front position", 1)
    return f"{name}, at the end of each week", d.unit or "km"


def _week_labels(result: Comparison, weeks: pd.Series) -> list[str]:
    """Each week's first day: 7 x 24 elapsed hours a week after the start (compare's weeks are
    hour // 168), on the theater's wall clock (`labels.local_start`, as the report shows
    times): a start at 23:00 before clocks go forward begins its next week on the next day."""
    from sim.report.labels import as_date, local_start

    start = local_start(result.a.manifest)
    return [as_date(start, 7 * 24 * int(w)).strftime("%d %b") for w in weeks]


def _band(
    fig: Any, x: list[str], lo: Any, mid: Any, hi: Any, name: str, colour: str, row: int
) -> None:
    import plotly.graph_objects as go

    fig.add_trace(
        go.Scatter(x=x + x[::-1], y=list(hi) + list(lo)[::-1], mode="lines", fill="toself", fillcolor=colour,
                   opacity=0.18, line={"width": 0}, hoverinfo="skip", name=f"{name} 5-95%",
                   legendgroup=name, showlegend=False),
        row=row, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=x, y=list(mid), mode="lines+markers", line={"color": colour}, name=name, legendgroup=name),
        row=row, col=1,
    )  # fmt: skip


def series_figure(result: Comparison, series: str, table: pd.DataFrame) -> Any:
    """Two panels: both folders' medians with 5-95% bands, and B - A with its 95% interval."""
    from plotly.subplots import make_subplots

    x = _week_labels(result, table["week"])
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=("Median and 5-95% of runs", "B - A: difference of means, 95% interval"),
    )  # fmt: skip
    _band(
        fig,
        x,
        table["a_p05"],
        table["a_p50"],
        table["a_p95"],
        f"A: {result.a.label}",
        COLOURS["a"],
        1,
    )
    _band(
        fig,
        x,
        table["b_p05"],
        table["b_p50"],
        table["b_p95"],
        f"B: {result.b.label}",
        COLOURS["b"],
        1,
    )
    _band(fig, x, table["low"], table["diff"], table["high"], "B - A", COLOURS["diff"], 2)
    fig.add_hline(y=0, line={"color": "#888", "width": 1, "dash": "dot"}, row=2, col=1)
    title, unit = _title(series)
    fig.update_layout(title=title, height=560, margin={"l": 60, "r": 20, "t": 70, "b": 50})
    fig.update_xaxes(title_text="week starting", row=2, col=1)
    fig.update_yaxes(title_text=unit, row=1, col=1)
    fig.update_yaxes(title_text=f"B - A ({unit})", row=2, col=1)
    return fig


def _ci(low: float, high: float) -> str:
    return "-" if math.isnan(low) or math.isnan(high) else f"{fmt(low)} .. {fmt(high)}"


def compare_page(result: Comparison) -> str:
    from sim.report.html import Section, Table, assemble

    a, b = result.a, result.b
    m = result.metrics
    excludes = m[(m["low"] > 0) | (m["high"] < 0)]
    bullets = [
        f"A: {a.path} ({a.title}, {len(a.runs)} runs)",
        f"B: {b.path} ({b.title}, {len(b.runs)} runs)",
        f"Intervals: bootstrap 95% ({result.pairing}).",
        f"{len(excludes)} of {len(m)} rows have an interval that excludes zero.",
    ]
    only = [
        f"Only in {f.label}: {', '.join(sorted(cols))}."
        for f, cols in ((a, set(a.runs.columns) - set(b.runs.columns)),
                        (b, set(b.runs.columns) - set(a.runs.columns)))
        if cols
    ]  # fmt: skip
    bullets.extend(only)
    rows = [
        [
            metric_name(r),
            r.kind,
            fmt(r.a),
            fmt(r.b),
            fmt(r.diff),
            _ci(r.low, r.high),
            f"{r.n_a}/{r.n_b}",
        ]
        for r in m.itertuples()
    ]
    table = Table(
        columns=["metric", "kind", "A", "B", "B - A", "95% interval", "runs A/B"],
        rows=rows, align=["left", "left", "right", "right", "right", "right", "right"],
        caption="Means (kind mean) or shares of runs (kind share); times (*_at) are hours since the start.",
    )  # fmt: skip
    figures = [series_figure(result, name, t) for name, t in result.weekly.items() if len(t)]
    sections = [
        Section(
            heading="What is compared",
            intro="Every summary metric both folders share, as B - A, and weekly series with the "
            "spread of each folder's runs. An interval that excludes zero is a difference the "
            "runs support; one that straddles it is not.",
            bullets=bullets,
        ),
        Section(heading="Summary metrics", tables=[table]),
        Section(
            heading="Weekly series",
            intro="Weeks run from the scenario's start; the last may be shorter. Deaths and "
            "incidents are counted within each week; displacement and fronts are levels at its end.",
            figures=figures,
        ),
    ]
    return assemble(
        f"Compare: {b.label} - {a.label}",
        sections,
        subtitle=f"{b.title} against {a.title}",
        footer="conflict-sim compare",
    )
