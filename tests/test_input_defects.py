"""Bad input found by mutating shipped files, each once "check said ok, then run crashed" or a
traceback: every one must be refused by `check` in located lines with exit 2, or run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import input_errors, line_of

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def toy(tmp_path: Path, edit: str = "", extra: str = "") -> Path:
    """tests/data/toy_scenario.yaml beside a copy of its theater, `edit` ('old=>new') applied
    and `extra` (more events) appended."""
    shutil.copy(DATA / "toy_theater.yaml", tmp_path / "toy_theater.yaml")
    text = (DATA / "toy_scenario.yaml").read_text()
    if edit:
        old, new = edit.split("=>")
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "scenario.yaml"
    path.write_text(text + extra)
    return path


def run_ok(path: Path, out: Path) -> None:
    args = ["run", str(path), "-n", "1", "--no-report", "--quiet", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "edit",
    [
        "start: 2020-01-01T00:00+02:00=>start: 0001-01-01T00:00+01:00",
        "end: 2020-01-03T00:00+02:00=>end: 9999-12-31T23:00-05:00",
    ],
)
def test_a_time_no_time_zone_can_show_is_refused(tmp_path, edit):
    # The theater's local time (+02:00) of 0001-01-01T00:00+01:00 is in year 0: an OverflowError
    # with a traceback from `check`.
    path = toy(tmp_path, edit)
    field = edit.split(":")[0]
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == field and int(m["line"]) == line_of(path, f"{field}:")
    assert "expected a time from 0001-01-02 to 9999-12-30" in m["msg"]
