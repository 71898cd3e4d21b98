"""Sweep commands: `sweep` (run a design of parameter points) and `analyze` (its report)."""

from pathlib import Path
from typing import Annotated

import typer

from sim.commands import Seed, input_errors, scenario_file


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
    app.command("analyze")(analyze)


@input_errors
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file or id (see `list`)")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="KEY=SPEC to sweep; SPEC is a,b,c (values), lo:hi:n (n evenly spaced) or lo:hi "
            "(a range, for lhs and sobol). Repeat for each parameter.",
        ),
    ] = None,
    replicates: Annotated[
        int | None,
        typer.Option(
            "--replicates", "-n", min=1, help="Runs per design point (default: the scenario's)"
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            help="grid (every combination), lhs (Latin hypercube) or sobol (Saltelli, for Sobol' indices) [default: grid]"
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="lhs: points (default 64); sobol: base samples, a power of 2, giving samples x (parameters + 2) points (default 16)",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: all cores; 1 runs here)")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786) to run batches on a cluster"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Sweep folder (default results/<scenario>-sweep)")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue a stopped sweep in --out: run only missing batches"
        ),
    ] = False,
    seed: Seed = None,
    seeds: Annotated[
        str | None,
        typer.Option(
            help="independent (each run its own stream) or common (common random numbers: "
            "replicate r draws the same numbers at every point, so differences between points "
            "are the parameters' effect) [default: independent]"
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Fix a parameter for every run: key=value")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Runs per task and part file (default: runs/20, 1..20)"),
    ] = None,
    tables: Annotated[
        str | None,
        typer.Option(help="Tables to keep, comma-separated (runs is always kept) [default: all]"),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Run a parameter sweep: a design of points x replicates, streamed to Parquet part files."""
    from sim.execution import default_workers, prestart_pool

    if not scheduler and (workers or default_workers()) > 1:
        prestart_pool()  # the workers import the model while this process does the same
    import shlex

    from sim.runner import TABLES
    from sim.sweep import SweepFault, SweepInterrupted, resume_command, run_sweep

    keep = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    if keep == ["all"]:  # the default, as --help shows it, given by name
        keep = list(TABLES)
    try:
        result = run_sweep(
            scenario_file(scenario), param or [], design=design, samples=samples, replicates=replicates,
            seed=seed, out=out, workers=workers, scheduler=scheduler, resume=resume,
            batch_size=batch_size, set_items=set_ or [], tables=keep, progress=not quiet,
            seeds=seeds,
        )  # fmt: skip
    except SweepInterrupted as exc:
        typer.echo(
            f"interrupted: {exc.done} of {exc.total} runs are saved in {exc.folder} (status "
            "partial). Run the same command with --resume to finish it: "
            f"{resume_command(exc.folder, str(scenario))}",
            err=True,
        )
        raise typer.Exit(130) from None
    except SweepFault as exc:
        typer.echo(
            f"error: {exc.reason}; {exc.done} of {exc.total} runs are saved in {exc.folder}; "
            f"when fixed, next: {resume_command(exc.folder, str(scenario))}",
            err=True,
        )
        raise typer.Exit(1) from None
    meta = result.meta["sweep"]
    rate = result.ran / result.seconds if result.seconds > 0 else 0.0
    typer.echo(
        f"sweep: {meta['design']} design, {meta['points']} points x {meta['replicates']} replicates "
        f"= {result.runs} runs ({result.ran} run now, {rate:.1f} runs/s)"
    )
    folder = shlex.quote(str(result.folder))
    typer.echo(f"results: {result.folder}  (next: conflict-sim analyze {folder})")


@input_errors
def analyze(
    sweep_dir: Annotated[
        Path, typer.Argument(help="A sweep folder written by `conflict-sim sweep`")
    ],
    outcome: Annotated[
        list[str] | None,
        typer.Option(help="Outcome column(s) for the terminal table and the heatmap (repeatable)"),
    ] = None,
    x: Annotated[
        str | None, typer.Option("--x", help="Heatmap x parameter (default: the first swept)")
    ] = None,
    y: Annotated[
        str | None, typer.Option("--y", help="Heatmap y parameter (default: the second swept)")
    ] = None,
    bins: Annotated[int, typer.Option(min=2, help="Bins for a continuous parameter")] = 6,
    out: Annotated[
        Path | None, typer.Option(help="HTML file (default SWEEP_DIR/analysis.html)")
    ] = None,
    discover: Annotated[
        str | None,
        typer.Option(
            help="Scenario discovery (PRIM) for the runs where a condition holds, e.g. "
            "'ceasefire_survived_30d == True' or 'front_km_end < 300'",
            metavar="CONDITION",
        ),
    ] = None,
) -> None:
    """Outcomes against each parameter (mean, 90% band), a heatmap, sensitivity; HTML + table."""
    from sim.outdir import check_output_file
    from sim.sweep_analysis import analyze_sweep
    from sim.sweep_terminal import print_analysis

    if out is not None:
        check_output_file(out, "--out")
    result = analyze_sweep(
        sweep_dir, outcomes=outcome, x=x, y=y, bins=bins, out=out, discover=discover
    )
    print_analysis(result)
    typer.echo(f"report: {result.html_path}")
