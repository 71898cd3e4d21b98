"""Core commands: list, route, check, params, run."""

import itertools
from pathlib import Path
from typing import Annotated

import typer

from sim.commands import (
    Replicates,
    Seed,
    SetFile,
    SetItems,
    Workers,
    input_errors,
    scenario_file,
    shown_path,
)


def register(app: typer.Typer) -> None:
    app.command("list")(list_files)
    app.command("route")(route)
    app.command("check")(check)
    app.command("params")(params)
    app.command("run")(run)


@input_errors
def list_files() -> None:
    """Show the theaters and scenarios with a one-line description each."""
    from sim.config import SCENARIO_DIR, THEATER_DIR, list_files

    listed = [(label, folder, list_files(folder)) for label, folder in
              (("Theaters", THEATER_DIR), ("Scenarios", SCENARIO_DIR))]  # fmt: skip
    width = max((len(name) for *_, files in listed for name, _p, _d in files), default=0)
    for label, folder, files in listed:
        typer.echo(f"{label} ({shown_path(folder)}):")
        for name, _path, desc in files:
            typer.echo(f"  {name:<{width}}  {desc}")


@input_errors
def route(
    origin: Annotated[str, typer.Argument(help="Place name or alternative spelling")],
    destination: Annotated[str, typer.Argument(help="Place name or alternative spelling")],
    theater: Annotated[
        str | None,
        typer.Option(help="Theater id or file (default: the one that knows both places)"),
    ] = None,
) -> None:
    """Print the road path between two places and its length in km."""
    from sim.network import build_network

    net = build_network(_route_theater(theater, origin, destination))
    a, b = net.resolve(origin), net.resolve(destination)
    path, km = net.route(a, b)
    total = 0.0
    typer.echo(f"{a} -> {b}: {km:.0f} km by road, {len(path) - 1} segments")
    for prev, node in itertools.pairwise(path):
        leg = net.graph.edges[prev, node]["km"]
        total += leg
        typer.echo(f"  {prev} -> {node}: {leg:.0f} km (total {total:.0f})")


def _route_theater(theater: str | None, origin: str, destination: str):
    """The theater given, else the project's default theater when it knows both places, else
    the one theater in config/theaters that does (docs/walkthrough.md)."""
    from sim.checks import place_names
    from sim.config import THEATER_DIR, load_theater, theater_option
    from sim.errors import InputError
    from sim.project import default_theater

    if theater is not None:
        return load_theater(theater_option(theater))
    first = load_theater(default_theater())

    def knows(t) -> bool:
        names = place_names(t)
        return names.resolve(origin) is not None and names.resolve(destination) is not None

    if knows(first):
        return first
    others = []
    for path in sorted(THEATER_DIR.glob("*.yaml")):
        try:
            t = load_theater(path)
        except InputError:
            continue  # a broken theater is `check`'s to report, not a route's
        if t.name != first.name and knows(t):
            others.append(t)
    return others[0] if len(others) == 1 else first


@input_errors
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Theater, scenario, observation, parameter or set YAML files, or scenario ids"
        ),
    ],
) -> None:
    """Validate theater, scenario, observation, parameter or set files; print each error as
    file:line:col, exit 2.
    A scenario's own observations (`observations:`) are loaded against it too; an observations
    file alone has its names checked in the theater it names. Warnings (a place
    no road reaches) are printed too, and do not fail the check."""
    import sys

    from sim.config import check_theater_file, is_theater_file, load_scenario
    from sim.errors import InputError
    from sim.observation_checks import check_alone
    from sim.observations import is_observations_file, load_observations
    from sim.scenario_observations import check_scenario_observations

    problems = []
    for f in files:
        try:
            f = scenario_file(f)
            kind = _parameter_kind(f)
            if kind == "parameters":
                n, theater_name = _check_parameter_file(f)
                typer.echo(f"{f}: parameters ok ({n} parameters in theater {theater_name!r})")
            elif kind == "set file":
                n = _check_set_file(f)
                typer.echo(f"{f}: set file ok ({n} parameters)")
            elif is_observations_file(f):
                obs = load_observations(f)
                found, checked = check_alone(obs)
                if found:
                    raise InputError(found)
                typer.echo(f"{f}: observations ok ({len(obs.data.observations)} facts; {checked})")
            elif is_theater_file(f):
                t, warnings = check_theater_file(f)
                for w in warnings:
                    print(f"warning: {w}", file=sys.stderr)
                typer.echo(
                    f"{f}: theater {t.name!r} ok ({len(t.places)} places, {len(t.roads)} roads, {len(t.units)} units)"
                )
            else:
                s = load_scenario(f)
                # The facts it names load against it here, as `validate` and `calibrate` load them.
                obs = check_scenario_observations(s)
                facts = "" if obs is None else (
                    f"; observations {shown_path(obs.path)}: {len(obs.data.observations)} facts"
                )  # fmt: skip
                typer.echo(
                    f"{f}: scenario ok ({s.scenario.hours} hours, {len(s.scenario.events)} "
                    f"events{facts})"
                )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


def _parameter_kind(path: Path) -> str | None:
    """'parameters', 'set file' or None (see sim.params.file_kind); None for an unreadable
    file, which the scenario's loader reports."""
    from sim.errors import InputError
    from sim.params import file_kind
    from sim.yamlsource import load_yaml

    try:
        return file_kind(load_yaml(path).data)
    except InputError:
        return None


def _theaters() -> list:
    from sim.config import THEATER_DIR, load_theater
    from sim.project import default_theater

    first = default_theater()
    others = sorted(p for p in THEATER_DIR.glob("*.yaml") if p.resolve() != first.resolve())
    return [load_theater(first), *(load_theater(p) for p in others)]


def _check_parameter_file(path: Path) -> tuple[int, str]:
    """How many parameters a parameter file gives the default theater (its templates expanded
    over the theater's factions and patrons), and the theater's name."""
    from sim.params import ParamRegistry

    theater = _theaters()[0]
    return len(ParamRegistry.load(theater, path=path).specs), theater.name


def _check_set_file(path: Path) -> int:
    """A set file against the parameters of every theater in config/theaters."""
    from sim.params import ParamRegistry, check_set_file

    return len(check_set_file(path, [ParamRegistry.load(t) for t in _theaters()]))


@input_errors
def params(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario file or id: show its values too")
    ] = None,
    theater: Annotated[
        str | None,
        typer.Option(
            help="Theater id or file (without a scenario; default: config/project.yaml's)"
        ),
    ] = None,
) -> None:
    """List every parameter with its default, unit, valid range and source."""
    from sim.config import load_scenario, load_theater, theater_option
    from sim.params import ParamRegistry
    from sim.project import default_theater

    if scenario is not None:
        setup = load_scenario(scenario_file(scenario))
        registry, values = ParamRegistry.load(setup.theater), setup.scenario.set
    else:
        path = theater_option(theater) if theater is not None else default_theater()
        registry, values = ParamRegistry.load(load_theater(path)), {}
    for key, spec in registry.specs.items():
        here = f"  scenario sets {values[key]:g}" if key in values else ""
        typer.echo(f"{key} = {spec.default:g} [{spec.low:g}, {spec.high:g}] {spec.unit}{here}")
        typer.echo(f"    {spec.doc} Source: {spec.source}")


@input_errors
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file or id (see `list`)")],
    replicates: Replicates = None,
    seed: Seed = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default results/<scenario>)")
    ] = None,
    set_: SetItems = None,
    set_file: SetFile = None,
    workers: Workers = 1,
    report: Annotated[bool, typer.Option(help="Write report.html")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Run a scenario's replicates and write the results folder."""
    from sim import api
    from sim.commands import settle_imports

    if workers == 1:  # the runs happen here: the model's modules are imported to be frozen too
        import sim.model  # noqa: F401
    settle_imports()

    folder, tables = api.run_to_folder(
        scenario_file(scenario), replicates=replicates, seed=seed, out=out, set_items=set_ or [],
        set_file=set_file, workers=workers, report=report, progress=not quiet,
    )  # fmt: skip
    print_summary(
        tables.runs, tables.timeseries["time"].iloc[0] if len(tables.timeseries) else None
    )
    typer.echo(f"results: {folder}")


def print_summary(runs, start=None) -> None:
    """The ensemble table; `*_at` metrics (hours since the start) are shown as local dates."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from sim.summary import format_number, summarize

    def cell(metric: str, value) -> str:
        if (
            start is not None
            and metric.endswith("_at")
            and value is not None
            and not pd.isna(value)
        ):
            return (pd.Timestamp(start) + pd.Timedelta(hours=float(value))).strftime("%d %b %H:%M")
        return format_number(value)

    table = Table(title=f"Ensemble summary ({len(runs)} runs): median and 90% interval")
    for col in ("metric", "median", "5%", "95%", "note"):
        table.add_column(col, justify="left" if col in ("metric", "note") else "right")
    for row in summarize(runs).itertuples():
        m = row.metric
        table.add_row(m, cell(m, row.median), cell(m, row.p05), cell(m, row.p95), row.shares)
    Console(width=120).print(table)
