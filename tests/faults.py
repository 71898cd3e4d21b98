"""Helpers for the fault tests: the real CLI in a subprocess, with faults injected where the
machine cannot make them on demand (a full disk, a read-only folder), and the processes a
command started (its pool workers), found through /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ERROR_LINE

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "data" / "toy_scenario.yaml"
TOY_OBS = ROOT / "tests" / "data" / "toy_observations.yaml"
# A toy sweep: 3 points x 4 replicates = 12 runs of two days, one run per batch (~0.1 s a run).
SWEEP = ["-p", "faction.X.aggression=0,0.5,1", "-n", "4", "--batch-size", "1", "--seed", "3"]

# Runs the CLI with faults injected into this process's own system calls:
#   FAULT=enospc  os.write on our temporary files under FAULT_UNDER writes half, then fails
#                 with ENOSPC (after FAULT_AFTER successful writes), as a full disk does;
#   FAULT=erofs   creating any file under FAULT_UNDER fails with EROFS (a read-only folder);
#   FAULT_WRITE_DELAY=s  each write to our temporary files under FAULT_UNDER takes s seconds
#                 longer (a slow disk: time to signal a process while it writes);
#   FAULT_SIGTERM_IN_SWAP=1  the process sends itself SIGTERM between the two renames that
#                 put a results folder in place;
#   FAULT_MARK_SIMULATION=1  print SIMULATING to stderr when the runs start.
INJECT = r"""
import errno, os, signal, sys, time
under = os.environ.get("FAULT_UNDER", "\0")
delay = float(os.environ.get("FAULT_WRITE_DELAY", "0"))
fault = os.environ.get("FAULT", "")
allow = int(os.environ.get("FAULT_AFTER", "0"))
seen = [0]
real_write, real_open, real_replace = os.write, os.open, os.replace

def where(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""

def write(fd, data):
    path = where(fd)
    if delay and path.startswith(under) and path.endswith(".tmp"):
        time.sleep(delay)
    if fault == "enospc" and path.startswith(under) and path.endswith(".tmp"):
        seen[0] += 1
        if seen[0] > allow:
            real_write(fd, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real_write(fd, data)

def open_(path, flags, *args, **kwargs):
    if fault == "erofs" and str(path).startswith(under) and flags & (os.O_CREAT | os.O_WRONLY):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return real_open(path, flags, *args, **kwargs)

def replace(src, dst, *args, **kwargs):
    real_replace(src, dst, *args, **kwargs)
    if os.environ.get("FAULT_SIGTERM_IN_SWAP") and ".old." in os.path.basename(str(dst)):
        os.kill(os.getpid(), signal.SIGTERM)  # between the swap's two renames

os.write, os.open, os.replace = write, open_, replace
if os.environ.get("FAULT_MARK_SIMULATION"):
    import sim.execution
    real_run_specs = sim.execution.run_specs
    def run_specs(*args, **kwargs):
        print("SIMULATING", file=sys.stderr, flush=True)
        return real_run_specs(*args, **kwargs)
    sim.execution.run_specs = run_specs
if os.environ.get("FAULT_POOL_RETRIES"):
    import sim.execution
    sim.execution.POOL_RETRIES = int(os.environ["FAULT_POOL_RETRIES"])
sys.argv = ["conflict-sim", *sys.argv[1:]]
from sim.cli import main
main()
"""


def command(*args: str, inject: bool = False) -> list[str]:
    if inject:
        return [sys.executable, "-c", INJECT, *args]
    return [sys.executable, "-m", "sim.cli", *args]


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    full = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        command(*args, inject=env is not None),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full,
    )


def start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    full = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.Popen(
        command(*args, inject=env is not None),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )


def one_line(stderr: str) -> str:
    """The only non-empty line of stderr, with no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def located(result: subprocess.CompletedProcess, code: int = 2) -> str:
    """The single located error line (`error: file:line:col: field: message`) of a command."""
    assert result.returncode == code, result.stdout + result.stderr
    line = one_line(result.stderr)
    assert ERROR_LINE.match(line), line
    return line


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def pool_workers(pid: int) -> list[int]:
    """The pool workers of a conflict-sim process: children of its fork server."""
    return [w for c in children(pid) if "forkserver" in cmdline(c) for w in children(c)]


def descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def wait_for_workers(proc: subprocess.Popen, count: int = 1, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pool_workers(proc.pid)
        if len(found) >= count:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"ended before its workers started: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError("no pool workers appeared")


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int] | list[int], timeout: float = 15) -> list[int]:
    """The pids still alive after `timeout` seconds (killed then, so no test leaves orphans)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


def term_with_a_stopped_worker(proc: subprocess.Popen) -> tuple[str, float, list[int]]:
    """SIGSTOP one pool worker, then SIGTERM the command. Returns (stderr, seconds the command
    took to end, processes of it still alive)."""
    workers = wait_for_workers(proc, 2)
    time.sleep(0.5)
    os.kill(workers[0], signal.SIGSTOP)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        left = wait_gone({proc.pid, *workers}, timeout=1 if proc.poll() is None else 15)
    return stderr, time.monotonic() - t0, left


def hidden_leftovers(folder: Path) -> list[str]:
    """Names a writer may leave behind by mistake: locks, staging folders, temporary files."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob(".*")
        if p.name.endswith((".lock", ".tmp")) or p.is_dir()
    )


def mount_tmpfs(folder: Path, size: str) -> bool:
    """Mount a small tmpfs (a real full disk) at `folder`; False where that is not permitted
    (not root, or no CAP_SYS_ADMIN in a container)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def remount(folder: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


def unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def kill_a_worker(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 60) -> int:
    """Send `sig` to one live pool worker of `proc`; its pid. Fails if `proc` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in wait_for_workers(proc, 1, timeout=deadline - time.monotonic()):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
            return pid
    raise AssertionError("no live worker to signal")
