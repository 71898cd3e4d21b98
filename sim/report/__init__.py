"""The interactive report of a results folder: one self-contained `report.html`.

`write_report(folder)` reads the folder (tables, manifest.json, network.json and, when present,
validation.parquet) and writes `folder/report.html` atomically. Modules:

- `sim.report.figures`: what the figures share (conventions, colours, layout); one pure function
  per figure (DataFrames in, plotly Figure out) in `map`, `control`, `timeseries`, `events`;
- `sim.report.tables`: summary metrics with bootstrap intervals, parameters, validation;
- `sim.report.html`: `assemble(title, sections)`, reusable by other reports;
- `sim.report.validation_section`: the validation section (findings, score chart, tables);
- `sim.report.build`: reading a folder and putting the sections together;
- `sim.report.export`: static PNG/SVG/PDF export through kaleido and Chromium.

Heavy imports (plotly, scipy) happen inside the functions.
"""

from __future__ import annotations

from pathlib import Path


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of a results folder (default `folder/report.html`); returns its path."""
    from sim.report.build import write_report as _write

    return _write(folder, out)


__all__ = ["write_report"]
