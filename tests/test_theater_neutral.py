"""What made the package theater-neutral: the report's labels, marks and map extent come from the
theater (its `report:` block, or derived from it); the default theater of `route` and `params`
comes from config/project.yaml; `list` shows every theater; faction acronyms stay capitalised."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.config
import sim.project
from sim.cli import app
from sim.config import THEATER_DIR, load_theater
from sim.theater_view import report_settings
from tests.conftest import input_errors, line_of

runner = CliRunner()
TOY = Path(__file__).parent / "data" / "toy_theater.yaml"


def test_list_shows_every_theater_in_config():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    theaters = result.output.split("Scenarios")[0].splitlines()[1:]
    listed = {line.split()[0]: line.split(None, 1)[1] for line in theaters}
    for path in sorted(THEATER_DIR.glob("*.yaml")):
        assert listed[path.stem] == load_theater(path).title


def test_libya_report_settings_are_the_former_constants():
    s = report_settings(load_theater(THEATER_DIR / "libya.yaml"))
    assert s["front_marks"] == ["Tripoli", "Misrata", "Abu Grein", "al-Washka", "Sirte"]
    assert s["map_labels"][:2] == ["Tripoli", "Misrata"] and len(s["map_labels"]) == 7
    assert (s["map_lon"], s["map_lat"]) == ([11.0, 25.0], [28.6, 33.7])


def test_derived_report_settings_for_a_theater_without_them():
    """The toy theater (A 32N 13E, B 13.3E, C 13.7E): capitals and key place labelled, the axis
    ends and the key place on it marked, the box padded by at least half a degree."""
    s = report_settings(load_theater(TOY))
    assert s["map_labels"] == ["A", "C", "B"]
    assert s["front_marks"] == ["A", "B", "C"]
    assert s["map_lon"] == [12.5, 14.2] and s["map_lat"] == [31.5, 32.5]


def test_report_choices_of_an_older_results_folder():
    """network.json written before the `report` block: derived from its nodes."""
    from sim.report.figures import report_choices

    network = {
        "axis": ["A", "B", "C"],
        "nodes": [
            {"name": "A", "lat": 32.0, "lon": 13.0, "population": 10, "waypoint": False},
            {"name": "B", "lat": 32.0, "lon": 13.3, "population": 30, "waypoint": False},
            {"name": "A–B km 10", "lat": 32.0, "lon": 13.1, "population": 0, "waypoint": True},
            {"name": "C", "lat": 32.0, "lon": 13.7, "population": 20, "waypoint": False},
        ],
    }
    c = report_choices(network)
    assert c["map_labels"] == ["B", "C", "A"] and c["front_marks"] == ["A", "C"]
    assert c["map_lon"] == [12.5, 14.2]
    given = {**network, "report": {"map_labels": ["C"], "front_marks": ["B"], "map_lon": [1, 2],
                                   "map_lat": [3, 4]}}  # fmt: skip
    assert report_choices(given) == given["report"]


def test_report_block_names_are_checked(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY.read_text() + "report:\n  map_labels: [A, Alpah]\n  map_lon: [14, 13]\n")
    errors = input_errors(runner.invoke(app, ["check", str(path)]))
    assert [e["field"] for e in errors] == ["report.map_lon"]  # the schema first
    path.write_text(TOY.read_text() + "report:\n  map_labels: [A, Alpah]\n")
    (err,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert (err["field"], int(err["line"])) == ("report.map_labels.1", line_of(path, "Alpah"))
    assert "did you mean 'Alpha'" in err["msg"]


@pytest.fixture
def two_theaters(tmp_path, monkeypatch):
    """config/theaters with the toy theater and a copy named `other` whose places are P, Q, R."""
    folder = tmp_path / "theaters"
    folder.mkdir()
    shutil.copy(TOY, folder / "toy.yaml")
    text = TOY.read_text().replace("name: toy", "name: other").replace("[Alpha]", "[Pa]")
    for old, new in (("A", "P"), ("B", "Q"), ("C", "R")):
        text = text.replace(f"name: {old},", f"name: {new},").replace(
            f"capital: {old}}}", f"capital: {new}}}"
        )
        text = text.replace(f"a: {old},", f"a: {new},").replace(f"b: {old},", f"b: {new},")
        text = text.replace(f"place: {old},", f"place: {new},")
    text = text.replace("front_axis: [A, B, C]", "front_axis: [P, Q, R]").replace("[B]", "[Q]")
    (folder / "other.yaml").write_text(text)
    project = tmp_path / "project.yaml"
    monkeypatch.setattr(sim.config, "THEATER_DIR", folder)
    monkeypatch.setattr(sim.project, "PROJECT_FILE", project)
    return project


def test_route_and_params_default_theater(two_theaters):
    project = two_theaters
    # two theaters and no project file: params needs to be told which
    (err,) = input_errors(runner.invoke(app, ["params"]))
    assert err["field"] == "--theater" and "default_theater" in err["msg"]
    project.write_text("default_theater: toy\n")
    result = runner.invoke(app, ["params"])
    assert result.exit_code == 0 and "faction.X.aggression" in result.output
    # route: the default theater, else the one that knows both places
    assert "A -> C: 70 km by road" in runner.invoke(app, ["route", "Alpha", "C"]).output
    assert "P -> R: 70 km by road" in runner.invoke(app, ["route", "Pa", "R"]).output
    project.write_text("default_theater: toys\n")
    (err,) = input_errors(runner.invoke(app, ["params"]))
    assert (err["field"], err["line"]) == ("default_theater", "1")
    assert "did you mean 'toy'" in err["msg"]


def test_faction_acronyms_stay_capitalised():
    from sim.report.labels import describe

    assert describe("losses_gna").label == "losses of the GNA (killed, wounded or captured)"
    assert describe("personnel_end_houthis").label == "personnel of the Houthis at the end"
    assert describe("losses_x", {"x": "X"}).label == "losses of the X (killed, wounded or captured)"


def test_a_command_group_alone_prints_its_help():
    result = runner.invoke(app, ["theater"])
    assert result.exit_code == 0 and "new  Write a theater file" in result.output
    assert "error:" not in result.output
