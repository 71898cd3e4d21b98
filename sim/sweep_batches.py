"""A sweep's runs in batches: the plan, a worker's batch (`run_parts`) and the loop that hands
batches to an executor and records each finished one in the manifest (see `sim.sweep`)."""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Setup
from sim.outdir import output_fault, signals_held, stray_temporaries
from sim.runner import TABLES, RunSpec, Tables, arrow_tables, run_one, seed_for
from sim.sweep_store import (
    PARTS,
    part_info,
    part_path,
    read_sweep,
    resume_command,
    write_manifest,
    write_part,
)

# How run seeds are derived (see SweepPlan.seeds).
SEED_SCHEMES = ("independent", "common")
# Rows a worker holds as dicts before turning them into DataFrames (about 30 MB).
ROW_BUDGET = 50_000


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
    # "independent": every run its own stream; "common": replicate r draws the same random
    # numbers at every design point (common random numbers, Law & Kelton ch. 11), so the
    # difference between two points is the parameters' effect, not noise between seeds.
    seeds: str = "independent"

    def __post_init__(self) -> None:
        if self.seeds not in SEED_SCHEMES:
            raise ValueError(f"seeds is {self.seeds!r}; one of {', '.join(SEED_SCHEMES)}")

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
            seed=seed_for(self.seed, 0 if self.seeds == "common" else point, rep),
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


class SweepFault(RuntimeError):
    """A sweep stopped by a fault (a full disk, workers that kept dying); what was saved stays
    and `--resume` continues it once the cause is fixed."""

    def __init__(self, folder: Path, done: int, total: int, reason: str):
        self.folder, self.done, self.total, self.reason = folder, done, total, reason
        super().__init__(
            f"{reason}; {done} of {total} runs are saved in {folder}; when fixed, next: "
            f"{resume_command(folder)}"
        )


def run_batches(
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

    from sim.dask_cluster import dask_executor, executor_slots
    from sim.execution import (
        POOL_RETRIES,
        default_workers,
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
