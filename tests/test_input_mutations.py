"""Issue #13's property: take valid scenario, theater and observation files, apply a random small
mutation, and either `check` refuses it (exit 2, located lines, no traceback) or the run on a
short window completes. "check said ok, then run crashed" must be impossible.

MUTATIONS=500 runs more examples per file kind (default 30); the counts of mutations tried,
refused and run are printed (`pytest -s`) and shown as hypothesis events
(`--hypothesis-show-statistics`).
"""

from __future__ import annotations

import copy
import os
import tempfile
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app

from .conftest import ERROR_LINE

runner = CliRunner()

THEATER = yaml.safe_load((Path(__file__).parent / "data" / "toy_theater.yaml").read_text())
THEATER["air"] = [
    {"id": "d1", "name": "drones", "owner": "P", "faction": "X", "kind": "drone", "base": "A",
     "count": 2, "radius_km": 80, "source": "test"},
]  # fmt: skip
THEATER["checks"] = [{"a": "A", "b": "C", "km": 70, "tolerance": 0.05, "source": "test"}]
THEATER["sectors"] = [{"name": "main", "title": "Main", "axis": ["A", "B", "C"], "source": "test"}]

T0 = "2020-01-01T{:02d}:00+02:00".format
SCENARIO: dict[str, Any] = {
    "title": "Toy, every kind of event",
    "description": "Mutated by the property test.",
    "theater": "toy_theater.yaml",
    "start": T0(0),
    "end": T0(12),
    "seed": 1,
    "replicates": 1,
    "sample_every_hours": 2,
    "set": {"control.hold_hours": 3, "faction.X.aggression": 0.5},
    "control": {"B": "contested"},
    "units": [{"id": "x2", "name": "X two", "faction": "X", "patron": "P", "place": "A",
               "personnel": 500, "source": "test"}],
    "events": [
        {"at": T0(0), "kind": "offensive", "faction": "X", "targets": ["B", "C"], "units": ["x1"]},
        {"at": T0(1), "kind": "reinforce", "faction": "Y", "units": ["y1"], "place": "B"},
        {"at": T0(2), "kind": "deployment", "patron": "P", "place": "A", "personnel": 300,
         "drones": 2, "delay_hours": 2},
        {"at": T0(3), "kind": "defection", "unit": "x2", "to": "Y"},
        {"at": T0(4), "kind": "set", "params": {"faction.Y.aggression": 0.8}},
        {"at": T0(6), "kind": "ceasefire", "parties": ["X", "Y"]},
        {"at": T0(7), "kind": "note", "text": "a dated fact"},
        {"at": T0(8), "kind": "talks", "factor": 0.5, "days": 2},
        {"at": T0(9), "kind": "recommit"},
    ],
}  # fmt: skip

SOURCE = {"publication": "test", "date": "2020-01-01"}
OBSERVATIONS: dict[str, Any] = {
    "title": "Toy facts",
    "theater": "toy",
    "observations": [
        {"id": "c1", "kind": "control", "description": "B is held", "place": "B",
         "controller": ["X", "contested"], "at": T0(6), "source": SOURCE},
        {"id": "e1", "kind": "event", "description": "fighting at B", "event": "engagement",
         "place": "B", "within_km": 10, "factions": ["X", "Y"],
         "window": {"from": T0(0), "to": T0(10)}, "source": SOURCE},
        {"id": "n1", "kind": "number", "description": "X losses", "metric": "casualties_X",
         "window": {"from": T0(0), "to": T0(10)}, "low": 0, "high": 500, "source": SOURCE},
        {"id": "n2", "kind": "number", "description": "engagements", "metric": "event_count",
         "event": "engagement", "near": {"place": "B", "within_km": 20},
         "window": {"from": T0(1), "to": T0(11)}, "value": 3, "sd": 2, "source": SOURCE},
        {"id": "n3", "kind": "number", "description": "incidents", "metric": "incident_rate",
         "at": T0(10), "low": 0, "high": 5, "source": SOURCE},
    ],
}  # fmt: skip
BASE = {"scenario": SCENARIO, "theater": THEATER, "observations": OBSERVATIONS}

VALUES = st.one_of(
    st.sampled_from(
        [0, 1, -1, 0.5, 2, 48, 1e9, -1e9, "", "A", "B", "C", "Alpha", "D", "X", "Y", "P", "x1",
         "y1", "contested", None, True, False, [], {}, ["A"], ["X", "Y"], T0(0), T0(11),
         "2020-01-01T12:30+02:00", "2019-12-31T22:00Z", "2030-01-01T00:00+02:00", "1:30", "yes"]
    ),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)  # fmt: skip


def _paths(data: Any, here: tuple = ()) -> list[tuple]:
    out = [here] if here else []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_paths(v, (*here, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_paths(v, (*here, i)))
    return out


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> tuple[str, str]:
    """(operation, YAML text) of one small change to the base file of `kind`."""
    data = copy.deepcopy(BASE[kind])
    path = draw(st.sampled_from(_paths(data)))
    parent, key = _get(data, path[:-1]), path[-1]
    op = draw(st.sampled_from(["replace", "delete", "duplicate", "copy", "add", "line"]))
    if op == "replace":
        parent[key] = draw(VALUES)
    elif op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif op == "copy":  # a value from elsewhere in the same file
        parent[key] = copy.deepcopy(_get(data, draw(st.sampled_from(_paths(data)))))
    elif op == "add" and isinstance(parent[key], dict):
        parent[key][draw(st.sampled_from(["x", "at", "kind", "name", "km", "place"]))] = draw(
            VALUES
        )
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if op == "line":  # the text itself: a line repeated or dropped
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        lines[i : i + 1] = [lines[i]] * draw(st.sampled_from([0, 2]))
        text = "".join(lines)
    return op, text


COUNTS: Counter[str] = Counter()


def _traceback(result) -> str:
    return "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""


def _refused(result) -> bool:
    """Exit 2 with one located line per problem and no traceback, or False on exit 0."""
    if result.exit_code == 0:
        return False
    assert result.exit_code == 2, result.output + _traceback(result)
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert lines and all(ERROR_LINE.match(ln) for ln in lines), result.stderr
    return True


def _outcome(kind: str, text: str, folder: Path) -> str:
    files = {k: folder / name for k, name in
             (("scenario", "scenario.yaml"), ("theater", "toy_theater.yaml"), ("observations", "obs.yaml"))}  # fmt: skip
    for k, path in files.items():
        path.write_text(text if k == kind else yaml.safe_dump(BASE[k], sort_keys=False))
    targets = [files[kind]] if kind != "scenario" else []
    if _refused(runner.invoke(app, ["check", *map(str, targets), str(files["scenario"])])):
        return "refused by check"
    out = folder / "out"
    if kind == "observations":
        args = ["validate", str(files["scenario"]), "-o", str(files["observations"]), "-n", "1"]
        result = runner.invoke(app, [*args, "--out", str(out), "--quiet", "--no-report"])
        if _refused(result):  # names and times are checked against the scenario up front
            assert not out.exists()
            return "refused by validate"
    else:
        args = ["run", str(files["scenario"]), "-n", "1", "--out", str(out), "--quiet"]
        result = runner.invoke(app, [*args, "--no-report"])
    assert result.exit_code == 0, result.output + _traceback(result)
    return "ran"


@pytest.mark.parametrize("kind", ["scenario", "theater", "observations"])
def test_a_mutated_file_is_refused_by_check_or_runs(kind):
    examples = int(os.environ.get("MUTATIONS", "30"))
    seen: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated(kind))
    def prop(change: tuple[str, str]) -> None:
        op, text = change
        with tempfile.TemporaryDirectory() as tmp:
            result = _outcome(kind, text, Path(tmp))
        event(result)
        event(f"mutation: {op}")
        seen[result] += 1

    prop()
    COUNTS.update({f"{kind}: {k}": v for k, v in seen.items()})
    print(f"\n{kind}: {sum(seen.values())} mutations tried: {dict(seen)}")
    assert seen["ran"] > 0  # the base files run: a mutation that changes nothing runs


def test_the_drone_count_the_mutation_test_found_runs(tmp_path):
    """12,327 drones (a `replace` of the air asset's count): their sorties emptied the target
    pool within the hour and the next draw divided by zero ('Probabilities contain NaN')."""
    theater = copy.deepcopy(THEATER)
    theater["air"][0]["count"] = 12327
    (tmp_path / "toy_theater.yaml").write_text(yaml.safe_dump(theater, sort_keys=False))
    (scenario := tmp_path / "scenario.yaml").write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    assert runner.invoke(app, ["check", str(scenario)]).exit_code == 0
    args = ["run", str(scenario), "-n", "3", "--out", str(tmp_path / "out"), "--no-report"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + _traceback(result)


def test_a_deployment_to_a_client_holding_only_a_waypoint_runs(tmp_path):
    """Found by the mutation test (the patron's client changed to Y): the contingent is placed at
    the client's nearest node, a road waypoint, which the model then looked up as a place name."""
    theater = copy.deepcopy(THEATER)
    theater["patrons"]["P"]["client"] = "Y"
    assert _outcome("theater", yaml.safe_dump(theater, sort_keys=False), tmp_path) == "ran"
