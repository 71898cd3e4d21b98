"""What `conflict-sim run` does besides the run: the modules it imports, how its process ends,
and the ensemble summary it prints (issue #12, "Cheap start"). No timings are asserted here:
benchmarks/speed.py measures them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.summary import percent, summarize

from .conftest import ROOT

TOY = ROOT / "tests" / "data" / "toy_scenario.yaml"

# Runs `conflict-sim` as its console script does (sim.cli:main) and, as the process exits (after
# main has returned), writes the names of the modules it imported and the garbage collector's
# frozen count to PROBE_OUT.
PROBE = """
import atexit, gc, json, os, sys

def dump():
    with open(os.environ["PROBE_OUT"], "w") as f:
        json.dump({"modules": sorted(sys.modules), "frozen": gc.get_freeze_count()}, f)

atexit.register(dump)
sys.argv[0] = "conflict-sim"
from sim.cli import main
main()
"""

# Imported only by what needs them: the report (Plotly), Dask sweeps, the sweep and analysis
# commands, calibration, discovery, exports; none of it is needed to run and write tables.
HEAVY = (
    "plotly",
    "sim.report",
    "dask",
    "distributed",
    "kaleido",
    "SALib",
    "ema_workbench",
    "sklearn",
    "statsmodels",
    "matplotlib",
    "openpyxl",
    "scipy.stats",
    "sim.sweep",
    "sim.sweep_report",
    "sim.calibration",
    "sim.compare",
    "sim.discovery",
    "sim.theater_build",
)


def probe_run(tmp_path: Path, *options: str) -> dict:
    out = tmp_path / "probe.json"
    args = ["run", str(TOY), "-n", "1", "--quiet", "--out", str(tmp_path / "res"), *options]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PROBE_OUT": str(out)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Ensemble summary (1 runs)" in done.stdout
    return json.loads(out.read_text())


def loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_run_without_report_imports_no_heavy_module(tmp_path):
    got = probe_run(tmp_path, "--no-report")
    assert (tmp_path / "res" / "runs.parquet").is_file()
    assert not (tmp_path / "res" / "report.html").exists()
    assert loaded(got["modules"], "sim.model")  # the probe sees what the run imported
    assert [m for m in HEAVY if loaded(got["modules"], m)] == []


def test_a_run_on_workers_leaves_the_model_to_them(tmp_path):
    """With --workers 2 the runs happen in the pool: the parent imports neither the model nor
    Mesa (nor freezes them in)."""
    got = probe_run(tmp_path, "--no-report", "--workers", "2")
    assert (tmp_path / "res" / "runs.parquet").is_file()
    assert not loaded(got["modules"], "mesa") and not loaded(got["modules"], "sim.model")


def test_run_with_report_imports_the_report(tmp_path):
    """The probe can see a heavy module: writing report.html imports Plotly and sim.report."""
    got = probe_run(tmp_path)
    assert (tmp_path / "res" / "report.html").is_file()
    assert loaded(got["modules"], "plotly") and loaded(got["modules"], "sim.report")


def test_the_program_freezes_the_heap_before_exit(tmp_path):
    """`main` (the console script) leaves the objects alive at exit to the OS instead of the
    interpreter's last collections (`gc.freeze`); `app`, which tests call in-process, does not."""
    assert probe_run(tmp_path, "--no-report")["frozen"] > 0
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["conflict-sim"] == "sim.cli:main"


def pandas_summary(runs: pd.DataFrame) -> dict[str, tuple]:
    """The summary as pandas computes it (Series.median, Series.quantile, value_counts)."""
    out = {}
    for col in runs.columns:
        s = runs[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            counts = s.dropna().astype(str).value_counts(normalize=True).sort_index()
            out[col] = (int(s.notna().sum()), list(counts.items()))
            continue
        x = s.dropna()
        if x.empty:
            out[col] = (0, None)
            continue
        out[col] = (len(x), (x.median(), x.quantile(0.05), x.quantile(0.95)))
    return out


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def runs_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    cols = {
        "ints": draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n)),
        "floats": draw(st.lists(finite | st.just(math.nan), min_size=n, max_size=n)),
        "all_missing": [math.nan] * n,
        "flags": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "names": draw(st.lists(st.sampled_from(["GNA", "LNA", "Zintan", None]), min_size=n, max_size=n)),
    }  # fmt: skip
    df = pd.DataFrame(cols)
    df["ints"] = df["ints"].astype("int64")
    return df


@settings(max_examples=150, deadline=None)
@given(runs_tables())
def test_summary_numbers_are_pandas_own(runs):
    """numpy on the values gives the very floats and shares pandas' own methods give."""
    want = pandas_summary(runs)
    got = summarize(runs).set_index("metric")
    for col, (n, stats) in want.items():
        row = got.loc[col]
        assert row["n"] == n, col
        if isinstance(stats, list):  # shares: "GNA 40%, LNA 60%", of the runs with a value
            want = ", ".join(f"{k} {percent(v)}" for k, v in stats) or "no values"
            if 0 < n < len(runs):
                want += f" (in {n} of {len(runs)} runs)"
            assert row["shares"] == want
        elif stats is None:
            assert row["shares"] == "no values" and pd.isna(row["median"])
        else:
            assert (row["median"], row["p05"], row["p95"]) == tuple(float(v) for v in stats)
            assert all(isinstance(v, float) for v in (row["median"], row["p05"], row["p95"]))


def test_summary_of_nullable_and_arrow_backed_columns():
    """Missing values in pandas' nullable integers and Arrow-backed strings are left out too."""
    runs = pd.DataFrame(
        {
            "a": pd.array([1, None, 3], dtype="Int64"),
            "b": pd.array(["x", None, "y"], dtype="string[pyarrow]"),
            "c": np.array([0.5, 2.5, np.nan]),
        }
    )
    got = summarize(runs).set_index("metric")
    assert (got.loc["a", "median"], got.loc["a", "n"]) == (2.0, 2)
    assert got.loc["a", "shares"] == "in 2 of 3 runs"
    assert got.loc["b", "shares"] == "x 50%, y 50% (in 2 of 3 runs)"
    assert got.loc["c", "p95"] == float(runs["c"].quantile(0.95))


def test_imports_are_frozen_only_in_the_program(monkeypatch):
    """`settle_imports` freezes the heap in the `conflict-sim` program only: called in-process
    (tests, notebooks) it must leave the collector alone, or their garbage would live for ever."""
    import gc

    import sim.commands

    before = gc.get_freeze_count()
    sim.commands.settle_imports()
    assert gc.get_freeze_count() == before
    monkeypatch.setattr(sim.commands, "PROGRAM", True)
    try:
        sim.commands.settle_imports()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


REPEATED = """\
a:
  - x: 1
    y: [1, 2]
  - x: 2
    z: {p: 1, q: 2, p: 3}
b: 1
c:
  d: 1
  d: 2
"""


@pytest.mark.parametrize("text", [REPEATED, REPEATED.replace("b: 1", "b: 1  # Q&A")])
def test_a_repeated_key_is_found_alike_with_or_without_anchors(tmp_path, text):
    """A text without `&` is checked as a tree (no aliases are possible): the same first
    repeated key, in file order, as the walk that follows aliases reports."""
    from sim.errors import InputError
    from sim.yamlsource import load_yaml

    path = tmp_path / "doc.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        load_yaml(path)
    (problem,) = exc.value.problems
    assert (problem.line, problem.col, problem.field) == (5, 21, "a.1.z.p")
    assert "repeated key 'p' (first given at line 5, column 9)" in problem.message
