"""How a PRIM box (`sim.discovery.Discovery`) is shown: the peeling trajectory (coverage against
density, the chosen box marked), the box's limits against the swept ranges, a table with
quasi-p-values, the same numbers on the terminal."""

from __future__ import annotations

import html
import math
from typing import Any

from sim.discovery import Discovery


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _qp(v: float) -> str:
    return "-" if v is None or math.isnan(v) else (f"{v:.2g}" if v >= 1e-4 else "<1e-4")


def summary(d: Discovery) -> str:
    b = d.box
    return (
        f"Runs where {d.condition.text}: {d.cases} of {d.runs} with a value. Chosen box "
        f"(#{int(b['box'])} of {len(d.trajectory)} on the peeling trajectory): coverage "
        f"{b['coverage']:.0%} (of those runs, the share inside the box), density "
        f"{b['density']:.0%} (of the runs inside the box, the share where it holds), mass "
        f"{b['mass']:.0%} ({int(b['runs'])} runs), {int(b['restricted'])} parameter"
        f"{'s' if int(b['restricted']) != 1 else ''} restricted."
    )


def trajectory_figure(d: Discovery):
    """Coverage (x) against density (y) of every box on the peeling trajectory; colour: number
    of restricted parameters; the chosen box is a red star."""
    import plotly.graph_objects as go

    t = d.trajectory
    hover = [
        f"box {int(r.box)}<br>coverage {r.coverage:.0%}<br>density {r.density:.0%}"
        f"<br>mass {r.mass:.0%} ({int(r.runs)} runs)<br>{int(r.restricted)} restricted"
        for r in t.itertuples()
    ]
    fig = go.Figure(
        go.Scatter(
            x=t["coverage"], y=t["density"], mode="lines+markers", name="peeling trajectory",
            line=dict(color="#9a9a9a", width=1),
            marker=dict(color=t["restricted"], colorscale="Viridis", size=8, showscale=True,
                        colorbar=dict(title="restricted<br>parameters", dtick=1)),
            text=hover, hovertemplate="%{text}<extra></extra>",
        )
    )  # fmt: skip
    b = d.box
    fig.add_trace(
        go.Scatter(
            x=[b["coverage"]], y=[b["density"]], mode="markers+text", name="chosen box",
            marker=dict(symbol="star", size=18, color="#d62728", line=dict(color="#222", width=1)),
            text=[f"chosen box #{int(b['box'])}"], textposition="top left",
            hovertemplate=f"chosen box {int(b['box'])}<br>coverage {b['coverage']:.0%}"
            f"<br>density {b['density']:.0%}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_hline(
        y=d.min_density, line=dict(color="#d62728", dash="dot", width=1),
        annotation_text=f"density {d.min_density:.0%}", annotation_position="bottom left",
    )  # fmt: skip
    fig.update_layout(
        title=f"PRIM peeling trajectory for {esc(d.condition.text)}", height=460,
        template="plotly_white", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        xaxis=dict(title="coverage (share of the cases inside the box)", range=[0, 1.05],
                   tickformat=".0%"),
        yaxis=dict(title="density (share of the box's runs that are cases)", range=[0, 1.05],
                   tickformat=".0%"),
    )  # fmt: skip
    return fig


def limits_figure(d: Discovery):
    """Each restricted parameter: the box's interval as a share of the swept range; None when
    the box restricts nothing."""
    import plotly.graph_objects as go

    lim = d.limits
    if lim.empty:
        return None
    span = (lim["range_high"] - lim["range_low"]).where(lambda s: s > 0, 1.0)
    lo = (lim["low"] - lim["range_low"]) / span
    hi = (lim["high"] - lim["range_low"]) / span
    names = [esc(p) for p in lim["parameter"]]
    hover = [
        f"{esc(r.parameter)}<br>box {r.low:.4g} to {r.high:.4g}<br>swept {r.range_low:.4g} to "
        f"{r.range_high:.4g}<br>quasi-p: low {_qp(r.qp_low)}, high {_qp(r.qp_high)}"
        for r in lim.itertuples()
    ]
    fig = go.Figure(
        [
            go.Bar(y=names, x=[1.0] * len(lim), orientation="h", marker_color="#e3e3e3",
                   name="swept range", hoverinfo="skip"),
            go.Bar(y=names, x=hi - lo, base=lo, orientation="h", marker_color="#d62728",
                   name="box", text=hover, hovertemplate="%{text}<extra></extra>", width=0.5),
        ]
    )  # fmt: skip
    fig.update_layout(
        title="The chosen box's limits within the swept range", barmode="overlay",
        height=160 + 50 * len(lim), template="plotly_white", margin=dict(l=240),
        xaxis=dict(title="position in the swept range (0 = low end, 1 = high end)",
                   range=[0, 1], tickformat=".0%"),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
    )  # fmt: skip
    return fig


def limits_rows(d: Discovery) -> list[list[str]]:
    return [
        [r.parameter, f"{r.low:.4g}", f"{r.high:.4g}", f"{r.range_low:.4g} to {r.range_high:.4g}",
         _qp(r.qp_low), _qp(r.qp_high)]
        for r in d.limits.itertuples()
    ]  # fmt: skip


LIMIT_COLUMNS = ["parameter", "box low", "box high", "swept range", "quasi-p low", "quasi-p high"]


def discovery_section(d: Discovery):
    from sim.report.html import Section, Table

    intro = (
        summary(d) + " PRIM (EMA Workbench) peels away slices of the parameter space to leave a "
        "box where the condition holds in most runs; the chosen box is the one with the "
        f"highest coverage among those with a density of at least {d.min_density:.0%}. A "
        "quasi-p-value tests whether a limit matters (a one-sided binomial test against the box "
        "without it); above 0.05 the limit may be chance."
    )
    if d.note:
        intro += " " + d.note
    figs = [trajectory_figure(d)]
    lf = limits_figure(d)
    if lf is not None:
        figs.append(lf)
    traj = Table(
        ["box", "coverage", "density", "mass", "restricted", "runs", "cases"],
        [
            [int(r.box), f"{r.coverage:.3f}", f"{r.density:.3f}", f"{r.mass:.3f}",
             int(r.restricted), int(r.runs), int(r.cases)]
            for r in d.trajectory.itertuples()
        ],
        "Every box on the peeling trajectory", collapsed=True,
    )  # fmt: skip
    lims = Table(LIMIT_COLUMNS, limits_rows(d), "The chosen box")
    return Section(
        heading=f"Scenario discovery: {d.condition.text}", intro=intro, figures=figs,
        tables=[lims, traj],
    )  # fmt: skip


def print_discovery(d: Discovery, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"Scenario discovery (PRIM): {d.condition.text}", style="bold"))
    console.print(summary(d), markup=False, highlight=False, soft_wrap=True)
    if d.note:
        console.print(d.note, markup=False, highlight=False, soft_wrap=True)
    t = Table()
    for c in LIMIT_COLUMNS:
        t.add_column(c, justify="left" if c in ("parameter", "swept range") else "right")
    for row in limits_rows(d):
        t.add_row(*row)
    console.print(t)
    t = Table(title="Peeling trajectory (* chosen box)")
    for c in ("box", "coverage", "density", "mass", "restricted"):
        t.add_column(c, justify="right")
    tr = d.trajectory
    step = max(1, math.ceil(len(tr) / 12))  # about a dozen rows, the ends and the chosen box
    keep = sorted({*range(0, len(tr), step), len(tr) - 1, d.chosen})
    for r in tr.iloc[keep].itertuples():
        mark = "*" if int(r.box) == int(d.box["box"]) else ""
        t.add_row(f"{mark}{int(r.box)}", f"{r.coverage:.0%}", f"{r.density:.0%}",
                  f"{r.mass:.0%}", str(int(r.restricted)))  # fmt: skip
    console.print(t)
