"""Output tables built in Arrow: the same DataFrames pandas would build from the rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.config import load_scenario
from sim.runner import RunOutput, to_tables

from .conftest import SCENARIOS


def _pandas_reference(setup, outputs: list[RunOutput]) -> dict[str, pd.DataFrame]:
    """What the tables were before Arrow: DataFrames from row dicts, sorted, with clock times."""
    outputs = sorted(outputs, key=lambda o: o.summary["run_id"])
    start = pd.Timestamp(setup.scenario.start)
    keys = {
        "timeseries": ["run_id", "hour"],
        "control": ["run_id", "hour", "place"],
        "units": ["run_id", "hour", "unit"],
        "events": ["run_id", "hour"],
    }
    out = {"runs": pd.DataFrame([o.summary for o in outputs])}
    for name, sort in keys.items():
        df = pd.DataFrame([r for o in outputs for r in getattr(o, name)])
        if not df.empty:
            df = df.sort_values(sort, kind="stable").reset_index(drop=True)
            df.insert(2, "time", start + pd.to_timedelta(df["hour"], unit="h"))
        out[name] = df
    return out


def _output(run_id: int, events: list[dict], **summary) -> RunOutput:
    ts = [{"run_id": run_id, "hour": h, "front_km": 300.0 + h, "state": None} for h in (6, 0)]
    control = [
        {"run_id": run_id, "hour": 0, "place": p, "controller": c}
        for p, c in (("Sirte", "LNA"), ("Misrata", "GNA"))
    ]
    units = [{"run_id": run_id, "hour": 0, "unit": "u", "personnel": 100, "morale": 1}]
    return RunOutput({"run_id": run_id, **summary}, ts, control, units, events)


def test_tables_equal_pandas_on_awkward_rows():
    setup = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
    outputs = [
        _output(
            2,
            [
                {"run_id": 2, "hour": 5.0, "kind": "strike", "text": "b"},
                {"run_id": 2, "hour": 1.5, "kind": "engagement", "text": None},
                {"run_id": 2, "hour": 1.5, "kind": "withdrawal", "text": "same hour, kept after"},
            ],
            captured_at=math.nan,
            held=True,
            winner="LNA",
        ),
        _output(0, [], captured_at=12.0, held=None, winner=None, extra=1),  # a key the other lacks
        _output(1, [{"run_id": 1, "hour": 3, "kind": "note", "casualties": 2}], captured_at=7),
    ]
    tables = to_tables(setup, outputs)
    for name, expected in _pandas_reference(setup, outputs).items():
        pd.testing.assert_frame_equal(getattr(tables, name), expected, check_exact=True)
    assert list(tables.events["kind"]) == ["note", "engagement", "withdrawal", "strike"]


def test_no_runs_and_runs_without_events_give_empty_tables():
    setup = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
    assert all(df.empty for _, df in to_tables(setup, []).items())
    assert to_tables(setup, [_output(0, [])]).events.empty


def test_a_column_parquet_cannot_hold_is_named():
    setup = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
    outputs = [_output(0, [], flag=True), _output(1, [], flag=3)]
    with pytest.raises(TypeError, match="'flag'"):
        to_tables(setup, outputs)
