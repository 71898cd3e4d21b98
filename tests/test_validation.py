"""Observations, validation scores and calibration: schema errors, matching, scores, CLI, recovery."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.calibration import ParamRange, calibrate, crn_specs
from sim.cli import app
from sim.config import load_scenario
from sim.execution import run_specs
from sim.fact_matching import control_matches, event_matches, number_values
from sim.observations import (
    OBSERVATIONS_DIR,
    after_cutoff,
    cut_setup,
    load_observations,
)
from sim.runner import network_for, resolve_params, to_tables
from sim.validation import (
    EventFilter,
    Target,
    brier,
    crps_ensemble,
    crps_normal_obs,
    crps_uniform_obs,
    overall,
    places_near,
    resolve_targets,
    score_targets,
)

from .conftest import SCENARIOS, input_errors, line_of, short_scenario

runner = CliRunner()
JAN2020 = OBSERVATIONS_DIR / "jan2020.yaml"
AFTER_CEASEFIRE = OBSERVATIONS_DIR / "after_ceasefire.yaml"
SCENARIO = SCENARIOS / "ceasefire_jan12.yaml"

SOURCE = {"publication": "Test", "date": "2020-01-08"}


def _obs_file(tmp_path: Path, observations: list[dict], name: str = "obs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump({"title": "test", "observations": observations}, sort_keys=False)
    )
    return path


def _control(**changes) -> dict:
    obs = {
        "id": "sirte",
        "kind": "control",
        "description": "LNA holds Sirte",
        "place": "Sirte",
        "controller": "LNA",
        "at": "2020-01-07T00:00+02:00",
        "source": dict(SOURCE),
    }
    obs.update(changes)
    return obs


# --- the observations file -------------------------------------------------------------------


def test_unknown_place_is_located_with_a_suggestion(tmp_path):
    path = _obs_file(tmp_path, [_control(place="Sirtte")])
    result = runner.invoke(app, ["validate", str(SCENARIO), "--observations", str(path)])
    (err,) = input_errors(result)
    assert err["file"] == str(path)
    assert int(err["line"]) == line_of(path, "place: Sirtte")
    assert err["field"] == "observations.0.place"
    assert "unknown place 'Sirtte'" in err["msg"] and "did you mean 'Sirte'" in err["msg"]


def test_bad_kinds_are_located(tmp_path):
    event = {
        "id": "clash",
        "kind": "event",
        "description": "a clash",
        "event": "engagment",
        "place": "al-Washka",
        "window": {"from": "2020-01-07T00:00+02:00", "to": "2020-01-08T00:00+02:00"},
        "source": dict(SOURCE),
    }
    path = _obs_file(tmp_path, [_control(kind="contol"), event])
    result = runner.invoke(app, ["validate", str(SCENARIO), "--observations", str(path)])
    (err,) = input_errors(result)  # schema errors come first
    assert err["field"] == "observations.0.kind"  # at the kind itself, naming the close one
    assert "unknown kind 'contol' (did you mean 'control'?)" in err["msg"]

    path = _obs_file(tmp_path, [_control(), event], name="obs2.yaml")
    (err,) = input_errors(runner.invoke(app, ["validate", str(SCENARIO), "-o", str(path)]))
    assert err["field"] == "observations.1.event"
    assert int(err["line"]) == line_of(path, "event: engagment")
    assert "did you mean 'engagement'" in err["msg"]

    event = {**event, "event": "engagement", "also_events": ["strike", "strik"]}
    path = _obs_file(tmp_path, [_control(), event], name="obs3.yaml")
    (err,) = input_errors(runner.invoke(app, ["validate", str(SCENARIO), "-o", str(path)]))
    assert err["field"] == "observations.1.also_events.1"
    assert "did you mean 'strike'" in err["msg"]
    (err,) = input_errors(runner.invoke(app, ["check", str(path)]))  # the file alone: said ok
    assert err["field"] == "observations.1.also_events.1"


def test_missing_source_and_bad_values_are_located(tmp_path):
    no_source = _control()
    del no_source["source"]
    path = _obs_file(
        tmp_path,
        [
            no_source,
            _control(id="x2", controller="Haftar"),
            _control(id="x3", at="2020-03-05T00:00+02:00"),
        ],
    )
    result = runner.invoke(app, ["validate", str(SCENARIO), "--observations", str(path)])
    (err,) = input_errors(result)
    assert err["field"] == "observations.0.source"
    assert "required field is missing" in err["msg"]
    assert int(err["line"]) == line_of(path, "- id: sirte")

    path = _obs_file(tmp_path, [_control(), _control(id="x2", controller="Haftar"),
                                _control(id="x3", at="2020-03-05T00:00+02:00")], "b.yaml")  # fmt: skip
    errs = input_errors(runner.invoke(app, ["validate", str(SCENARIO), "-o", str(path)]))
    fields = {e["field"]: e["msg"] for e in errs}
    assert "unknown controller 'Haftar'" in fields["observations.1.controller"]
    assert "outside the scenario window" in fields["observations.2.at"]


def test_jan2020_is_valid_sourced_and_in_sample():
    from sim.observations import check_in_sample

    setup = load_scenario(SCENARIO)
    obs = load_observations(JAN2020, setup)
    assert len(obs.observations) >= 12
    check_in_sample(obs, setup)  # raises if anything postdates the ceasefire
    for o in obs.observations:
        assert o.source.publication and o.source.date <= date(2020, 1, 12), o.id
        assert after_cutoff(o, setup.theater.calibration_cutoff) is None, o.id
    kinds = {o.kind for o in obs.observations}
    assert kinds == {"control", "event", "number"}


def test_after_ceasefire_is_valid_sourced_and_wholly_out_of_sample():
    """The out-of-sample file: every fact starts at or after the ceasefire, so calibration
    refuses each one of them (the honesty rule), while `validate` scores them."""
    from sim.errors import InputError
    from sim.observations import check_in_sample

    setup = load_scenario(SCENARIO)
    obs = load_observations(AFTER_CEASEFIRE, setup)
    assert len(obs.observations) >= 10
    for o in obs.observations:
        assert o.source.publication and o.source.date >= date(2020, 1, 12), o.id
        assert o.start >= setup.theater.calibration_cutoff, o.id
        assert o.end <= setup.scenario.end, o.id
    with pytest.raises(InputError) as refused:
        check_in_sample(obs, setup)
    assert len(refused.value.problems) == len(obs.observations)
    assert not {o.id for o in obs.observations} & {
        o.id for o in load_observations(JAN2020, setup).observations
    }


def test_cut_setup_drops_later_events():
    setup = load_scenario(SCENARIO)
    obs = load_observations(JAN2020, setup)
    cut = cut_setup(setup, obs.last_time())
    assert cut.scenario.end < setup.scenario.end
    assert cut.scenario.end == obs.last_time() + timedelta(days=1)
    early = cut_setup(setup, datetime.fromisoformat("2020-01-07T00:00+02:00"))
    assert early.scenario.hours == 72
    assert all(e.at <= early.scenario.end for e in early.scenario.events)
    assert len(early.scenario.events) < len(setup.scenario.events)
    assert cut_setup(setup, setup.scenario.end) is setup


# --- scores ----------------------------------------------------------------------------------


def _crps_by_integration(samples, y) -> float:
    x = np.sort(np.asarray(samples, float))
    grid = np.linspace(min(x.min(), y) - 1, max(x.max(), y) + 1, 200_001)
    cdf = np.searchsorted(x, grid, side="right") / len(x)
    step = (grid >= y).astype(float)
    return float(np.sum((cdf - step) ** 2) * (grid[1] - grid[0]))


def test_brier_and_crps_known_values():
    assert brier(1.0) == 0.0 and brier(0.0) == 1.0 and brier(0.25) == pytest.approx(0.5625)
    assert crps_ensemble([0.0], 1.0) == pytest.approx(1.0)
    assert crps_ensemble([0.0, 2.0], 1.0) == pytest.approx(0.5)
    assert crps_ensemble([3.0, 3.0, 3.0], 3.0) == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    sample = rng.normal(10, 3, size=25)
    assert crps_ensemble(sample, 11.0) == pytest.approx(
        _crps_by_integration(sample, 11.0), abs=1e-3
    )
    # the truth uniform on [low, high]: a point forecast at the midpoint scores (high - low) / 4
    assert crps_uniform_obs([5.0], 0.0, 10.0) == pytest.approx(2.5)
    assert crps_uniform_obs([20.0], 0.0, 10.0) == pytest.approx(15.0)
    assert crps_uniform_obs(sample, 7.0, 7.0) == pytest.approx(crps_ensemble(sample, 7.0))
    # and it is the average of the point CRPS over the range
    ys = np.linspace(5, 15, 2001)
    avg = np.mean([crps_ensemble(sample, y) for y in ys])
    assert crps_uniform_obs(sample, 5.0, 15.0) == pytest.approx(avg, rel=1e-3)
    # the truth normal(mu, sd): a point forecast at mu scores sd * 2 * phi(0) = sd * sqrt(2/pi)
    assert crps_normal_obs([4.0], 4.0, 2.0) == pytest.approx(2.0 * np.sqrt(2 / np.pi))
    assert crps_normal_obs(sample, 9.0, 0.0) == pytest.approx(crps_ensemble(sample, 9.0))


# --- matching on hand-made tables ------------------------------------------------------------


class _Tables:
    def __init__(self, runs, timeseries=None, control=None, events=None):
        self.runs = pd.DataFrame({"run_id": runs})
        self.timeseries = timeseries
        self.control = control
        self.events = events


CONTROL = pd.DataFrame(
    # run 0 takes Sirte at hour 30; run 1 at hour 54; run 2 never
    [(r, h, "Sirte", c) for r, caps in ((0, 30), (1, 54), (2, 999))
     for h in range(0, 73, 6) for c in ["LNA" if h >= caps else "GNA"]],
    columns=["run_id", "hour", "place", "controller"],
)  # fmt: skip


def test_control_at_a_time_throughout_and_at_the_end():
    runs = [0, 1, 2, 3]
    at = control_matches(CONTROL, "Sirte", ["LNA"], 35, 35, "at", runs)
    assert at.tolist() == [True, False, False, False]  # run 3 has no rows: no match
    # between samples, the last sample before counts
    assert control_matches(CONTROL, "Sirte", ["LNA"], 53.9, 53.9, "at", runs).tolist() == [
        True,
        False,
        False,
        False,
    ]
    end = control_matches(CONTROL, "Sirte", ["LNA"], 0, 60, "end", runs)
    assert end.tolist() == [True, True, False, False]
    through = control_matches(CONTROL, "Sirte", ["LNA"], 36, 72, "throughout", runs)
    assert through.tolist() == [True, False, False, False]
    either = control_matches(CONTROL, "Sirte", ["GNA", "LNA"], 0, 72, "throughout", runs)
    assert either.tolist() == [True, True, True, False]


EVENTS = pd.DataFrame(
    [
        (0, 10.0, "engagement", "al-Washka", "GNA,LNA", 12.0, "5 h of fighting at al-Washka: ..."),
        (0, 40.0, "strike", "Abu Grein", "GNA,LNA", 9.0, "TB2 strikes ...: 9 killed"),
        (1, 41.0, "strike", "Sirte", "GNA,LNA", 4.0, "TB2 strikes ...: 4 killed"),
        (1, 42.0, "strike", "Abu Grein", "LNA,GNA", 7.0, "LNA strikes ...: 7 killed"),
        (1, 44.0, "strike", "wp-1", "GNA,LNA", 3.0, "TB2 strikes ...: 3 killed"),
        (2, 12.0, "engagement", "Sirte", "GNA,LNA", 30.0, "40 h of fighting at Sirte: ..."),
    ],
    columns=["run_id", "hour", "kind", "place", "factions", "casualties", "text"],
)
DIST = {
    "al-Washka": {"al-Washka": 0.0, "wp-1": 16.0, "Abu Grein": 33.0, "Sirte": 106.0},
    "Abu Grein": {"Abu Grein": 0.0, "wp-1": 17.0, "al-Washka": 33.0, "Sirte": 139.0},
}


def test_events_within_a_window_and_km():
    runs = [0, 1, 2]
    assert places_near(DIST, "al-Washka", 20) == {"al-Washka", "wp-1"}
    strike_on_lna = EventFilter(
        kind="strike", places=places_near(DIST, "Abu Grein", 20), target="LNA"
    )
    assert event_matches(EVENTS, strike_on_lna, 39, 45, runs).tolist() == [True, True, False]
    assert event_matches(EVENTS, strike_on_lna, 41, 43, runs).tolist() == [False, False, False]
    by_lna = EventFilter(kind="strike", places=frozenset({"Abu Grein"}), attacker="LNA")
    assert event_matches(EVENTS, by_lna, 0, 100, runs).tolist() == [False, True, False]
    big = EventFilter(kind="strike", min_casualties=8)
    assert event_matches(EVENTS, big, 0, 100, runs).tolist() == [True, False, False]
    # an engagement counts while it lasts: Sirte from hour 12 for 40 h overlaps hour 50
    sirte = EventFilter(kind="engagement", places=frozenset({"Sirte"}), factions=("LNA",))
    assert event_matches(EVENTS, sirte, 50, 60, runs).tolist() == [False, False, True]
    assert event_matches(EVENTS, sirte, 53, 60, runs).tolist() == [False, False, False]


def _number(**kw) -> Target:
    base = dict(id="n", kind="number", description="", source="", source_date=date(2020, 1, 8),
                start=6.0, end=18.0, mode="change", low=5.0, high=15.0)  # fmt: skip
    base.update(kw)
    return Target(**base)


def test_numbers_from_timeseries_differences_and_event_sums():
    ts = pd.DataFrame(
        [(r, h, 100.0 * r + h) for r in (0, 1) for h in range(0, 25, 6)],
        columns=["run_id", "hour", "casualties_LNA"],
    )
    tables = _Tables([0, 1], timeseries=ts, events=EVENTS)
    change = number_values(tables, _number(metric="casualties_LNA"), [0, 1])
    assert change.tolist() == [12.0, 12.0]  # hour 18 minus hour 6
    between = number_values(tables, _number(metric="casualties_LNA", start=7.0, end=20.0), [0, 1])
    assert between.tolist() == [12.0, 12.0]  # the samples at or before: 18 - 6
    level = number_values(
        tables, _number(metric="casualties_LNA", mode="at", start=12, end=12), [0, 1]
    )
    assert level.tolist() == [12.0, 112.0]
    near = places_near(DIST, "al-Washka", 20)
    flt = EventFilter(kind="strike", places=near | {"Abu Grein"}, target="LNA")
    t = _number(metric="event_casualties", filter=flt, start=0.0, end=100.0)
    assert number_values(tables, t, [0, 1, 2]).tolist() == [9.0, 3.0, 0.0]
    t = _number(metric="event_count", filter=EventFilter(kind="strike"), start=0.0, end=100.0)
    assert number_values(tables, t, [0, 1, 2]).tolist() == [1.0, 3.0, 0.0]


def test_score_table_and_overall():
    tables = _Tables([0, 1, 2], control=CONTROL, events=EVENTS)
    yes = Target(id="c", kind="control", description="d", source="s", source_date=date(2020, 1, 8),
                 start=35, end=35, place="Sirte", controllers=("LNA",), mode="at")  # fmt: skip
    num = _number(id="n", metric="event_casualties", filter=EventFilter(kind="strike", target="LNA"),
                  start=0.0, end=100.0, weight=2.0)  # fmt: skip
    df = score_targets([yes, num], tables)
    assert list(df.columns[:7]) == [
        "id",
        "description",
        "kind",
        "source",
        "share_matching",
        "score",
        "score_kind",
    ]
    c, n = df.iloc[0], df.iloc[1]
    assert c.share_matching == pytest.approx(1 / 3) and c.score == pytest.approx((2 / 3) ** 2)
    assert c.score_kind == "brier"
    values = [9.0, 7.0, 0.0]  # strikes on the LNA per run: run 1 has 4 + 3 = 7
    assert n.share_matching == pytest.approx(2 / 3)
    assert n.crps == pytest.approx(crps_uniform_obs(values, 5, 15))
    assert n.score == pytest.approx(n.crps / 10.0) and n.score_kind == "crps_normalised"
    summary = overall(df)
    assert summary["brier"] == pytest.approx(c.score)
    assert summary["score"] == pytest.approx((c.score + 2 * n.score) / 3)


# --- commands --------------------------------------------------------------------------------


def test_validate_end_to_end(tmp_path):
    out = tmp_path / "val"
    result = runner.invoke(
        app,
        ["validate", str(SCENARIO), "--observations", str(JAN2020), "-n", "2", "--out", str(out),
         "--no-report", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "overall score" in result.stdout and "window cut" in result.stderr
    df = pd.read_parquet(out / "validation.parquet")
    obs = load_observations(JAN2020)
    assert df["id"].tolist() == [o.id for o in obs.observations]
    assert df["share_matching"].between(0, 1).all() and df["score"].notna().all()
    assert set(df["score_kind"]) == {"brier", "crps_normalised"}
    for name in ("runs", "timeseries", "control", "events"):
        assert (out / f"{name}.parquet").is_file()
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2


def _scenario_short(tmp_path: Path) -> Path:
    # near-Poisson killed per hit, so that a few days of strikes identify their mean
    return short_scenario(
        tmp_path, end="2020-01-08T00:00+02:00", set={"air.losses_dispersion": 100}
    )


def _strike_losses_obs(value: float, sd: float, **changes) -> dict:
    obs = {
        "id": "strike_losses",
        "kind": "number",
        "description": "LNA personnel killed per strike, 5-8 January",
        "metric": "event_mean_casualties",
        "event": "strike",
        "target": "LNA",
        "window": {"from": "2020-01-05T00:00+02:00", "to": "2020-01-08T00:00+02:00"},
        "value": value,
        "sd": sd,
        "source": dict(SOURCE),
    }
    obs.update(changes)
    return obs


def test_calibration_recovers_a_known_parameter(tmp_path):
    """Observations made by the model with air.losses_per_hit=12 are fitted back over [2, 30]."""
    setup = load_scenario(_scenario_short(tmp_path))
    seed, replicates, truth = 7, 4, 12.0
    # "observe" the model itself run with the true value, on the seeds calibration will use
    probe = _obs_file(tmp_path, [_strike_losses_obs(1.0, 1.0)], "probe.yaml")
    (target,) = resolve_targets(load_observations(probe, setup), setup, network_for(setup))
    specs = crn_specs([{"air.losses_per_hit": truth}], replicates, seed)
    tables = to_tables(setup, run_specs(setup, specs, resolve_params(setup)))
    per_run = number_values(tables, target, range(replicates))
    assert per_run.notna().all()  # every replicate has strikes on the LNA in the window
    observed = float(per_run.mean())
    path = _obs_file(tmp_path, [_strike_losses_obs(observed, 1.0)], "truth.yaml")
    targets = resolve_targets(load_observations(path, setup), setup, network_for(setup))

    result = calibrate(setup, targets, [ParamRange("air.losses_per_hit", 2.0, 30.0)],
                       budget=15, replicates=replicates, seed=seed, method="de")  # fmt: skip
    estimate = result.best["air.losses_per_hit"]
    print(f"true {truth}, observed {observed:.2f}, estimate {estimate:.2f}")
    assert abs(estimate - truth) <= 2.0, (estimate, result.history)
    assert result.best_score["score"] < result.default_score["score"]
    assert result.default["air.losses_per_hit"] == resolve_params(setup)["air.losses_per_hit"]
    assert result.evaluations == 16 and (result.history["label"] == "default").sum() == 1


def test_a_candidate_zeroing_every_incident_share_scores_inf_and_is_not_run(tmp_path):
    """A search over the incident shares can land on all four at 0 (DE replaces a mutant
    outside the bounds by a point drawn in them; [0, x] includes 0): the model cannot draw an
    incident's kind then. The candidate is scored +inf with the reason, not run (a worker
    crashed mid-calibration), and the other candidates of its batch are scored as usual."""
    from sim.calibration import Objective

    setup = load_scenario(_scenario_short(tmp_path))
    path = _obs_file(tmp_path, [_strike_losses_obs(3.0, 1.0)])
    targets = resolve_targets(load_observations(path, setup), setup, network_for(setup))
    shares = ["small_arms", "shelling", "drone", "ground_probe"]
    ranges = [ParamRange(f"ceasefire.share_{k}", 0.0, 1.0) for k in shares]
    obj = Objective(setup, targets, resolve_params(setup), ranges, replicates=1, seed=3)
    zero = {r.key: 0.0 for r in ranges}
    scores = obj.evaluate([zero, {**zero, "ceasefire.share_drone": 0.5}])
    assert scores[0] == float("inf") and np.isfinite(scores[1])
    assert "all 0" in obj.history[0]["infeasible"] and obj.history[0]["observations"] == 0
    assert "infeasible" not in obj.history[1] and obj.history[1]["observations"] == 1


def test_calibrate_cli_writes_a_set_file_that_run_accepts(tmp_path):
    from sim.params import load_set_file

    scenario = _scenario_short(tmp_path)
    obs = _obs_file(tmp_path, [_strike_losses_obs(10.0, 2.0)])
    out = tmp_path / "cal"
    result = runner.invoke(
        app,
        ["calibrate", str(scenario), "-o", str(obs), "--param", "air.losses_per_hit=2:30",
         "--budget", "4", "-n", "1", "--method", "abc", "--out", str(out), "--quiet",
         "--set", "air.hit_probability=0.6"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "defaults" in result.stdout
    values = load_set_file(out / "calibrated.yaml")
    assert set(values) == {"air.losses_per_hit", "air.hit_probability"}
    assert 2 <= values["air.losses_per_hit"] <= 30 and values["air.hit_probability"] == 0.6
    history = pd.read_parquet(out / "history.parquet")
    assert len(history) == 5 and history["label"].iloc[0] == "default"
    run = runner.invoke(
        app,
        ["run", str(scenario), "-n", "1", "--set-file", str(out / "calibrated.yaml"),
         "--out", str(tmp_path / "run"), "--no-report", "--quiet"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output

    bad = runner.invoke(
        app, ["calibrate", str(scenario), "-o", str(obs), "--param", "air.nope=1:2"]
    )
    (err,) = input_errors(bad)
    assert "unknown parameter 'air.nope'" in err["msg"]
    bad = runner.invoke(
        app, ["calibrate", str(scenario), "-o", str(obs), "--param", "air.losses_per_hit=2:99"]
    )
    assert "outside its valid range" in input_errors(bad)[0]["msg"]
    args = ["calibrate", str(scenario), "-o", str(obs), "-p", "air.losses_per_hit=2:30"]
    bad = runner.invoke(app, [*args, "--method", "mcmc"])
    assert "expected one of ['de', 'abc']" in input_errors(bad)[0]["msg"]


def test_calibrate_refuses_facts_after_the_ceasefire(tmp_path):
    scenario = short_scenario(tmp_path, end="2020-01-15T00:00+02:00")
    late = _control(id="late", at="2020-01-13T00:00+02:00")
    late_source = _control(id="late_source", source={"publication": "Later", "date": "2020-01-20"})
    path = _obs_file(tmp_path, [_control(), late, late_source])
    args = [
        "calibrate",
        str(scenario),
        "-o",
        str(path),
        "--param",
        "air.losses_per_hit=2:30",
        "--quiet",
    ]
    errs = input_errors(runner.invoke(app, args))
    assert [e["field"] for e in errs] == ["observations.1.at", "observations.2.source"]
    assert all(
        "after the ceasefire" in e["msg"] and "--allow-after-ceasefire" in e["msg"] for e in errs
    )
    assert int(errs[0]["line"]) == line_of(path, "at: 2020-01-13")
    ok = runner.invoke(
        app,
        [
            *args,
            "--allow-after-ceasefire",
            "--budget",
            "1",
            "-n",
            "1",
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert ok.exit_code == 0, ok.output
