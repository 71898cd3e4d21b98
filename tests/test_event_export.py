"""`export`: simulated events in ACLED's and UCDP GED's schemas; and the round trip: export a run,
import it as observations, validate that run (rerun from its seed) against them: it matches fully."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.eventdata import ACLED_COLUMNS, GED_COLUMNS
from tests.conftest import input_errors, short_scenario

runner = CliRunner()
END = "2020-01-10T00:00+02:00"  # five days: the fall of Sirte, clashes west of it, strikes


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> tuple[Path, Path]:
    from sim.api import run_to_folder

    folder = tmp_path_factory.mktemp("export")
    scenario = short_scenario(folder, end=END)
    out, _ = run_to_folder(
        scenario, replicates=2, seed=11, out=folder / "results", report=False, progress=False
    )
    return scenario, out


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_round_trip_export_import_validate_matches_fully(run_folder, tmp_path):
    scenario, results = run_folder
    csv = tmp_path / "run0.csv"
    assert cli("export", results, "--runs", "0", "--out", csv).exit_code == 0
    seed = int(pd.read_parquet(results / "runs.parquet").query("run_id == 0")["seed"].iloc[0])
    assert seed  # replicate 0 of base seed 11: validate reruns it exactly
    for extra in ((), ("--count-high", "1", "--fatality-high", "1")):  # assumed ranges, and exact
        obs = tmp_path / "obs.yaml"
        r = cli("observe", "import", csv, "--format", "acled", "--theater", "libya",
                "--from", "2020-01-05", "--to", "2020-01-09", "--out", obs, *extra)  # fmt: skip
        assert r.exit_code == 0, r.output
        facts = yaml.safe_load(obs.read_text())["observations"]
        kinds = {(f["kind"], f.get("event"), f.get("metric")) for f in facts}
        assert {("number", "engagement", "event_count"), ("number", "strike", "event_casualties"),
                ("number", None, "event_civilian_casualties"), ("event", "control_change", None)} <= kinds  # fmt: skip
        out = tmp_path / "validation"
        r = cli(
            "validate",
            scenario,
            "-o",
            obs,
            "-n",
            "1",
            "--seed",
            11,
            "--out",
            out,
            "--no-report",
            "--quiet",
        )
        assert r.exit_code == 0, r.output
        scores = pd.read_parquet(out / "validation.parquet")
        assert len(scores) == len(facts) > 40
        assert scores["share_matching"].eq(1.0).all(), scores[scores["share_matching"] < 1]


def test_round_trip_through_ucdp_ged_matches_fully(run_folder, tmp_path):
    """GED keeps only events with a death and files clashes and strikes alike as state-based
    violence: its facts count the run's events that way (`min_deaths`, `also_events`), so the
    run they came from matches every one (it matched 0.29 of them, counting every event)."""
    scenario, results = run_folder
    csv = tmp_path / "run0-ged.csv"
    assert (
        cli("export", results, "--format", "ucdp-ged", "--runs", "0", "--out", csv).exit_code == 0
    )
    obs = tmp_path / "obs-ged.yaml"
    r = cli("observe", "import", csv, "--format", "ucdp-ged", "--theater", "libya",
            "--from", "2020-01-05", "--to", "2020-01-09", "--out", obs)  # fmt: skip
    assert r.exit_code == 0, r.output
    facts = yaml.safe_load(obs.read_text())["observations"]
    counts = [f for f in facts if f.get("metric") == "event_count"]
    assert counts and all(f["min_deaths"] == 1 for f in counts)
    assert all(f["also_events"] == ["strike"] for f in counts if f["event"] == "engagement")
    out = tmp_path / "validation-ged"
    r = cli("validate", scenario, "-o", obs, "-n", "1", "--seed", 11, "--out", out,
            "--no-report", "--quiet")  # fmt: skip
    assert r.exit_code == 0, r.output
    scores = pd.read_parquet(out / "validation.parquet")
    assert len(scores) == len(facts) > 10
    assert scores["share_matching"].eq(1.0).all(), scores[scores["share_matching"] < 1]


def test_facts_tell_runs_apart(run_folder, tmp_path):
    """The other replicate does not match the facts of run 0 (they are not vacuous)."""
    from sim.config import load_scenario
    from sim.observations import load_observations
    from sim.runner import Tables, network_for
    from sim.validation import resolve_targets, score_targets

    scenario, results = run_folder
    csv, obs = tmp_path / "run0.csv", tmp_path / "obs.yaml"
    cli("export", results, "--runs", "0", "--out", csv)
    args = (
        "--from",
        "2020-01-05",
        "--to",
        "2020-01-09",
        "--count-high",
        "1",
        "--fatality-high",
        "1",
    )
    assert (
        cli(
            "observe", "import", csv, "--format", "acled", "--theater", "libya", "--out", obs, *args
        ).exit_code
        == 0
    )
    setup = load_scenario(scenario)
    tables = {
        n: pd.read_parquet(results / f"{n}.parquet")
        for n in ("runs", "timeseries", "control", "units", "events")
    }
    targets = resolve_targets(load_observations(obs, setup), setup, network_for(setup))
    share = {}
    for run in (0, 1):
        mine = Tables(**{n: t[t["run_id"] == run] for n, t in tables.items()})
        share[run] = score_targets(targets, mine)["share_matching"].mean()
    assert share[0] == 1.0 and share[1] < 0.95


def test_acled_export_columns_rows_and_bytes(run_folder, tmp_path):
    _, results = run_folder
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert cli("export", results, "--out", a).exit_code == 0
    assert cli("export", results, "--out", b).exit_code == 0
    assert a.read_bytes() == b.read_bytes()  # reproducible: no wall-clock time inside
    df = pd.read_csv(a, keep_default_na=False)
    assert list(df.columns) == [*ACLED_COLUMNS, "run_id"]
    events = pd.read_parquet(results / "events.parquet")
    civ = events[events["civilian_casualties"] >= 1]
    assert len(df) == len(events) + len(civ)  # one row per event, one more per civilian harm
    assert sorted(df["run_id"].unique()) == [0, 1]
    vac = df[df["event_type"] == "Violence against civilians"]
    assert vac["fatalities"].sum() == civ["civilian_casualties"].sum()
    assert (vac["civilian_targeting"] == "Civilian targeting").all()
    fights = df[df["sub_event_type"] == "Armed clash"]
    eng = events[events["kind"] == "engagement"]
    assert len(fights) == len(eng) and fights["fatalities"].sum() == eng["casualties"].sum()
    assert set(fights["actor1"]) | set(fights["actor2"]) == {
        "Government of National Accord",
        "Libyan National Army",
    }
    surrender = df[df["tags"].str.startswith("conflict-sim kind=surrender;")]
    assert (surrender["fatalities"] == 0).all()  # people who gave up are not deaths
    sirte = df[df["location"] == "Sirte"].iloc[0]
    assert (sirte["latitude"], sirte["longitude"], sirte["geo_precision"]) == (
        "31.209",
        "16.589",
        1,
    )
    assert df["event_date"].str.match(r"^2020-01-(0[5-9]|10)$").all()  # local days of the run


def test_ged_export_keeps_fatal_events(run_folder, tmp_path):
    _, results = run_folder
    out = tmp_path / "ged.csv"
    assert (
        cli("export", results, "--format", "ucdp-ged", "--runs", "1", "--out", out).exit_code == 0
    )
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == [*GED_COLUMNS, "run_id"]
    assert (df["best"] >= 1).all() and (
        df["best"] == df["deaths_unknown"] + df["deaths_civilians"]
    ).all()
    assert (df["low"] == df["best"]).all() and (df["high"] == df["best"]).all()
    assert set(df["run_id"]) == {1}
    ev = pd.read_parquet(results / "events.parquet").query(
        "run_id == 1 and kind in ['engagement', 'strike']"
    )
    assert df["best"].sum() == (ev["casualties"] + ev["civilian_casualties"]).sum()
    # an engagement that ran to midnight ends on its own day
    assert (pd.to_datetime(df["date_end"]) >= pd.to_datetime(df["date_start"])).all()
    assert ((pd.to_datetime(df["date_end"]) - pd.to_datetime(df["date_start"])).dt.days <= 1).all()


def test_new_kinds_and_sub_kinds_are_written_without_a_change(run_folder, tmp_path):
    """A ceasefire incident with its kind in `detail`, and a kind nobody has mapped yet."""
    _, results = run_folder
    folder = tmp_path / "copy"
    shutil.copytree(results, folder)
    ev = pd.read_parquet(folder / "events.parquet")
    extra = ev.iloc[:2].copy()
    extra["kind"] = ["violation", "brand_new"]
    extra["detail"] = ["shelling", ""]
    ev = pd.concat([ev, extra], ignore_index=True)
    ev.to_parquet(folder / "events.parquet", index=False)
    out = tmp_path / "x.csv"
    assert cli("export", folder, "--out", out).exit_code == 0
    df = pd.read_csv(out, keep_default_na=False)
    row = df[df["tags"].str.startswith("conflict-sim kind=violation/shelling;")].iloc[0]
    assert row["sub_event_type"] == "Shelling/artillery/missile attack"
    assert (
        df[df["tags"].str.startswith("conflict-sim kind=brand_new;")].iloc[0]["sub_event_type"]
        == "Other"
    )


def test_excel_out_and_in(run_folder, tmp_path):
    _, results = run_folder
    xlsx = tmp_path / "run0.xlsx"
    assert cli("export", results, "--runs", "0", "--out", xlsx).exit_code == 0
    obs = tmp_path / "obs.yaml"
    r = cli(
        "observe",
        "import",
        xlsx,
        "--format",
        "acled",
        "--theater",
        "libya",
        "--to",
        "2020-01-09",
        "--out",
        obs,
    )
    assert r.exit_code == 0, r.output
    csv_obs = tmp_path / "csv.yaml"
    cli("export", results, "--runs", "0", "--out", tmp_path / "run0.csv")
    cli(
        "observe",
        "import",
        tmp_path / "run0.csv",
        "--format",
        "acled",
        "--theater",
        "libya",
        "--to",
        "2020-01-09",
        "--out",
        csv_obs,
    )
    strip = lambda p: yaml.safe_load(p.read_text())["observations"]  # noqa: E731
    assert strip(obs) == strip(csv_obs)


def test_observe_import_names_the_theater_meant(tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("event_id_cnty\n")
    (err,) = input_errors(cli("observe", "import", csv, "--format", "acled", "--theater", "lybia"))
    assert err["field"] == "--theater" and "did you mean 'libya'" in err["msg"]


def test_bad_export_input(run_folder, tmp_path):
    _, results = run_folder
    (err,) = input_errors(cli("export", results, "--runs", "0-7"))
    assert err["field"] == "--runs" and "no run 2" in err["msg"]
    (err,) = input_errors(cli("export", results, "--runs", "a-b"))
    assert err["field"] == "--runs"
    (err,) = input_errors(cli("export", tmp_path, "--out", tmp_path / "x.csv"))
    assert "not a results folder" in err["msg"]
    (err,) = input_errors(cli("export", results, "--format", "ucdp_ged"))
    assert "did you mean 'ucdp-ged'" in err["msg"]
    (err,) = input_errors(cli("export", results, "--format", "ged"))
    assert "did you mean 'ucdp-ged'" in err["msg"]
    (err,) = input_errors(cli("export", results, "--runs", "1-"))  # was taken as run 1
    assert err["field"] == "--runs" and "bad run list '1-'" in err["msg"]
    assert not (tmp_path / "x.csv").exists()
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["theater"]["name"] == "libya"


def test_an_engagement_ending_as_a_window_starts_is_not_in_it():
    """Events cover [hour, hour + duration): the day after a battle logged until midnight does
    not count it (the weekly facts of an import depend on it)."""
    from sim.fact_matching import select_events
    from sim.validation import EventFilter

    ev = pd.DataFrame(
        {"run_id": [0, 0, 0], "hour": [20.0, 24.0, 30.0], "kind": "engagement", "place": "Sirte",
         "factions": "GNA,LNA", "casualties": 1.0, "duration_hours": [4.0, 0.0, 2.0], "text": ""}
    )  # fmt: skip
    next_day = select_events(ev, EventFilter(kind="engagement"), 24.0, 47.99)
    assert next_day["hour"].tolist() == [24.0, 30.0]
    first_day = select_events(ev, EventFilter(kind="engagement"), 0.0, 23.99)
    assert first_day["hour"].tolist() == [20.0]
    assert select_events(ev, EventFilter(), 21.0, 22.0)["hour"].tolist() == [20.0]  # while it lasts
    # booked at 24, the start of its hour: it happened from 24 to 25, after a window ending at 24
    assert select_events(ev, EventFilter(), 0.0, 24.0)["hour"].tolist() == [20.0]


def test_import_is_byte_identical(run_folder, tmp_path):
    _, results = run_folder
    csv = tmp_path / "e.csv"
    cli("export", results, "--out", csv)
    outs = []
    for name in ("a.yaml", "b.yaml"):
        cli(
            "observe",
            "import",
            csv,
            "--format",
            "acled",
            "--theater",
            "libya",
            "--to",
            "2020-01-09",
            "--out",
            tmp_path / name,
        )
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 10_000


def test_round_trip_through_the_truce_keeps_incident_kinds(small_results, tmp_path):
    """After 12 January the model logs ceasefire incidents (`violation`, with `detail` small
    arms, shelling, drone or ground probe): ACLED codes some as armed clashes, yet the facts of
    an exported run still match that run exactly (export tags each row with its model kind)."""
    from sim.config import load_scenario
    from sim.observations import load_observations
    from sim.runner import Tables, network_for
    from sim.validation import resolve_targets, score_targets

    csv, obs = tmp_path / "run0.csv", tmp_path / "obs.yaml"
    assert cli("export", small_results, "--runs", "0", "--out", csv).exit_code == 0
    rows = pd.read_csv(csv, keep_default_na=False)
    args = (
        "--from",
        "2020-01-12",
        "--to",
        "2020-01-14",
        "--count-high",
        "1",
        "--fatality-high",
        "1",
    )
    r = cli(
        "observe", "import", csv, "--format", "acled", "--theater", "libya", "--out", obs, *args
    )
    assert r.exit_code == 0, r.output
    manifest = json.loads((small_results / "manifest.json").read_text())
    setup = load_scenario(manifest["scenario"]["file"])
    tables = {
        n: pd.read_parquet(small_results / f"{n}.parquet")
        for n in ("runs", "timeseries", "control", "units", "events")
    }
    run0 = Tables(**{n: t[t["run_id"] == 0] for n, t in tables.items()})
    ev = run0.events
    truce = ev[(ev["kind"] == "violation") & (ev["hour"] >= 7 * 24) & (ev["hour"] < 10 * 24)]
    if truce.empty:
        pytest.skip("no ceasefire incident in this run's 12-14 January")
    facts = yaml.safe_load(obs.read_text())["observations"]
    assert any(
        f.get("event") == "violation" and f["low"] > 0 for f in facts if f["kind"] == "number"
    )
    clashes = rows[
        (rows["sub_event_type"] == "Armed clash") & rows["tags"].str.contains("violation")
    ]
    fire = ev[ev["kind"] == "violation"]
    assert len(clashes) == fire["detail"].isin(["small_arms", "ground_probe"]).sum() > 0
    scores = score_targets(
        resolve_targets(load_observations(obs, setup), setup, network_for(setup)), run0
    )
    assert scores["share_matching"].eq(1.0).all(), scores[scores["share_matching"] < 1]


@pytest.mark.parametrize("fmt, id_column", [("acled", "event_id_cnty"), ("ucdp-ged", "id")])
def test_an_export_imports_with_its_row_ids_as_text(run_folder, tmp_path, fmt, id_column):
    """`export` then `observe import` of that file, for each format: the facts' `source.rows`
    read back through the project's reader (YAML 1.2) as the exported ids, text. GED ids are
    zero-padded (`00000008`): written bare, YAML 1.2 reads them as numbers and the schema
    refused every one."""
    from sim.yamlsource import load_yaml

    _, results = run_folder
    csv, obs = tmp_path / f"{fmt}.csv", tmp_path / f"{fmt}.yaml"
    assert cli("export", results, "--format", fmt, "--out", csv).exit_code == 0
    ids = set(pd.read_csv(csv, dtype=str, keep_default_na=False)[id_column])
    r = cli("observe", "import", csv, "--format", fmt, "--theater", "libya", "--out", obs)
    assert r.exit_code == 0, r.output
    facts = load_yaml(obs).data["observations"]
    rows = [row for f in facts for row in f["source"]["rows"]]
    assert rows and all(isinstance(row, str) for row in rows)
    assert set(rows) <= ids
    if fmt == "ucdp-ged":  # ids that YAML 1.1 leaves bare (8 or 9 after a leading 0) are there
        assert any(row.startswith("0") and set(row) & set("89") for row in rows)


def test_ged_counts_events_with_a_whole_death_clashes_and_strikes_alike():
    """`min_deaths` counts fighters killed (for kinds whose casualties are deaths) and civilians
    killed, each in whole people, as `export --format ucdp-ged` writes `best`; `also_events`
    adds kinds to `event`."""
    from sim.fact_matching import event_deaths, select_events
    from sim.validation import EventFilter

    ev = pd.DataFrame(
        {"run_id": 0, "hour": [1.0, 2.0, 3.0, 4.0, 5.0],
         "kind": ["engagement", "strike", "engagement", "surrender", "engagement"],
         "place": "Sirte", "factions": "GNA,LNA", "casualties": [0.6, 2.0, 0.0, 300.0, 0.7],
         "civilian_casualties": [0.0, 0.0, 1.2, 0.0, 0.6], "duration_hours": 0.0, "text": ""}
    )  # fmt: skip
    assert event_deaths(ev).tolist() == [0.0, 2.0, 1.0, 0.0, 0.0]  # a surrender kills no one
    ged = EventFilter(kind="engagement", also=("strike",), min_deaths=1.0)
    assert select_events(ev, ged, 0.0, 10.0)["hour"].tolist() == [2.0, 3.0]
    assert select_events(ev, EventFilter(kind="engagement"), 0.0, 10.0)["hour"].tolist() == [
        1.0, 3.0, 5.0,
    ]  # fmt: skip
