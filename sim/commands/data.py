"""Event data commands: `observe import` (ACLED / UCDP GED rows as observations), `export`
(simulated events in those schemas) and `compare` (two results folders side by side)."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sim.commands import input_errors

FormatOpt = Annotated[str, typer.Option("--format", help="acled or ucdp-ged")]
ActorsOpt = Annotated[
    Path | None,
    typer.Option("--actors", help="Actor mapping YAML (default config/actors/<theater>.yaml)"),
]


def register(app: typer.Typer) -> None:
    observe = typer.Typer(
        cls=app.info.cls,  # the CLI's group: plain placeholders in the help, whole first lines
        help="Observations from event data files.",
        no_args_is_help=True,
    )
    observe.command("import")(import_events)
    app.add_typer(observe, name="observe")
    app.command("export")(export)
    app.command("compare")(compare)


def _day(text: str | None, option: str) -> date | None:
    from sim.errors import InputError, Problem
    from sim.eventrows import parse_day

    if text is None:
        return None
    d = parse_day(text)
    if d is None:
        raise InputError(
            Problem("<command line>", 1, 1, option, f"not a date: {text!r} (expected YYYY-MM-DD)")
        )
    return d


def _format(fmt: str) -> str:
    from sim.errors import InputError, Problem, did_you_mean
    from sim.eventdata import FORMATS

    if fmt not in FORMATS:
        # `ged` is a part of `ucdp-ged` too short for difflib to call it close
        part = [f for f in FORMATS if fmt and fmt.lower() in f.split("-")]
        hint = f" (did you mean {part[0]!r}?)" if part else did_you_mean(fmt, FORMATS)
        raise InputError(
            Problem(
                "<command line>", 1, 1, "--format",
                f"unknown format {fmt!r}; expected one of {list(FORMATS)}{hint}",
            )
        )  # fmt: skip
    return fmt


@input_errors
def import_events(
    file: Annotated[Path, typer.Argument(help="ACLED or UCDP GED export (.csv, or .xlsx)")],
    fmt: FormatOpt,
    theater: Annotated[str, typer.Option(help="Theater id or file")],
    from_: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (inclusive)")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Observations YAML (default STEM-observations.yaml in the current folder, "
            "STEM the input file's name without its suffix)"
        ),
    ] = None,
    actors: ActorsOpt = None,
    radius_km: Annotated[
        float, typer.Option(min=0, help="Rows farther from every place are outside the theater")
    ] = 25.0,
    count_high: Annotated[
        float, typer.Option(min=1, help="ACLED counts n are scored as [n, ceil(n x this)]")
    ] = 1.5,
    fatality_high: Annotated[
        float, typer.Option(min=1, help="ACLED deaths f are scored as [f, ceil(f x this)]")
    ] = 2.0,
    notable_fatalities: Annotated[
        float, typer.Option(min=0, help="A single event with this many deaths becomes a fact")
    ] = 10.0,
) -> None:
    """Turn an ACLED or UCDP GED file into observation facts that `validate` scores."""
    from sim.config import load_theater, theater_option
    from sim.errors import InputError, Problem
    from sim.eventdata import load_actors
    from sim.eventfacts import ImportOptions, build_facts, write_observations
    from sim.eventrows import read_rows
    from sim.network import build_network
    from sim.outdir import check_output_file

    fmt = _format(fmt)
    target = check_output_file(
        out if out is not None else Path(f"{file.stem}-observations.yaml"), "--out"
    )
    start, end = _day(from_, "--from"), _day(to, "--to")
    if start is not None and end is not None and end < start:
        raise InputError(
            Problem(
                "<command line>", 1, 1, "--to", f"{to} is before --from {from_}: no day between"
            )
        )
    opts = ImportOptions(
        start=start, end=end, radius_km=radius_km,
        count_high=count_high, fatality_high=fatality_high, notable_fatalities=notable_fatalities,
    )  # fmt: skip
    t = load_theater(theater_option(theater))  # a misspelt id names the close one
    mapping = load_actors(t.name, {k: f.name for k, f in t.factions.items()}, actors)
    mapping = mapping.with_patrons({k: (p.name, p.client) for k, p in t.patrons.items()})
    rows = read_rows(file, fmt)
    doc, report = build_facts(rows, t, build_network(t), mapping, opts)
    write_observations(doc, target)
    for line in report.lines():
        typer.echo(line, err=True)
    typer.echo(f"observations: {target}")


@input_errors
def export(
    results: Annotated[Path, typer.Argument(help="Results folder of `run` or `validate`")],
    fmt: FormatOpt = "acled",
    runs: Annotated[str | None, typer.Option(help="Runs, e.g. 0-4 or 1,3 (default all)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output .csv or .xlsx (default RESULTS/events-<format>.csv)")
    ] = None,
    actors: ActorsOpt = None,
) -> None:
    """Write simulated events in ACLED's or UCDP GED's columns, plus run_id."""
    from sim.export import check_table_path, export_events, write_table
    from sim.results import export_default_name

    fmt = _format(fmt)
    target = check_table_path(out if out is not None else results / export_default_name(fmt))
    df = export_events(results, fmt, runs, actors)
    write_table(df, target)
    typer.echo(f"{len(df)} rows ({df['run_id'].nunique()} runs): {target}")


@input_errors
def compare(
    results_a: Annotated[Path, typer.Argument(help="Results folder A (e.g. the baseline)")],
    results_b: Annotated[Path, typer.Argument(help="Results folder B (the counterfactual)")],
    out: Annotated[
        Path | None, typer.Option(help="Folder for compare.html (default results/compare-A-B)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resampling")] = 0,
) -> None:
    """Differences B - A of every shared summary metric with bootstrap 95% intervals (paired
    when both ran the same seeds), weekly series with bands, and compare.html."""
    from sim.compare import compare_folders, print_comparison, write_compare_html
    from sim.outdir import check_output_folder

    folder = check_output_folder(
        out if out is not None else Path("results") / f"compare-{results_a.name}-{results_b.name}"
    )
    result = compare_folders(results_a, results_b, seed=seed)
    print_comparison(result)
    path = write_compare_html(result, folder)
    typer.echo(f"report: {path}")
