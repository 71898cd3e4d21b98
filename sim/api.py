"""The Python API behind the CLI, for notebooks: load, run, get DataFrames; write only if asked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sim.config import Setup, load_scenario
from sim.execution import check_counts
from sim.outdir import through_link
from sim.params import ParamRegistry, load_set_file, parse_assignments
from sim.results import claim_output, write_results
from sim.runner import (
    Tables,
    concat_tables,
    ensemble_specs,
    resolve_params,
    to_tables,
)


def run_ensemble(
    scenario: str | Path | Setup,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, float] | None = None,
    workers: int = 1,
    progress: bool = False,
) -> Tables:
    """Run a scenario's replicates and return the output tables as DataFrames (nothing written).

    `replicates` (default: the scenario's) and `workers` must be at least 1. More than one worker
    needs a main module that the worker processes can import: from a script piped into
    `python -` (no file to import) the runs fall back to this process, with a warning.

    Raises:
        ValueError: `replicates` or `workers` below 1, naming the argument.
    """
    check_counts(replicates=replicates, workers=workers)
    tables, _params = _run(scenario, replicates, seed, overrides or {}, workers, progress)
    return tables


def _run(scenario, replicates, seed, overrides, workers, show_progress):
    from sim.execution import run_specs
    from sim.progress import progress

    setup = scenario if isinstance(scenario, Setup) else load_scenario(scenario)
    replicates = setup.scenario.replicates if replicates is None else replicates
    seed = setup.scenario.seed if seed is None else seed
    params = resolve_params(setup, overrides)
    specs = ensemble_specs(replicates, seed)
    chunks: list[Tables] = []
    pending: list = []

    def collect(batch: list) -> None:
        # Rows become DataFrames a few runs at a time: dicts of every row cost ~10x the memory.
        pending.extend(batch)
        if len(pending) >= 16:
            chunks.append(to_tables(setup, pending))
            pending.clear()

    with progress("replicates", len(specs), enabled=show_progress) as update:
        run_specs(setup, specs, params, workers=workers, on_progress=update, on_batch=collect)
    if pending:
        chunks.append(to_tables(setup, pending))
    return concat_tables(chunks), params


def run_to_folder(
    scenario: str | Path,
    replicates: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    set_items: Iterable[str] = (),
    set_file: str | Path | None = None,
    workers: int = 1,
    report: bool = True,
    progress: bool = True,
) -> tuple[Path, Tables]:
    """Run and write `results/<scenario>/` atomically (tables, manifest, network, report).

    The folder is held for this writer from the start (see `sim.results.claim_output`): a second
    writer, a folder that is not ours, or one that cannot be written is refused before any run.

    Raises:
        ValueError: `replicates` or `workers` below 1.
        InputError: bad input files or a refused `out` (one line each).
    """
    check_counts(replicates=replicates, workers=workers)
    setup = load_scenario(scenario)
    overrides: dict[str, float] = {}
    if set_file is not None:
        overrides.update(load_set_file(set_file, ParamRegistry.load(setup.theater)))
    overrides.update(parse_assignments(set_items))
    resolve_params(setup, overrides)
    replicates = setup.scenario.replicates if replicates is None else replicates
    seed = setup.scenario.seed if seed is None else seed
    folder = through_link(Path(out) if out is not None else Path("results") / Path(scenario).stem)
    # before simulating: a refused folder should cost nothing
    with claim_output(folder, inputs=[setup.scenario_path, set_file]):
        tables, params = _run(setup, replicates, seed, overrides, workers, progress)
        finish = _write_report if report else None
        write_results(folder, setup, tables, params, overrides, seed, replicates, finish=finish)
    return folder, tables


def _write_report(folder: Path) -> None:
    """Add report.html to a results folder, when the report package is installed."""
    try:
        from sim.report import write_report
    except ImportError:
        return
    write_report(folder)
