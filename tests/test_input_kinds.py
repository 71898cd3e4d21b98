"""Issue #13: silent wrong input, crashes and hangs closed by kind (the cases are numbered as in
the issue). Each is refused by `check` in one located line with exit 2, or runs as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import SCENARIOS, input_errors, line_of

runner = CliRunner()
DATA = Path(__file__).parent / "data"
TOY_THEATER = (DATA / "toy_theater.yaml").read_text()
TOY_SCENARIO = (DATA / "toy_scenario.yaml").read_text()
LIBYA = Path(__file__).resolve().parent.parent / "config" / "theaters" / "libya.yaml"


def toy(tmp_path: Path, scenario: str = TOY_SCENARIO, theater: str = TOY_THEATER) -> Path:
    """A toy scenario and its theater written to tmp_path; the scenario's path."""
    (tmp_path / "toy_theater.yaml").write_text(theater)
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario)
    return path


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def check(*paths: Path):
    return runner.invoke(app, ["check", *map(str, paths)])


# --- 1. repeated keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "key", "first"),
    [
        ("end: 2020-01-03T00:00+02:00", "end: 2020-01-03T00:00+02:00\nend: 2020-01-02T00:00+02:00",
         "end: 2020-01-02", "end", "end: 2020-01-03"),
        ("  faction.Y.aggression: 0", "  faction.Y.aggression: 0\n  faction.Y.aggression: 0.5",
         "faction.Y.aggression: 0.5", "faction.Y.aggression", "faction.Y.aggression: 0"),
        ("    units: [x1]", "    units: [x1]\n    targets: [C]", "targets: [C]", "targets",
         "targets: [B]"),
    ],
)  # fmt: skip
def test_a_repeated_key_is_located_and_names_the_first(tmp_path, old, new, needle, key, first):
    path = toy(tmp_path, edited(TOY_SCENARIO, old, new))
    (m,) = input_errors(check(path))
    assert int(m["line"]) == line_of(path, needle) and m["field"].endswith(key)
    first = line_of(path, first)
    assert f"repeated key {key!r} (first given at line {first}," in m["msg"]


@pytest.mark.parametrize("kind", ["theater", "observations", "set-file"])
def test_a_repeated_key_in_any_file_the_project_reads(tmp_path, kind):
    if kind == "theater":
        path = tmp_path / "toy_theater.yaml"
        path.write_text(
            edited(TOY_THEATER, "corridor_max_km: 35", "corridor_max_km: 35\ncorridor_max_km: 5")
        )
        result, first = check(path), "corridor_max_km: 35"
    elif kind == "observations":
        text = (LIBYA.parent.parent.parent / "data" / "observations" / "jan2020.yaml").read_text()
        path = tmp_path / "obs.yaml"
        path.write_text(edited(text, "title:", "title: x\ntitle:"))
        result, first = check(path), "title: x"
    else:
        path = tmp_path / "set.yaml"
        path.write_text("faction.X.aggression: 0.9\nfaction.X.aggression: 0.1\n")
        result = runner.invoke(
            app, ["run", str(toy(tmp_path)), "--set-file", str(path), "--out", str(tmp_path / "o")]
        )
        assert not (tmp_path / "o").exists()
        first = "faction.X.aggression: 0.9"
    (m,) = input_errors(result)
    assert "repeated key" in m["msg"] and m["file"] == str(path)
    assert int(m["line"]) == line_of(path, first) + 1


def test_merge_keys_may_be_overridden_but_not_repeated(tmp_path):
    merged = "events:\n  - &o\n    at: 2020-01-01T00:00+02:00\n    kind: offensive\n"
    text = edited(
        TOY_SCENARIO, "events:\n  - at: 2020-01-01T00:00+02:00\n    kind: offensive\n", merged
    )
    ok = text + "  - <<: *o\n    at: 2020-01-02T00:00+02:00\n"
    assert check(toy(tmp_path, ok)).exit_code == 0
    bad = text + "  - <<: *o\n    <<: *o\n    at: 2020-01-02T00:00+02:00\n"
    (m,) = input_errors(check(toy(tmp_path, bad)))
    assert "repeated key '<<'" in m["msg"]  # fmt: skip


# --- 2. alias expansion ------------------------------------------------------------------------

BOMB = "".join(
    f"{k}: &{k} [{','.join([('*' + p) if p else 'x'] * 9)}]\n"
    for k, p in zip("abcdefg", ["", *"abcdef"], strict=True)
)


@pytest.mark.parametrize("kind", ["scenario", "theater", "observations"])
def test_an_alias_bomb_is_answered_at_once(tmp_path, kind):
    """Seven levels of nine aliases and an impossible date: `check` walked the nodes once per
    path (hours). In a subprocess with a timeout, so the old code fails instead of hanging."""
    path = tmp_path / f"{kind}.yaml"
    head = {
        "scenario": "title: t\n",
        "theater": "places: []\n",
        "observations": "observations: []\n",
    }
    path.write_text(head[kind] + BOMB + "reviewed: 2020-02-30\n")
    assert len(path.read_bytes()) < 400
    cmd = [sys.executable, "-c", "from sim.cli import app; app()", "check", str(path)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "aliases expand this value" in result.stderr
    assert f"{path}:7:4: f:" in result.stderr  # the first value past the limit


def test_a_value_that_contains_itself_is_refused(tmp_path):
    path = toy(tmp_path, TOY_SCENARIO + "loop: &l [1, *l]\n")
    (m,) = input_errors(check(path))
    assert "contains itself" in m["msg"] and int(m["line"]) == line_of(path, "loop:")


# --- 3. local time -----------------------------------------------------------------------------


def _run(tmp_path: Path, scenario: Path, name: str, *extra: str):
    out = tmp_path / name
    args = ["run", str(scenario), "-n", "1", "--out", str(out), "--quiet", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_times_are_shown_in_the_theaters_local_time_whatever_the_input_offset(tmp_path):
    """The toy window starts at local midnight on 1 January, i.e. 22:00 UTC on 31 December."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    local = toy(
        tmp_path / "a",
        edited(TOY_SCENARIO, "end: 2020-01-03T00:00+02:00", "end: 2020-01-01T12:00+02:00"),
    )
    utc_text = (
        local.read_text()
        .replace("start: 2020-01-01T00:00+02:00", "start: 2019-12-31T22:00Z")
        .replace("end: 2020-01-01T12:00+02:00", "end: 2020-01-01T10:00Z")
        .replace("at: 2020-01-01T00:00+02:00", "at: 2019-12-31T22:00:00+00:00")
    )
    utc = toy(tmp_path / "b", utc_text)
    a, out_a = _run(tmp_path, local, "a-out", "--no-report")
    b, out_b = _run(tmp_path, utc, "b-out")
    assert out_a.replace(str(a), "") == out_b.replace(str(b), "")
    for table in ("timeseries", "events", "control", "units"):
        ta, tb = (pd.read_parquet(d / f"{table}.parquet") for d in (a, b))
        assert [str(t) for t in ta["time"]] == [str(t) for t in tb["time"]]
        assert str(tb["time"].iloc[0]).startswith("2020-01-01 00:00:00+02:00")
    ma, mb = (json.loads((d / "manifest.json").read_text())["scenario"] for d in (a, b))
    assert (ma["start"], ma["end"]) == (mb["start"], mb["end"]) == (
        "2020-01-01T00:00:00+02:00", "2020-01-01T12:00:00+02:00")  # fmt: skip
    report = (b / "report.html").read_text()
    assert "2020-01-01 to" in report and "2019-12-31" not in report


def test_the_theaters_timezone_is_used_and_checked(tmp_path):
    theater = edited(TOY_THEATER, "corridor_max_km: 35", 'corridor_max_km: 35\ntimezone: "+03:00"')
    path = toy(
        tmp_path,
        edited(TOY_SCENARIO, "end: 2020-01-03T00:00+02:00", "end: 2020-01-01T06:00+02:00"),
        theater,
    )
    out, _ = _run(tmp_path, path, "out", "--no-report")
    assert (
        str(pd.read_parquet(out / "timeseries.parquet")["time"].iloc[0])
        == "2020-01-01 01:00:00+03:00"
    )
    (tmp_path / "toy_theater.yaml").write_text(theater.replace("+03:00", "Mars/Olympus"))
    (m,) = input_errors(check(path))
    assert m["field"] == "timezone" and "unknown time zone" in m["msg"]  # fmt: skip


# --- 5, 6, 7. roads ----------------------------------------------------------------------------

ROADS = "  - {a: B, b: C, km: 40, source: test, corridor: true}\n"


def test_a_second_road_for_one_pair_is_refused(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(
        edited(TOY_THEATER, ROADS, ROADS + "  - {a: b, b: Alpha, km: 300, source: test}\n")
    )
    (m,) = input_errors(check(path))
    assert m["field"] == "roads.2" and int(m["line"]) == line_of(path, "km: 300")
    assert "a second road between 'B' and 'A'" in m["msg"] and "30 km" in m["msg"]


def test_libya_with_a_second_tajura_tripoli_road_is_refused(tmp_path):
    text = LIBYA.read_text()
    path = tmp_path / "libya.yaml"
    path.write_text(
        edited(text, "roads:\n", "roads:\n  - {a: Tajura, b: Tripoli, km: 160, source: test}\n")
    )
    errors = input_errors(check(path))
    assert any(
        "a second road between 'Tripoli' and 'Tajura' (the first, 160 km" in m["msg"]
        for m in errors
    )


def test_check_verifies_the_theaters_declared_distances(tmp_path):
    """Today only the test suite compared `checks:` with the roads."""
    theater = TOY_THEATER + "checks:\n  - {a: A, b: C, km: 70, tolerance: 0.05, source: test}\n"
    path = tmp_path / "toy_theater.yaml"
    path.write_text(theater)
    assert check(path).exit_code == 0
    path.write_text(edited(theater, "{a: A, b: B, km: 30", "{a: A, b: B, km: 90"))
    (m,) = input_errors(check(path))
    assert m["field"] == "checks.0.km" and "130 km, not 70 km" in m["msg"]


def test_a_road_from_a_place_to_itself_is_refused(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(edited(TOY_THEATER, ROADS, ROADS + "  - {a: B, b: B, km: 5, source: test}\n"))
    (m,) = input_errors(check(path))
    assert m["field"] == "roads.2.b" and "to itself" in m["msg"]


PLACE_D = (
    "  - {name: D, lat: 32.5, lon: 13.7, kind: town, controller: Y, coord_source: test, "
    "population: 0, population_source: test, value: 5, fortification: 0.2}\n"
)
ISOLATED = edited(TOY_THEATER, "roads:\n", PLACE_D + "roads:\n")


def test_a_place_no_road_reaches_is_a_warning_and_route_answers_in_one_line(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(ISOLATED)
    result = check(path)
    assert result.exit_code == 0
    assert f"warning: {path}:{line_of(path, 'name: D')}:" in result.stderr
    assert "no road reaches 'D'" in result.stderr
    (m,) = input_errors(runner.invoke(app, ["route", "D", "Alpha", "--theater", str(path)]))
    assert m["msg"] == "no road joins 'D' and 'A'"


@pytest.mark.parametrize(
    ("theater", "scenario", "field"),
    [
        (edited(ISOLATED, "faction: X, place: A", "faction: X, place: D"), TOY_SCENARIO, "units.0.place"),
        (ISOLATED, edited(TOY_SCENARIO, "targets: [B]", "targets: [B, D]"), "events.0.targets.1"),
        (edited(ISOLATED, "capital: C}", "capital: D}"), TOY_SCENARIO, "factions.Y.capital"),
    ],
)  # fmt: skip
def test_units_cannot_be_placed_or_sent_where_no_road_goes(tmp_path, theater, scenario, field):
    """`run` failed in the model looking up a path that does not exist."""
    (m,) = input_errors(check(toy(tmp_path, scenario, theater)))
    assert m["field"] == field and "no road joins 'D' to the front" in m["msg"]


def test_a_front_axis_not_joined_by_roads_is_refused(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(edited(ISOLATED, "front_axis: [A, B, C]", "front_axis: [A, B, C, D]"))
    (m,) = input_errors(check(path))
    assert m["field"] == "front_axis.3" and "no road joins 'C' and 'D'" in m["msg"]


# --- 8. seeds ----------------------------------------------------------------------------------


def test_a_negative_seed_in_a_scenario_is_located(tmp_path):
    path = toy(tmp_path, edited(TOY_SCENARIO, "seed: 1", "seed: -1"))
    (m,) = input_errors(check(path))
    assert m["field"] == "seed" and int(m["line"]) == line_of(path, "seed:")


@pytest.mark.parametrize("command", ["run", "sweep", "validate", "calibrate"])
def test_a_negative_seed_option_is_refused_before_anything_is_created(tmp_path, command):
    path, out = toy(tmp_path), tmp_path / "out"
    extra = {
        "sweep": ["--param", "faction.X.aggression=0,1"],
        "calibrate": ["-p", "faction.X.aggression=0:1"],
    }
    args = [command, str(path), "--seed", "-7", "--out", str(out), *extra.get(command, [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--seed" in result.output and not out.exists() and sorted(tmp_path.iterdir()) == sorted(
        [path, tmp_path / "toy_theater.yaml"])  # fmt: skip


def test_the_python_api_refuses_a_negative_seed(tmp_path):
    from sim import run_ensemble
    from sim.errors import InputError

    with pytest.raises(InputError, match="negative"):
        run_ensemble(toy(tmp_path), replicates=1, seed=-1)


# --- 9. windows and events the model never reaches ---------------------------------------------


def test_an_event_after_the_last_simulated_hour_is_refused(tmp_path):
    text = edited(TOY_SCENARIO, "end: 2020-01-03T00:00+02:00", "end: 2020-01-01T12:30+02:00")
    text += "  - {at: 2020-01-01T12:15+02:00, kind: ceasefire, parties: [X, Y]}\n"
    path = toy(tmp_path, text)
    (m,) = input_errors(check(path))
    assert m["field"] == "events.1.at" and "after the last simulated hour" in m["msg"]
    assert "2020-01-01T12:00:00+02:00" in m["msg"]
    ok = text.replace("12:15+02:00", "12:00+02:00")
    assert check(toy(tmp_path, ok)).exit_code == 0


def test_a_window_shorter_than_one_step_is_refused(tmp_path):
    path = toy(
        tmp_path, edited(TOY_SCENARIO, "end: 2020-01-03T00:00+02:00", "end: 2020-01-01T00:30+02:00")
    )
    (m,) = input_errors(check(path))
    assert m["field"] == "end" and "shorter than one step" in m["msg"]


# --- 10. YAML 1.1 implicit types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hint"),
    [("1:30", "plain decimal number"), ("yes", "true or false"), ("off", "true or false"),
     ('"0.5"', ""), ("true", "")],
)  # fmt: skip
def test_only_numbers_written_as_numbers_are_numbers(tmp_path, value, hint):
    """`1:30` was 90 (base 60), `yes` 1 and `off` 0; a quoted number or a boolean is not one."""
    path = toy(
        tmp_path, edited(TOY_SCENARIO, "faction.Y.aggression: 0", f"faction.Y.aggression: {value}")
    )
    (m,) = input_errors(check(path))
    assert m["field"] == "set.faction.Y.aggression" and hint in m["msg"]


def test_delay_hours_1_30_is_not_ninety_hours(tmp_path):
    text = (
        TOY_SCENARIO
        + "  - {at: 2020-01-01T01:00+02:00, kind: deployment, patron: P, place: A, delay_hours: 1:30}\n"
    )
    (m,) = input_errors(check(toy(tmp_path, text)))
    assert m["field"] == "events.1.delay_hours" and "'1:30' is text under YAML 1.2" in m["msg"]


def test_a_boolean_is_a_boolean_only_when_written_so(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(edited(TOY_THEATER, "depot: true}", "depot: yes}"))
    (m,) = input_errors(check(path))
    assert m["field"] == "places.0.depot" and "true or false" in m["msg"]


@pytest.mark.parametrize("value", ["1:30", "yes", "off", "true", ".nan"])
def test_set_file_reads_numbers_by_yaml_1_2(tmp_path, value):
    path = tmp_path / "set.yaml"
    path.write_text(f"set:\n  faction.X.aggression: {value}\n")
    out = tmp_path / "o"
    args = ["run", str(toy(tmp_path)), "--set-file", str(path), "--out", str(out)]
    (m,) = input_errors(runner.invoke(app, args))
    assert m["file"] == str(path) and m["line"] == "2" and not out.exists()


# --- 11. Arabic spellings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "place"),
    [("ابو قرين", "Abu Grein"), ("إبو قرين", "Abu Grein"), ("سِرْت", "Sirte"), ("سـرت", "Sirte"),
     ("مصراته", "Misrata"), ("اجدابيا", "Ajdabiya"), ("تاجوراء", "Tajura"), ("  MISURATA ", "Misrata")],
)  # fmt: skip
def test_routine_arabic_spelling_variants_find_the_place(spelling, place):
    result = runner.invoke(app, ["route", spelling, "Tripoli"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{place} -> Tripoli")


def test_did_you_mean_searches_aliases_in_any_script(tmp_path):
    text = (SCENARIOS / "ceasefire_jan12.yaml").read_text()
    for wrong, right in (
        ("Abu Qurayyn", "'Abu Qurayn', i.e. 'Abu Grein'"),
        ("مصراتتة", "'مصراتة', i.e. 'Misrata'"),
    ):
        path = tmp_path / "s.yaml"
        path.write_text(edited(text, "place: Abu Grein", f"place: {wrong}"))
        (m,) = input_errors(check(path))
        assert f"(did you mean {right}?)" in m["msg"]  # fmt: skip


def test_a_spelling_that_two_places_claim_is_refused(tmp_path):
    path = tmp_path / "toy_theater.yaml"
    path.write_text(edited(TOY_THEATER, "name: B,", "name: B, aliases: [alpha],"))
    (m,) = input_errors(check(path))
    assert m["field"] == "places.1.aliases.0" and "already names place 'A'" in m["msg"]


# --- 14. the same --set key twice ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_the_same_set_key_twice_is_refused(tmp_path, command):
    out = tmp_path / "out"
    sweep = ["--param", "faction.Y.aggression=0,1"] if command == "sweep" else []
    args = [command, str(toy(tmp_path)), "--out", str(out), *sweep, "--set", "faction.X.aggression=0.9", "--set", "faction.X.aggression=0.1"]  # fmt: skip
    (m,) = input_errors(runner.invoke(app, args))
    assert m["field"] == "faction.X.aggression" and "given twice" in m["msg"] and "0.9" in m["msg"]
    assert not out.exists()


def test_observation_times_are_shown_in_the_theaters_local_time(tmp_path):
    from sim.config import load_scenario
    from sim.observations import describe, load_observations

    obs = tmp_path / "obs.yaml"
    obs.write_text(
        "title: t\nobservations:\n  - {id: c1, kind: control, description: d, place: B, "
        "controller: X, at: 2020-01-01T04:00Z, source: {publication: p, date: 2020-01-01}}\n"
    )
    (o,) = load_observations(obs, load_scenario(toy(tmp_path))).observations
    assert o.at.isoformat() == "2020-01-01T06:00:00+02:00"
    assert describe(o) == "X holds B at 01 Jan 06:00"


def test_a_misspelt_field_of_the_newer_event_kinds_names_the_close_one(tmp_path):
    text = TOY_SCENARIO + "  - {at: 2020-01-01T01:00+02:00, kind: talks, factr: 0.5, days: 2}\n"
    errors = input_errors(check(toy(tmp_path, text)))
    assert any("unknown field (did you mean 'factor'?)" in m["msg"] for m in errors)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("personnel: 1000, speed_kmh: 10, posture", "personnel: 1000, personnel_low: 1500, personnel_high: 3000, speed_kmh: 10, posture",
         "personnel 1000 is outside its range [1500, 3000]"),
        ("personnel: 1000, speed_kmh: 10, posture", "personnel: 1000, personnel_high: 3000, speed_kmh: 10, posture",
         "give both personnel_low and personnel_high"),
    ],
)  # fmt: skip
def test_a_force_range_must_hold_its_estimate(tmp_path, old, new, message):
    """Force sizes are drawn from low / estimate / high: a range that does not hold the estimate
    was silently ignored or clamped."""
    path = tmp_path / "toy_theater.yaml"
    path.write_text(edited(TOY_THEATER, old, new))
    (m,) = input_errors(check(path))
    assert m["field"] == "units.0" and message in m["msg"]
