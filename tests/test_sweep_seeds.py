"""Common random numbers in sweeps (`--seeds common`): replicate r draws the same numbers at
every design point, so a parameter that cannot act in the window changes nothing at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.sweep import read_manifest, read_sweep, run_sweep

try:
    from tests.conftest import short_scenario
except ImportError:  # tests/ not a package
    from conftest import short_scenario

CLI = str(Path(sys.executable).with_name("conflict-sim"))
# The ceasefire starts on 12 January: before it its parameters cannot act on the war.
INERT = ["ceasefire.violation_rate=0.2,1.0"]
OUTCOMES = ["fighter_casualties", "civilian_casualties", "displaced", "front_km_end"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    return short_scenario(tmp_path_factory.mktemp("crn"), end="2020-01-07T00:00+02:00")


def _outcomes(folder: Path):
    runs = read_sweep(folder, ("runs",)).runs
    cols = [c for c in OUTCOMES if c in runs.columns]
    assert cols, runs.columns
    return runs.sort_values(["point", "replicate"]), cols


def test_common_seeds_pair_replicates_across_points(scenario, tmp_path):
    out = tmp_path / "common"
    run_sweep(scenario, INERT, replicates=2, workers=1, out=out, seed=3, seeds="common")
    runs, cols = _outcomes(out)
    a = runs[runs.point == 0].set_index("replicate")[cols]
    b = runs[runs.point == 1].set_index("replicate")[cols]
    assert a.equals(b)  # same draws, and the swept parameter is inert before the truce
    assert not a.iloc[0].equals(a.iloc[1])  # replicates still differ from each other
    assert "common" in read_manifest(out)["sweep"]["seeds"]


def test_independent_seeds_differ_across_points(scenario, tmp_path):
    out = tmp_path / "independent"
    run_sweep(scenario, INERT, replicates=2, workers=1, out=out, seed=3)
    runs, cols = _outcomes(out)
    a = runs[runs.point == 0].set_index("replicate")[cols]
    b = runs[runs.point == 1].set_index("replicate")[cols]
    assert not a.equals(b)


def test_resume_refuses_other_seeding_and_unknown_scheme(scenario, tmp_path):
    out = tmp_path / "s"
    run_sweep(scenario, INERT, replicates=1, workers=1, out=out, seed=3, seeds="common")
    args = [CLI, "sweep", str(scenario), "--out", str(out), "--resume", "--seeds", "independent"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "--seeds" in done.stderr and "Traceback" not in done.stderr
    args = [CLI, "sweep", str(scenario), "--out", str(tmp_path / "t"), "-p", INERT[0]]
    done = subprocess.run([*args, "--seeds", "comon"], capture_output=True, text=True)
    assert (
        done.returncode == 2 and "unknown seeding 'comon' (did you mean 'common'?)" in done.stderr
    ), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "t").exists()


def test_a_sweep_from_before_seeding_resumes_only_as_independent(scenario, tmp_path):
    """Manifests written before `--seeds` existed have no `seeds`: they ran independent seeds,
    so resuming one with `--seeds common` is refused rather than quietly mixing schemes."""
    import json

    from sim.sweep import MANIFEST, SweepPlan

    out = tmp_path / "old"
    run_sweep(scenario, INERT, replicates=1, workers=1, out=out, seed=3)
    for name in (MANIFEST, "manifest.backup.json"):
        path = out / name
        if path.exists():
            meta = json.loads(path.read_text())
            meta["sweep"]["settings"].pop("seeds")
            path.write_text(json.dumps(meta))
    args = [CLI, "sweep", str(scenario), "--out", str(out), "--resume", "--seeds", "common"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 2 and "'independent', not 'common'" in done.stderr, done.stderr
    with pytest.raises(ValueError, match="one of independent, common"):
        SweepPlan(None, None, 1, 0, 1, {}, seeds="comon")
