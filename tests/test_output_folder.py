"""`--out` never deletes what is not ours (issue: faults lose nothing, case 1).

Each test runs the real command in a subprocess, as a user would, on the toy theater."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ERROR_LINE

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "data" / "toy_scenario.yaml"
TOY_OBS = str(ROOT / "tests" / "data" / "toy_observations.yaml")
FIT = ["-p", "faction.X.aggression=0:1", "--budget", "2"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def refused(result: subprocess.CompletedProcess) -> str:
    """The single located error line of a refused command (exit 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and ERROR_LINE.match(lines[0]), lines
    return lines[0]


def user_folder(path: Path) -> Path:
    path.mkdir()
    (path / "thesis.txt").write_text("three years of work")
    (path / "sub").mkdir()
    (path / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return path


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    "command",
    [
        ["run", str(TOY), "-n", "1", "--no-report", "--quiet"],
        ["validate", str(TOY), "-o", TOY_OBS, "-n", "1"],
        ["calibrate", str(TOY), "-o", TOY_OBS, *FIT, "-n", "1", "--quiet"],
    ],
    ids=["run", "validate", "calibrate"],
)
def test_out_refuses_a_folder_of_the_users_and_keeps_every_file(tmp_path, command):
    folder = user_folder(tmp_path / "mine")
    before = listing(folder)
    line = refused(cli(*command, "--out", str(folder), cwd=tmp_path))
    assert "mine" in line and "not empty" in line
    assert listing(folder) == before
    assert (folder / "thesis.txt").read_text() == "three years of work"
    assert listing(tmp_path) == sorted(["mine", *(f"mine/{p}" for p in before)])


def test_out_refuses_a_file_and_leaves_it_where_it_was(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    for _ in range(2):  # a second try must be refused the same way, not crash
        line = refused(
            cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(target), cwd=tmp_path)
        )
        assert "is a file" in line
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_out_replaces_a_complete_results_folder_of_ours(tmp_path):
    out = tmp_path / "res"
    first = cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (out / "runs.parquet").touch()  # a results folder of ours: replaced whole by the next run
    second = cli("run", str(TOY), "-n", "2", "--no-report", "--out", str(out), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads((out / "manifest.json").read_text())["replicates"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no staging or .old left


def test_out_refuses_a_results_folder_holding_a_users_files_and_keeps_everything(tmp_path):
    """A user's notes, or a compare.html sent into a results folder, were deleted with it when
    a run wrote there again; export's and plot's default outputs inside it are ours."""
    out = tmp_path / "res"
    first = cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (out / "notes.txt").write_text("what I saw in run 0")
    (out / "figures").mkdir()
    (out / "figures" / "front.png").write_bytes(b"png")
    (out / "figures" / "mine.txt").write_text("mine too")
    before = listing(out)
    for command in (
        ["run", str(TOY), "-n", "2", "--no-report"],
        ["validate", str(TOY), "-o", TOY_OBS, "-n", "1"],
    ):
        line = refused(cli(*command, "--out", str(out), cwd=tmp_path))
        assert "figures/mine.txt, notes.txt, which are not part of its results" in line
        assert listing(out) == before
    assert (out / "notes.txt").read_text() == "what I saw in run 0"
    (out / "notes.txt").unlink()
    (out / "figures" / "mine.txt").unlink()
    (out / "events-acled.csv").write_text("event_id_cnty\n")  # `export`'s default output
    again = cli("run", str(TOY), "-n", "2", "--no-report", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "manifest.json").read_text())["replicates"] == 2
    assert not (out / "figures").exists() and not (out / "events-acled.csv").exists()


def test_out_replaces_what_conflict_sim_itself_left_in_a_results_folder(tmp_path):
    """export's default files (each format, written by the real command), figures with the
    litter a file browser leaves, and a temporary file of ours a killed write left: the next
    run replaces them all (they describe the results it replaces)."""
    out = tmp_path / "res"
    assert (
        cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(out), cwd=tmp_path).returncode
        == 0
    )
    for fmt in ("acled", "ucdp-ged"):
        done = cli("export", str(out), "--format", fmt, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    (out / "figures").mkdir()
    for name in ("front.svg", ".DS_Store", "Thumbs.db"):
        (out / "figures" / name).write_bytes(b"x")
    (out / ".report.html.4242.0a1b2c3d.tmp").write_bytes(b"half")
    (out / "desktop.ini").write_text("[.ShellClassInfo]")
    again = cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert not (out / "events-acled.csv").exists() and not (out / "figures").exists()


def test_out_refuses_the_folder_holding_what_the_command_reads(tmp_path):
    """`calibrate` then `run --set-file CAL/calibrated.yaml --out CAL` deleted the calibration,
    the set file the run was reading among it."""
    cal = tmp_path / "cal"
    fitted = cli("calibrate", str(TOY), "-o", TOY_OBS, *FIT, "-n", "1", "--quiet",
                 "--always-write", "--out", str(cal), cwd=tmp_path)  # fmt: skip
    assert fitted.returncode == 0, fitted.stderr
    before = listing(cal)
    set_file = str(cal / "calibrated.yaml")
    for command in (
        ["run", str(TOY), "-n", "1", "--no-report"],
        ["validate", str(TOY), "-o", TOY_OBS, "-n", "1"],
    ):
        line = refused(cli(*command, "--set-file", set_file, "--out", str(cal), cwd=tmp_path))
        assert "it holds calibrated.yaml, which this command reads" in line
    assert listing(cal) == before


def test_out_refuses_a_results_folder_that_is_not_complete_or_not_ours(tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "manifest.json").write_text(
        json.dumps({"versions": {"conflict-sim": "0.1.0"}, "status": "partial"})
    )
    assert "not 'complete'" in refused(
        cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(partial), cwd=tmp_path)
    )
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"name": "someone else's"}))
    assert "not written by conflict-sim" in refused(
        cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(foreign), cwd=tmp_path)
    )
    assert (foreign / "manifest.json").exists() and (partial / "manifest.json").exists()


def test_out_may_be_an_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = cli("run", str(TOY), "-n", "1", "--no-report", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (out / "manifest.json").exists()


@pytest.mark.parametrize("holds", ["results", "nothing"])
def test_out_through_a_symlink_writes_into_the_folder_it_names_and_keeps_the_link(tmp_path, holds):
    """`--out latest` with latest -> a results folder (or an empty one): the results replace
    the folder linked to, the link stays. It was a traceback (IsADirectoryError renaming the
    link aside) that left `.latest.*` staging folders behind."""
    target = tmp_path / "real"
    if holds == "results":
        assert cli("run", str(TOY), "-n", "1", "--no-report", "--quiet", "--out", str(target),
                   cwd=tmp_path).returncode == 0  # fmt: skip
    else:
        target.mkdir()
    link = tmp_path / "latest"
    link.symlink_to(target)
    done = cli("run", str(TOY), "-n", "1", "--no-report", "--quiet", "--out", str(link),
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert link.is_symlink() and (target / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "real"]


def test_sweep_out_through_a_symlink_to_an_empty_folder_fills_that_folder(tmp_path):
    """The same for `sweep --out`: it was a NotADirectoryError renaming the new sweep onto the
    link, leaving its hidden staging folder."""
    target = tmp_path / "real"
    target.mkdir()
    (tmp_path / "latest").symlink_to(target)
    done = cli("sweep", str(TOY), "-p", "faction.X.aggression=0,1", "-n", "1", "--workers", "1",
               "--quiet", "--out", str(tmp_path / "latest"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (target / "manifest.json").is_file() and (tmp_path / "latest").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "real"]
