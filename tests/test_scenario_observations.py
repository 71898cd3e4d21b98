"""A scenario's own observations (`observations:`, sim.scenario_observations): what `validate`
and `calibrate` score it against without --observations, and what `check` loads against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import ROOT, input_errors, line_of, short_scenario

runner = CliRunner()
DATA = ROOT / "tests" / "data"
TOY_OBS = (DATA / "toy_observations.yaml").read_text()
FIT = ["-p", "faction.X.aggression=0:1", "--budget", "2", "-n", "1", "--quiet"]


def toy(folder: Path, observations: str | None = None, facts: str = TOY_OBS) -> Path:
    """The toy scenario, its theater and its facts (toy_observations.yaml) in `folder`; the
    scenario names `observations` when given. The scenario's path."""
    (folder / "toy_theater.yaml").write_text((DATA / "toy_theater.yaml").read_text())
    (folder / "toy_observations.yaml").write_text(facts)
    text = (DATA / "toy_scenario.yaml").read_text()
    if observations is not None:
        text = text.replace(
            "sample_every_hours: 1\n", f"sample_every_hours: 1\nobservations: {observations}\n"
        )
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


def test_validate_scores_a_hodeidah_scenario_against_hodeidahs_facts(tmp_path):
    out = tmp_path / "v"
    scenario = ROOT / "scenarios" / "hodeidah_ceasefire_dec18.yaml"
    res = runner.invoke(app, ["validate", str(scenario), "-n", "1", "--out", str(out), "--no-report", "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Hodeidah, 18 December 2018" in res.stdout  # hodeidah.yaml's title heads the table
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        Path(manifest["validation"]["observations_file"])
        == ROOT / "data/observations/hodeidah.yaml"
    )


@pytest.mark.parametrize("command", ["validate", "calibrate"])
def test_a_scenario_without_observations_and_no_option_is_one_located_line(tmp_path, command):
    scenario, out = toy(tmp_path), tmp_path / "out"
    extra = FIT if command == "calibrate" else ["-n", "1"]
    (m,) = input_errors(runner.invoke(app, [command, str(scenario), "--out", str(out), *extra]))
    assert Path(m["file"]).resolve() == scenario and m["field"] == "observations"
    assert "names no observations" in m["msg"] and "--observations" in m["msg"]
    assert not out.exists()


def test_calibrate_fits_to_the_scenarios_own_facts(tmp_path):
    scenario, out = toy(tmp_path, "toy_observations.yaml"), tmp_path / "cal"
    args = ["calibrate", str(scenario), "--out", str(out), *FIT, "--always-write"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "calibration.json").read_text())
    assert Path(summary["observations"]).resolve() == tmp_path / "toy_observations.yaml"
    # --observations still wins over the scenario's own file
    other = tmp_path / "elsewhere.yaml"
    other.write_text(TOY_OBS.replace("b_taken", "b_taken_elsewhere"))
    res = runner.invoke(app, [*args, "-o", str(other)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "calibration.json").read_text())
    assert Path(summary["observations"]).resolve() == other


@pytest.mark.parametrize(
    ("value", "hint"),
    [("toy_observation.yaml", "did you mean 'toy_observations.yaml'?"), ("jan202", "did you mean 'jan2020'?")],
)  # fmt: skip
def test_check_locates_a_missing_observations_file_at_the_field(tmp_path, value, hint):
    scenario = toy(tmp_path, value)
    (m,) = input_errors(runner.invoke(app, ["check", str(scenario)]))
    assert Path(m["file"]).resolve() == scenario and m["field"] == "observations"
    assert (
        int(m["line"]) == line_of(scenario, "observations:")
        and int(m["col"]) == len("observations: ") + 1
    )
    assert hint in m["msg"]
    # validate says the same, at the same place, and writes nothing
    res = runner.invoke(app, ["validate", str(scenario), "-n", "1", "--out", str(tmp_path / "v")])
    assert [x.groupdict() for x in input_errors(res)] == [m.groupdict()]
    assert not (tmp_path / "v").exists()


def test_check_loads_the_named_facts_against_the_scenario_as_validate_does(tmp_path):
    scenario = toy(tmp_path, "toy_observations.yaml", TOY_OBS.replace("place: B", "place: Bee"))
    found = input_errors(runner.invoke(app, ["check", str(scenario)]))
    assert [m["field"] for m in found] == ["observations.0.place"]
    assert "Bee" in found[0]["msg"] and found[0]["file"].endswith("toy_observations.yaml")
    res = runner.invoke(app, ["validate", str(scenario), "-n", "1", "--out", str(tmp_path / "v")])
    assert [m.groupdict() for m in input_errors(res)] == [m.groupdict() for m in found]
    # the same facts, well named, pass both
    (tmp_path / "toy_observations.yaml").write_text(TOY_OBS)
    res = runner.invoke(app, ["check", str(scenario)])
    assert res.exit_code == 0, res.output
    assert "scenario ok" in res.stdout and "toy_observations.yaml: 1 facts" in res.stdout


def test_check_refuses_own_facts_that_calibrate_would_refuse(tmp_path):
    # The toy theater sets no cutoff and the scenario no ceasefire: the cutoff is its end
    # (2020-01-03); a source dated after it is out of sample.
    late = TOY_OBS.replace("date: 2020-01-01", "date: 2020-01-05")
    scenario = toy(tmp_path, "toy_observations.yaml", late)
    (m,) = input_errors(runner.invoke(app, ["check", str(scenario)]))
    assert m["field"] == "observations" and int(m["line"]) == line_of(scenario, "observations:")
    assert "1 facts dated after the calibration cutoff" in m["msg"] and "'b_taken'" in m["msg"]
    res = runner.invoke(app, ["calibrate", str(scenario), *FIT, "--out", str(tmp_path / "c")])
    assert "b_taken" in input_errors(res)[0]["msg"]  # calibrate refuses it too


def test_an_id_resolves_from_a_copy_of_the_scenario_elsewhere(tmp_path):
    scenario = short_scenario(tmp_path, end="2020-01-13T00:00+02:00")  # names `jan2020`
    res = runner.invoke(app, ["check", str(scenario)])
    assert res.exit_code == 0, res.output
    assert "observations data/observations/jan2020.yaml: 17 facts" in res.stdout.replace(
        str(ROOT) + "/", ""
    )


def test_the_python_api_scores_the_scenarios_own_facts_too():
    from sim.errors import InputError
    from sim.validation import run_validation

    run = run_validation(ROOT / "scenarios" / "hodeidah_ceasefire_dec18.yaml", replicates=1)
    assert run.observations.path == ROOT / "data/observations/hodeidah.yaml"
    assert len(run.scores) == 16
    with pytest.raises(InputError, match="names no observations"):
        run_validation(ROOT / "scenarios" / "hodeidah_november_push.yaml", replicates=1)


@pytest.mark.parametrize("named", ["toy_theater.yaml", "scenario.yaml"])
def test_naming_a_theater_or_a_scenario_as_observations_is_one_line_at_the_field(tmp_path, named):
    """A theater or a scenario named as the facts: one line at the scenario's field, not the
    other file's errors as observations (found by a review: up to 18 lines in that file)."""
    scenario = toy(tmp_path, named)
    (m,) = input_errors(runner.invoke(app, ["check", str(scenario)]))
    assert Path(m["file"]).resolve() == scenario and m["field"] == "observations"
    assert "is not an observations file" in m["msg"]
    res = runner.invoke(app, ["validate", str(scenario), "-n", "1", "--out", str(tmp_path / "v")])
    assert [x.groupdict() for x in input_errors(res)] == [m.groupdict()]


def test_a_misspelt_file_is_never_matched_to_the_scenario_itself(tmp_path):
    scenario = toy(tmp_path, "scenari.yaml")  # closest name in the folder: the scenario itself
    (m,) = input_errors(runner.invoke(app, ["check", str(scenario)]))
    assert "scenario.yaml" not in m["msg"].split("no file")[-1]
