"""Where runs execute: in this process, or in batches on any `concurrent.futures.Executor`.

Runs are sent in batches (one task per batch) because per-task overhead dominates short runs.
Results come back per batch in completion order; callers sort by run id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from sim.config import Setup
from sim.runner import RunOutput, RunSpec, run_one


def run_batch(
    setup: Setup, specs: Sequence[RunSpec], params: Mapping[str, float]
) -> list[RunOutput]:
    """Run a batch of specs in one worker (module-level so that it pickles)."""
    return [run_one(setup, spec, params) for spec in specs]


def batches(specs: Sequence[RunSpec], size: int) -> list[list[RunSpec]]:
    return [list(specs[i : i + size]) for i in range(0, len(specs), size)]


def execute(
    setup: Setup,
    specs: Sequence[RunSpec],
    params: Mapping[str, float],
    executor: Executor | None = None,
    batch_size: int = 4,
) -> Iterator[list[RunOutput]]:
    """Yield finished batches; without an executor run them here, in order."""
    groups = batches(specs, batch_size)
    if executor is None:
        for group in groups:
            yield run_batch(setup, group, params)
        return
    futures = [executor.submit(run_batch, setup, group, dict(params)) for group in groups]
    try:
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        for fut in futures:
            fut.cancel()


def local_executor(workers: int) -> ProcessPoolExecutor | None:
    """A process pool for more than one worker; None means run in this process."""
    if workers <= 1:
        return None
    import multiprocessing as mp

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))


def run_specs(
    setup: Setup,
    specs: Sequence[RunSpec],
    params: Mapping[str, float],
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[RunOutput]:
    """Run all specs (in a process pool when workers > 1) and return outputs in run-id order."""
    outputs: list[RunOutput] = []
    pool = local_executor(workers)
    size = max(1, min(8, len(specs) // max(workers * 4, 1)))
    try:
        for batch in execute(setup, specs, params, pool, batch_size=size):
            outputs.extend(batch)
            if on_progress is not None:
                on_progress(len(outputs), len(specs))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return sorted(outputs, key=lambda o: o.summary["run_id"])
