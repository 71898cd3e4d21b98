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
    stored = parity.load()
    got = parity.compute(quick=True)
    assert len(got) == 2 * 5 * 2  # 2 seeds x 5 tables x (file, values)
    # The values always; the Parquet bytes too when this pandas/pyarrow wrote the digests
    # (both write their version into the file).
    files = stored["versions"] == parity.versions()
    assert parity.differences(stored["quick"], got, files=files) == [], (
        "outputs changed; if on purpose: .venv/bin/python benchmarks/parity.py write"
    )


def test_differences_name_changed_and_missing_files() -> None:
    parity = _parity()
    stored = {"a.values": "1", "b.values": "2", "c.values": "3", "a.parquet": "4"}
    got = {"a.values": "1", "b.values": "x", "d.values": "4", "a.parquet": "5"}
    assert parity.differences(stored, got) == ["a.parquet", "b.values", "c.values", "d.values"]
    assert parity.differences(stored, got, files=False) == ["b.values", "c.values", "d.values"]
    assert parity.differences(stored, dict(stored)) == []


def test_content_digest_sees_one_value_and_ignores_layout() -> None:
    import pandas as pd

    parity = _parity()
    df = pd.DataFrame({"x": [1.0, 0.1 + 0.2, float("nan")], "s": ["a", None, "c"]})
    same = df.astype({"s": "object"}).copy()
    moved = df.copy()
    moved.loc[1, "x"] = 0.3  # 0.30000000000000004 -> 0.3: one ulp
    assert parity.content_digest(df) == parity.content_digest(same)
    assert parity.content_digest(df) != parity.content_digest(moved)
