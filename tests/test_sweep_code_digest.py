"""What `sweep --resume` fingerprints as the model's code: the modules a sweep's runs import, not
the commands around them (a fix to `compare` refused every resume as 'model code changed')."""

from __future__ import annotations

import json
import subprocess
import sys

from sim.sweep_store import NOT_IMPORTED_BY_RUNS, code_digest

from .conftest import ROOT, short_scenario

PROBE = """
import json, sys
from sim import run_sweep
run_sweep(sys.argv[1], ["faction.LNA.aggression=0.5,0.6"], replicates=1, workers=1, out=sys.argv[2])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("sim"))))
"""


def test_modules_left_out_of_the_code_digest_are_never_imported_by_a_sweeps_runs(tmp_path):
    # the scenario names its observations (jan2020): loading it must not need their modules
    scenario = short_scenario(tmp_path, end="2020-01-06T00:00+02:00")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(scenario), str(tmp_path / "sweep")],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = {m.removeprefix("sim.") + ".py" for m in json.loads(probe.stdout.splitlines()[-1])}
    assert "model.py" in loaded and "truce.py" in loaded  # the probe saw the runs' imports
    assert not (NOT_IMPORTED_BY_RUNS & loaded)
    assert all((ROOT / "sim" / name).is_file() for name in NOT_IMPORTED_BY_RUNS)


def test_the_digest_leaves_out_what_runs_never_import(tmp_path, monkeypatch):
    """Editing compare.py leaves the digest as it was; editing truce.py does not."""
    import shutil

    import sim.sweep_store as store

    copy = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(store, "__file__", str(copy / "sweep_store.py"))
    before = code_digest()
    with (copy / "compare.py").open("a") as f:
        f.write("\n# a fix to compare\n")
    assert code_digest() == before
    with (copy / "truce.py").open("a") as f:
        f.write("\n# a change to the model\n")
    assert code_digest() != before


def test_the_parameters_fingerprint_is_what_runs_read(tmp_path):
    """A reworded doc or source of a parameter leaves the fingerprint as it was (it refused
    every resume as 'the parameters file changed'); a default or a range does not."""
    from sim.params import PARAMETERS_FILE
    from sim.sweep_store import parameters_digest

    text = PARAMETERS_FILE.read_text()
    path = tmp_path / "parameters.yaml"
    before = parameters_digest(PARAMETERS_FILE)
    path.write_text(text.replace("doc: Scales every unit's advance rate", "doc: Scales the rate"))
    assert path.read_text() != text and parameters_digest(path) == before
    path.write_text(text.replace("range: [0.1, 5.0]", "range: [0.1, 6.0]", 1))
    assert parameters_digest(path) != before
    path.write_text(
        text.replace("control.hold_hours:\n  default: 6", "control.hold_hours:\n  default: 7")
    )
    assert path.read_text() != text and parameters_digest(path) != before
