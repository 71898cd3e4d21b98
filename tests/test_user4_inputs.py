"""A new user's misspellings in a scenario's events: each is one located line that names the
close word the event kind accepts (found by the user4 review)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app

from .conftest import input_errors, line_of

runner = CliRunner()
DATA = Path(__file__).parent / "data"
TOY_THEATER = (DATA / "toy_theater.yaml").read_text()
TOY_SCENARIO = (DATA / "toy_scenario.yaml").read_text()


def toy(tmp_path: Path, events: str) -> Path:
    """The toy scenario with `events` appended to its event list; the scenario's path."""
    (tmp_path / "toy_theater.yaml").write_text(TOY_THEATER)
    path = tmp_path / "scenario.yaml"
    path.write_text(TOY_SCENARIO + events)
    return path


def check(path: Path):
    return runner.invoke(app, ["check", str(path)])


def test_a_misspelt_event_kind_is_located_at_the_kind_and_names_the_close_one(tmp_path):
    path = toy(
        tmp_path, "  - at: 2020-01-01T01:00+02:00\n    kind: ceasfire\n    parties: [X, Y]\n"
    )
    (m,) = input_errors(check(path))
    assert int(m["line"]) == line_of(path, "kind: ceasfire") and m["col"] == "11"
    assert m["field"] == "events.1.kind"
    assert "unknown kind 'ceasfire' (did you mean 'ceasefire'?)" in m["msg"]


def test_an_event_without_a_kind_names_the_misspelt_key_or_the_kinds(tmp_path):
    path = toy(tmp_path, "  - at: 2020-01-01T01:00+02:00\n    kidn: ceasefire\n")
    (m,) = input_errors(check(path))
    assert m["field"] == "events.1.kidn" and "unknown field (did you mean 'kind'?)" in m["msg"]
    path = toy(tmp_path, "  - at: 2020-01-01T01:00+02:00\n    text: what kind?\n")
    (m,) = input_errors(check(path))
    assert m["field"] == "events.1.kind" and "required field is missing (one of " in m["msg"]
    assert "ceasefire" in m["msg"]


def test_a_misspelt_field_names_the_field_of_its_own_event_kind(tmp_path):
    # `unit` is a field of a defection, not of a reinforcement: it must not suggest itself.
    path = toy(
        tmp_path,
        "  - {at: 2020-01-01T01:00+02:00, kind: reinforce, faction: X, unit: x1, place: B}\n",
    )
    (m,) = input_errors(check(path))
    assert m["field"] == "events.1.unit"
    assert "unknown field (did you mean 'units'?)" in m["msg"]


def test_a_misspelt_required_field_is_one_line_not_two(tmp_path):
    path = toy(
        tmp_path,
        "  - {at: 2020-01-01T01:00+02:00, kind: reinforce, faction: X, unitz: [x1], place: B}\n",
    )
    (m,) = input_errors(check(path))
    assert m["field"] == "events.1.unitz" and "did you mean 'units'?" in m["msg"]
