"""Shared fixtures: the real scenarios, a short version for fast runs, a small results folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def short_scenario(folder: Path, end: str = "2020-01-09T00:00+02:00", **changes) -> Path:
    """A copy of ceasefire_jan12 cut to a shorter window (events after `end` dropped)."""
    data = yaml.safe_load((SCENARIOS / "ceasefire_jan12.yaml").read_text())
    data["end"] = end
    import datetime as dt

    cut = dt.datetime.fromisoformat(end)
    data["events"] = [e for e in data["events"] if _when(e["at"]) <= cut]
    data.update(changes)
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _when(value) -> object:
    import datetime as dt

    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


@pytest.fixture
def short_path(tmp_path: Path) -> Path:
    return short_scenario(tmp_path)


@pytest.fixture(scope="session")
def small_results(tmp_path_factory) -> Path:
    """Three replicates of a ten-day window around the ceasefire, written without a report."""
    from sim.api import run_to_folder

    folder = tmp_path_factory.mktemp("small")
    path = short_scenario(folder, end="2020-01-15T00:00+02:00")
    out, _ = run_to_folder(path, replicates=3, out=folder / "results", report=False, progress=False)
    return out
