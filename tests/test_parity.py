"""Byte parity: the quick set of runs (ceasefire_jan12 cut to 3 days, 2 seeds) writes Parquet
files identical to the digests stored in tests/data/parity_digests.json.

A change meant to leave every result as it was (a speed-up, a refactor) must keep this passing.
A change to the model made on purpose regenerates the digests in one command,

    .venv/bin/python benchmarks/parity.py write

and says so in its commit; `benchmarks/parity.py check` compares the full set (4 scenarios x 5
seeds, whole length) as well.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parity():
    spec = importlib.util.spec_from_file_location("parity", ROOT / "benchmarks" / "parity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_runs_match_stored_digests() -> None:
    parity = _parity()
    stored = parity.load()["quick"]
    got = parity.compute(quick=True)
    assert len(got) == 2 * 5  # 2 seeds x 5 tables
    assert parity.differences(stored, got) == [], (
        "outputs changed; if on purpose: .venv/bin/python benchmarks/parity.py write"
    )


def test_differences_name_changed_and_missing_files() -> None:
    parity = _parity()
    stored = {"a": "1", "b": "2", "c": "3"}
    assert parity.differences(stored, {"a": "1", "b": "x", "d": "4"}) == ["b", "c", "d"]
    assert parity.differences(stored, dict(stored)) == []
