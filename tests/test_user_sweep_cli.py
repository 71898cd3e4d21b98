"""`sweep` options as --help documents them: `--tables all` (the default it shows) is accepted
and keeps every table; a resumed sweep started with fewer tables refuses it; a misspelt table
names the close one."""

from __future__ import annotations

from typer.testing import CliRunner

from sim.cli import app
from sim.runner import TABLES
from tests.conftest import ROOT, input_errors

TOY = str(ROOT / "tests" / "data" / "toy_scenario.yaml")
SWEEP = ["sweep", TOY, "-p", "faction.X.aggression=0,1", "-n", "1", "--workers", "1", "--quiet"]


def _tables(folder) -> set[str]:
    return {p.name.split("-")[0] for p in (folder / "parts").glob("*.parquet")}


def test_tables_all_is_the_default_given_by_name(tmp_path):
    res = CliRunner().invoke(app, [*SWEEP, "--out", str(tmp_path / "s"), "--tables", "all"])
    assert res.exit_code == 0, res.output
    assert _tables(tmp_path / "s") == set(TABLES)


def test_resume_with_tables_all_refuses_a_sweep_started_with_fewer(tmp_path):
    out = str(tmp_path / "s")
    assert CliRunner().invoke(app, [*SWEEP, "--out", out, "--tables", "runs"]).exit_code == 0
    res = CliRunner().invoke(app, ["sweep", TOY, "--out", out, "--resume", "--tables", "all"])
    (m,) = input_errors(res)
    assert "the sweep was started with" in m["msg"]


def test_a_misspelt_table_names_the_close_one(tmp_path):
    res = CliRunner().invoke(app, [*SWEEP, "--out", str(tmp_path / "s"), "--tables", "runs,event"])
    (m,) = input_errors(res)
    assert "unknown table 'event' (did you mean 'events'?)" in m["msg"]
    assert not (tmp_path / "s").exists()


def test_analyze_a_sweep_where_no_outcome_varies(tmp_path):
    """The toy scenario is deterministic at these settings: every outcome is constant. The
    analysis says so instead of failing on an empty table."""
    out = tmp_path / "s"
    assert CliRunner().invoke(app, [*SWEEP, "--out", str(out), "--tables", "runs"]).exit_code == 0
    res = CliRunner().invoke(app, ["analyze", str(out)])
    assert res.exit_code == 0, res.output
    assert "No outcome varies over the sweep" in " ".join(res.output.split())
    page = (out / "analysis.html").read_text()
    assert "No outcome varies over the sweep" in page


def test_analyze_outcome_names_what_to_do_with_a_categorical_one(tmp_path):
    out = tmp_path / "s"
    assert CliRunner().invoke(app, [*SWEEP, "--out", str(out), "--tables", "runs"]).exit_code == 0
    (m,) = input_errors(
        CliRunner().invoke(app, ["analyze", str(out), "--outcome", "controller_end_b"])
    )
    assert '--discover "controller_end_b == VALUE"' in m["msg"]
    (m,) = input_errors(CliRunner().invoke(app, ["analyze", str(out), "--outcome", "front_km_ed"]))
    assert m["msg"].startswith("not an outcome of this sweep (did you mean 'front_km_end'?)")


def test_calibrate_refuses_accept_with_a_method_that_ignores_it(tmp_path):
    """--accept is abc's share kept as posterior; differential evolution would silently ignore
    it. Refused before anything runs or is written."""
    obs = str(ROOT / "tests" / "data" / "toy_observations.yaml")
    out = tmp_path / "c"
    args = ["calibrate", TOY, "-p", "faction.X.aggression=0:1", "-o", obs, "--out", str(out)]
    (m,) = input_errors(CliRunner().invoke(app, [*args, "--accept", "0.5"]))
    assert m["file"] == "--accept" and m["msg"] == "applies to --method abc, not de"
    assert not out.exists() and not list(tmp_path.iterdir())


def test_calibrate_prints_no_nan_for_a_kind_of_fact_it_has_none_of(tmp_path):
    """The toy observations have yes/no facts only: no CRPS to print, rather than 'nan'."""
    obs = str(ROOT / "tests" / "data" / "toy_observations.yaml")
    args = ["calibrate", TOY, "-p", "faction.X.aggression=0:1", "-o", obs, "--budget", "1"]
    res = CliRunner().invoke(app, [*args, "-n", "1", "--quiet", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("score: best"))
    assert "nan" not in line and "Brier" in line and "CRPS" not in line, line
