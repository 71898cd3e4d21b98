"""Stress (issue: faults lose nothing): 20 rounds of a random SIGINT, SIGTERM or SIGKILL, at a
random moment, to a sweep or to one of its pool workers, each followed by `--resume`. Every
round must end with a dataset byte-identical to the uninterrupted sweep's, no process of the
round still alive, and no stray file (lock, staging folder, temporary file).

A round is a real `conflict-sim sweep` subprocess with two workers on the toy theater (12 runs,
about a second); the signal comes at a random moment within 0.8 s of the sweep folder's
creation. The seeded choices are printed on failure, so a failing round can be replayed."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from sim.sweep import read_manifest, run_sweep
from tests.faults import SWEEP, TOY, descendants, pool_workers, start, wait_gone
from tests.test_faults_sweep import PARAMS, dataset

ROUNDS = 20
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "sweep"
    run_sweep(TOY, PARAMS, replicates=4, batch_size=1, seed=3, workers=1, out=out)
    return out


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_random_signals_then_resume_always_give_the_uninterrupted_dataset(reference, tmp_path):
    rng = random.Random(17)
    expected = dataset(reference)
    for i in range(ROUNDS):
        out = tmp_path / f"round-{i}"
        sig, target, delay = (
            rng.choice(SIGNALS),
            rng.choice(("sweep", "worker")),
            rng.uniform(0, 0.8),
        )
        note = f"round {i}: {sig.name} to the {target} {delay:.2f} s after the folder appeared"
        args = ["sweep", str(TOY), *SWEEP, "--out", str(out), "--quiet", "--workers", "2"]
        proc = start(*args, cwd=tmp_path)
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            seen |= descendants(proc.pid)
            time.sleep(0.005)
        deadline = time.monotonic() + delay  # then a random moment of the sweep itself
        while time.monotonic() < deadline and proc.poll() is None:
            seen |= descendants(proc.pid)
            time.sleep(0.005)
        seen |= descendants(proc.pid)
        victims = pool_workers(proc.pid) if target == "worker" else []
        if proc.poll() is None:
            os.kill(rng.choice(victims) if victims else proc.pid, sig)
        proc.communicate(timeout=120)
        assert wait_gone(seen) == [], f"{note}: processes left behind"
        # The same sweep again, with --resume (a new one if it was stopped before it began).
        run_sweep(TOY, PARAMS, replicates=4, batch_size=1, seed=3, workers=1, out=out, resume=True)
        assert dataset(out) == expected, note
        assert read_manifest(out)["status"] == "complete", note
        assert listing(out) == listing(reference), note
        beside = sorted(p.name for p in tmp_path.iterdir())
        assert beside == sorted(f"round-{j}" for j in range(i + 1)), f"{note}: stray files"
