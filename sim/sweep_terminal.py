"""The sweep report's numbers as terminal tables (rich), the same as `analysis.html` shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.report.labels import describe, format_value, label
from sim.sweep_analysis import Analysis
from sim.sweep_report import why_empty


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
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    for o in a.focus:
        if why_empty(a, o):
            console.print(why_empty(a, o), markup=False, highlight=False, soft_wrap=True)
            continue
        unit = describe(o).unit
        share = a.share(o)
        what = "share of runs and its 90% Wilson interval" if share else "mean and 90% of runs"
        console.print(Text(f"{label(o)} ({o}{', ' + unit if unit else ''}): {what}", style="bold"))
        t = Table()
        band = ("low", "high") if share else ("5%", "95%")
        for col in ("parameter", "value", "runs with a value", "mean", *band):
            t.add_column(col, justify="left" if col in ("parameter", "value") else "right")
        d = a.by_param[a.by_param.outcome == o]
        for p in a.params:
            for r in d[d.parameter == p].itertuples():
                t.add_row(
                    p, r.bin, f"{r.n}/{r.runs}", format_value(o, r.mean, a.start),
                    format_value(o, r.p05, a.start), format_value(o, r.p95, a.start),
                )  # fmt: skip
        console.print(t)
    h = a.heatmap
    if h is not None and (h.n > 0).any():
        console.print(Text(f"{label(h.outcome)}: {h.y} (rows) x {h.x} (columns)", style="bold"))
        if h.binned:
            console.print(f"({h.binned})", markup=False, highlight=False, soft_wrap=True)
        t = Table()
        t.add_column(f"{h.y} \\ {h.x}", justify="left")
        for xl in h.x_labels:
            t.add_column(xl, justify="right")
        for j, yl in enumerate(h.y_labels):
            t.add_row(
                yl,
                *(format_value(h.outcome, h.mean[j, i], a.start) for i in range(len(h.x_labels))),
            )
        console.print(t)
    _print_sensitivity(a, console)
    if a.discovery is not None:
        from sim.discovery_report import print_discovery

        print_discovery(a.discovery, console)


def _print_sensitivity(a: Analysis, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    sens = a.sensitivity[a.sensitivity.outcome.isin(a.focus)]
    if sens.empty:
        return
    sobol = (sens["method"] == "sobol").any()
    console.print(
        Text(f"Sensitivity ({'Sobol S1/ST ± 95% conf.' if sobol else 'PRCC'})", style="bold")
    )
    t = Table()
    t.add_column("parameter", justify="left")
    cols = list(dict.fromkeys(zip(sens.outcome, sens["index"], strict=True)))
    for o, idx in cols:
        t.add_column(f"{o} {idx}", justify="right")
    scores = a.scores if a.scores is not None else pd.DataFrame(columns=["outcome", "parameter"])
    score_cols = [o for o in dict.fromkeys(scores.outcome) if o in a.focus]
    for o in score_cols:
        t.add_column(f"{o} score", justify="right")
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
        for o in score_cols:
            r = scores[(scores.outcome == o) & (scores.parameter == p)]
            cells.append(f"{r.score.iloc[0]:.2f}" if len(r) else "-")
        t.add_row(p, *cells)
    console.print(t)
