"""Parameter sweeps: designs, seeded runs in batches on any executor, streaming Parquet, resume.

A sweep is a design (a table of points, one column per swept parameter) times R replicates.
Run `point * R + replicate` gets the seed `seed_for(base, point, replicate)`, so its result never
depends on the number of workers or on the order in which runs finish. Runs go out in batches of
consecutive run ids; each finished batch becomes one Parquet part per table,
`parts/<table>-<batch:06d>.parquet`, written atomically by the parent, and the batch is then
recorded as complete in `manifest.json`. Only batches listed there count, so a sweep killed at
any moment leaves a consistent folder, and `resume=True` runs just the missing batches (and
those whose parts no longer match their recorded sha256). One process writes a sweep folder at a
time (`sim.outdir.output_lock`); a new folder is built under a hidden name and renamed into place.
The design lives in `sim.sweep_design`, the batches and their executor loop in `sim.sweep_batches`,
the folder's files in `sim.sweep_store`; this module is the entry point and re-exports them.

Folder layout:
    manifest.json     scenario, base parameters, seed, replicates, design settings, batch size,
                      complete batches, each part's sha256 and rows, a fingerprint of the
                      inputs (theater, parameters file, model code, library versions), status
    manifest.backup.json  a second copy, to rebuild a damaged manifest from (`sweep_store`)
    design.parquet    the design points (column `point`, then one column per swept parameter)
    parts/            runs-000000.parquet, timeseries-000000.parquet, ... one per batch and table
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.config import CeasefireEvent, Setup, load_scenario
from sim.errors import InputError, Problem, did_you_mean
from sim.outdir import (
    check_writable,
    clean_stale_staging,
    output_lock,
    stray_temporaries,
    through_link,
)
from sim.params import ParamRegistry, parse_assignments
from sim.runner import TABLES
from sim.sweep_batches import (  # re-exported: tests and benchmarks build plans from here
    SEED_SCHEMES,
    SweepFault,
    SweepInterrupted,
    SweepPlan,
    SweepResult,
    default_batch_size,
    run_batches,
    run_parts,
)
from sim.sweep_design import (  # re-exported: the design is part of the sweep's interface
    DEFAULT_SAMPLES,
    DESIGNS,
    Axis,
    check_points,
    design_rng,
    make_design,
    parse_axes,
    parse_axis,
    saltelli_unit,
    usage_problem,
)
from sim.sweep_store import (  # re-exported: the sweep's files are read from here too
    BACKUP,
    DESIGN_FILE,
    MANIFEST,
    PARTS,
    check_inputs,
    complete_batches,
    create_sweep_folder,
    damaged_batches,
    design_bytes,
    design_problem,
    input_fingerprint,
    leftovers_only,
    not_new_sweep,
    part_path,
    read_design,
    read_manifest,
    read_runs,
    read_sweep,
    resume_command,
    sweep_parts,
    write_part,
)

__all__ = [
    "DESIGNS",
    "DESIGN_FILE",
    "MANIFEST",
    "PARTS",
    "Axis",
    "SweepFault",
    "SweepInterrupted",
    "SweepPlan",
    "SweepResult",
    "complete_batches",
    "design_rng",
    "make_design",
    "parse_axes",
    "parse_axis",
    "part_path",
    "read_design",
    "read_manifest",
    "read_runs",
    "read_sweep",
    "resume_command",
    "run_parts",
    "run_sweep",
    "saltelli_unit",
    "sweep_parts",
]


def ceasefire_hour(setup: Setup) -> float | None:
    """Hours from the scenario start to its first ceasefire, or None."""
    for ev in setup.scenario.events:
        if isinstance(ev, CeasefireEvent):
            return setup.scenario.hour_of(ev.at)
    return None


def _settings(
    scenario_sha: str,
    axes: Sequence[Axis] | None,
    design: str | None,
    samples: int | None,
    replicates: int | None,
    seed: int | None,
    batch_size: int | None,
    overrides: Mapping[str, float] | None,
    tables: Sequence[str] | None,
    seeds: str | None = None,
) -> dict[str, Any]:
    """What defines a sweep's dataset; None means 'not given' (take the stored value on resume)."""
    return {
        "seeds": seeds,
        "scenario_sha256": scenario_sha,
        "params": [f"{a.key}={a.spec}" for a in axes] if axes else None,
        "design": design,
        "samples": samples,
        "replicates": replicates,
        "seed": seed,
        "batch_size": batch_size,
        "set": dict(sorted(overrides.items())) if overrides else None,
        "tables": list(tables) if tables else None,
    }


_FLAG = {
    "scenario_sha256": "SCENARIO (its file changed)",
    "params": "--param",
    "design": "--design",
    "samples": "--samples",
    "replicates": "--replicates",
    "seed": "--seed",
    "batch_size": "--batch-size",
    "set": "--set",
    "tables": "--tables",
    "seeds": "--seeds",
}


def _check_resume(stored: Mapping[str, Any], given: Mapping[str, Any], folder: Path) -> None:
    # A sweep started before seeding could be chosen ran independent seeds.
    stored = {"seeds": "independent", **stored}
    problems = []
    for key, value in given.items():
        if value is None or key not in stored or value == stored[key]:
            continue
        problems.append(
            Problem(
                str(folder / MANIFEST),
                1,
                1,
                _FLAG[key],
                f"the sweep was started with {stored[key]!r}, not {value!r}; "
                "leave it out to resume, or choose another --out",
            )
        )
    if problems:
        raise InputError(problems)


def run_sweep(
    scenario: str | Path | Setup,
    params: Iterable[str] = (),
    *,
    design: str | None = None,
    samples: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Any = None,
    resume: bool = False,
    batch_size: int | None = None,
    set_items: Iterable[str] = (),
    tables: Sequence[str] | None = None,
    progress: bool | Callable[[int, int], None] = False,
    max_in_flight: int | None = None,
    seeds: str | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into `out` and return where it is and how it went.

    `params` are `KEY=SPEC` strings (`a,b,c`, `lo:hi:n`, `lo:hi`); `design` is grid (default),
    lhs or sobol with `samples` points (sobol: base samples, a power of 2, giving
    samples * (D + 2) points). `workers` processes (default: all cores; 1 runs here), or a Dask
    `scheduler` address, or any `concurrent.futures` `executor` you pass in. `tables` limits
    what is stored (runs is always kept). `progress` is True for a bar / periodic lines, or a
    callable `update(done, total)`. `seeds` is "independent" (default: run `point * R + r` gets
    `seed_for(seed, point, r)`) or "common" (common random numbers: replicate r gets
    `seed_for(seed, 0, r)` at every point). Bad settings raise InputError.
    """
    from sim.dask_cluster import check_scheduler
    from sim.execution import check_counts, default_workers, prestart_pool
    from sim.results import manifest

    check_counts(replicates=replicates, workers=workers, samples=samples, batch_size=batch_size)

    t0 = time.perf_counter()
    if executor is None and not scheduler and (workers or default_workers()) > 1:
        prestart_pool()  # the workers' imports run while the design is made
    setup = scenario if isinstance(scenario, Setup) else load_scenario(scenario)
    registry = ParamRegistry.load(setup.theater)
    params = list(params)
    axes = parse_axes(params, registry) if params or not resume else None
    overrides = parse_assignments(set_items)
    if tables is not None:
        unknown = [t for t in tables if t not in TABLES]
        if unknown:
            raise usage_problem(
                "--tables",
                f"unknown table {unknown[0]!r}{did_you_mean(unknown[0], TABLES)}; tables are "
                f"{', '.join(TABLES)} (or all)",
                "--tables",
            )
        tables = tuple(t for t in TABLES if t in tables or t == "runs")
    if seeds is not None and seeds not in SEED_SCHEMES:
        why = f"unknown seeding {seeds!r}{did_you_mean(seeds, SEED_SCHEMES)}; one of {', '.join(SEED_SCHEMES)}"
        raise usage_problem("--seeds", why, "--seeds")
    folder = through_link(
        Path(out) if out is not None else Path("results") / f"{_stem(setup)}-sweep"
    )
    given = _settings(
        setup.scenario_sha256,
        axes,
        design,
        samples,
        replicates,
        seed,
        batch_size,
        overrides,
        tables,
        seeds,
    )
    if scheduler:
        check_scheduler(scheduler)  # before anything is created
    inputs = input_fingerprint(setup)

    with output_lock(folder):  # one writer per sweep folder, for the whole sweep
        clean_stale_staging(folder)
        meta: dict[str, Any] | None = None
        if folder.is_dir() and not resume and not any(folder.iterdir()):
            pass  # an empty folder, as `run` takes one: the new sweep is renamed onto it
        elif folder.exists():
            if not resume:
                raise InputError(Problem(str(folder), 1, 1, "--out", not_new_sweep(folder)))
            if not folder.is_dir():
                raise InputError(Problem(str(folder), 1, 1, "--out", "is a file, not a folder"))
            check_writable(folder)
            if (folder / MANIFEST).is_file() or (folder / BACKUP).is_file():
                meta = read_manifest(folder, repair=True)
                _check_resume(meta["sweep"]["settings"], given, folder)
                check_inputs(meta["sweep"].get("inputs"), inputs, folder)
            elif leftovers_only(folder):
                shutil.rmtree(folder)  # ours, from before its first manifest: start afresh
            else:
                raise InputError(Problem(str(folder), 1, 1, "--out", "is not a sweep folder"))

        if meta is not None:
            s = meta["sweep"]
            if design_problem(folder, meta):
                _rebuild_design(folder, meta, registry)
            points = read_design(folder)
            plan = SweepPlan(
                setup=setup,
                points=points,
                replicates=s["settings"]["replicates"],
                seed=s["settings"]["seed"],
                batch_size=s["settings"]["batch_size"],
                params=registry.resolve(setup.scenario.set, s["settings"]["set"] or {}),
                tables=tuple(s["settings"]["tables"]),
                overrides=dict(s["settings"]["set"] or {}),
                seeds=s["settings"].get("seeds") or "independent",
            )
            for stale in [*stray_temporaries(folder), *stray_temporaries(folder / PARTS)]:
                stale.unlink(missing_ok=True)
            (folder / PARTS).mkdir(exist_ok=True)
            bad = damaged_batches(folder, meta)
            if bad:
                first = next(iter(bad.values()))
                print(
                    f"{len(bad)} saved batch(es) have a missing or damaged part ({first}); "
                    "running them again",
                    file=sys.stderr,
                )
            done = set(s["batches_complete"]) - set(bad)
            s.setdefault("inputs", inputs)
        else:
            if axes is None:
                raise usage_problem("", "give at least one --param KEY=SPEC to sweep")
            clash = sorted(set(overrides) & {a.key for a in axes})
            if clash:
                raise usage_problem(clash[0], "both swept (--param) and fixed (--set)", "--set")
            base = registry.resolve(setup.scenario.set, overrides)
            seed = setup.scenario.seed if seed is None else int(seed)
            replicates = replicates or setup.scenario.replicates
            design = design or "grid"
            points = make_design(design, axes, samples, seed)
            check_points(setup, base, points)  # before the folder exists: nothing half-written
            runs = len(points) * replicates
            batch_size = batch_size or default_batch_size(runs)
            seeds = seeds or "independent"
            plan = SweepPlan(
                setup, points, replicates, seed, batch_size, base, tables or TABLES, overrides,
                seeds,
            )  # fmt: skip
            settings = _settings(
                setup.scenario_sha256, axes, design,
                samples if design == "grid" else samples or DEFAULT_SAMPLES[design],
                replicates, seed, batch_size, overrides or {}, plan.tables, seeds,
            )  # fmt: skip
            settings["set"] = dict(sorted(overrides.items()))
            sweep_meta = {**_sweep_meta(plan, axes, design, settings), "inputs": inputs}
            meta = manifest(
                setup, base, overrides, seed, replicates, status="partial",
                extra={"kind": "sweep", "sweep": sweep_meta},
            )  # fmt: skip
            create_sweep_folder(folder, points, meta)
            done = set()
        return run_batches(
            plan, meta, done, folder, workers, scheduler, executor, progress, max_in_flight, t0
        )


def _rebuild_design(folder: Path, meta: Mapping[str, Any], registry: ParamRegistry) -> None:
    """Write design.parquet again from the settings the manifest recorded (a design is seeded,
    so it comes out the same), if it matches the recorded sha256; else refuse in one line."""
    import hashlib

    s = meta["sweep"]["settings"]
    samples = None if s["design"] == "grid" else s["samples"]
    points = make_design(s["design"], parse_axes(s["params"], registry), samples, s["seed"])
    data = design_bytes(points)
    if hashlib.sha256(data).hexdigest() != meta["sweep"].get("design_sha256"):
        why = "is damaged and could not be rebuilt from the manifest; start a new sweep"
        raise InputError(Problem(str(folder / DESIGN_FILE), 1, 1, "", why))
    write_part(data, folder / DESIGN_FILE)
    print(f"{folder / DESIGN_FILE} was damaged: rebuilt from {MANIFEST}", file=sys.stderr)


def _stem(setup: Setup) -> str:
    return Path(setup.scenario_path).stem


def _sweep_meta(
    plan: SweepPlan, axes: Sequence[Axis], design: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "design": design,
        "samples": settings["samples"],
        "parameters": [
            {
                "key": a.key,
                "spec": a.spec,
                "low": a.low,
                "high": a.high,
                "values": list(a.values) if a.values is not None else None,
            }
            for a in axes
        ],
        "points": len(plan.points),
        "replicates": plan.replicates,
        "runs": plan.runs,
        "run_id": "point * replicates + replicate",
        "seeds": (
            "common: seed_for(seed, 0, replicate) at every point (common random numbers)"
            if plan.seeds == "common"
            else "seed_for(seed, point, replicate): SeedSequence(seed, spawn_key=(point, replicate))"
        ),
        "batch_size": plan.batch_size,
        "batches": plan.batches,
        "batches_complete": [],
        "runs_complete": 0,
        "tables": list(plan.tables),
        "design_file": DESIGN_FILE,
        "parts": f"{PARTS}/<table>-<batch:06d>.parquet",
        "ceasefire_hour": ceasefire_hour(plan.setup),
        "settings": dict(settings),
    }
