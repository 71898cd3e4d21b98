"""Project settings the command line reads (`config/project.yaml`, docs/walkthrough.md).

`default_theater`: the theater of `conflict-sim route` and `conflict-sim params` when neither a
scenario nor --theater names one (a scenario always names its own theater).
"""

from __future__ import annotations

from pathlib import Path

from sim import config
from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import load_yaml

PROJECT_FILE = config.CONFIG_DIR / "project.yaml"


def default_theater() -> Path:
    """The theater file `route` and `params` use without --theater: `default_theater` in
    config/project.yaml, else the only theater in config/theaters.

    Raises InputError (located in project.yaml, or on the command line) when neither names one."""
    if PROJECT_FILE.is_file():
        src = load_yaml(PROJECT_FILE)
        name = src.data.get("default_theater") if isinstance(src.data, dict) else None
        if not isinstance(name, str) or not name:
            raise InputError(src.problem(("default_theater",), "expected a theater id"))
        path = config.resolve_theater_path(name, PROJECT_FILE.parent)
        if not path.is_file():
            known = sorted(p.stem for p in config.THEATER_DIR.glob("*.yaml"))
            raise InputError(
                src.problem(("default_theater",), f"no theater {name!r} in {config.THEATER_DIR}"
                            f"{did_you_mean(name, known)}")
            )  # fmt: skip
        return path
    found = sorted(config.THEATER_DIR.glob("*.yaml"))
    if len(found) == 1:
        return found[0]
    raise InputError(
        Problem("<command line>", 1, 1, "--theater",
                f"give a theater (one of {[p.stem for p in found]}) or set default_theater in "
                f"{PROJECT_FILE}")
    )  # fmt: skip
