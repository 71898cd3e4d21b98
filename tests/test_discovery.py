"""Scenario discovery (PRIM via EMA Workbench) and the analysis figures that must not mislead:
a known box recovered, located errors for bad conditions, outcomes missing in most runs
(issue #13 case 13), constant outcomes, shares on 0-100%, times as dates, binned heatmaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from tests.conftest import input_errors
from tests.sweep_fakes import boxed, fake_sweep

pytest.importorskip("ema_workbench")
RANGES = {"a": (0.0, 1.0), "b": (0.0, 10.0), "c": (-1.0, 1.0)}


@pytest.fixture(scope="module")
def boxed_sweep(tmp_path_factory) -> Path:
    x, inside = boxed(400)
    n = len(x)
    collapsed = np.full(n, np.nan)
    collapsed[7] = 130.0  # one collapse in 400 runs
    outcomes = {
        "front_km_end": np.where(inside, 250.0, 400.0) + 5 * x["c"].to_numpy(),
        "ceasefire_held": inside,
        "ceasefire_collapsed_at": collapsed,
        "ceasefire_first_violation_at": np.full(n, np.nan),
        "losses_gna": np.full(n, 12.0),
        "controller_end_sirte": np.where(inside, "LNA", "GNA"),
    }
    return fake_sweep(tmp_path_factory.mktemp("boxed") / "sweep", x, outcomes, ranges=RANGES)


@pytest.mark.parametrize("condition", ["front_km_end < 300", "ceasefire_held == True",
                                       "controller_end_sirte == LNA"])  # fmt: skip
def test_prim_recovers_the_known_box(boxed_sweep, condition):
    from sim.sweep_analysis import analyze_runs

    d = analyze_runs(boxed_sweep, discover=condition).discovery
    lim = d.limits.set_index("parameter")
    # the box is 0.3 < a < 0.7 and b > 6; c is left free
    assert set(lim.index) == {"a", "b"}
    assert lim.at["a", "low"] == pytest.approx(0.3, abs=0.05)
    assert lim.at["a", "high"] == pytest.approx(0.7, abs=0.05)
    assert lim.at["b", "low"] == pytest.approx(6.0, abs=0.5)
    assert lim.at["b", "high"] >= 9.5  # unrestricted above: its quasi-p-value is missing
    assert np.isnan(lim.at["b", "qp_high"]) and lim.at["a", "qp_low"] < 0.01
    assert d.box["coverage"] >= 0.9 and d.box["density"] >= 0.9
    assert d.cases == int(boxed(400)[1].sum())
    assert (lim["range_low"].tolist(), lim["range_high"].tolist()) == ([0.0, 0.0], [1.0, 10.0])


def test_discovery_in_html_and_terminal(boxed_sweep, tmp_path):
    out = tmp_path / "analysis.html"
    res = CliRunner().invoke(
        app, ["analyze", str(boxed_sweep), "--discover", "front_km_end < 300", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Scenario discovery (PRIM): front_km_end < 300" in res.stdout
    assert "quasi-p low" in res.stdout and "Peeling trajectory" in res.stdout
    page = out.read_text()
    assert "PRIM peeling trajectory for front_km_end \\u0026lt; 300" in page  # JSON-escaped
    assert ">Scenario discovery: front_km_end &lt; 300</h2>" in page
    assert "chosen box" in page and "quasi-p" in page and "Feature scores (extra trees)" in page
    # byte-reproducible
    again = tmp_path / "again.html"
    CliRunner().invoke(
        app, ["analyze", str(boxed_sweep), "--discover", "front_km_end < 300", "--out", str(again)]
    )
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    "text, col, message",
    [
        ("front_km_edn < 300", 1, "unknown outcome 'front_km_edn' (did you mean 'front_km_end'?)"),
        ("front_km_end 300", 14, "expected a comparison"),
        ("front_km_end =< 300", 14, "expected a comparison"),
        ("front_km_end < ", 16, "expected a value after '<'"),
        ("front_km_end < __import__('os')", 16, "expected a number or True/False"),
        ("ceasefire_held > True", 16, "compare True/False with == or !="),
        ("controller_end_sirte < LNA", 22, "is a category: use == or !="),
        ("  ", 1, "empty condition"),
        ("300 > front_km_end", 1, "expected an outcome name"),
    ],
)
def test_bad_conditions_are_located_errors(boxed_sweep, text, col, message):
    res = CliRunner().invoke(app, ["analyze", str(boxed_sweep), "--discover", text])
    (m,) = input_errors(res)
    assert m["file"] == "--discover" and int(m["col"]) == col, res.stderr
    assert message in m["msg"]
    assert not (boxed_sweep / "analysis.html.tmp").exists()


def test_a_condition_no_run_meets_says_so(boxed_sweep):
    from sim.sweep_analysis import analyze_runs

    with pytest.raises(InputError, match="no run of the 400 with a value meets"):
        analyze_runs(boxed_sweep, discover="front_km_end < 0")


def test_missing_ema_workbench_gives_the_install_line(boxed_sweep, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    res = CliRunner().invoke(app, ["analyze", str(boxed_sweep), "--discover", "front_km_end < 1"])
    (m,) = input_errors(res)
    assert "pip install 'conflict-sim[discovery]'" in m["msg"]


# --- outcomes missing in most runs, constant outcomes (issue #13, case 13) --------------------


def test_an_outcome_in_one_run_of_many_is_counted_not_called_constant(boxed_sweep):
    from sim.sweep_analysis import analyze_runs

    a = analyze_runs(boxed_sweep, outcomes=["ceasefire_collapsed_at"])
    assert "ceasefire_collapsed_at" in a.columns.varying
    assert a.columns.present["ceasefire_collapsed_at"] == 1
    assert any("ceasefire_collapsed_at has a value in 1 of 400 runs" in n for n in a.notes)
    d = a.by_param[a.by_param.outcome == "ceasefire_collapsed_at"]
    assert d["n"].sum() == 3 and d["runs"].sum() == 3 * 400  # one run, seen per parameter
    assert a.columns.constant == ["losses_gna"]
    assert a.columns.empty == ["ceasefire_first_violation_at"]


def test_an_outcome_no_run_has_is_explained_not_drawn(boxed_sweep, tmp_path):
    out = tmp_path / "a.html"
    args = ["analyze", str(boxed_sweep), "--outcome", "ceasefire_first_violation_at"]
    res = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "no run has a value (it never happened), so there is nothing to draw" in res.stdout
    page = out.read_text()
    assert "Outcomes with nothing to draw" in page
    from sim.sweep_analysis import analyze_runs
    from sim.sweep_report import outcome_figure

    a = analyze_runs(boxed_sweep, outcomes=["ceasefire_first_violation_at"])
    assert a.heatmap is None or a.heatmap.outcome != "ceasefire_first_violation_at"
    assert outcome_figure(a, "ceasefire_first_violation_at") is None
    assert "ceasefire_first_violation_at" not in set(a.sensitivity.outcome)


def test_sobol_indices_below_noise_are_zero(monkeypatch):
    import sim.sweep_sensitivity as ss

    fake = pd.DataFrame(
        {"outcome": "y", "parameter": ["a", "b"], "method": "sobol", "index": "S1",
         "value": [2e-16, 0.4], "conf": [1e-16, 0.1], "n": 8}
    )  # fmt: skip
    monkeypatch.setattr(ss, "sobol_indices", lambda *a, **k: fake)
    meta = {
        "seed": 1,
        "sweep": {"design": "sobol", "points": 8, "parameters": [
            {"key": "a", "low": 0, "high": 1}, {"key": "b", "low": 0, "high": 1}]},
    }  # fmt: skip
    runs = pd.DataFrame({"point": range(8), "a": 0.5, "b": 0.5, "y": np.arange(8.0)})
    sens = ss.sensitivity(runs, meta, ["a", "b"], ["y"], [])
    assert sens.set_index("parameter")["value"].to_dict() == {"a": 0.0, "b": 0.4}


# --- figures ----------------------------------------------------------------------------------


def test_shares_on_0_to_1_and_times_as_dates(boxed_sweep):
    from sim.sweep_analysis import analyze_runs
    from sim.sweep_report import heatmap_figure, outcome_figure

    a = analyze_runs(boxed_sweep, outcomes=["ceasefire_held", "ceasefire_collapsed_at"])
    fig = outcome_figure(a, "ceasefire_held")
    assert list(fig.layout.yaxis.range) == [-0.02, 1.02] and fig.layout.yaxis.tickformat == ".0%"
    assert "ceasefire holds to the end (% of runs)" in fig.layout.yaxis.title.text
    when = outcome_figure(a, "ceasefire_collapsed_at")
    ys = [y for tr in when.data for y in tr.y if y is not None]
    assert ys and all(isinstance(y, pd.Timestamp) for y in ys)
    assert ys[0] == pd.Timestamp("2020-01-10T10:00")  # start 5 Jan 00:00 + 130 h, local
    heat = heatmap_figure(a.heatmap, a)
    assert heat.data[0].zmin == 0 and heat.data[0].zmax == 1


def test_continuous_design_is_binned_whatever_the_number_of_points(tmp_path):
    from sim.sweep_analysis import analyze_runs
    from sim.sweep_report import heatmap_figure

    x, _ = boxed(12, seed=4)
    folder = fake_sweep(tmp_path / "s", x, {"front_km_end": 100 + 10 * x["a"]}, ranges=RANGES)
    a = analyze_runs(folder)
    h = a.heatmap
    assert h.mean.shape == (2, 2) and h.runs.sum() == 12  # not 12 x 12 samples
    assert h.x_labels == ["0–0.5", "0.5–1"]
    assert (
        "12 design points binned into 2 equal-width bins" in heatmap_figure(h, a).layout.title.text
    )
    grid = fake_sweep(tmp_path / "g", x.round(1), {"front_km_end": 100 + 10 * x["a"]}, kind="grid")
    assert analyze_runs(grid).heatmap.binned == ""  # a grid keeps its levels


def test_labels_cover_sectors_and_any_place():
    from sim.report.labels import describe

    assert describe("front_km_end_tripoli").label == "front at the end, Tripoli"
    assert describe("front_km_tripoli").unit == "km along its axis from its first place"
    assert describe("abu_grein_captured_at").kind == "time"
    assert describe("abu_grein_captured_at").label == "Abu Grein first changed hands"
    assert describe("abu_grein_captured_at", {"abu_grein": "Abu Grein"}).kind == "time"
    assert describe("losses_gna").label == "losses of the GNA (killed, wounded or captured)"
    assert describe("ceasefire_survived_30d").axis_title == "ceasefire survives 30 days (% of runs)"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_condition_text_parses_or_is_a_located_error(text):
    from sim.discovery import Condition, parse_condition

    try:
        c = parse_condition(text, ["front_km_end", "ceasefire_held"], ["controller_end_sirte"])
    except InputError as exc:
        (p,) = exc.problems
        assert p.file == "--discover" and 1 <= p.col <= len(text) + 1
    else:
        assert isinstance(c, Condition) and c.outcome in ("front_km_end", "ceasefire_held")
        assert c.op in ("==", "!=", "<", "<=", ">", ">=")


@pytest.mark.parametrize(
    "text, col, message",
    [
        ("controller_end_sirte == LNB", 25,
         "'LNB' is not a value of controller_end_sirte (the runs have GNA, LNA) (did you mean 'LNA'?)"),
        ("controller_end_sirte != lna", 25, "'lna' is not a value of controller_end_sirte"),
    ],
)  # fmt: skip
def test_a_category_no_run_has_names_the_values_it_has(boxed_sweep, text, col, message):
    # it said "no run meets ...: nothing to discover", as if the misspelt faction were an answer
    res = CliRunner().invoke(app, ["analyze", str(boxed_sweep), "--discover", text])
    (m,) = input_errors(res)
    assert int(m["col"]) == col and message in m["msg"], m["msg"]
