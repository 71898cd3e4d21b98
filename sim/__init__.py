"""conflict-sim: agent-based simulation of armed conflict on a road network (Mesa).

The Python API mirrors the CLI; names load lazily so that importing `sim` stays cheap:
    from sim import load_scenario, run_ensemble, read_results
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "analyze_sweep",
    "calibrate",
    "load_observations",
    "load_scenario",
    "load_theater",
    "read_results",
    "read_sweep",
    "run_ensemble",
    "run_sweep",
    "run_to_folder",
    "run_validation",
]

_LAZY = {
    "load_scenario": "sim.config",
    "load_theater": "sim.config",
    "run_ensemble": "sim.api",
    "run_to_folder": "sim.api",
    "read_results": "sim.results",
    "load_observations": "sim.observations",
    "run_validation": "sim.validation",
    "calibrate": "sim.calibration",
    "run_sweep": "sim.sweep",
    "read_sweep": "sim.sweep",
    "analyze_sweep": "sim.sweep_analysis",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
