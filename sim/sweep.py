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

Folder layout:
    manifest.json     scenario, base parameters, seed, replicates, design settings, batch size,
                      complete batches, each part's sha256 and rows, a fingerprint of the
                      inputs (theater, parameters file, model code, library versions), status
    manifest.backup.json  a second copy, to rebuild a damaged manifest from (`sweep_store`)
    design.parquet    the design points (column `point`, then one column per swept parameter)
    parts/            runs-000000.parquet, timeseries-000000.parquet, ... one per batch and table
"""

from __future__ import annotations

import contextlib
import itertools
import math
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import CeasefireEvent, Setup, load_scenario
from sim.errors import InputError, Problem
from sim.outdir import (
    check_writable,
    clean_stale_staging,
    output_fault,
    output_lock,
    signals_held,
    stray_temporaries,
)
from sim.params import ParamRegistry, parse_assignments
from sim.runner import TABLES, RunSpec, Tables, arrow_tables, run_one, seed_for
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
    part_info,
    part_path,
    read_design,
    read_manifest,
    read_runs,
    read_sweep,
    resume_command,
    sweep_parts,
    write_manifest,
    write_part,
)

__all__ = [
    "DESIGN_FILE",
    "MANIFEST",
    "PARTS",
    "complete_batches",
    "part_path",
    "read_design",
    "read_manifest",
    "read_runs",
    "read_sweep",
    "run_sweep",
    "sweep_parts",
]

DESIGNS = ("grid", "lhs", "sobol")
DEFAULT_SAMPLES = {"lhs": 64, "sobol": 16}
# Rows a worker holds as dicts before turning them into DataFrames (about 30 MB).
ROW_BUDGET = 50_000
# A design's own random stream, apart from every run's (run seeds use 2-element spawn keys).
_DESIGN_KEY = (0x5EED,)


def _problem(field_: str, message: str, origin: str = "--param") -> InputError:
    return InputError(Problem(origin, 1, 1, field_, message))


# --- parameter specs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One swept parameter: discrete levels (`a,b,c`, `lo:hi:n`) or a continuous range (`lo:hi`)."""

    key: str
    spec: str
    low: float
    high: float
    values: tuple[float, ...] | None = None

    @property
    def continuous(self) -> bool:
        return self.values is None

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples onto this axis (levels are equally likely)."""
        if self.values is None:
            return self.low + u * (self.high - self.low)
        idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[idx]


def _number(key: str, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _problem(key, f"{what}: expected a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise _problem(key, f"{what}: expected a finite number, got {text.strip()!r}")
    return value


def _tidy(x: float) -> float:
    """0.30000000000000004 -> 0.3: grid values as a person would write them."""
    return float(f"{x:.12g}")


def parse_axis(item: str, registry: ParamRegistry) -> Axis:
    """Parse `KEY=SPEC` where SPEC is `a,b,c`, `lo:hi:n` or `lo:hi`; check key and range."""
    key, sep, spec = item.partition("=")
    key, spec = key.strip(), spec.strip()
    if not sep or not key or not spec:
        raise _problem(item, "expected KEY=SPEC with SPEC one of a,b,c | lo:hi:n | lo:hi")
    if key not in registry.specs:
        raise _problem(key, registry.check(key, 0.0) or "unknown parameter")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise _problem(key, f"{spec!r}: expected lo:hi (a range) or lo:hi:n (n values)")
        lo = _number(key, parts[0], f"{spec!r}: lo")
        hi = _number(key, parts[1], f"{spec!r}: hi")
        if not lo < hi:
            raise _problem(key, f"{spec!r}: lo must be less than hi")
        values = None
        if len(parts) == 3:
            try:
                n = int(parts[2])
            except ValueError:
                n = 0
            if n < 2:
                raise _problem(key, f"{spec!r}: n must be a whole number of at least 2")
            values = tuple(_tidy(v) for v in np.linspace(lo, hi, n))
        checks = [lo, hi]
    else:
        texts = spec.split(",")
        if any(not t.strip() for t in texts):
            raise _problem(key, f"{spec!r}: empty value in the list")
        values = tuple(_number(key, t, f"{spec!r}") for t in texts)
        if len(set(values)) != len(values):
            raise _problem(key, f"{spec!r}: a value is repeated")
        lo, hi, checks = min(values), max(values), list(values)
    for v in checks:
        why = registry.check(key, v)
        if why:
            raise _problem(key, why)
    return Axis(key=key, spec=spec, low=lo, high=hi, values=values)


def parse_axes(items: Iterable[str], registry: ParamRegistry) -> list[Axis]:
    axes: list[Axis] = []
    for item in items:
        axis = parse_axis(item, registry)
        if any(a.key == axis.key for a in axes):
            raise _problem(axis.key, "swept twice; give each parameter one --param")
        axes.append(axis)
    if not axes:
        raise _problem("", "give at least one --param KEY=SPEC to sweep")
    return axes


# --- designs --------------------------------------------------------------------------------


def design_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=_DESIGN_KEY))


def grid_design(axes: Sequence[Axis]) -> pd.DataFrame:
    """Every combination of the axes' values (the last parameter varies fastest)."""
    for a in axes:
        if a.values is None:
            raise _problem(
                a.key,
                f"{a.spec!r} is a range; a grid needs values (a,b,c) or lo:hi:n "
                "(or use --design lhs or --design sobol)",
            )
    rows = list(itertools.product(*(a.values for a in axes)))
    return pd.DataFrame(rows, columns=[a.key for a in axes], dtype=float)


def lhs_design(axes: Sequence[Axis], samples: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube of `samples` points, seeded."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(axes), rng=design_rng(seed)).random(samples)
    return pd.DataFrame({a.key: a.scale(u[:, j]) for j, a in enumerate(axes)})


def saltelli_unit(d: int, n: int, seed: int) -> np.ndarray:
    """Saltelli's scheme on a scrambled Sobol' sequence, first and total order (N * (D + 2) rows).

    Row layout matches `SALib.sample.sobol.sample(problem, N, calc_second_order=False)`, so
    `SALib.analyze.sobol.analyze(..., calc_second_order=False)` reads outcomes in design order:
    for each base row i: A_i, then A_i with column j taken from B_i for each j, then B_i.
    """
    from scipy.stats import qmc

    base = qmc.Sobol(d=2 * d, scramble=True, rng=design_rng(seed)).random_base2(int(math.log2(n)))
    a, b = base[:, :d], base[:, d:]
    blocks = np.empty((n, d + 2, d))
    blocks[:, 0] = a
    for j in range(d):
        blocks[:, 1 + j] = a
        blocks[:, 1 + j, j] = b[:, j]
    blocks[:, d + 1] = b
    return blocks.reshape(n * (d + 2), d)


def sobol_design(axes: Sequence[Axis], samples: int, seed: int) -> pd.DataFrame:
    if samples < 2 or samples & (samples - 1):
        up = 1 << max(1, math.ceil(math.log2(max(samples, 2))))
        raise _problem(
            "--samples",
            f"a Sobol' design needs a power of 2 base samples (got {samples}; try {up})",
            origin="--samples",
        )
    u = saltelli_unit(len(axes), samples, seed)
    return pd.DataFrame({a.key: a.scale(u[:, j]) for j, a in enumerate(axes)})


def make_design(kind: str, axes: Sequence[Axis], samples: int | None, seed: int) -> pd.DataFrame:
    """The design points: one row per point (index = point number), one column per parameter."""
    if kind not in DESIGNS:
        raise _problem(
            "--design", f"unknown design {kind!r}; one of {', '.join(DESIGNS)}", "--design"
        )
    if kind == "grid":
        if samples is not None:
            raise _problem(
                "--samples",
                "--samples applies to lhs and sobol; a grid's size comes from its values",
                "--samples",
            )
        points = grid_design(axes)
    else:
        n = DEFAULT_SAMPLES[kind] if samples is None else samples
        if n < 1:
            raise _problem("--samples", "must be at least 1", "--samples")
        points = lhs_design(axes, n, seed) if kind == "lhs" else sobol_design(axes, n, seed)
    points.index.name = "point"
    return points


# --- the plan -------------------------------------------------------------------------------


def default_batch_size(runs: int) -> int:
    """Runs per task and part file: at least 20 batches per sweep, 1 to 20 runs each.

    A batch has fixed costs (about 15 ms to build its DataFrames, 5 Parquet files of a few ms,
    the manifest update), so small batches cost throughput on short runs; at least 20 batches
    keep progress, load balancing and resume fine-grained. It depends on the number of runs
    only (never on workers), so part files are the same whichever executor wrote them.
    """
    return max(1, min(20, runs // 20))


@dataclass
class SweepPlan:
    """What a sweep runs: design points x replicates, in batches of consecutive run ids."""

    setup: Setup
    points: pd.DataFrame
    replicates: int
    seed: int
    batch_size: int
    params: dict[str, float]
    tables: tuple[str, ...] = TABLES
    overrides: dict[str, float] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return len(self.points) * self.replicates

    @property
    def batches(self) -> int:
        return math.ceil(self.runs / self.batch_size)

    def batch_runs(self, batch: int) -> range:
        lo = batch * self.batch_size
        return range(lo, min(lo + self.batch_size, self.runs))

    def spec(self, run_id: int) -> RunSpec:
        point, rep = divmod(run_id, self.replicates)
        row = self.points.iloc[point]
        return RunSpec(
            run_id=run_id,
            point=point,
            replicate=rep,
            seed=seed_for(self.seed, point, rep),
            overrides={k: float(row[k]) for k in self.points.columns},
        )

    def batch_specs(self, batch: int) -> list[RunSpec]:
        return [self.spec(r) for r in self.batch_runs(batch)]


def run_parts(
    setup: Setup,
    specs: Sequence[RunSpec],
    params: Mapping[str, float],
    tables: Sequence[str],
    folder: str | None = None,
    batch: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Run a batch in a worker; write its Parquet parts into `folder`, or return them as bytes.

    Returns `{table: {"sha256", "rows", "data"}}`: each part's hash and row count, for the
    manifest, and `data` (the Parquet bytes) only when there is no `folder`.

    A worker that shares the sweep's file system (a local process pool) writes its own parts,
    atomically, and sends back only their hashes: a message that small is written to the
    result pipe in one piece, so stopping a worker at any moment cannot leave the pool reading
    half a result for ever (which happens when a worker is killed while sending megabytes).
    Workers elsewhere (Dask) send the bytes and the parent writes them.
    """
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    chunks: dict[str, list[pa.Table]] = {name: [] for name in tables}
    pending: list = []
    rows = 0

    def flush() -> None:
        # Rows become tables a chunk of runs at a time: per-table overheads are paid once per
        # chunk while memory stays bounded.
        for name, table in arrow_tables(setup, pending).items():
            if name in chunks:
                chunks[name].append(table)
        pending.clear()

    for spec in specs:
        out_ = run_one(setup, spec, params)
        if "control" not in tables:
            out_.control = []
        if "units" not in tables:
            out_.units = []
        pending.append(out_)
        rows += sum(len(getattr(out_, t)) for t in ("timeseries", "control", "units", "events"))
        if rows >= ROW_BUDGET:
            flush()
            rows = 0
    if pending:
        flush()
    out: dict[str, dict[str, Any]] = {}
    for name, parts in chunks.items():
        parts = [t for t in parts if t.num_rows] or parts[:1]
        table = (
            pa.concat_tables(parts, promote_options="permissive") if len(parts) > 1 else parts[0]
        )
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        data = buf.getvalue()
        out[name] = {**part_info(data, table.num_rows), "data": None}
        if folder is None:
            out[name]["data"] = data
        else:
            write_part(data, part_path(Path(folder), name, int(batch or 0)))
    return out


# --- signals --------------------------------------------------------------------------------


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def _interruptible() -> Iterator[Callable[[], Any]]:
    """SIGTERM acts like Ctrl-C while the sweep runs; yields `critical()`, a context manager
    that holds both signals back until a batch's files and manifest entry are all written."""
    if threading.current_thread() is not threading.main_thread():
        yield _nothing
        return
    old_term = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield signals_held
    finally:
        signal.signal(signal.SIGTERM, old_term)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# --- running --------------------------------------------------------------------------------


def ceasefire_hour(setup: Setup) -> float | None:
    """Hours from the scenario start to its first ceasefire, or None."""
    for ev in setup.scenario.events:
        if isinstance(ev, CeasefireEvent):
            return setup.scenario.hour_of(ev.at)
    return None


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a sweep; the folder is partial and can be resumed."""

    def __init__(self, folder: Path, done: int, total: int):
        super().__init__(f"sweep interrupted after {done} of {total} runs: {folder}")
        self.folder, self.done, self.total = folder, done, total


@dataclass
class SweepResult:
    folder: Path
    runs: int
    ran: int
    seconds: float
    meta: dict[str, Any]

    def read(self, tables: Sequence[str] = TABLES) -> Tables:
        return read_sweep(self.folder, tables)


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
) -> dict[str, Any]:
    """What defines a sweep's dataset; None means 'not given' (take the stored value on resume)."""
    return {
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
}


def _check_resume(stored: Mapping[str, Any], given: Mapping[str, Any], folder: Path) -> None:
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
) -> SweepResult:
    """Run (or resume) a sweep into `out` and return where it is and how it went.

    `params` are `KEY=SPEC` strings (`a,b,c`, `lo:hi:n`, `lo:hi`); `design` is grid (default),
    lhs or sobol with `samples` points (sobol: base samples, a power of 2, giving
    samples * (D + 2) points). `workers` processes (default: all cores; 1 runs here), or a Dask
    `scheduler` address, or any `concurrent.futures` `executor` you pass in. `tables` limits
    what is stored (runs is always kept). `progress` is True for a bar / periodic lines, or a
    callable `update(done, total)`.
    """
    from sim.execution import check_counts, check_scheduler, default_workers, prestart_pool
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
            raise _problem(
                "--tables",
                f"unknown table {unknown[0]!r}; tables are {', '.join(TABLES)}",
                "--tables",
            )
        tables = tuple(t for t in TABLES if t in tables or t == "runs")
    folder = Path(out) if out is not None else Path("results") / f"{_stem(setup)}-sweep"
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
    )
    if scheduler:
        check_scheduler(scheduler)  # before anything is created
    inputs = input_fingerprint(setup)

    with output_lock(folder):  # one writer per sweep folder, for the whole sweep
        clean_stale_staging(folder)
        meta: dict[str, Any] | None = None
        if folder.exists():
            if not resume:
                why = "already exists; add --resume to continue that sweep, or choose another --out"
                raise InputError(Problem(str(folder), 1, 1, "--out", why))
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
                raise _problem("", "give at least one --param KEY=SPEC to sweep")
            clash = sorted(set(overrides) & {a.key for a in axes})
            if clash:
                raise _problem(clash[0], "both swept (--param) and fixed (--set)", "--set")
            base = registry.resolve(setup.scenario.set, overrides)
            seed = setup.scenario.seed if seed is None else int(seed)
            replicates = replicates or setup.scenario.replicates
            design = design or "grid"
            points = make_design(design, axes, samples, seed)
            runs = len(points) * replicates
            batch_size = batch_size or default_batch_size(runs)
            plan = SweepPlan(
                setup, points, replicates, seed, batch_size, base, tables or TABLES, overrides
            )
            settings = _settings(
                setup.scenario_sha256, axes, design,
                samples if design == "grid" else samples or DEFAULT_SAMPLES[design],
                replicates, seed, batch_size, overrides or {}, plan.tables,
            )  # fmt: skip
            settings["set"] = dict(sorted(overrides.items()))
            sweep_meta = {**_sweep_meta(plan, axes, design, settings), "inputs": inputs}
            meta = manifest(
                setup, base, overrides, seed, replicates, status="partial",
                extra={"kind": "sweep", "sweep": sweep_meta},
            )  # fmt: skip
            create_sweep_folder(folder, points, meta)
            done = set()
        return _run_batches(
            plan, meta, done, folder, workers, scheduler, executor, progress, max_in_flight, t0
        )


class SweepFault(RuntimeError):
    """A sweep stopped by a fault (a full disk, workers that kept dying); what was saved stays
    and `--resume` continues it once the cause is fixed."""

    def __init__(self, folder: Path, done: int, total: int, reason: str):
        self.folder, self.done, self.total, self.reason = folder, done, total, reason
        super().__init__(
            f"{reason}; {done} of {total} runs are saved in {folder}; when fixed, next: "
            f"{resume_command(folder)}"
        )


def _run_batches(
    plan: SweepPlan,
    meta: dict[str, Any],
    done: set[int],
    folder: Path,
    workers: int | None,
    scheduler: str | None,
    executor: Any,
    progress: bool | Callable[[int, int], None],
    max_in_flight: int | None,
    t0: float,
) -> SweepResult:
    """Run the batches not yet done; write each one's parts, then mark it in the manifest.

    A worker process that dies (killed, out of memory) costs only its batches: they run again on
    a fresh pool, up to `POOL_RETRIES` times."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from sim.execution import (
        POOL_RETRIES,
        dask_executor,
        default_workers,
        executor_slots,
        local_executor,
        stop_executor,
        submit_bounded,
    )
    from sim.progress import progress as progress_bar

    runs_done = sum(len(plan.batch_runs(b)) for b in done)
    ran = 0
    meta["status"] = "partial"
    recorded = meta["sweep"].setdefault("part_files", {})
    for b in range(plan.batches):
        if b not in done:
            for name in plan.tables:
                recorded.pop(part_path(folder, name, b).name, None)

    def record() -> None:
        meta["sweep"]["batches_complete"] = sorted(done)
        meta["sweep"]["runs_complete"] = runs_done
        meta["status"] = "complete" if len(done) == plan.batches else "partial"
        write_manifest(meta, folder)

    def record_if_possible() -> None:
        with contextlib.suppress(OSError):  # a full disk: the last manifest written stays valid
            record()

    def clean() -> None:
        for stale in stray_temporaries(folder / PARTS):
            stale.unlink(missing_ok=True)

    own_executor = executor is None
    interrupted = False
    pools = 0
    show = progress if isinstance(progress, bool) else False
    try:
        with (
            _interruptible() as critical,
            progress_bar("runs", plan.runs, enabled=show, completed=runs_done) as bar,
        ):
            update = progress if callable(progress) else bar
            update(runs_done, plan.runs)
            while todo := [b for b in range(plan.batches) if b not in done]:
                if executor is None:
                    with critical():  # Ctrl-C waits until every worker has started
                        if scheduler:
                            executor = dask_executor(scheduler)
                        else:
                            workers = workers or default_workers()
                            executor = local_executor(min(workers, len(todo)), start=True)
                    pools += 1
                slots = executor_slots(executor, workers or default_workers()) if executor else 1
                window = max_in_flight or 2 * slots
                shared = executor is None or isinstance(executor, ProcessPoolExecutor)
                where = str(folder) if shared else None
                jobs = (
                    (b, (plan.setup, plan.batch_specs(b), plan.params, plan.tables, where, b))
                    for b in todo
                )
                try:
                    for b, parts in submit_bounded(executor, run_parts, jobs, window):
                        with critical():
                            for name, info in parts.items():
                                path = part_path(folder, name, b)
                                if info["data"] is not None:
                                    write_part(info["data"], path)
                                recorded[path.name] = {
                                    "sha256": info["sha256"],
                                    "rows": info["rows"],
                                }
                            done.add(b)
                            runs_done += len(plan.batch_runs(b))
                            ran += len(plan.batch_runs(b))
                            record()
                        update(runs_done, plan.runs)
                except BrokenProcessPool:
                    if not own_executor or pools > POOL_RETRIES:
                        raise
                    stop_executor(executor, interrupted=True, kill=True)
                    executor = None
                    clean()
                    print(
                        f"a worker process died; running the {plan.runs - runs_done} runs not "
                        "saved yet on a fresh pool",
                        file=sys.stderr,
                    )
            record()
    except KeyboardInterrupt:
        interrupted = True
        record_if_possible()
        raise SweepInterrupted(folder, runs_done, plan.runs) from None
    except BrokenProcessPool:
        interrupted = True
        record_if_possible()
        why = f"worker processes died on each of {pools} pools"
        raise SweepFault(folder, runs_done, plan.runs, why) from None
    except OSError as exc:
        interrupted = True
        record_if_possible()
        why = output_fault(exc)
        if why is None:
            raise
        raise SweepFault(folder, runs_done, plan.runs, why) from None
    except BaseException:
        interrupted = True
        record_if_possible()
        raise
    finally:
        if own_executor:
            stop_executor(executor, interrupted=interrupted, kill=True)  # results are tiny
            if interrupted:  # every writer is stopped: drop what they left half-written
                clean()
    return SweepResult(folder, plan.runs, ran, time.perf_counter() - t0, meta)


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
        "seeds": "seed_for(seed, point, replicate): SeedSequence(seed, spawn_key=(point, replicate))",
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
