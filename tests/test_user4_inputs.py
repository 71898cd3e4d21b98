"""Found by the user4 review: a new user's misspellings in a scenario's events (each one located
line naming the close word the event kind accepts), and event casualty facts that counted a
surrender's people as killed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from sim.baseline import Origin, event_metric_samples
from sim.cli import app
from sim.fact_matching import number_values
from sim.targets import EventFilter, Target

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


# --- a surrender's "casualties" are people who gave up, not deaths ------------------------------


def _surrender_and_fight() -> pd.DataFrame:
    """Run 0: a local militia of 300 gives up Sirte at hour 10, an engagement there kills 5."""
    return pd.DataFrame(
        [
            (0, 10.0, "surrender", "Sirte", "GNA", 300.0, 0.0, 1.0),
            (0, 11.0, "engagement", "Sirte", "GNA,LNA", 5.0, 1.0, 2.0),
        ],
        columns=["run_id", "hour", "kind", "place", "factions", "casualties",
                 "civilian_casualties", "duration_hours"],
    )  # fmt: skip


def _casualty_target(metric: str) -> Target:
    return Target(
        id="n", kind="number", description="", source="", source_date=date(2020, 1, 8),
        start=0.0, end=24.0, mode="change", low=0.0, high=10.0, metric=metric,
        filter=EventFilter(places=frozenset({"Sirte"})),
    )  # fmt: skip


def test_event_casualties_count_fighters_killed_not_a_surrenders_people():
    tables = SimpleNamespace(events=_surrender_and_fight())
    killed = number_values(tables, _casualty_target("event_casualties"), [0])
    assert killed.tolist() == [5.0]
    mean = number_values(tables, _casualty_target("event_mean_casualties"), [0])
    assert mean.tolist() == [2.5]


def test_the_baselines_casualty_draws_leave_out_a_surrenders_people():
    events = _surrender_and_fight()
    events["hour"] -= 5.0  # both in the look-back of an origin at hour 24
    target = _casualty_target("event_casualties")
    target = Target(**{**target.__dict__, "start": 24.0, "end": 48.0})
    draws = event_metric_samples(
        events, target, Origin(hour=24.0, requested=24.0, lookback=24.0), [0]
    )
    assert draws.max() > 0 and set(np.unique(draws)) <= {float(5 * k) for k in range(100)}


# --- an observations file checked alone -----------------------------------------------------------

JAN2020 = Path(__file__).resolve().parent.parent / "data" / "observations" / "jan2020.yaml"


def test_check_of_an_observations_file_alone_checks_its_names_in_its_theater(tmp_path):
    # `validate -o` refused the misspelt place that `check` had passed
    path = tmp_path / "obs.yaml"
    path.write_text(JAN2020.read_text().replace("    place: Sirte\n", "    place: Sirtte\n", 1))
    (m,) = input_errors(check(path))
    assert m["field"] == "observations.0.place" and "did you mean 'Sirte'?" in m["msg"]
    assert int(m["line"]) == line_of(path, "place: Sirtte")
    result = check(JAN2020)
    assert result.exit_code == 0 and "names checked in theater 'libya'" in result.output


def test_an_observations_file_of_a_misspelt_theater_is_refused_by_check(tmp_path):
    path = tmp_path / "obs.yaml"
    path.write_text(JAN2020.read_text().replace("theater: libya", "theater: lybia", 1))
    (m,) = input_errors(check(path))
    assert m["field"] == "theater" and "did you mean 'libya'?" in m["msg"]


def test_the_validation_cut_ends_on_a_whole_hour_of_the_run():
    # facts imported from ACLED end at 23:59:59: the cut run said it ended then, but simulated
    # only to 23:00 (191 whole hours), so its window, tables and manifest disagreed
    from sim.config import load_scenario
    from sim.sample_split import cut_setup

    setup = load_scenario(
        Path(__file__).resolve().parent.parent / "scenarios" / "ceasefire_jan12.yaml"
    )
    cut = cut_setup(setup, setup.scenario.start + timedelta(days=7, seconds=-1))
    assert cut.scenario.end == setup.scenario.start + timedelta(days=8)
    assert cut.scenario.hours == 192


# --- a set file written as nested mappings ------------------------------------------------------


def test_a_nested_set_file_names_the_dotted_key_in_check_and_run(tmp_path):
    # check took it for a scenario (six lines: "faction: unknown field (did you mean 'facts'?)",
    # "title: required field is missing", ...) and run said "faction: expected a number"
    path = tmp_path / "overrides.yaml"
    path.write_text("faction:\n  LNA:\n    aggression: 0.5\n")
    for result in (
        check(path),
        runner.invoke(
            app,
            [
                "run",
                "sirte_advance",
                "--set-file",
                str(path),
                "-n",
                "1",
                "--out",
                str(tmp_path / "out"),
            ],
        ),
    ):
        (m,) = input_errors(result)
        assert (m["line"], m["field"]) == ("1", "faction")
        assert "write each parameter as one dotted key: faction.LNA.aggression: 0.5" in m["msg"]
    assert not (tmp_path / "out").exists()


def test_the_truces_outcomes_read_as_words_not_title_cased_column_names():
    # the report's summary table said "Offensives Resumed" (a place's title case) and
    # "Incidents small arms"
    from sim.report.labels import describe, table_label

    assert table_label("offensives_resumed_at") == "Offensives resumed"
    assert describe("offensives_resumed_at").kind == "time"
    assert table_label("incidents_small_arms") == "Ceasefire incidents: small arms (incidents)"
    assert table_label("incidents_ground_probe").startswith("Ceasefire incidents: ground probes")
    assert table_label("ceasefire_state_end") == "Ceasefire state at the end"
    assert describe("offensives_resumed_by").kind == "category"


# --- sweep --out on a folder that is not a sweep ------------------------------------------------

TOY_SWEEP = ["sweep", str(DATA / "toy_scenario.yaml"), "-p", "faction.X.aggression=0,1", "-n", "1",
             "--workers", "1", "--quiet"]  # fmt: skip


def test_a_sweep_takes_an_empty_folder_as_run_does(tmp_path):
    # it said "already exists; add --resume to continue that sweep" of a folder with no sweep
    (tmp_path / "s").mkdir()
    res = runner.invoke(app, [*TOY_SWEEP, "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "manifest.json").is_file()


def test_a_sweep_onto_a_runs_results_says_it_is_not_a_sweep(tmp_path):
    out = tmp_path / "r"
    assert (
        runner.invoke(
            app,
            [
                "run",
                str(DATA / "toy_scenario.yaml"),
                "-n",
                "1",
                "--out",
                str(out),
                "--quiet",
                "--no-report",
            ],
        ).exit_code
        == 0
    )
    (m,) = input_errors(runner.invoke(app, [*TOY_SWEEP, "--out", str(out)]))
    assert "is not a sweep folder" in m["msg"] and "--resume" not in m["msg"], m["msg"]
