"""Where runs execute: in this process, or in batches on any `concurrent.futures.Executor`.

Runs are sent in batches (one task per batch) because per-task overhead dominates short runs
(about 0.2 ms a task for a process pool, 4 ms for Dask). At most `max_in_flight` batches are
submitted at a time, and a finished batch is dropped as soon as the caller has consumed it, so
memory stays flat however many runs there are. Results come back in completion order; callers
sort by run id.

Executors: `local_executor(workers)` is a process pool (forkserver, with the model preloaded, and
workers that ignore Ctrl-C so that only the parent decides what to keep); `sim.dask_cluster`
runs the same tasks on a Dask distributed cluster (`tcp://host:8786`). Both are plain
`concurrent.futures.Executor`s.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # this module stays light: the CLI imports it to start workers early
    from sim.config import Setup
    from sim.runner import RunOutput, RunSpec


def run_batch(
    setup: Setup, specs: Sequence[RunSpec], params: Mapping[str, float]
) -> list[RunOutput]:
    """Run a batch of specs in one worker (module-level so that it pickles)."""
    from sim.runner import run_one

    return [run_one(setup, spec, params) for spec in specs]


def batches(specs: Sequence[RunSpec], size: int) -> list[list[RunSpec]]:
    return [list(specs[i : i + size]) for i in range(0, len(specs), size)]


def submit_bounded(
    executor: Executor | None,
    fn: Callable[..., Any],
    jobs: Iterable[tuple[Hashable, tuple]],
    max_in_flight: int,
) -> Iterator[tuple[Hashable, Any]]:
    """Yield `(key, fn(*args))` for each `(key, args)` job, in completion order.

    Without an executor the jobs run here, in order. With one, at most `max_in_flight` are
    submitted at a time; when the consumer stops early (an error, Ctrl-C, `close()`), the jobs
    not yet started are cancelled.
    """
    if executor is None:
        for key, args in jobs:
            yield key, fn(*args)
        return
    todo = iter(jobs)
    pending: dict[Future, Hashable] = {}
    try:
        while True:
            while len(pending) < max(1, max_in_flight):
                job = next(todo, None)
                if job is None:
                    break
                key, args = job
                pending[executor.submit(fn, *args)] = key
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                key = pending.pop(fut)
                yield key, fut.result()
    finally:
        for fut in pending:
            fut.cancel()


def execute(
    setup: Setup,
    specs: Sequence[RunSpec],
    params: Mapping[str, float],
    executor: Executor | None = None,
    batch_size: int = 4,
    max_in_flight: int | None = None,
) -> Iterator[list[RunOutput]]:
    """Yield finished batches of run outputs; without an executor run them here, in order."""
    groups = batches(specs, batch_size)
    window = max_in_flight or len(groups)
    jobs = ((i, (setup, group, dict(params))) for i, group in enumerate(groups))
    for _key, outputs in submit_bounded(executor, run_batch, jobs, window):
        yield outputs


def _worker_init(alive: Any = None) -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels work and keeps what is finished;
    and they exit when the parent dies (killed outright, a pool's workers would otherwise wait
    for tasks for ever: `alive` is the read end of a pipe whose only writer is the parent)."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if alive is None:
        return

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            alive.recv_bytes()  # nothing is ever sent: returns (EOFError) when the parent is gone
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _forkserver():
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    # Workers fork from a server that has already imported the model (about 1.6 s saved each).
    ctx.set_forkserver_preload(["sim.execution", "sim.model", "sim.sweep", "sim.sweep_batches"])
    return ctx


def prestart_pool() -> None:
    """Start the fork server now, so that its imports overlap the caller's own imports and setup.

    Forkserver rather than fork: the parent may already run threads (Arrow, a progress bar, a
    Dask client), and forking a threaded process can deadlock the child.
    """
    from multiprocessing import forkserver

    _forkserver()
    forkserver.ensure_running()


def _noop() -> None:
    return None


POOL_RETRIES = 2
"""Fresh pools tried after a worker process dies (killed, out of memory) before giving up."""
STOP_GRACE_SECONDS = 5.0
"""How long stopped workers get to exit before they are killed (a SIGSTOPped one never would)."""


def main_importable() -> bool:
    """Whether pool workers can import the main module: not so for a script piped into
    `python -` (its `__main__.__file__` is `<stdin>`, which a worker would try to run)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None or getattr(main, "__spec__", None) is not None or os.path.isfile(path)


def local_executor(workers: int, start: bool = False) -> ProcessPoolExecutor | None:
    """A process pool for more than one worker; None means run in this process.

    `start=True` starts every worker now (a pool otherwise starts them on its first tasks), so a
    caller can do it while holding Ctrl-C back: a worker whose start is cut short by an
    interrupt is unknown to the pool, cannot be stopped, and fails noisily when the parent
    exits. From a main script that workers cannot import (piped into `python -`), runs stay in
    this process, with a RuntimeWarning.
    """
    if workers <= 1:
        return None
    if not main_importable():
        warnings.warn(
            f"workers={workers}: worker processes cannot start from a script read from stdin "
            "(`python -`); running in this process. Save the script to a file to use workers.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    ctx = _forkserver()
    reader, writer = ctx.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(reader,)
    )
    pool._sim_alive = (reader, writer)  # the writer lives as long as the pool
    if start:
        with sigint_deferred():
            for _ in range(workers):
                pool.submit(_noop)
    return pool


def sigint_deferred() -> contextlib.AbstractContextManager[None]:
    """Hold Ctrl-C (and SIGTERM, which commands treat alike) back for the duration of the block,
    then raise KeyboardInterrupt (main thread only)."""
    from sim.outdir import signals_held

    return signals_held()


def check_counts(**counts: int | None) -> None:
    """Refuse a count below 1 (None means 'the default').

    Raises:
        ValueError: naming the first argument below 1 and its value.
    """
    for name, value in counts.items():
        if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


def stop_executor(executor: Executor | None, interrupted: bool = False, kill: bool = False) -> None:
    """Shut an executor down.

    After an interrupt, tasks not started are cancelled. `kill=True` also stops a process
    pool's workers at once (SIGTERM, then SIGKILL after `STOP_GRACE_SECONDS` for any that did
    not go, such as one stopped with SIGSTOP). Without `kill`, running tasks get
    `STOP_GRACE_SECONDS` to finish before the same happens. A worker killed while sending a
    large result would leave the pool's thread reading the rest for ever, and the process could
    never exit: once every worker is dead, that read is ended (see `_unblock_results`).
    """
    if executor is None:
        return
    if isinstance(executor, ProcessPoolExecutor):
        procs = list((getattr(executor, "_processes", None) or {}).values())
        # shutdown(wait=False) drops the pool's references to these; kept to end a stuck read.
        thread = getattr(executor, "_executor_manager_thread", None)
        results = getattr(executor, "_result_queue", None)
        if interrupted and kill:
            # Workers first, then the pool: a worker still starting must not find the pool's
            # queues and locks already released (it would print a traceback as it fails).
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
            _reap(procs, STOP_GRACE_SECONDS)
            executor.shutdown(wait=False, cancel_futures=True)
            _unblock_results(thread, results)
        elif interrupted:
            executor.shutdown(wait=False, cancel_futures=True)
            if _reap(procs, STOP_GRACE_SECONDS):
                _unblock_results(thread, results)
        else:
            _shutdown_or_stop(executor, procs, thread, results)
        for conn in getattr(executor, "_sim_alive", ()):
            conn.close()
        return
    executor.shutdown(wait=not interrupted)
    client = getattr(executor, "_sim_client", None)
    if client is not None:
        client.close()


def _shutdown_or_stop(executor: Executor, procs: Sequence[Any], thread: Any, results: Any) -> None:
    """Shut a process pool down whose work is done, waiting `STOP_GRACE_SECONDS` at most.

    A worker killed just then can die holding the pool's task-queue lock; the other workers
    then wait for that lock for ever and CPython's shutdown waits for them (reproduced: 5 of 25
    sweeps whose worker was killed as the last batch was recorded hung). After the grace period
    the remaining workers are stopped, which ends the wait."""
    closer = threading.Thread(
        target=executor.shutdown, kwargs={"wait": True, "cancel_futures": True}, daemon=True
    )
    closer.start()
    closer.join(STOP_GRACE_SECONDS)
    if closer.is_alive():
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        _reap(procs, STOP_GRACE_SECONDS)
        _unblock_results(thread, results)
        closer.join(STOP_GRACE_SECONDS)


def _reap(procs: Sequence[Any], grace: float) -> bool:
    """Wait up to `grace` seconds for the processes to exit, then kill the rest (SIGKILL, which
    reaches a stopped process too). Returns whether any had to be killed."""
    deadline = time.monotonic() + grace
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [proc for proc in procs if proc.is_alive()]
    for proc in alive:
        proc.kill()
    for proc in alive:
        proc.join(timeout=5)
    return bool(alive)


def _unblock_results(thread: Any, results: Any) -> None:
    """End the pool thread's read of a result that a killed worker never finished sending.

    With every worker dead, the parent's end is the last writer of the result pipe: closing it
    makes the read fail, and the thread marks the pool broken and stops (else the interpreter
    would wait for it at exit for ever)."""
    if thread is None:
        return
    thread.join(timeout=1)
    writer = getattr(results, "_writer", None)
    if thread.is_alive() and writer is not None:
        writer.close()
        thread.join(timeout=5)


def default_workers() -> int:
    return os.cpu_count() or 1


def run_specs(
    setup: Setup,
    specs: Sequence[RunSpec],
    params: Mapping[str, float],
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    on_batch: Callable[[list[RunOutput]], None] | None = None,
) -> list[RunOutput]:
    """Run all specs (in a process pool when workers > 1) and return outputs in run-id order;
    with `on_batch`, each finished batch goes there instead and nothing is kept.

    When a worker process dies (killed, out of memory), the runs not yet back are run again on a
    fresh pool, up to `POOL_RETRIES` times; finished runs are kept.

    Raises:
        WorkersLost: workers died on every pool tried.
    """
    outputs: list[RunOutput] = []
    finished: set[int] = set()
    size = max(1, min(8, len(specs) // max(workers * 4, 1)))
    for attempt in range(POOL_RETRIES + 1):
        todo = [s for s in specs if s.run_id not in finished]
        pool = local_executor(workers, start=True)
        interrupted = False
        try:
            for batch in execute(setup, todo, params, pool, size, max_in_flight=2 * workers):
                finished.update(o.summary["run_id"] for o in batch)
                if on_batch is not None:
                    on_batch(batch)
                else:
                    outputs.extend(batch)
                if on_progress is not None:
                    on_progress(len(finished), len(specs))
            break
        except BrokenProcessPool:
            interrupted = True
            if attempt == POOL_RETRIES:
                raise WorkersLost(len(finished), len(specs), attempt + 1) from None
            print(
                f"a worker process died; running the {len(specs) - len(finished)} unfinished "
                "runs again on a fresh pool",
                file=sys.stderr,
            )
        except BaseException:
            interrupted = True
            raise
        finally:
            stop_executor(pool, interrupted=interrupted, kill=interrupted)
    return sorted(outputs, key=lambda o: o.summary["run_id"])


class WorkersLost(RuntimeError):
    """Worker processes died on every pool tried; `done` of `total` runs had finished."""

    def __init__(self, done: int, total: int, pools: int):
        super().__init__(
            f"worker processes died on each of {pools} pools ({done} of {total} runs finished); "
            "nothing was written. Check memory, or run with --workers 1"
        )
        self.done, self.total, self.pools = done, total, pools
