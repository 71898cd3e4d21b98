"""Sweeps: SPEC parsing, designs, seeds independent of executors, streaming parts, resume after
SIGKILL and Ctrl-C, progress lines, and the analysis report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.params import ParamRegistry
from sim.runner import TABLES
from sim.sweep import (
    make_design,
    parse_axes,
    parse_axis,
    read_manifest,
    read_sweep,
    run_sweep,
    saltelli_unit,
)

try:
    from tests.conftest import short_scenario
except ImportError:  # tests/ not a package
    from conftest import short_scenario

CLI = str(Path(sys.executable).with_name("conflict-sim"))
# Two swept parameters, 3 x 2 points, 2 replicates: 12 runs of a 2-day window (~0.1 s each).
PARAMS = ["faction.LNA.aggression=0.3,0.6,0.9", "ceasefire.violation_rate=0.2:1.0:2"]
REPLICATES, BATCH = 2, 2


@pytest.fixture(scope="module")
def registry() -> ParamRegistry:
    return ParamRegistry.load()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    return short_scenario(tmp_path_factory.mktemp("sweep"), end="2020-01-07T00:00+02:00")


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory) -> Path:
    """The uninterrupted sweep, run in this process (one worker)."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    run_sweep(scenario, PARAMS, replicates=REPLICATES, batch_size=BATCH, workers=1, out=out, seed=7)
    return out


def sweep_args(scenario: Path, out: Path, *extra: str) -> list[str]:
    args = ["sweep", str(scenario), "--out", str(out), "-n", str(REPLICATES), "--seed", "7"]
    args += ["--batch-size", str(BATCH), *extra]
    for p in PARAMS:
        args += ["--param", p]
    return args


def assert_same_dataset(a: Path, b: Path) -> None:
    ta, tb = read_sweep(a), read_sweep(b)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(ta, name), getattr(tb, name), check_exact=True)
    ma, mb = read_manifest(a), read_manifest(b)
    assert ma["status"] == mb["status"] == "complete"
    assert ma["sweep"]["batches_complete"] == mb["sweep"]["batches_complete"]


def part_files(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_parquet(p) for p in sorted((folder / "parts").iterdir())}


# --- SPEC parsing -----------------------------------------------------------------------------


def test_spec_forms(registry):
    a = parse_axis("faction.LNA.aggression=0.2,0.5,0.8", registry)
    assert a.values == (0.2, 0.5, 0.8) and not a.continuous
    b = parse_axis("ceasefire.violation_rate = 0:1:5", registry)
    assert b.values == (0.0, 0.25, 0.5, 0.75, 1.0)
    c = parse_axis("patron.Turkey.troops=0:5000", registry)
    assert c.continuous and (c.low, c.high) == (0.0, 5000.0)
    assert c.scale(np.array([0.0, 0.5])).tolist() == [0.0, 2500.0]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("faction.LNA.agression=0.1,0.2", "did you mean 'faction.LNA.aggression'"),
        ("ceasefire.violaton_rate=0:1", "did you mean 'ceasefire.violation_rate'"),
        ("faction.LNA.aggression", "expected KEY=SPEC"),
        ("faction.LNA.aggression=0.1,,0.2", "empty value"),
        ("faction.LNA.aggression=0.1,high", "expected a number, got 'high'"),
        ("faction.LNA.aggression=0.2,0.2", "repeated"),
        ("faction.LNA.aggression=0.8:0.2", "lo must be less than hi"),
        ("faction.LNA.aggression=0:1:1", "n must be a whole number of at least 2"),
        ("faction.LNA.aggression=0:1:x", "n must be a whole number"),
        ("faction.LNA.aggression=0:1:2:3", "expected lo:hi (a range) or lo:hi:n"),
        ("faction.LNA.aggression=0:2", "outside its valid range [0, 1]"),
        ("faction.LNA.aggression=nan,0.5", "finite"),
    ],
)
def test_spec_errors(registry, item, message):
    with pytest.raises(InputError) as exc:
        parse_axis(item, registry)
    assert message in str(exc.value)


def test_axes_errors(registry):
    with pytest.raises(InputError, match="swept twice"):
        parse_axes(["faction.LNA.aggression=0.1,0.2", "faction.LNA.aggression=0.3,0.4"], registry)
    with pytest.raises(InputError, match="at least one --param"):
        parse_axes([], registry)


def test_unknown_key_on_the_command_line_exits_2_with_a_close_match(scenario, tmp_path):
    res = CliRunner().invoke(
        app, ["sweep", str(scenario), "--param", "faction.LNA.agresion=0.1,0.2", "--out", str(tmp_path / "x")]
    )  # fmt: skip
    assert res.exit_code == 2
    assert "error: --param:1:1: faction.LNA.agresion: unknown parameter" in res.stderr
    assert "did you mean 'faction.LNA.aggression'?" in res.stderr
    assert not (tmp_path / "x").exists()


# --- designs ----------------------------------------------------------------------------------


def test_grid_design(registry):
    axes = parse_axes(
        ["faction.LNA.aggression=0.1,0.2,0.3", "ceasefire.contact_km=10:40:4"], registry
    )
    d = make_design("grid", axes, None, 1)
    assert d.shape == (12, 2) and d.index.name == "point"
    assert d.iloc[0].tolist() == [0.1, 10.0] and d.iloc[1].tolist() == [0.1, 20.0]
    assert len(d.drop_duplicates()) == 12
    with pytest.raises(InputError, match="a grid needs values"):
        make_design("grid", parse_axes(["ceasefire.contact_km=10:40"], registry), None, 1)
    with pytest.raises(InputError, match="--samples applies to lhs and sobol"):
        make_design("grid", axes, 8, 1)


def test_lhs_design_is_stratified_bounded_and_seeded(registry):
    axes = parse_axes(
        ["patron.Turkey.troops=0:5000", "faction.GNA.ceasefire_compliance=0.5:1"], registry
    )
    d = make_design("lhs", axes, 20, 3)
    assert d.shape == (20, 2)
    assert d["patron.Turkey.troops"].between(0, 5000).all()
    assert d["faction.GNA.ceasefire_compliance"].between(0.5, 1).all()
    # Latin hypercube: one point in each of the 20 equal strata of every parameter.
    strata = np.floor((d["patron.Turkey.troops"] / 5000) * 20).astype(int)
    assert sorted(strata) == list(range(20))
    pd.testing.assert_frame_equal(d, make_design("lhs", axes, 20, 3))
    assert not d.equals(make_design("lhs", axes, 20, 4))


def test_sobol_design_matches_salib_layout(registry):
    axes = parse_axes(
        ["patron.Turkey.troops=0:5000", "faction.GNA.ceasefire_compliance=0.5:1", "ceasefire.contact_km=10:40"],
        registry,
    )  # fmt: skip
    d = make_design("sobol", axes, 8, 5)
    assert d.shape == (8 * (3 + 2), 3)
    for a in axes:
        assert d[a.key].between(a.low, a.high).all()
    u = saltelli_unit(3, 8, 5).reshape(8, 5, 3)
    a_rows, b_rows = u[:, 0], u[:, 4]
    for j in range(3):  # AB_j: A with column j from B
        expected = a_rows.copy()
        expected[:, j] = b_rows[:, j]
        np.testing.assert_array_equal(u[:, 1 + j], expected)
    salib = pytest.importorskip("SALib.sample.sobol")
    from sim.sweep import design_rng

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    ref = salib.sample(problem, 8, calc_second_order=False, seed=design_rng(5))
    np.testing.assert_allclose(saltelli_unit(3, 8, 5), ref)
    with pytest.raises(InputError, match="power of 2"):
        make_design("sobol", axes, 10, 5)


# --- execution: same dataset whatever runs it --------------------------------------------------


def test_reference_sweep_layout(reference):
    meta = read_manifest(reference)
    s = meta["sweep"]
    assert meta["status"] == "complete" and s["points"] == 6 and s["runs"] == 12
    assert s["batches"] == 6 and s["batches_complete"] == list(range(6))
    names = {p.name for p in (reference / "parts").iterdir()}
    assert names == {f"{t}-{b:06d}.parquet" for t in TABLES for b in range(6)}
    runs = read_sweep(reference, tables=("runs",)).runs
    assert runs["run_id"].tolist() == list(range(12))
    assert (runs["run_id"] == runs["point"] * REPLICATES + runs["replicate"]).all()
    assert runs["seed"].nunique() == 12
    design = pd.read_parquet(reference / "design.parquet")
    merged = runs.merge(design, on="point", suffixes=("", "_design"))
    for key in ("faction.LNA.aggression", "ceasefire.violation_rate"):
        assert (merged[key] == merged[f"{key}_design"]).all()


def test_two_workers_give_the_same_dataset_and_parts(scenario, reference, tmp_path):
    out = tmp_path / "two"
    run_sweep(scenario, PARAMS, replicates=REPLICATES, batch_size=BATCH, workers=2, out=out, seed=7)
    assert_same_dataset(reference, out)
    a, b = part_files(reference), part_files(out)
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_dask_cluster_gives_the_same_dataset(scenario, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        run_sweep(
            scenario, PARAMS, replicates=REPLICATES, batch_size=BATCH, out=tmp_path / "dask",
            seed=7, scheduler=cluster.scheduler_address,
        )  # fmt: skip
    assert_same_dataset(reference, tmp_path / "dask")


def test_existing_folder_needs_resume_and_matching_settings(scenario, reference):
    res = CliRunner().invoke(app, sweep_args(scenario, reference))
    assert res.exit_code == 2 and "already exists; add --resume" in res.stderr
    res = CliRunner().invoke(app, [*sweep_args(scenario, reference, "--resume"), "--seed", "8"])
    assert res.exit_code == 2 and "--seed: the sweep was started with 7, not 8" in res.stderr
    # A complete sweep resumed runs nothing and stays complete.
    result = run_sweep(scenario, resume=True, out=reference)
    assert result.ran == 0 and read_manifest(reference)["status"] == "complete"


# --- interruption and resume (real subprocesses) ----------------------------------------------


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.Popen(
        [CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _wait_for_batch(proc: subprocess.Popen, folder: Path, timeout: float = 60) -> None:
    """Until the manifest lists a complete batch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if json.loads((folder / "manifest.json").read_text())["sweep"]["batches_complete"]:
                return
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.returncode}\n{proc.stderr.read()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no batch was recorded")


def _check_partial(folder: Path, killed: bool = False) -> list[int]:
    meta = read_manifest(folder)
    done = meta["sweep"]["batches_complete"]
    assert meta["status"] == "partial" and len(done) < meta["sweep"]["batches"]
    # Only whole, readable parts, and each complete batch has every table. Ctrl-C also clears
    # temporary files; after SIGKILL a hidden .tmp may remain, removed when the sweep resumes.
    names = {p.name for p in (folder / "parts").iterdir()}
    tmp = {n for n in names if n.endswith(".tmp")}
    assert killed or not tmp
    names -= tmp
    for name in names:
        pd.read_parquet(folder / "parts" / name)
    for b in done:
        for t in TABLES:
            assert f"{t}-{b:06d}.parquet" in names
    return done


def test_resume_after_sigkill_equals_an_uninterrupted_sweep(scenario, reference, tmp_path, capsys):
    out = tmp_path / "killed"
    proc = _start(sweep_args(scenario, out, "--workers", "1", "--batch-size", "1"))
    _wait_for_batch(proc, out)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = _check_partial(out, killed=True)
    capsys.readouterr()
    # The same settings are taken from the manifest; only the missing batches run.
    result = run_sweep(scenario, resume=True, out=out, workers=1, progress=True)
    assert result.ran == 12 - len(done) and result.meta["status"] == "complete"
    assert not list((out / "parts").glob(".*"))
    # Not a terminal: plain progress lines, ending with the total.
    assert "runs: 12/12 (" in capsys.readouterr().err
    ta, tb = read_sweep(reference), read_sweep(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(ta, name), getattr(tb, name), check_exact=True)


def test_ctrl_c_leaves_a_partial_manifest_and_whole_parts(scenario, reference, tmp_path):
    out = tmp_path / "interrupted"
    # A slow disk for the sweep's own files (0.3 s a manifest write), so that Ctrl-C comes while
    # batches are still to be recorded even where the 12 runs themselves take under a second.
    from tests.faults import start

    args = sweep_args(scenario, out, "--workers", "2", "--batch-size", "1")
    proc = start(*args, cwd=tmp_path, env={"FAULT_WRITE_DELAY": "0.3", "FAULT_UNDER": str(out)})
    _wait_for_batch(proc, out)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Run the same command with --resume" in stderr
    assert "Traceback" not in stderr
    assert _check_partial(out), "the first batch was saved"
    res = CliRunner().invoke(
        app, sweep_args(scenario, out, "--resume", "--batch-size", "1", "--workers", "1")
    )
    assert res.exit_code == 0, res.output
    ta, tb = read_sweep(reference), read_sweep(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(ta, name), getattr(tb, name), check_exact=True)


# --- analysis ---------------------------------------------------------------------------------


def test_analyze_writes_html_and_prints_the_table(reference):
    res = CliRunner().invoke(app, ["analyze", str(reference), "--outcome", "losses_gna"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert (
        "losses of the GNA (killed, wounded or captured) (losses_gna, people): mean and 90% of runs"
        in out
    )
    assert "faction.LNA.aggression" in out and "Sensitivity (PRCC)" in out
    page = (reference / "analysis.html").read_text()
    assert page.count("<script") >= 2 and "Plotly.newPlot" in page
    assert 'src="http' not in page  # plotly.js is embedded; the page works offline
    res = CliRunner().invoke(app, ["analyze", str(reference), "--outcome", "front_km_ned"])
    assert res.exit_code == 2 and "did you mean 'front_km_end'?" in res.stderr


def test_ceasefire_survival_is_derived_from_collapse_time():
    from sim.sweep_analysis import SURVIVED, add_derived

    runs = pd.DataFrame({"ceasefire_collapsed_at": [np.nan, 200.0, 1000.0, 880.0]})
    meta = {"sweep": {"ceasefire_hour": 168.0}, "scenario": {"hours": 1344}}
    assert add_derived(runs, meta)[SURVIVED].tolist() == [1.0, 0.0, 1.0, 0.0]
    # collapses are booked at the start of their hour: the hour from 168 + 720 is day 31's first
    edge = pd.DataFrame({"ceasefire_collapsed_at": [168.0 + 719, 168.0 + 720]})
    assert add_derived(edge, meta)[SURVIVED].tolist() == [0.0, 1.0]
    short = {"sweep": {"ceasefire_hour": 168.0}, "scenario": {"hours": 240}}
    got = add_derived(runs.iloc[:2], short)[SURVIVED]
    assert np.isnan(got.iloc[0]) and got.iloc[1] == 0.0  # held, but the window is too short


def test_sensitivity_ranks_the_influential_parameter_first(registry):
    from sim.sweep_analysis import sensitivity

    axes = parse_axes(["faction.LNA.aggression=0:1", "ceasefire.contact_km=0:100"], registry)
    for design, samples in (("sobol", 64), ("lhs", 200)):
        d = make_design(design, axes, samples, 1)
        runs = d.reset_index()
        runs["y"] = 10 * runs["faction.LNA.aggression"] + 0.01 * runs["ceasefire.contact_km"]
        meta = {
            "seed": 1,
            "sweep": {
                "design": design,
                "points": len(d),
                "parameters": [{"key": a.key, "low": a.low, "high": a.high} for a in axes],
            },
        }
        sens = sensitivity(runs, meta, list(d.columns), ["y"], [])
        idx = "ST" if design == "sobol" else "PRCC"
        v = sens[sens["index"] == idx].set_index("parameter")["value"]
        assert v["faction.LNA.aggression"] > 0.9 and abs(v["ceasefire.contact_km"]) < v.iloc[0]
        assert set(sens["method"]) == {"sobol" if design == "sobol" else "prcc"}


def test_manifest_records_the_design(reference):
    meta = json.loads((reference / "manifest.json").read_text())
    s = meta["sweep"]
    assert s["design"] == "grid" and s["replicates"] == REPLICATES and meta["seed"] == 7
    assert [p["key"] for p in s["parameters"]] == [p.split("=")[0] for p in PARAMS]
    assert s["settings"]["params"] == PARAMS and s["batch_size"] == BATCH


def test_a_design_point_the_model_cannot_run_is_refused_before_the_folder(tmp_path):
    """A point whose parameters leave every incident kind a share of 0, at the start or after
    one of the scenario's `set` events, failed in a worker mid-sweep with a traceback; it is
    refused in one located line, and no sweep folder is made."""
    import yaml

    from tests.conftest import input_errors

    zero3 = {f"ceasefire.share_{k}": 0 for k in ("small_arms", "shelling", "drone")}
    data = yaml.safe_load(short_scenario(tmp_path, end="2020-01-07T00:00+02:00").read_text())
    data["events"].append({"at": "2020-01-06T00:00+02:00", "kind": "set", "params": zero3})
    by_event = tmp_path / "by_event.yaml"
    by_event.write_text(yaml.safe_dump(data, sort_keys=False))
    data["events"].pop()
    data["set"] = {**data.get("set", {}), **zero3}
    at_start = tmp_path / "at_start.yaml"
    at_start.write_text(yaml.safe_dump(data, sort_keys=False))
    args = ["--param", "ceasefire.share_ground_probe=0,0.5", "--replicates", "1"]
    runner = CliRunner()
    (err,) = input_errors(
        runner.invoke(app, ["sweep", str(by_event), *args, "--out", str(tmp_path / "a")])
    )
    assert err["file"] == str(by_event) and err["field"].startswith("events.")
    assert "with design point 0 (ceasefire.share_ground_probe=0)" in err["msg"]
    (err,) = input_errors(
        runner.invoke(app, ["sweep", str(at_start), *args, "--out", str(tmp_path / "b")])
    )
    assert err["file"] == "--param" and "design point 0" in err["msg"]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
