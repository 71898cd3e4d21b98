"""Bad input found by mutating shipped files, each once "check said ok, then run crashed" or a
traceback: every one must be refused by `check` in located lines with exit 2, or run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import ROOT, input_errors, line_of

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


ZERO_SHARES = {
    "ceasefire.share_small_arms": 0,
    "ceasefire.share_shelling": 0,
    "ceasefire.share_drone": 0,
    "ceasefire.share_ground_probe": 0,
}


def _set_event(params: dict[str, float]) -> str:
    flow = ", ".join(f"{k}: {v}" for k, v in params.items())
    return f"  - at: 2020-01-01T01:00+02:00\n    kind: set\n    params: {{{flow}}}\n"


def test_a_scenario_set_of_every_incident_share_to_0_is_refused_by_check(tmp_path):
    # Was: check ok, then run refused it as `--set:1:1`, which the user had not given.
    lines = "".join(f"  {k}: {v}\n" for k, v in ZERO_SHARES.items())
    path = toy(tmp_path, f"set:\n=>set:\n{lines}")
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["file"] == str(path) and m["field"] == "set.ceasefire.share_small_arms"
    assert int(m["line"]) == line_of(path, "ceasefire.share_small_arms")
    assert "are all 0" in m["msg"]


def test_a_set_event_zeroing_every_incident_share_is_refused_by_check(tmp_path):
    # Was: check ok, then the run crashed at the first incident of a truce (ValueError from
    # weighted_index), a traceback.
    path = toy(tmp_path, extra=_set_event(ZERO_SHARES))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "events.1.params.ceasefire.share_small_arms"
    assert int(m["line"]) == line_of(path, "kind: set") + 1
    assert "from this event on" in m["msg"] and "are all 0" in m["msg"]


def test_set_events_that_leave_a_share_positive_pass(tmp_path):
    # Three shares 0 in one event, the fourth in a later one that restores another: no problem.
    three = {k: 0 for k in list(ZERO_SHARES)[:3]}
    later = _set_event({"ceasefire.share_ground_probe": 0, "ceasefire.share_drone": 1})
    path = toy(tmp_path, extra=_set_event(three) + later.replace("01:00", "02:00"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output


def test_a_set_override_that_an_event_completes_is_refused_before_the_run(tmp_path):
    # check cannot see --set: the run itself refuses, located at the event, before writing.
    three = {k: 0 for k in list(ZERO_SHARES)[:3]}
    path = toy(tmp_path, extra=_set_event(three))
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1", "--no-report", "--quiet", "--out", str(out)]
    (m,) = input_errors(runner.invoke(app, [*args, "--set", "ceasefire.share_ground_probe=0"]))
    assert m["file"] == str(path) and m["field"].startswith("events.1.params.")
    assert "with the overrides given" in m["msg"]
    assert not out.exists()
    run_ok(path, out)  # without the override it runs


PARAMETERS = Path(__file__).resolve().parent.parent / "config" / "parameters.yaml"


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [  # each was a TypeError, ValueError or AttributeError, or silently accepted
        ("  default: 6\n", "  default: six\n", "control.hold_hours.default", "valid number"),
        ("  default: 6\n", "  default:\n", "control.hold_hours.default", "valid number"),
        ("  default: 1\n", "  default: true\n", "forces.sample_personnel.default", "number"),
        ("range: [1, 72]", "range: [1, a]", "control.hold_hours.range.1", "valid number"),
        ("range: [1, 72]", "range: [1, .inf]", "control.hold_hours.range.1", "finite"),
        ("range: [1, 72]", "range: [72, 1]", "control.hold_hours.range", "low 72 above high 1"),
        ("LNA: 0.88,", "LNA: 88,", "air.{faction}.drone_strikes_per_day.defaults.LNA",
         "88 is outside the range [0, 6]"),
        ("LNA: 0.88,", "LNA: x,", "air.{faction}.drone_strikes_per_day.defaults.LNA", "number"),
        ("defaults: {LNA: 0.88, GNA: 0.13}", "defaults: [1]",
         "air.{faction}.drone_strikes_per_day.defaults", "dictionary"),
        ("  default: 6\n", "  default: 6\n  defaults: {X: 2}\n", "control.hold_hours.defaults",
         "need a key with {faction} or {patron}"),
        ("  unit: hours\n", "  units: hours\n", "control.hold_hours.units",
         "did you mean 'unit'?"),
        ("control.hold_hours:", "control.{place}.hold_hours:", "control.{place}.hold_hours",
         "placeholders"),
    ],
)  # fmt: skip
def test_a_bad_parameter_file_is_a_located_input_error(tmp_path, old, new, field, message):
    from sim.config import load_theater
    from sim.errors import InputError
    from sim.params import ParamRegistry

    text = PARAMETERS.read_text()
    assert old in text
    path = tmp_path / "parameters.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as exc:
        ParamRegistry.load(load_theater(DATA / "toy_theater.yaml"), path=path)
    problem = next(p for p in exc.value.problems if p.field == field)
    assert message in problem.message and problem.file == str(path)
    first = text[: text.index(old)].count("\n") + 1  # the lines the edit wrote
    assert first <= problem.line <= first + new.rstrip("\n").count("\n")


def test_an_event_naming_the_other_sides_unit_is_refused(tmp_path):
    # Was: check ok and the run silently left y1 where it was (start_offensive and reinforce
    # skip a unit of another faction).
    path = toy(tmp_path, "units: [x1]=>units: [y1]")
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "events.0.units.0" and int(m["line"]) == line_of(path, "units: [y1]")
    assert "unit 'y1' is Y's then, not X's" in m["msg"]


def _event(at: str, body: str) -> str:
    return f"  - at: 2020-01-01T{at}+02:00\n" + "".join(f"    {ln}\n" for ln in body.split("; "))


def test_a_unit_is_its_new_sides_after_a_defection_and_not_before(tmp_path):
    defect = _event("01:00", "kind: defection; unit: y1; to: X")
    send = "kind: reinforce; faction: X; units: [y1]; place: B"
    path = toy(tmp_path, extra=defect + _event("02:00", send))
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0, "after: X's"
    run_ok(path, tmp_path / "out")
    early = toy(tmp_path, extra=_event("00:30", send) + defect)
    (m,) = input_errors(runner.invoke(app, ["check", str(early)]))
    assert m["field"] == "events.1.units.0" and "is Y's then" in m["msg"]


def test_a_defection_to_the_units_own_side_is_refused(tmp_path):
    path = toy(tmp_path, extra=_event("01:00", "kind: defection; unit: x1; to: X"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "events.1.to" and "already X's" in m["msg"]


@pytest.mark.parametrize(
    "edit",
    ["corridor_max_km: 35=>corridor_max_km: 0.000001", "km: 40, source=>km: 1.0e+300, source"],
)
def test_a_corridor_cut_into_millions_of_waypoints_is_refused(tmp_path, edit):
    # Was: check never ended (the network builder cut the 40 km corridor into 4e10 waypoints),
    # hence a subprocess with a time limit.
    import subprocess
    import sys

    theater = toy(tmp_path).parent / "toy_theater.yaml"
    old, new = edit.split("=>")
    theater.write_text(theater.read_text().replace(old, new, 1))
    args = [sys.executable, "-m", "sim.cli", "check", str(theater)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert f"{theater}:{line_of(theater, 'corridor: true')}:" in line
    assert "roads.1.km: corridor roads would be cut into more than 10,000 waypoints" in line


HUB = "supply_hubs:\n  - {place: A, stock_days: 5, source: test, %s}\n"
INFLOW = (
    "  P:\n    name: Patron\n    client: X\n    source: test\n    inflows:\n"
    "      - {kind: fighters, start: 2020-01-02T00:00+02:00, end: 2020-01-01T00:00+02:00,"
    " per_month_low: 10, per_month_high: 20, place: A, source: test}\n"
)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [  # each was taken, and the model silently did nothing with it
        ("", HUB % "bridge: sea", "supply_hubs.0", "give both bridge and bridge_for"),
        ("", HUB % "bridge_for: X", "supply_hubs.0", "give both bridge and bridge_for"),
        ("", HUB % "bridge: sea, bridge_for: X, bridge_from: B", "supply_hubs.0",
         "bridge_from is the rear place of an overland bridge only"),
        ("  P: {name: Patron, client: X, source: test}\n", INFLOW, "patrons.P.inflows.0",
         "end is not after start"),
        ("  Y: {name: East", "  contested: {name: East", "factions",
         "'contested' is the controller of a place no faction holds"),
    ],
)  # fmt: skip
def test_a_theater_setting_the_model_would_ignore_is_refused(tmp_path, old, new, field, message):
    theater = toy(tmp_path).parent / "toy_theater.yaml"
    text = theater.read_text()
    theater.write_text(text.replace(old, new, 1) if old else text + new)
    problems = input_errors(runner.invoke(app, ["check", str(theater)]))
    assert any(m["field"] == field and message in m["msg"] for m in problems), problems


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("faction.X.agression: 0.5", "unknown parameter 'faction.X.agression' (did you mean"),
        ("ceasefire.violation_rate: 4000", "is outside its valid range [0, 50]"),
    ],
)
def test_a_bad_key_or_value_in_a_set_file_is_located_in_it(tmp_path, line, message):
    # Was: `--set:1:1: ...`, naming an option the user had not given, and no line.
    path = toy(tmp_path)
    overrides = tmp_path / "calibrated.yaml"
    overrides.write_text(f"set:\n  faction.Y.aggression: 0.5\n  {line}\n")
    out = tmp_path / "out"
    obs = str(Path(__file__).parent / "data" / "toy_observations.yaml")
    for args in (
        ["run", str(path), "-n", "1", "--no-report", "--quiet"],
        ["validate", str(path), "-o", obs, "-n", "1"],  # these two also said `--set:1:1`
        ["calibrate", str(path), "-o", obs, "-p", "faction.X.aggression=0:1", "--budget", "2"],
    ):
        (m,) = input_errors(
            runner.invoke(app, [*args, "--out", str(out), "--set-file", str(overrides)])
        )
        assert m["file"] == str(overrides) and (m["line"], m["col"]) == ("3", "3")
        assert m["field"] == "set." + line.split(":")[0] and message in m["msg"]
        assert not out.exists()


def test_check_reads_the_parameter_file_and_set_files_as_what_they_are(tmp_path):
    # Was: each taken for a scenario, a screen of errors (every parameter an "unknown field").
    result = runner.invoke(app, ["check", str(PARAMETERS)])
    assert result.exit_code == 0 and "parameters ok" in result.output, result.output
    shipped = sorted((PARAMETERS.parent / "overrides").glob("*.yaml"))
    result = runner.invoke(app, ["check", *map(str, shipped)])
    assert result.exit_code == 0 and result.output.count("set file ok") == len(shipped)
    bad_parameters = tmp_path / "parameters.yaml"
    bad_parameters.write_text(PARAMETERS.read_text().replace("  default: 6\n", "  default: x\n", 1))
    (m,) = input_errors(runner.invoke(app, ["check", str(bad_parameters)]))
    assert m["field"] == "control.hold_hours.default"
    for text in ("set:\n  faction.LNA.agression: 0.5\n", "faction.LNA.agression: 0.5\n"):
        set_file = tmp_path / "calibrated.yaml"
        set_file.write_text(text)
        (m,) = input_errors(runner.invoke(app, ["check", str(set_file)]))
        assert m["field"].endswith("faction.LNA.agression") and m["line"] == str(text.count("\n"))
        assert "did you mean 'faction.LNA.aggression'" in m["msg"]


def test_a_folder_or_an_unreadable_file_is_named_for_what_it_is(tmp_path, monkeypatch):
    from sim.errors import InputError
    from sim.yamlsource import load_yaml

    folder = tmp_path / "scenario.yaml"
    folder.mkdir()
    (m,) = input_errors(runner.invoke(app, ["check", str(folder)]))
    assert m["msg"] == "a folder, not a file"  # was "no such file"
    path = toy(tmp_path / "scenario.yaml")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # root reads files of mode 000
    with pytest.raises(InputError) as exc:  # was PermissionError
        load_yaml(path)
    assert str(exc.value) == f"{path}:1:1: (top): cannot read: Permission denied"


@pytest.mark.parametrize(
    ("events", "field", "message"),
    [  # each passed check and did nothing in the run
        ([("01:00", "kind: ceasefire; parties: [X, X]")], "events.1.parties.1",
         "'X' is named twice"),
        ([("01:00", "kind: recommit")], "events.1.kind", "no ceasefire before it"),
        ([("02:00", "kind: ceasefire; parties: [X, Y]"), ("01:00", "kind: recommit")],
         "events.2.kind", "no ceasefire before it"),
        ([("01:00", "kind: deployment; patron: P; place: A")], "events.1",
         "nothing would arrive"),
    ],
)  # fmt: skip
def test_an_event_that_would_do_nothing_is_refused(tmp_path, events, field, message):
    path = toy(tmp_path, extra="".join(_event(at, body) for at, body in events))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == field and message in m["msg"]


def test_a_recommitment_after_its_ceasefire_runs(tmp_path):
    events = [("01:00", "kind: ceasefire; parties: [X, Y]"), ("03:00", "kind: recommit")]
    path = toy(tmp_path, extra="".join(_event(at, body) for at, body in events))
    run_ok(path, tmp_path / "out")


@pytest.mark.parametrize(
    ("unit_id", "message"),
    [
        ("local_b", "'local_b' is the id of B's local defence"),
        ("p_1", "'p_1' is the id of one of P's arriving contingents"),
    ],
)
def test_a_unit_id_the_model_gives_its_own_units_is_refused(tmp_path, unit_id, message):
    # Was: check ok; the units table then held two units of one id, and an event naming it
    # could act on the model's unit instead (a reinforce of 'local_b' moved nothing).
    unit = f"units:\n  - {{id: {unit_id}, name: Twin, faction: X, place: A, personnel: 50, source: t}}\n"
    path = toy(tmp_path, f"events:\n=>{unit}events:\n")
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "units.0.id" and message in m["msg"]
    theater = path.parent / "toy_theater.yaml"
    text = theater.read_text()
    theater.write_text(text.replace("  - {id: x1,", f"  - {{id: {unit_id},", 1))
    (m,) = input_errors(runner.invoke(app, ["check", str(theater)]))
    assert m["field"] == "units.0.id" and message in m["msg"]


def test_hours_are_elapsed_hours_across_a_daylight_saving_change(tmp_path):
    # Kyiv moved its clocks from +02:00 to +03:00 at 03:00 on 29 March 2015: 00:00 on the 28th to
    # 00:00 on the 30th is 47 hours, not the 48 its wall clocks differ by; an event at noon on the
    # 29th is 35 hours in (was 36: it fired an hour late, at 13:00 in the tables).
    from sim.config import load_scenario

    path = toy(
        tmp_path,
        "start: 2020-01-01T00:00+02:00=>start: 2015-03-28T00:00+02:00",
        extra=_event("00:00", "kind: note; text: noon").replace(
            "2020-01-01T00:00+02:00", "2015-03-29T12:00+03:00"
        ),
    )
    path.write_text(
        path.read_text()
        .replace("end: 2020-01-03T00:00+02:00", "end: 2015-03-30T00:00+03:00")
        .replace("at: 2020-01-01T00:00+02:00", "at: 2015-03-28T00:00+02:00")
    )
    theater = path.parent / "toy_theater.yaml"
    theater.write_text(
        theater.read_text().replace("corridor_max_km:", "timezone: Europe/Kyiv\ncorridor_max_km:")
    )
    s = load_scenario(path).scenario
    assert s.hours == 47 and s.hour_of(s.events[-1].at) == 35
    run_ok(path, tmp_path / "out")
    import pandas as pd

    events = pd.read_parquet(tmp_path / "out" / "events.parquet")
    (noon,) = events[events["text"] == "noon"]["time"]
    assert noon.isoformat() == "2015-03-29T12:00:00+03:00"


def test_a_set_event_of_no_parameters_is_refused(tmp_path):
    path = toy(tmp_path, extra=_event("01:00", "kind: set; params: {}"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "events.1.params" and "at least 1 item" in m["msg"]


def test_an_inflow_to_a_place_no_road_reaches_is_refused(tmp_path):
    # Was: check ok (a warning that no road reaches D), and the fighters arrived at D as units
    # that could never move, where a unit placed there is refused.
    theater = toy(tmp_path).parent / "toy_theater.yaml"
    place_d = (
        "  - {name: D, lat: 33.0, lon: 14.0, kind: town, controller: X, coord_source: test,"
        " population: 0, population_source: test, value: 1, fortification: 0}\nroads:\n"
    )
    inflow = (
        "  P:\n    name: Patron\n    client: X\n    source: test\n    inflows:\n"
        "      - {kind: fighters, start: 2020-01-01T00:00+02:00, per_month_low: 10,"
        " per_month_high: 20, place: D, source: test}\n"
    )
    text = theater.read_text().replace("roads:\n", place_d, 1)
    theater.write_text(text.replace("  P: {name: Patron, client: X, source: test}\n", inflow))
    (m,) = input_errors(runner.invoke(app, ["check", str(theater)]))
    assert (
        m["field"] == "patrons.P.inflows.0.place" and "no road joins 'D' to the front" in m["msg"]
    )


@pytest.mark.parametrize("command", [["params"], ["route", "A", "B"]])
def test_a_misspelt_theater_option_names_the_close_one(command):
    # Was: `<absolute path>/config/theaters/lybia.yaml:1:1: (top): no such file`.
    (m,) = input_errors(runner.invoke(app, [*command, "--theater", "lybia"]))
    assert (m["file"], m["field"]) == ("<command line>", "--theater")
    assert "no theater 'lybia'" in m["msg"] and "(did you mean 'libya'?)" in m["msg"]


def test_a_parameter_file_given_as_a_set_file_is_one_line(tmp_path):
    path = toy(tmp_path)
    out = tmp_path / "out"
    args = [
        "run",
        str(path),
        "-n",
        "1",
        "--quiet",
        "--out",
        str(out),
        "--set-file",
        str(PARAMETERS),
    ]
    (m,) = input_errors(runner.invoke(app, args))
    assert m["field"] == "forces.sample_personnel", m
    assert "not a value: this looks like the parameter file" in m["msg"], m["msg"]
    assert m["msg"].endswith("forces.sample_personnel: 1"), m["msg"]


def test_a_set_event_of_a_parameter_read_only_at_the_start_is_refused(tmp_path):
    # Was: check ok, and the run went on with the start's value (the forces were drawn).
    path = toy(tmp_path, extra=_event("01:00", "kind: set; params: {forces.sample_personnel: 0}"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "events.1.params.forces.sample_personnel"
    assert "read once, when the run starts" in m["msg"]


def test_the_parameters_marked_start_only_are_those_a_set_event_cannot_change(tmp_path):
    """The mark is the model's truth: each marked parameter, set at the start, changes a short
    Libyan run's summary, and set by an event an hour in, changes nothing (run_one is called
    directly: check refuses such an event). Unmarked ones are not claimed either way."""
    from datetime import timedelta

    from sim.config import SetEvent, load_scenario
    from sim.params import ParamRegistry
    from sim.runner import ensemble_specs, resolve_params, run_one

    from .conftest import short_scenario

    setup = load_scenario(short_scenario(tmp_path, end="2020-01-16T00:00+02:00"))
    registry = ParamRegistry.load(setup.theater)
    marked = [k for k, spec in registry.specs.items() if spec.start_only]
    assert len(marked) == 7
    base, spec = resolve_params(setup), ensemble_specs(1, 7)[0]

    def summary(setup, params) -> str:
        return repr(sorted(run_one(setup, spec, params).summary.items()))

    plain = summary(setup, base)
    for key in marked:
        s = registry.specs[key]
        value = s.high if s.default != s.high else s.low
        assert summary(setup, {**base, key: value}) != plain, key
        later = SetEvent(
            at=setup.scenario.start + timedelta(hours=1), kind="set", params={key: value}
        )
        events = [*setup.scenario.events, later]
        moved = setup.model_copy(
            update={"scenario": setup.scenario.model_copy(update={"events": events})}
        )
        assert summary(moved, base) == plain, key


def test_another_theaters_observations_are_one_line(tmp_path):
    # Was 39 lines: the theater, then every place, controller and date of its facts.
    text = (ROOT / "scenarios" / "sirte_advance.yaml").read_text()
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("observations: jan2020", "observations: hodeidah"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "theater" and "observations are for theater 'hodeidah'" in m["msg"]


def test_observations_naming_a_folder_say_so(tmp_path):
    # Was: "no file facts.yaml (did you mean 'facts.yaml'?)".
    text = (ROOT / "scenarios" / "sirte_advance.yaml").read_text()
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("observations: jan2020", "observations: facts.yaml"))
    (tmp_path / "facts.yaml").mkdir()
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "observations" and m["msg"].endswith("facts.yaml is not a file")
