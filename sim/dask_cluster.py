"""Running the ensemble's batches on a Dask distributed cluster (`--scheduler tcp://host:8786`).

`check_scheduler` refuses a bad address before anything is created, `dask_executor` gives the
cluster as a plain `concurrent.futures.Executor` (which `sim.execution.submit_bounded` feeds and
`sim.execution.stop_executor` closes with its client), and `executor_slots` says how many tasks
it runs at once. Dask itself is an optional extra (`pip install 'conflict-sim[dask]'`),
imported only here, and only when a cluster is used.
"""

from __future__ import annotations

from concurrent.futures import Executor


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Refuse a Dask scheduler address (tcp, tls, ws, wss) that is malformed or does not accept
    a connection; a refused connection is reported at once, an unanswered one after `timeout`
    seconds.

    Raises:
        InputError: one line naming the address and the reason.
    """
    import socket
    from urllib.parse import urlsplit

    from sim.errors import InputError, Problem

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls", "ws", "wss"):
        return  # inproc:// (a cluster in this process) and others: nothing to connect to
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        why = f"{address!r} is not a scheduler address like tcp://host:8786"
        raise InputError(Problem("--scheduler", 1, 1, "scheduler", why))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        why = f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc or 'timed out'}"
        raise InputError(Problem("--scheduler", 1, 1, "scheduler", why)) from None


def dask_executor(address: str) -> Executor:
    """A `concurrent.futures` view of a Dask distributed cluster; the client closes with it.

    The workers need this package installed (`pip install -e .[dask]`); they import
    `sim.execution` and `sim.sweep` by name.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise RuntimeError(
            "--scheduler needs dask.distributed: pip install 'conflict-sim[dask]'"
        ) from exc
    client = Client(address)
    executor = client.get_executor()
    executor._sim_client = client  # closed by stop_executor
    return executor


def executor_slots(executor: Executor | None, workers: int) -> int:
    """How many tasks the executor runs at once (its worker threads on a Dask cluster)."""
    client = getattr(executor, "_sim_client", None) or getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:
            return max(1, workers)
    return max(1, workers)
