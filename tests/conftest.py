"""Shared fixtures: the real scenarios, a short version for fast runs, a small results folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


ERROR_LINE = re.compile(
    r"^error: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>[^:]*): (?P<msg>.+)$"
)


def input_errors(result) -> list[re.Match]:
    """The located one-line errors of a CLI result that must have exited 2 with no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    matches = [ERROR_LINE.match(ln) for ln in lines]
    assert lines and all(matches), lines
    return matches


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of a file containing `needle`."""
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


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


@pytest.fixture(scope="module")
def theater():
    """The Libyan theater as shipped (config/theaters/libya.yaml)."""
    from sim.config import THEATER_DIR, load_theater

    return load_theater(THEATER_DIR / "libya.yaml")


@pytest.fixture(scope="module")
def net(theater):
    """The Libyan theater's road network."""
    from sim.network import build_network

    return build_network(theater)
