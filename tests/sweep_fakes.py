"""A synthetic sweep folder (manifest, design, one runs part) whose outcomes are known, for
analysis tests that must not wait for the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.sweep import DESIGN_FILE, MANIFEST, part_path

START = "2020-01-05T00:00:00+02:00"


def fake_sweep(
    folder: Path, design: pd.DataFrame, outcomes: dict[str, object], kind: str = "lhs",
    ranges: dict[str, tuple[float, float]] | None = None, ceasefire_hour: float | None = None,
) -> Path:  # fmt: skip
    """Write a complete one-replicate sweep: `design` (one column per parameter, one row per
    point) and `outcomes` (column -> values per run) as its runs table."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parts").mkdir(exist_ok=True)
    n = len(design)
    ranges = ranges or {c: (float(design[c].min()), float(design[c].max())) for c in design}
    d = design.reset_index(drop=True).copy()
    d.insert(0, "point", np.arange(n))
    d.to_parquet(folder / DESIGN_FILE, index=False)
    runs = pd.DataFrame({"run_id": np.arange(n), "point": np.arange(n), "replicate": 0,
                         "seed": np.arange(n) + 100})  # fmt: skip
    for c in design:
        runs[c] = design[c].to_numpy()
    for k, v in outcomes.items():
        runs[k] = v
    runs.to_parquet(part_path(folder, "runs", 0), index=False)
    manifest = {
        "kind": "sweep", "seed": 3, "status": "complete",
        "scenario": {"file": "fake.yaml", "title": "Fake sweep", "start": START, "hours": 240},
        "sweep": {
            "design": kind, "samples": n, "points": n, "replicates": 1, "runs": n,
            "parameters": [
                {"key": c, "spec": f"{lo}:{hi}", "low": lo, "high": hi, "values": None}
                for c, (lo, hi) in ranges.items()
            ],
            "batches_complete": [0], "batches": 1, "tables": ["runs"],
            "ceasefire_hour": ceasefire_hour,
        },
    }  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def boxed(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Uniform points over a in [0, 1], b in [0, 10], c in [-1, 1]; the known box is
    0.3 < a < 0.7 and b > 6 (c plays no part)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 10, n), "c": rng.uniform(-1, 1, n)}
    )
    inside = ((x.a > 0.3) & (x.a < 0.7) & (x.b > 6)).to_numpy()
    return x, inside
