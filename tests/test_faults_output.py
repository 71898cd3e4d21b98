"""Faults lose nothing for `run`, `validate` and `calibrate` (issue: faults, cases 2, 3, 5, 6, 7
and 9): one writer per folder, SIGTERM like Ctrl-C, a swap that never leaves neither folder,
stale staging tidied, a full disk and a read-only folder in one line, and the API's counts.

Real subprocesses and real signals; a full disk and a read-only folder are injected into the
command's own system calls (tests/faults.py), since CI cannot be relied on to mount a tmpfs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.api import run_ensemble, run_to_folder
from sim.results import write_json
from tests.faults import (
    TOY,
    TOY_OBS,
    cli,
    hidden_leftovers,
    kill_a_worker,
    located,
    mount_tmpfs,
    one_line,
    start,
    term_with_a_stopped_worker,
    unmount,
)

RUN = ["run", str(TOY), "--no-report", "--quiet"]
FIT = ["--budget", "2", "-n", "1", "--quiet"]


def hold_lock(folder: Path) -> subprocess.Popen:
    """Another process that holds the writer's lock of `folder` until it is killed."""
    code = (
        "import sys, time\nfrom sim.outdir import output_lock\n"
        "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize(
    "command",
    [
        [*RUN, "-n", "1"],
        ["validate", str(TOY), "-o", str(TOY_OBS), "-n", "1", "--no-report", "--quiet"],
        ["calibrate", str(TOY), "-o", str(TOY_OBS), "-p", "faction.X.aggression=0:1", *FIT],
    ],
    ids=["run", "validate", "calibrate"],
)
def test_a_second_writer_is_refused_in_one_line_and_changes_nothing(tmp_path, command):
    out = tmp_path / "res"
    first = cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = (out / "manifest.json").read_bytes()
    holder = hold_lock(out)
    try:
        line = located(cli(*command, "--out", str(out), cwd=tmp_path))
    finally:
        holder.kill()
        holder.wait()
    assert f"being written by another conflict-sim (pid {holder.pid})" in line
    assert (out / "manifest.json").read_bytes() == before


def test_two_runs_at_once_one_wins_whole_and_the_other_is_refused(tmp_path):
    out = tmp_path / "res"
    procs = [start(*RUN, "-n", str(n), "--out", str(out), cwd=tmp_path) for n in (80, 81)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 2], results
    winner = next(n for n, (code, _o, _e) in zip((80, 81), results, strict=True) if code == 0)
    loser_err = next(err for code, _o, err in results if code == 2)
    assert "being written by another conflict-sim" in one_line(loser_err)
    assert json.loads((out / "manifest.json").read_text())["replicates"] == winner
    assert len(pd.read_parquet(out / "runs.parquet")) == winner
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_temporary_files_have_unique_names_so_concurrent_writers_never_collide(tmp_path):
    path = tmp_path / "manifest.json"
    errors: list[BaseException] = []

    def writer(tag: int) -> None:
        try:
            for i in range(200):
                write_json({"writer": tag, "i": i}, path)
        except BaseException as exc:  # collected: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert json.loads(path.read_text())["i"] == 199
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_sigterm_while_results_are_written_keeps_the_old_folder_and_leaves_nothing(tmp_path):
    out = tmp_path / "res"
    assert cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path).returncode == 0
    before = (out / "manifest.json").read_bytes()
    # A slow disk: each file takes 0.3 s to write, and SIGTERM lands while they are written.
    env = {"FAULT_WRITE_DELAY": "0.3", "FAULT_UNDER": str(tmp_path)}
    proc = start(*RUN, "-n", "2", "--out", str(out), cwd=tmp_path, env=env)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".res.*/.*.tmp")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in one_line(stderr)
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_sigterm_between_the_two_renames_of_the_swap_leaves_the_new_folder(tmp_path):
    out = tmp_path / "res"
    assert cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path).returncode == 0
    result = cli(
        *RUN, "-n", "2", "--out", str(out), cwd=tmp_path, env={"FAULT_SIGTERM_IN_SWAP": "1"}
    )
    assert result.returncode == 130, result.stderr
    assert json.loads((out / "manifest.json").read_text())["replicates"] == 2
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_the_next_run_tidies_stale_staging_and_puts_back_a_folder_cut_mid_swap(tmp_path):
    out = tmp_path / "res"
    assert cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path).returncode == 0
    # What SIGKILL leaves: the old folder moved aside, the new one still staged, no `res`.
    os.replace(out, tmp_path / ".res.old.k1ll3d00")
    staged = tmp_path / ".res.abcd1234"
    staged.mkdir()
    (staged / ".conflict-sim-staging").touch()
    (staged / "runs.parquet").write_bytes(b"half")
    mine = tmp_path / ".res.zzzzzzzz"  # the same shape, but not ours: no staging marker
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    result = cli(*RUN, "-n", "2", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "manifest.json").read_text())["replicates"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".res.zzzzzzzz", "res"]
    assert (mine / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_full_disk_is_one_line_naming_the_path_and_leaves_no_file(tmp_path, workers):
    out = tmp_path / "res"
    env = {"FAULT": "enospc", "FAULT_UNDER": str(tmp_path)}
    result = cli(*RUN, "-n", "2", "--workers", workers, "--out", str(out), cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert str(tmp_path / ".res.") in line and "no space left" in line and "ENOSPC" in line
    assert list(tmp_path.iterdir()) == []  # no staging folder, lock or temporary file


def test_a_read_only_output_is_refused_before_simulating(tmp_path):
    env = {"FAULT": "erofs", "FAULT_UNDER": str(tmp_path / "ro"), "FAULT_MARK_SIMULATION": "1"}
    (tmp_path / "ro").mkdir()
    result = cli(*RUN, "-n", "1", "--out", str(tmp_path / "ro" / "res"), cwd=tmp_path, env=env)
    line = located(result)
    assert "cannot be written: the file system is read-only" in line
    assert "SIMULATING" not in result.stderr
    assert list((tmp_path / "ro").iterdir()) == []


def test_an_existing_results_folder_that_cannot_be_written_is_refused_before_simulating(tmp_path):
    out = tmp_path / "res"
    assert cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path).returncode == 0
    env = {"FAULT": "erofs", "FAULT_UNDER": str(out), "FAULT_MARK_SIMULATION": "1"}
    result = cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path, env=env)
    assert "cannot be written" in located(result)
    assert "SIMULATING" not in result.stderr
    assert hidden_leftovers(tmp_path) == []


def test_sigterm_with_a_stopped_worker_ends_in_bounded_time_and_kills_it(tmp_path):
    proc = start(*RUN, "-n", "400", "--workers", "2", "--out", str(tmp_path / "r"), cwd=tmp_path)
    stderr, took, left = term_with_a_stopped_worker(proc)
    assert proc.returncode == 130, stderr
    assert took < 30 and left == []
    assert "interrupted" in one_line(stderr)


def test_run_with_two_workers_survives_a_killed_worker(tmp_path):
    ref = run_ensemble(TOY, replicates=40, workers=1)
    proc = start(*RUN, "-n", "40", "--workers", "2", "--out", str(tmp_path / "r"), cwd=tmp_path)
    kill_a_worker(proc)  # the pool breaks whether the worker was busy or idle
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    runs = pd.read_parquet(tmp_path / "r" / "runs.parquet")
    pd.testing.assert_frame_equal(runs, ref.runs, check_exact=True)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"replicates": 0}, "replicates"),
        ({"replicates": -1}, "replicates"),
        ({"workers": 0}, "workers"),
        ({"workers": -2}, "workers"),
    ],
)
def test_api_counts_below_one_raise_valueerror_naming_the_argument(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be a whole number of at least 1"):
        run_ensemble(TOY, **kwargs)
    with pytest.raises(ValueError, match=rf"^{name} "):
        run_to_folder(TOY, out=tmp_path / "r", report=False, progress=False, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_workers_from_a_script_piped_into_python_fall_back_to_one_process(tmp_path):
    script = (
        "from sim.api import run_ensemble\n"
        f"t = run_ensemble({str(TOY)!r}, replicates=4, workers=2)\n"
        "print(t.runs['seed'].tolist())\n"
    )
    result = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, cwd=tmp_path,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "RuntimeWarning" in result.stderr and "running in this process" in result.stderr
    seeds = run_ensemble(TOY, replicates=4).runs["seed"].tolist()
    assert result.stdout.strip() == str(seeds)


def test_a_real_full_disk_leaves_the_old_results_and_no_file(tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "100k"):  # one results folder fits, not two
        pytest.skip("cannot mount a tmpfs here; the injected ENOSPC tests cover a full disk")
    try:
        out = disk / "res"
        first = cli(*RUN, "-n", "1", "--out", str(out), cwd=tmp_path)
        if first.returncode != 0:  # the first results must fit; the test needs them
            pytest.skip(f"the tmpfs is too small for one replicate: {first.stderr}")
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        result = cli(*RUN, "-n", "8", "--out", str(out), cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "no space left on the device [ENOSPC]" in one_line(result.stderr)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert sorted(p.name for p in disk.iterdir()) == ["res"]
    finally:
        unmount(disk)


@pytest.mark.parametrize(
    "command",
    [
        [*RUN, "-n", "200"],
        ["validate", str(TOY), "-o", str(TOY_OBS), "-n", "200", "--no-report", "--quiet"],
        [
            "calibrate",
            str(TOY),
            "-o",
            str(TOY_OBS),
            "-p",
            "faction.X.aggression=0:1",
            "--budget",
            "40",
            "-n",
            "4",
            "--quiet",
            "--workers",
            "2",
        ],
    ],
    ids=["run", "validate", "calibrate"],
)
def test_sigterm_acts_like_ctrl_c_in_one_line(tmp_path, command):
    out = tmp_path / "res"
    proc = start(*command, "--out", str(out), cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (tmp_path / ".res.lock").exists() and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    time.sleep(0.5)  # into the runs
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted:")  # after validate's window
    assert list(tmp_path.iterdir()) == []
