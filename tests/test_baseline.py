"""The no-change baseline of `validate` (issue #10 item 5): origin, persistence of control,
Poisson event rates over the look-back, numbers through the same CRPS, skill, and the CLI."""

from __future__ import annotations

import json
import math
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.baseline import (
    LOOKBACK_HOURS,
    Origin,
    baseline_scores,
    compare,
    event_metric_samples,
    event_probabilities,
    event_rates,
    forecast_origin,
    series_persistence,
    skill,
    with_baseline,
)
from sim.cli import app
from sim.validation import EventFilter, Target, crps_uniform_obs, number_score, score_targets

from .conftest import short_scenario

RUNS = [0, 1]


def _target(**kw) -> Target:
    base = dict(id="t", kind="event", description="", source="", source_date=date(2020, 1, 8),
                start=100.0, end=124.0)  # fmt: skip
    base.update(kw)
    return Target(**base)


def _tables(events=None, control=None, timeseries=None, runs=RUNS) -> SimpleNamespace:
    return SimpleNamespace(
        runs=pd.DataFrame({"run_id": runs}),
        events=events if events is not None else EVENTS,
        control=control if control is not None else CONTROL,
        timeseries=timeseries if timeseries is not None else pd.DataFrame(),
    )


# Run 0: three strikes at Abu Grein inside a 72 h look-back before hour 100, one before it,
# one after the origin, and one strike elsewhere. Run 1: one `incident` (a kind the model may
# add) and nothing else.
EVENTS = pd.DataFrame(
    [
        (0, 20.0, "strike", "Abu Grein", "LNA,GNA", 50.0),  # before the look-back
        (0, 30.0, "strike", "Abu Grein", "LNA,GNA", 4.0),
        (0, 60.0, "strike", "Abu Grein", "LNA,GNA", 6.0),
        (0, 99.0, "strike", "Abu Grein", "LNA,GNA", 8.0),
        (0, 100.0, "strike", "Abu Grein", "LNA,GNA", 100.0),  # at the origin: not history
        (0, 50.0, "strike", "Sirte", "LNA,GNA", 3.0),
        (1, 80.0, "incident", "Abu Grein", "GNA,LNA", 1.0),
    ],
    columns=["run_id", "hour", "kind", "place", "factions", "casualties"],
)
CONTROL = pd.DataFrame(
    [
        (0, 0, "Sirte", "GNA"),
        (0, 96, "Sirte", "LNA"),
        (0, 110, "Sirte", "GNA"),  # changes hands after the origin
        (1, 0, "Sirte", "GNA"),
        (1, 110, "Sirte", "LNA"),
    ],
    columns=["run_id", "hour", "place", "controller"],
)
ORIGIN = Origin(hour=100.0, requested=100.0, lookback=72.0)
ABU_GREIN_STRIKES = EventFilter(kind="strike", places=frozenset({"Abu Grein"}))


# --- the origin -------------------------------------------------------------------------------


def test_origin_is_the_earliest_fact_with_the_lookback_the_run_has():
    targets = [_target(start=200.0), _target(start=180.0, end=300.0)]
    o = forecast_origin(targets)
    assert (o.hour, o.lookback, o.clamped) == (180.0, 180.0, False)  # less than 14 days exist
    assert "all the run has of the 14 days" in o.note()
    late = forecast_origin([_target(start=500.0)])
    assert late.lookback == LOOKBACK_HOURS == 336.0
    assert "all the run has" not in late.note()


def test_an_origin_before_the_run_uses_the_runs_start_and_says_so():
    o = forecast_origin([_target(start=-30.0)])
    assert (o.hour, o.requested, o.lookback, o.clamped) == (0.0, -30.0, 0.0, True)
    note = o.note()
    assert "the run's start is used" in note and "forecasts no events" in note


# --- control ----------------------------------------------------------------------------------


def test_control_stays_as_it_was_at_the_origin():
    """Run 0 holds Sirte (LNA) at the origin and loses it later; run 1 takes it later. The model
    sees both changes, the baseline neither."""
    t = _target(kind="control", place="Sirte", controllers=("LNA",), mode="throughout",
                start=100.0, end=120.0)  # fmt: skip
    row = baseline_scores([t], _tables(), ORIGIN).iloc[0]
    assert row["baseline_share_matching"] == 0.5
    assert row["baseline_score"] == pytest.approx(0.25)
    model = score_targets([t], _tables()).iloc[0]
    assert model["share_matching"] == 0.0  # the model's run 0 loses Sirte at hour 110
    at_end = _target(kind="control", place="Sirte", controllers=("LNA",), mode="at",
                     start=130.0, end=130.0)  # fmt: skip
    assert baseline_scores([at_end], _tables(), ORIGIN).iloc[0]["baseline_share_matching"] == 0.5
    assert score_targets([at_end], _tables()).iloc[0]["share_matching"] == 0.5  # run 1, not 0


# --- events -----------------------------------------------------------------------------------


def test_event_rate_counts_only_the_lookback_before_the_origin():
    t = _target(filter=ABU_GREIN_STRIKES)
    rates = event_rates(EVENTS, t, ORIGIN, RUNS)
    assert rates.tolist() == pytest.approx([3 / 72, 0.0])  # hours 30, 60, 99 of run 0
    row = baseline_scores([t], _tables(), ORIGIN).iloc[0]
    p = 1 - math.exp(-3 / 72 * 24)
    assert row["baseline_share_matching"] == pytest.approx(p / 2)
    assert row["baseline_score"] == pytest.approx((p / 2 - 1) ** 2)


def test_event_rates_are_generic_over_kinds_and_places():
    incident = _target(filter=EventFilter(kind="incident"))
    assert event_rates(EVENTS, incident, ORIGIN, RUNS).tolist() == pytest.approx([0, 1 / 72])
    anywhere = _target(filter=EventFilter(kind="strike"))
    assert event_rates(EVENTS, anywhere, ORIGIN, RUNS).tolist() == pytest.approx([4 / 72, 0])


def test_no_lookback_forecasts_no_events():
    t = _target(filter=ABU_GREIN_STRIKES)
    at_start = Origin(hour=0.0, requested=0.0, lookback=0.0)
    row = baseline_scores([t], _tables(), at_start).iloc[0]
    assert (row["baseline_share_matching"], row["baseline_score"]) == (0.0, 1.0)


def test_a_window_shorter_than_a_step_counts_as_one_hour():
    t = _target(filter=ABU_GREIN_STRIKES, start=110.0, end=110.0)
    row = baseline_scores([t], _tables(runs=[0]), ORIGIN).iloc[0]
    assert row["baseline_share_matching"] == pytest.approx(1 - math.exp(-3 / 72))


@given(
    rates=st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=20),
    hours=st.floats(0, 2000, allow_nan=False),
    more=st.floats(0, 100, allow_nan=False),
)
def test_event_probabilities_are_probabilities_rising_with_time(rates, hours, more):
    p = event_probabilities(rates, hours)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(event_probabilities(rates, hours + more) >= p - 1e-12)


# --- numbers ----------------------------------------------------------------------------------


def _number(**kw) -> Target:
    base = dict(kind="number", metric="event_count", filter=ABU_GREIN_STRIKES, low=1.0,
                high=3.0, mode="change", start=100.0, end=172.0)  # fmt: skip
    base.update(kw)
    return _target(**base)


def test_event_counts_are_poisson_at_the_lookback_rate():
    t = _number()
    samples = event_metric_samples(EVENTS, t, ORIGIN, [0])
    assert len(samples) == 200 and np.all(samples == np.round(samples))
    assert samples.mean() == pytest.approx(3.0, rel=0.15)  # 3 in 72 h, over 72 h
    again = event_metric_samples(EVENTS, t, ORIGIN, [0])
    assert np.array_equal(samples, again)  # seeded: reproducible
    # run 1 had no such strike: all its draws are 0, and the CRPS is that of the pooled draws
    pooled = event_metric_samples(EVENTS, t, ORIGIN, RUNS)
    assert np.all(pooled[200:] == 0)
    row = baseline_scores([t], _tables(), ORIGIN).iloc[0]
    assert row["baseline_crps"] == pytest.approx(crps_uniform_obs(pooled, 1.0, 3.0))
    assert row["baseline_score"] == pytest.approx(number_score(pooled, t)[2])


def test_casualty_sums_draw_from_the_lookback_events():
    t = _number(metric="event_casualties", low=0.0, high=100.0)
    sums = event_metric_samples(EVENTS, t, ORIGIN, [0])
    # each draw is a sum of casualties from {4, 6, 8}: never the 50 or 100 outside the look-back
    assert np.all(sums % 2 == 0) and sums.mean() == pytest.approx(18.0, rel=0.2)
    means = event_metric_samples(EVENTS, _number(metric="event_mean_casualties"), ORIGIN, [0])
    finite = means[~np.isnan(means)]
    assert np.all((finite >= 4) & (finite <= 8))


def test_a_run_without_events_forecasts_none():
    empty = pd.DataFrame()
    assert event_rates(empty, _target(filter=ABU_GREIN_STRIKES), ORIGIN, RUNS).tolist() == [0, 0]
    for metric in ("event_count", "event_casualties", "event_mean_casualties"):
        draws = event_metric_samples(empty, _number(metric=metric), ORIGIN, RUNS)
        assert len(draws) == 400 and np.all((draws == 0) | np.isnan(draws)), metric


def test_timeseries_levels_persist_and_cumulative_columns_keep_their_rate():
    ts = pd.DataFrame(
        [(0, h, 10.0 + h, 300.0 - h) for h in range(0, 121, 6)],
        columns=["run_id", "hour", "casualties_LNA", "front_km"],
    )
    origin = Origin(hour=96.0, requested=96.0, lookback=48.0)
    change = _number(metric="casualties_LNA", start=96.0, end=120.0)
    assert series_persistence(ts, change, origin, [0]).tolist() == [24.0]
    level = _number(metric="casualties_LNA", mode="at", start=120.0, end=120.0)
    assert series_persistence(ts, level, origin, [0]).tolist() == [106.0 + 24.0]
    front = _number(metric="front_km", mode="at", start=120.0, end=120.0)
    assert series_persistence(ts, front, origin, [0]).tolist() == [300.0 - 96.0]
    flat = Origin(hour=0.0, requested=0.0, lookback=0.0)
    assert series_persistence(ts, change, flat, [0]).tolist() == [0.0]


# --- skill and the validation frame -----------------------------------------------------------


def test_skill_is_one_minus_the_ratio_and_undefined_at_zero():
    assert skill(0.1, 0.4) == pytest.approx(0.75)
    assert skill(0.5, 0.25) == pytest.approx(-1.0)
    assert math.isnan(skill(0.1, 0.0)) and math.isnan(skill(math.nan, 0.3))


def test_compare_uses_the_facts_both_score():
    scores = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "score": [0.0, 0.5, math.nan],
            "score_kind": ["brier", "crps_normalised", "crps_normalised"],
            "weight": [1.0, 1.0, 1.0],
            "share_matching": [1.0, 0.2, 0.0],
            "baseline_score": [1.0, 0.5, 0.9],
            "baseline_share_matching": [0.0, 0.4, 0.1],
        }
    )
    out = compare(scores)
    assert out["facts_compared"] == 2
    assert out["model"]["score"] == pytest.approx(0.25)
    assert out["baseline"]["score"] == pytest.approx(0.75)
    assert out["skill"]["score"] == pytest.approx(1 - 0.25 / 0.75)
    assert out["skill"]["brier"] == pytest.approx(1.0)
    assert out["skill"]["crps_normalised"] == pytest.approx(0.0)
    assert out["baseline"]["share_matching"] == pytest.approx(0.2)


def test_with_baseline_keeps_the_model_columns_and_adds_windows_and_marks():
    t = _target(filter=ABU_GREIN_STRIKES)
    u = _target(id="u", kind="control", place="Sirte", controllers=("LNA",), mode="at",
                start=130.0, end=130.0, after_ceasefire=True)  # fmt: skip
    model = score_targets([t, u], _tables())
    obs = SimpleNamespace(
        observations=[
            SimpleNamespace(id="t", start=pd.Timestamp("2020-01-09T04:00+02:00"),
                            end=pd.Timestamp("2020-01-10T04:00+02:00"),
                            source=SimpleNamespace(url="https://example.org/a")),
            SimpleNamespace(id="u", start=pd.Timestamp("2020-01-10T10:00+02:00"),
                            end=pd.Timestamp("2020-01-10T10:00+02:00"),
                            source=SimpleNamespace(url=None)),
        ]
    )  # fmt: skip
    out = with_baseline(model, [t, u], _tables(), obs, ORIGIN)
    assert list(out.columns[: len(model.columns)]) == list(model.columns)
    pd.testing.assert_frame_equal(out[model.columns], model)
    assert out["sample"].tolist() == ["in-sample", "out-of-sample"]
    assert out["window_start"].tolist() == [
        "2020-01-09T04:00:00+02:00",
        "2020-01-10T10:00:00+02:00",
    ]
    assert out["baseline_score"].notna().all()
    assert out["source_url"].iloc[0] == "https://example.org/a" and pd.isna(out["source_url"][1])


# --- the command ------------------------------------------------------------------------------


def test_validate_prints_and_saves_the_baseline_and_skill(tmp_path):
    """Facts over 7-9 January: the origin is 7 January 00:00, two days into the run, so the
    look-back is the run's first two days (less than the 14 wanted)."""
    scenario = short_scenario(tmp_path, end="2020-01-10T00:00+02:00")
    source = {"publication": "Test", "date": "2020-01-09"}
    facts = [
        {"id": "sirte", "kind": "control", "description": "LNA holds Sirte", "place": "Sirte",
         "controller": "LNA", "window": {"from": "2020-01-07T00:00+02:00",
                                         "to": "2020-01-09T00:00+02:00"}, "source": source},
        {"id": "clash", "kind": "event", "description": "clashes", "event": "engagement",
         "near": {"place": "al-Washka", "within_km": 30},
         "window": {"from": "2020-01-08T00:00+02:00", "to": "2020-01-09T00:00+02:00"},
         "source": source},
    ]  # fmt: skip
    obs = tmp_path / "obs.yaml"
    obs.write_text(yaml.safe_dump({"title": "t", "observations": facts}, sort_keys=False))
    out = tmp_path / "val"
    result = CliRunner().invoke(
        app, ["validate", str(scenario), "-o", str(obs), "-n", "2", "--out", str(out),
              "--no-report", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no-change baseline" in result.stdout and "skill" in result.stdout
    assert "07 Jan 2020 00:00" in result.stdout and "2 days before it" in result.stdout
    df = pd.read_parquet(out / "validation.parquet")
    for col in ("share_matching", "score", "window_start", "window_end", "sample",
                "baseline_share_matching", "baseline_score", "baseline_simulated"):  # fmt: skip
        assert col in df.columns, col
    assert df["sample"].tolist() == ["in-sample", "in-sample"]
    assert df["window_start"].tolist() == ["2020-01-07T00:00:00+02:00", "2020-01-08T00:00:00+02:00"]
    meta = json.loads((out / "manifest.json").read_text())["validation"]
    assert meta["baseline_origin"] == "2020-01-07T00:00:00+02:00"
    assert meta["baseline_lookback_hours"] == 48.0
    assert set(meta["skill"]) == {"score", "brier", "crps_normalised"}
    assert meta["facts_compared"] == 2
    b = meta["baseline"]["brier"]
    assert b == pytest.approx(float(df["baseline_score"].mean()))
