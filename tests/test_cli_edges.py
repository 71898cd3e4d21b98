"""The CLI's rough edges (issue #15): scenario ids accepted wherever a scenario file is, help
readable at 80 columns, calibrate writing nothing without an improvement, `plot --open` with no
browser, `list` with relative paths."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import ROOT, input_errors

CLI = str(Path(sys.executable).with_name("conflict-sim"))
COMMANDS = ("list", "route", "check", "params", "run", "plot", "sweep", "analyze", "validate",
            "calibrate")  # fmt: skip


def test_scenario_ids_resolve_in_one_place(monkeypatch):
    from sim.commands import scenario_file

    monkeypatch.chdir(ROOT)
    assert scenario_file(Path("ceasefire_jan12")) == Path("scenarios/ceasefire_jan12.yaml")
    assert scenario_file(Path("scenarios/no_ceasefire.yaml")) == Path("scenarios/no_ceasefire.yaml")
    res = CliRunner().invoke(app, ["check", "ceasefire_jan12"])
    assert res.exit_code == 0 and "scenarios/ceasefire_jan12.yaml: scenario ok" in res.stdout
    res = CliRunner().invoke(app, ["params", "sirte_advance"])
    assert res.exit_code == 0 and "faction.LNA.aggression" in res.stdout


@pytest.mark.parametrize("command", ["run", "sweep", "validate", "calibrate", "check", "params"])
def test_a_misspelt_id_names_the_close_one(command):
    args = [command, "ceasefire_jan21"]
    if command == "sweep":
        args += ["--param", "faction.LNA.aggression=0.1,0.2"]
    if command == "calibrate":
        args += ["--param", "faction.LNA.aggression=0.1:0.2"]
    (m,) = input_errors(CliRunner().invoke(app, args))
    assert m["file"] == "ceasefire_jan21" and m["field"] == "scenario"
    assert "no such file or scenario id (did you mean 'ceasefire_jan12'?)" in m["msg"]


def test_run_takes_an_id(monkeypatch, tmp_path):
    import pandas as pd

    from sim import api

    seen = {}

    def fake_run(scenario, **kw):
        seen["scenario"] = scenario
        return tmp_path, type("T", (), {"runs": pd.DataFrame(), "timeseries": pd.DataFrame()})

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(api, "run_to_folder", fake_run)
    res = CliRunner().invoke(app, ["run", "ceasefire_jan12", "-n", "1"])
    assert res.exit_code == 0, res.output
    assert seen["scenario"] == Path("scenarios/ceasefire_jan12.yaml")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_reads_whole_at_80_columns(command):
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    out = subprocess.run(
        [CLI, command, "--help"], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "…" not in out and "..." not in out.replace("FILES...", "")
    for odd in ("<bool>", "<list[str]>", "<path>", "<int", "<str>", "{", "/work/", str(ROOT)):
        assert odd not in out, (odd, out)
    # every option name appears whole
    from typer.main import get_command

    cmd = get_command(app).commands[command]
    for p in cmd.params:
        for name in p.opts + p.secondary_opts:
            if name.startswith("--"):
                assert re.search(rf"{re.escape(name)}\b", out), (name, out)


def test_top_level_help_lists_each_command_whole():
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, env=env, check=True)
    assert "..." not in out.stdout.replace("[ARGS]...", "") and "calibrated.yaml." in out.stdout


def test_calibrate_without_improvement_writes_nothing(monkeypatch, tmp_path):
    import pandas as pd

    import sim.calibration as cal

    score = {"score": 0.3, "brier": 0.2, "crps_normalised": 0.4, "share_matching": 0.6}

    def fake(setup, targets, ranges, **kw):
        return cal.CalibrationResult(
            method="abc", ranges=list(ranges), best={r.key: r.low for r in ranges},
            best_score=dict(score), default={r.key: 0.5 for r in ranges},
            default_score=dict(score), history=pd.DataFrame({"label": ["default"]}),
            evaluations=5, runs=5, seconds=0.1, accepted=pd.DataFrame({ranges[0].key: [0.1] * 3}),
        )  # fmt: skip

    monkeypatch.setattr(cal, "calibrate", fake)
    out = tmp_path / "cal"
    args = ["calibrate", str(ROOT / "scenarios/ceasefire_jan12.yaml"), "-p",
            "faction.LNA.aggression=0.1:0.9", "--out", str(out), "--quiet", "--method", "abc"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "no improvement over the defaults (score 0.3000" in res.stdout
    assert "ABC posterior from 3 accepted samples (too few" in res.stdout
    assert not out.exists()
    res = CliRunner().invoke(app, [*args, "--always-write"])
    assert res.exit_code == 0 and (out / "calibrated.yaml").is_file()


def test_plot_open_without_a_browser_says_so(monkeypatch, tmp_path):
    import webbrowser

    import sim.report
    import sim.report.build

    page = tmp_path / "report.html"
    page.write_text("<html></html>")
    monkeypatch.setattr(sim.report.build, "check_folder", lambda p: Path(p))
    monkeypatch.setattr(sim.report, "write_report", lambda folder, out=None: page)
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    res = CliRunner().invoke(app, ["plot", str(tmp_path), "--open"])
    assert res.exit_code == 0
    assert f"no browser found to open {page}" in res.stderr


def test_list_prints_paths_relative_to_where_the_user_stands(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(app, ["list"])
    assert "Theaters (config/theaters):" in res.stdout and "Scenarios (scenarios):" in res.stdout
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["list"])
    assert "(/" not in res.stdout  # no absolute folder
    rel = os.path.relpath(ROOT / "scenarios")
    assert f"Scenarios ({rel}):" in res.stdout
