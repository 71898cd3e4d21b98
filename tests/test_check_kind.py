"""`check` tells a scenario from an observations file by its keys: a scenario that lacks `start`
or gives `observations:` as a list is still a scenario, and `check` reports the same one located
line as `run` (found by a review: `check` took such a file for observations and printed a screen
of errors about a scenario's own fields)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import ROOT, input_errors

runner = CliRunner()
SCENARIO = (ROOT / "scenarios" / "sirte_advance.yaml").read_text()


def _bad(folder: Path, case: str) -> tuple[Path, str]:
    if case == "no start":
        text = "".join(ln for ln in SCENARIO.splitlines(True) if not ln.startswith("start:"))
        field = "start"
    else:  # facts written inline, as a new user might, instead of naming a file
        text = SCENARIO.replace("observations: jan2020", "observations: []")
        field = "observations"
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path, field


@pytest.mark.parametrize("case", ["no start", "observations as a list"])
def test_check_reports_a_bad_scenario_as_run_does(tmp_path, case):
    path, field = _bad(tmp_path, case)
    ran = input_errors(
        runner.invoke(app, ["run", str(path), "-n", "1", "--out", str(tmp_path / "r")])
    )
    checked = input_errors(runner.invoke(app, ["check", str(path)]))
    assert [m["field"] for m in ran] == [field]
    assert [(m["field"], m["msg"]) for m in checked] == [(m["field"], m["msg"]) for m in ran]
