"""The second theater, Hodeidah (Yemen, December 2018): its data and sources, short seeded runs
of its scenarios (the truce machinery makes incidents, and none without the ceasefire), and its
observation file, which parses and scores."""

from __future__ import annotations

import csv
import datetime as dt
from datetime import date
from pathlib import Path

import pytest
import yaml

from sim.calibration import crn_specs
from sim.config import check_theater_file, load_scenario
from sim.execution import run_specs
from sim.model import ConflictModel
from sim.observations import (
    OBSERVATIONS_DIR,
    after_cutoff,
    check_in_sample,
    load_observations,
)
from sim.runner import network_for, resolve_params, to_tables
from sim.validation import resolve_targets, score_targets

from .conftest import ROOT, SCENARIOS, _when

THEATER = ROOT / "config" / "theaters" / "hodeidah.yaml"
RAW = ROOT / "data" / "theaters" / "hodeidah"
OBSERVATIONS = OBSERVATIONS_DIR / "hodeidah.yaml"
CEASEFIRE = SCENARIOS / "hodeidah_ceasefire_dec18.yaml"


def _cut(src: Path, folder: Path, end: str, **changes) -> Path:
    """A copy of a Hodeidah scenario cut to end at `end` (later events dropped)."""
    data = yaml.safe_load(src.read_text())
    data["end"] = end
    cut = dt.datetime.fromisoformat(end)
    data["events"] = [e for e in data["events"] if _when(e["at"]) <= cut]
    data.update(changes)
    path = folder / src.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(path: Path, seed: int = 1) -> ConflictModel:
    setup = load_scenario(path)
    model = ConflictModel(setup, resolve_params(setup), seed, network=network_for(setup))
    model.run()
    return model


# --- the theater ------------------------------------------------------------------------------


def test_theater_checks_without_warnings_and_every_figure_has_a_source():
    theater, warnings = check_theater_file(THEATER)
    assert warnings == []
    assert set(theater.factions) == {"JF", "Houthi"}
    assert {p.client for p in theater.patrons.values()} == {"JF", "Houthi"}
    for p in theater.places:
        # A gazetteer (GeoNames for towns, OurAirports for the airport) or a declared assumption.
        assert any(k in p.coord_source for k in ("GeoNames", "OurAirports", "assumption")), p.name
        assert p.population_source and p.value_source, p.name
    for u in theater.units:
        assert u.source and u.personnel_low is not None, u.id
    for a in theater.air:
        assert a.source, a.id
    for r in theater.roads:
        assert r.source.startswith("estimate: great-circle"), (r.a, r.b)


def test_raw_inputs_are_the_theaters_places_and_roads():
    """places.csv and roads.csv (what `theater new` takes) hold the theater's figures."""
    theater, _ = check_theater_file(THEATER)
    places = {p.name: p for p in theater.places}
    rows = list(csv.DictReader((RAW / "places.csv").open(encoding="utf-8")))
    assert [r["name"] for r in rows] == list(places)
    for r in rows:
        p = places[r["name"]]
        assert (float(r["lat"]), float(r["lon"])) == (p.lat, p.lon), p.name
        assert (int(r["population"]), r["kind"], r["controller"]) == (
            p.population, p.kind, p.controller
        ), p.name  # fmt: skip
    roads = {(r.a, r.b): r.km for r in theater.roads}
    rows = list(csv.DictReader((RAW / "roads.csv").open(encoding="utf-8")))
    assert {(r["a"], r["b"]): float(r["km"]) for r in rows} == roads


def test_theater_new_rebuilds_the_places_and_roads_from_the_raw_inputs(tmp_path):
    """`theater new` on places.csv and roads.csv writes the shipped theater's places and roads
    (the rest, factions and units, is what the user fills in after it)."""
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "hodeidah_skeleton.yaml"
    args = ["theater", "new", "hodeidah_skeleton", "--places", str(RAW / "places.csv")]
    args += ["--roads", str(RAW / "roads.csv"), "--timezone", "+03:00", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    built = yaml.safe_load(out.read_text(encoding="utf-8"))
    theater, _ = check_theater_file(THEATER)
    shipped = {p.name: (p.lat, p.lon, p.population, p.kind, p.controller) for p in theater.places}
    assert {
        p["name"]: (p["lat"], p["lon"], p["population"], p["kind"], p["controller"])
        for p in built["places"]
    } == shipped
    assert {(r["a"], r["b"]): r["km"] for r in built["roads"]} == {
        (r.a, r.b): r.km for r in theater.roads
    }


def test_joint_forces_total_is_within_the_published_range():
    """ACLED (21 Jun 2018): 21,000-26,500 coalition-backed troops on Hodeidah."""
    theater, _ = check_theater_file(THEATER)
    jf = sum(u.personnel for u in theater.units if u.faction == "JF")
    assert 21_000 <= jf <= 26_500


# --- short seeded runs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "end"),
    [
        ("hodeidah_offensive.yaml", "2018-06-16T00:00+03:00"),
        ("hodeidah_november_push.yaml", "2018-11-04T00:00+03:00"),
    ],
)
def test_offensive_scenarios_run_fight_and_repeat_exactly(tmp_path, name, end):
    path = _cut(SCENARIOS / name, tmp_path, end)
    a, b = _run(path, seed=5), _run(path, seed=5)
    kinds = [e["kind"] for e in a.rows_events]
    assert "offensive" in kinds and "engagement" in kinds
    assert a.summary() == b.summary()
    assert a.rows_events == b.rows_events


def test_ceasefire_makes_incidents_and_none_without_it(tmp_path):
    """Four days of the truce make incidents of the model's kinds; the same window with the
    ceasefire event left out has none (incidents exist only under a truce)."""
    path = _cut(CEASEFIRE, tmp_path, "2018-12-22T00:00+03:00")
    with_truce = _run(path, seed=3)
    assert with_truce.truce.violations > 0
    events = [e for e in with_truce.rows_events if e["kind"] == "violation"]
    assert events and {e["detail"] for e in events} <= {
        "small_arms", "shelling", "drone", "ground_probe"
    }  # fmt: skip
    data = yaml.safe_load(path.read_text())
    data["events"] = [e for e in data["events"] if e["kind"] != "ceasefire"]
    no_truce = tmp_path / "no_truce.yaml"
    no_truce.write_text(yaml.safe_dump(data, sort_keys=False))
    without = _run(no_truce, seed=3)
    assert [e for e in without.rows_events if e["kind"] == "violation"] == []


# --- observations -------------------------------------------------------------------------------


def test_observations_are_sourced_known_before_2020_and_after_the_hodeidah_truce():
    setup = load_scenario(CEASEFIRE)
    obs = load_observations(OBSERVATIONS, setup)
    assert {o.kind for o in obs.observations} == {"control", "event", "number"}
    for o in obs.observations:
        assert o.source.publication and o.source.date < date(2020, 1, 12), o.id
        assert after_cutoff(o, setup.theater.calibration_cutoff) is None, o.id
    # The theater's cutoff is the project's (12 January 2020), not its own truce: the Hodeidah
    # facts after 18 December 2018 may calibrate, without --allow-after-ceasefire.
    check_in_sample(obs, setup)
    assert all(o.start >= setup.scenario.start for o in obs.observations)


def test_observations_score_against_a_seeded_run():
    setup = load_scenario(CEASEFIRE)
    obs = load_observations(OBSERVATIONS, setup)
    targets = resolve_targets(obs, setup, network_for(setup))
    tables = to_tables(setup, run_specs(setup, crn_specs([{}], 1, 11), resolve_params(setup)))
    df = score_targets(targets, tables)
    assert df["id"].tolist() == [o.id for o in obs.observations]
    assert df["share_matching"].between(0, 1).all() and df["score"].notna().all()


def test_actor_mapping_sides_the_coalition_and_iran_with_their_clients():
    from sim.eventdata import load_actors

    actors = load_actors("hodeidah", {"JF": "Joint Forces", "Houthi": "Ansar Allah"})
    assert actors.path is not None and actors.path.name == "hodeidah.yaml"
    assert actors.faction("Giants Brigades") == "JF"
    assert actors.faction("Military Forces of the United Arab Emirates (2004-)") == "JF"
    assert actors.faction("Houthi Movement") == "Houthi"
    assert actors.faction("Military Forces of Iran (1989-)") == "Houthi"
    assert actors.faction("Civilians (Yemen)") is None
    assert actors.faction("Some Militia") is False  # unknown: reported, not guessed


def test_transfer_overrides_are_the_hodeidah_fit_under_libyas_names():
    """config/overrides: the Hodeidah fit, and the same values under Libya's faction names (the
    side on the offensive before the truce JF -> LNA, the defender Houthi -> GNA); both are
    valid parameters of their theater."""
    from sim.params import ParamRegistry, load_set_file

    overrides = ROOT / "config" / "overrides"
    fit = load_set_file(overrides / "hodeidah_calibrated.yaml")
    libya = load_set_file(overrides / "libya_from_hodeidah.yaml")
    names = {"JF": "LNA", "Houthi": "GNA"}
    renamed = {
        k.replace(f"faction.{old}.", f"faction.{new}.") if k.startswith("faction.") else k: v
        for k, v in fit.items()
        for old, new in names.items()
        if not k.startswith("faction.") or k.startswith(f"faction.{old}.")
    }
    assert renamed == libya
    ParamRegistry.load(load_scenario(CEASEFIRE).theater).resolve(fit)
    ParamRegistry.load(load_scenario(SCENARIOS / "ceasefire_jan12.yaml").theater).resolve(libya)
