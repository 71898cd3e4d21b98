"""`check`, a sweep's design points and calibration's candidates ask one question (sim.weights):
does a group of weights (the incident kinds' shares) end up all 0, at the start or after a
`set` event? Given the same parameters, all three give the same answer, each in its own form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.calibration import Objective, ParamRange
from sim.cli import app
from sim.config import load_scenario
from sim.errors import InputError
from sim.params import ParamRegistry
from sim.sweep_design import check_points

from .conftest import input_errors

DATA = Path(__file__).parent / "data"
PROBE = "ceasefire.share_ground_probe"
OTHERS = [f"ceasefire.share_{k}" for k in ("small_arms", "shelling", "drone")]
WHY = ", ".join([*OTHERS, PROBE]) + " are all 0: at least one incident kind needs a positive share"


def _scenario(tmp_path: Path, name: str, probe: float, where: str) -> Path:
    """The toy scenario with the probe's share `probe` in its `set:`, and the three other shares
    0 in `set:` (`where="start"`) or in a `set` event at 06:00 (`where="event"`); the files of
    one `where` have the same lines, whatever `probe`."""
    shutil.copy(DATA / "toy_theater.yaml", tmp_path / "toy_theater.yaml")
    text = (DATA / "toy_scenario.yaml").read_text()
    zeros = "".join(f"  {k}: 0\n" for k in OTHERS) if where == "start" else ""
    text = text.replace("set:\n", f"set:\n  {PROBE}: {probe}\n{zeros}", 1)
    if where == "event":
        flow = ", ".join(f"{k}: 0" for k in OTHERS)
        text += f"  - at: 2020-01-01T06:00+02:00\n    kind: set\n    params: {{{flow}}}\n"
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("where", ["start", "event"])
def test_check_sweep_and_calibration_agree_on_a_zeroed_group(tmp_path, where):
    runnable = _scenario(tmp_path, "runnable.yaml", 0.5, where)
    zeroed = _scenario(tmp_path, "zeroed.yaml", 0, where)

    # check: the file with the probe's share 0 is refused, one located line
    (line,) = input_errors(CliRunner().invoke(app, ["check", str(zeroed)]))
    assert WHY in line["msg"]
    assert CliRunner().invoke(app, ["check", str(runnable)]).exit_code == 0

    # the same parameters as a sweep's design point and a calibration candidate, over the file
    # that check accepts
    setup = load_scenario(runnable)
    base = ParamRegistry.load(setup.theater).resolve(setup.scenario.set)
    objective = Objective(setup, [], base, [ParamRange(PROBE, 0.0, 1.0)], replicates=1, seed=1)
    with pytest.raises(InputError) as refused:
        check_points(setup, base, pd.DataFrame({PROBE: [0.5, 0.0]}))
    (problem,) = refused.value.problems
    reason = objective.infeasible({PROBE: 0.0})
    assert objective.infeasible({PROBE: 0.5}) is None
    assert reason is not None and WHY in reason and WHY in problem.message
    assert "design point 1" in problem.message

    if where == "event":  # all three point at the event
        assert line["field"] == problem.field == f"events.1.params.{OTHERS[0]}"
        assert (problem.file, problem.line) == (str(runnable), int(line["line"]))
        assert "from this event on" in line["msg"] and "from this event on" in problem.message
        # calibration's reason has no location: it says which event (it said "this event")
        assert reason.startswith("from the set event at 2020-01-01T06:00:00+02:00 on, ")
    else:  # check points at the scenario's set:, the sweep at its --param
        assert line["field"] == f"set.{OTHERS[0]}"  # the group's first key, as the sweep's
        assert (problem.file, problem.field) == ("--param", OTHERS[0])
        assert reason == WHY
