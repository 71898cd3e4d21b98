"""The `plot` command: (re)write a results folder's report.html, or export static figures."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sim.commands import input_errors


class Format(StrEnum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


def register(app: typer.Typer) -> None:
    app.command("plot")(plot)


@input_errors
def plot(
    results_dir: Annotated[Path, typer.Argument(help="Results folder written by `run`")],
    open_: Annotated[
        bool, typer.Option("--open", help="Open the report (or first figure) in a browser")
    ] = False,
    format_: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="Write static figures (png, svg or pdf) through kaleido + Chromium instead",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Report file (default RESULTS_DIR/report.html), or with --format a "
            "folder (default RESULTS_DIR/figures)"
        ),
    ] = None,
) -> None:
    """Write the interactive report of a results folder, or its figures as PNG/SVG/PDF."""
    from sim.outdir import check_output_file, check_output_folder
    from sim.report.build import check_folder

    folder = check_folder(results_dir)
    if out is not None:
        (check_output_file if format_ is None else check_output_folder)(out, "--out")
    if format_ is None:
        from sim.report import write_report

        paths = [write_report(folder, out)]
    else:
        from sim.report.build import figures, load
        from sim.report.export import export_figures, require_browser
        from sim.results import FIGURES_DIR

        require_browser()
        paths = export_figures(figures(load(folder)), out or folder / FIGURES_DIR, format_.value)
    for p in paths:
        typer.echo(str(p))
    if open_:
        import webbrowser

        try:
            opened = webbrowser.open(paths[0].resolve().as_uri())
        except webbrowser.Error:
            opened = False
        if not opened:
            typer.echo(
                f"no browser found to open {paths[0]}: open it by hand, or set BROWSER",
                err=True,
            )
