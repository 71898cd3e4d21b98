"""Faults lose nothing for sweeps (issue: faults, cases 2, 4, 5, 6, 7, 8, 9, 10; issue 13, cases 4
and 12): one writer per folder, dead and stopped workers, a full disk, a read-only folder,
damaged parts and manifests, changed inputs on resume, an unreachable scheduler, and printed
commands that survive a path with spaces.

Real subprocesses and real signals on the toy theater (12 runs of two days)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.sweep import read_manifest, run_sweep
from tests.faults import (
    SWEEP,
    TOY,
    cli,
    hidden_leftovers,
    kill_a_worker,
    located,
    mount_tmpfs,
    one_line,
    remount,
    start,
    term_with_a_stopped_worker,
    unmount,
)
from tests.test_faults_output import hold_lock

PARAMS = ["faction.X.aggression=0,0.5,1"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted sweep, in this process."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    run_sweep(TOY, PARAMS, replicates=4, batch_size=1, seed=3, workers=1, out=out)
    return out


def dataset(folder: Path) -> dict[str, bytes]:
    """Every data file of a sweep folder, byte for byte (the manifests hold times, not data)."""
    files = [folder / "design.parquet", *sorted((folder / "parts").iterdir())]
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


def partial_copy(reference: Path, folder: Path, keep: int = 4) -> Path:
    """The reference sweep as if stopped after `keep` batches."""
    shutil.copytree(reference, folder)
    for name in ("manifest.json", "manifest.backup.json"):
        meta = json.loads((folder / name).read_text())
        meta["sweep"]["batches_complete"] = list(range(keep))
        meta["sweep"]["runs_complete"] = keep
        meta["status"] = "partial"
        (folder / name).write_text(json.dumps(meta))
    for part in (folder / "parts").iterdir():
        if int(part.stem.rsplit("-", 1)[1]) >= keep:
            part.unlink()
    return folder


def sweep(out: Path, *extra: str) -> list[str]:
    return ["sweep", str(TOY), *SWEEP, "--out", str(out), "--quiet", *extra]


# --- one writer (case 2) ---------------------------------------------------------------------


@pytest.mark.parametrize("resume", [False, True], ids=["new", "resume"])
def test_a_second_sweep_writer_is_refused_in_one_line(reference, tmp_path, resume):
    out = partial_copy(reference, tmp_path / "s") if resume else tmp_path / "s"
    before = sorted(os.listdir(out)) if resume else None
    holder = hold_lock(out)
    try:
        args = sweep(out, "--resume") if resume else sweep(out)
        line = located(cli(*args, "--workers", "1", cwd=tmp_path))
    finally:
        holder.kill()
        holder.wait()
    assert f"being written by another conflict-sim (pid {holder.pid})" in line
    assert (sorted(os.listdir(out)) if resume else out.exists()) == (before if resume else False)


def test_two_different_sweeps_started_together_never_mix(tmp_path):
    out = tmp_path / "s"
    a = start(*sweep(out, "--workers", "1"), cwd=tmp_path)
    b = start(
        "sweep", str(TOY), "-p", "faction.X.aggression=0.2,0.4", "-n", "2", "--out", str(out),
        "--quiet", "--workers", "1", cwd=tmp_path,
    )  # fmt: skip
    (ca, _, ea), (cb, _, eb) = [(p.wait(timeout=120), *p.communicate()) for p in (a, b)]
    assert sorted([ca, cb]) == [0, 2], (ea, eb)
    assert "conflict-sim" in one_line(ea if ca else eb)  # being written, or already exists
    meta = read_manifest(out)
    winner = [0.0, 0.5, 1.0] if ca == 0 else [0.2, 0.4]
    assert meta["sweep"]["parameters"][0]["values"] == winner
    import pandas as pd

    design = pd.read_parquet(out / "design.parquet")
    assert design["faction.X.aggression"].tolist() == winner
    assert meta["status"] == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


# --- dead and stopped workers (cases 4 and 5) ------------------------------------------------


def test_a_killed_worker_costs_only_its_batch(reference, tmp_path):
    out = tmp_path / "s"
    proc = start(*sweep(out, "--workers", "2"), cwd=tmp_path)
    kill_a_worker(proc)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "a worker process died; running the" in one_line(stderr)
    assert read_manifest(out)["status"] == "complete"
    assert dataset(out) == dataset(reference)


def test_workers_that_keep_dying_end_in_one_line_with_the_resume_command(reference, tmp_path):
    out = tmp_path / "my sweep"  # a space: the printed command must survive being pasted
    env = {"FAULT_POOL_RETRIES": "0"}
    proc = start(*sweep(out, "--workers", "2"), cwd=tmp_path, env=env)
    kill_a_worker(proc)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    line = one_line(stderr)
    assert line.startswith("error: worker processes died on each of 1 pools;")
    assert f"runs are saved in {out}" in line
    command = shlex.split(line.split("next: ", 1)[1])
    assert command[:2] == ["conflict-sim", "sweep"] and "--resume" in command
    result = cli(*command[1:], "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert dataset(out) == dataset(reference)
    analyze = shlex.split(result.stdout.split("next: ", 1)[1].rstrip(")\n"))
    assert analyze == ["conflict-sim", "analyze", str(out)]


def test_sigterm_with_a_stopped_worker_ends_in_bounded_time(reference, tmp_path):
    out = tmp_path / "s"
    proc = start(*sweep(out, "--workers", "2", "-n", "40"), cwd=tmp_path)
    stderr, took, left = term_with_a_stopped_worker(proc)
    assert proc.returncode == 130, stderr
    assert took < 30 and left == []
    assert "Run the same command with --resume" in one_line(stderr)


# --- full disk, read-only (cases 6 and 7) ----------------------------------------------------


def test_a_new_sweep_on_a_full_disk_leaves_nothing_that_blocks_a_rerun(tmp_path):
    out = tmp_path / "s"
    env = {"FAULT": "enospc", "FAULT_UNDER": str(tmp_path)}
    result = cli(*sweep(out, "--workers", "1"), cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert "no space left on the device [ENOSPC]" in line
    assert list(tmp_path.iterdir()) == []
    assert cli(*sweep(out, "--workers", "1"), cwd=tmp_path).returncode == 0


def test_a_disk_full_mid_sweep_is_one_line_and_resume_recovers_byte_for_byte(reference, tmp_path):
    out = tmp_path / "s"
    env = {"FAULT": "enospc", "FAULT_UNDER": str(tmp_path), "FAULT_AFTER": "30"}
    result = cli(*sweep(out, "--workers", "1"), cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert str(out) in line and "no space left on the device [ENOSPC]" in line
    assert "next: conflict-sim sweep" in line and "--resume" in line
    assert hidden_leftovers(tmp_path) == []  # temporary files removed
    # Stray temporary files (from a process killed while writing) do not block --resume.
    (out / ".manifest.json.4242.deadbeef.tmp").write_text("{")
    (out / "parts" / ".runs-000009.parquet.4242.deadbeef.tmp").write_bytes(b"PAR1")
    resumed = cli(*shlex.split(line.split("next: ", 1)[1])[1:], "--workers", "1", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert dataset(out) == dataset(reference)
    assert hidden_leftovers(tmp_path) == []


def test_a_read_only_sweep_folder_is_refused_before_any_run(reference, tmp_path):
    out = partial_copy(reference, tmp_path / "s")
    env = {"FAULT": "erofs", "FAULT_UNDER": str(out), "FAULT_MARK_SIMULATION": "1"}
    t0 = time.monotonic()
    result = cli(*sweep(out, "--resume", "--workers", "1"), cwd=tmp_path, env=env)
    assert "cannot be written: the file system is read-only" in located(result)
    assert read_manifest(out)["sweep"]["batches_complete"] == [0, 1, 2, 3]
    assert time.monotonic() - t0 < 60


# --- damaged files (case 8) ------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "copied over"])
def test_a_damaged_part_is_refused_by_readers_and_rerun_by_resume(reference, tmp_path, damage):
    out = tmp_path / "s"
    shutil.copytree(reference, out)
    part = out / "parts" / "runs-000005.parquet"
    if damage == "truncated":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    else:
        shutil.copy(out / "parts" / "runs-000004.parquet", part)
    res = CliRunner().invoke(app, ["analyze", str(out), "--out", str(tmp_path / "a.html")])
    assert res.exit_code == 2, res.output
    line = one_line(res.stderr)
    assert str(part) in line and "damaged" in line and "--resume" in line
    resumed = cli(*sweep(out, "--resume", "--workers", "1"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "(1 run now" in resumed.stdout
    assert dataset(out) == dataset(reference)


def test_a_damaged_manifest_is_refused_in_one_line_and_rebuilt_by_resume(reference, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(reference, out)
    text = (out / "manifest.json").read_text()
    (out / "manifest.json").write_text(text[: len(text) // 2])
    res = CliRunner().invoke(app, ["analyze", str(out), "--out", str(tmp_path / "a.html")])
    assert res.exit_code == 2, res.output
    line = one_line(res.stderr)
    assert "manifest.json" in line and "not valid JSON" in line and "manifest.backup.json" in line
    resumed = cli(*sweep(out, "--resume", "--workers", "1"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert read_manifest(out)["status"] == "complete"
    assert dataset(out) == dataset(reference)


def test_manifest_records_each_parts_sha256_and_rows(reference):
    import hashlib

    import pyarrow.parquet as pq

    files = read_manifest(reference)["sweep"]["part_files"]
    parts = sorted((reference / "parts").iterdir())
    assert sorted(files) == [p.name for p in parts]
    for p in parts:
        assert files[p.name]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
        assert files[p.name]["rows"] == pq.read_metadata(p).num_rows


# --- inputs that changed, an unreachable scheduler (issue 13, cases 4 and 12) ----------------


def test_resume_refuses_when_the_theater_changed(reference, tmp_path):
    scenario = tmp_path / "toy_scenario.yaml"
    shutil.copy(TOY, scenario)
    theater = tmp_path / "toy_theater.yaml"
    shutil.copy(TOY.parent / "toy_theater.yaml", theater)
    out = tmp_path / "s"
    args = ["sweep", str(scenario), *SWEEP, "--out", str(out), "--quiet", "--workers", "1"]
    assert cli(*args, cwd=tmp_path).returncode == 0
    meta = read_manifest(out)
    meta["sweep"]["batches_complete"] = [0, 1]
    (out / "manifest.json").write_text(json.dumps(meta))
    data = yaml.safe_load(theater.read_text())
    data["units"][0]["personnel"] = data["units"][0]["personnel"] * 5
    theater.write_text(yaml.safe_dump(data, sort_keys=False))
    line = located(cli(*args, "--resume", cwd=tmp_path))
    assert "inputs: the theater file changed since the sweep started" in line
    assert read_manifest(out)["sweep"]["batches_complete"] == [0, 1]
    shutil.copy(TOY.parent / "toy_theater.yaml", theater)  # restored: the resume is accepted
    assert cli(*args, "--resume", cwd=tmp_path).returncode == 0


def test_an_unreachable_scheduler_is_refused_at_once_and_creates_nothing(tmp_path):
    out = tmp_path / "s"
    t0 = time.monotonic()
    result = cli(*sweep(out), "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert time.monotonic() - t0 < 20
    line = located(result)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in line
    assert list(tmp_path.iterdir()) == []


# --- the API (case 9) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"replicates": -1}, "replicates"),
        ({"workers": 0}, "workers"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_run_sweep_counts_below_one_raise_valueerror(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be a whole number of at least 1"):
        run_sweep(TOY, PARAMS, out=tmp_path / "s", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_real_full_disk_mid_sweep_then_resume_after_freeing_space(reference, tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "96k"):
        pytest.skip("cannot mount a tmpfs here; the injected ENOSPC tests cover a full disk")
    try:
        out = disk / "s"
        result = cli(*sweep(out, "--workers", "1"), cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        line = one_line(result.stderr)
        assert "no space left on the device [ENOSPC]" in line and "runs are saved in" in line
        assert hidden_leftovers(disk) == []
        remount(disk, "4m")  # space freed
        resumed = cli(*shlex.split(line.split("next: ", 1)[1])[1:], "--workers", "1", cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert dataset(out) == dataset(reference)
        assert hidden_leftovers(disk) == []
    finally:
        unmount(disk)


def test_a_damaged_design_is_refused_by_readers_and_rebuilt_by_resume(reference, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(reference, out)
    design = out / "design.parquet"
    design.write_bytes(design.read_bytes()[:100])
    res = CliRunner().invoke(app, ["analyze", str(out), "--out", str(tmp_path / "a.html")])
    assert res.exit_code == 2, res.output
    line = one_line(res.stderr)
    assert str(design) in line and "damaged" in line and "--resume" in line
    resumed = cli(*sweep(out, "--resume", "--workers", "1"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "rebuilt from manifest.json" in resumed.stderr
    assert dataset(out) == dataset(reference)
