"""The command line end to end: list, route, check, params, run and the Python API."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import ROOT, SCENARIOS

runner = CliRunner()


def test_help_does_not_import_the_heavy_stack():
    code = "import sys, sim.cli; print(sorted(m for m in ('mesa', 'pandas', 'scipy', 'plotly') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "route", "check", "list", "params"):
        assert command in result.output


def test_list_shows_theaters_and_scenarios_with_descriptions():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "libya" in result.output and "ceasefire_jan12" in result.output
    assert "Ceasefire of 12 January 2020" in result.output


def test_route_prints_path_and_length_with_alternative_spellings():
    result = runner.invoke(app, ["route", "tripoli", "Surt"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Tripoli -> Sirte: 450 km by road")
    assert "Misrata" in result.output
    result = runner.invoke(app, ["route", "Misurata", "Abu Qurayn"])
    assert "Misrata -> Abu Grein" in result.output


def test_route_with_unknown_place_is_a_clean_error():
    result = runner.invoke(app, ["route", "Tripoli", "Sirtte"])
    assert result.exit_code == 2 and "did you mean 'Sirte'" in result.stderr


def test_check_accepts_the_shipped_files():
    files = [str(p) for p in sorted(SCENARIOS.glob("*.yaml"))] + [
        str(ROOT / "config/theaters/libya.yaml")
    ]
    result = runner.invoke(app, ["check", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(" ok (") == len(files)


def test_params_lists_every_parameter_with_unit_range_and_source():
    result = runner.invoke(app, ["params", str(SCENARIOS / "turkish_deployment.yaml")])
    assert result.exit_code == 0
    assert "patron.Turkey.troops = 0 [0, 20000] personnel  scenario sets 1700" in result.output
    assert "Source:" in result.output and "ceasefire.violation_rate" in result.output


def test_run_writes_the_output_contract(tmp_path, short_path):
    out = tmp_path / "res"
    result = runner.invoke(
        app,
        [
            "run",
            str(short_path),
            "-n",
            "2",
            "--seed",
            "5",
            "--out",
            str(out),
            "--set",
            "faction.LNA.aggression=0.9",
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"results: {out}" in result.output and "median" in result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "manifest.json",
        "network.json",
        "runs.parquet",
        "timeseries.parquet",
        "control.parquet",
        "events.parquet",
        "units.parquet",
    } <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete" and manifest["replicates"] == 2 and manifest["seed"] == 5
    )
    assert manifest["overrides"] == {"faction.LNA.aggression": 0.9}
    assert manifest["parameters"]["faction.LNA.aggression"] == 0.9
    assert len(manifest["scenario"]["sha256"]) == 64 and manifest["versions"]["mesa"].startswith(
        "3."
    )
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["run_id"]) == [0, 1]
    for col in ("seed", "sirte_captured_at", "controller_end_sirte", "front_km_end", "losses_gna", "losses_lna",
                "civilian_casualties", "displaced", "ceasefire_violations", "patron_deployments"):  # fmt: skip
        assert col in runs.columns, col
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert {"front_km", "personnel_GNA", "casualties_LNA", "ceasefire_state", "displaced"} <= set(
        ts.columns
    )
    assert ts.groupby("run_id")["hour"].apply(lambda h: list(h.diff().dropna().unique())).iloc[
        0
    ] == [6.0]
    assert str(ts["time"].dt.tz) in ("UTC+02:00", "+02:00")
    control = pd.read_parquet(out / "control.parquet")
    assert set(control["controller"]) <= {"GNA", "LNA", "contested"}
    events = pd.read_parquet(out / "events.parquet")
    assert {"engagement", "control_change", "offensive", "defection"} <= set(events["kind"])


def test_python_api_returns_dataframes_without_writing(tmp_path, short_path, monkeypatch):
    import sim

    monkeypatch.chdir(tmp_path)
    tables = sim.run_ensemble(short_path, replicates=2)
    assert len(tables.runs) == 2 and not tables.timeseries.empty
    assert [p.name for p in tmp_path.iterdir()] == ["short.yaml"]
    setup = sim.load_scenario(short_path)
    assert setup.theater.name == "libya"


def test_workers_do_not_change_results(tmp_path, short_path):
    from sim.api import run_ensemble

    one = run_ensemble(short_path, replicates=3, workers=1)
    two = run_ensemble(short_path, replicates=3, workers=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.events, two.events)


def test_check_validates_observation_files_too(tmp_path):
    good = ROOT / "data" / "observations" / "jan2020.yaml"
    result = runner.invoke(app, ["check", str(good)])
    assert result.exit_code == 0 and "observations ok (17 facts; " in result.output
    bad = tmp_path / "obs.yaml"
    bad.write_text(
        good.read_text().replace("  - id: sirte_lna_end_6jan\n", "  - idd: sirte_lna_end_6jan\n", 1)
    )
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2 and "did you mean 'id'" in result.stderr


def test_summary_gives_median_interval_and_exact_shares():
    from sim.summary import summarize

    runs = pd.DataFrame(
        {
            "run_id": range(200),
            "x": range(200),
            "held": [True] + [False] * 199,
            "captured_at": [float("nan")] * 100 + [10.0] * 100,
        }
    )
    s = summarize(runs).set_index("metric")
    assert "run_id" not in s.index
    assert s.loc["x", "median"] == 99.5 and s.loc["x", "p05"] == pytest.approx(9.95)
    assert s.loc["held", "shares"] == "False 99.5%, True 0.5%"
    assert (
        s.loc["captured_at", "n"] == 100 and s.loc["captured_at", "shares"] == "in 100 of 200 runs"
    )


def test_summary_says_which_runs_its_shares_and_missing_values_are_of():
    """Shares of a categorical outcome some runs lack are of the runs that have it, and say so:
    'GNA 28.6%, LNA 71.4%' read as shares of all 10 runs when only 7 had offensives resumed. A
    count no run has (violations in a scenario without a ceasefire) is not 'never' violated."""
    from sim.summary import summarize

    runs = pd.DataFrame(
        {
            "run_id": range(10),
            "offensives_resumed_by": ["GNA"] * 2 + ["LNA"] * 5 + [None] * 3,
            "ceasefire_state_end": [None] * 10,
            "ceasefire_violations": [float("nan")] * 10,
            "ceasefire_collapsed_at": [float("nan")] * 10,
        }
    )
    s = summarize(runs).set_index("metric")["shares"]
    assert s["offensives_resumed_by"] == "GNA 28.6%, LNA 71.4% (in 7 of 10 runs)"
    assert s["ceasefire_state_end"] == "no values"
    assert s["ceasefire_violations"] == "no values"
    assert s["ceasefire_collapsed_at"] == "never"


def test_reinforce_km_says_which_units_it_limits():
    """`params` said every spare unit came from within faction.reinforce_km; the model lets
    reserves and garrisons with no enemy in their region come from any distance (README)."""
    from sim.params import ParamRegistry

    doc = ParamRegistry.load().specs["faction.reinforce_km"].doc
    assert "reserves and garrisons with no enemy in their region come from any distance" in doc
