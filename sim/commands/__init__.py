"""CLI command groups. Each module has `register(app)` and imports heavy modules lazily."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

# Options shared by the commands that run a scenario.
Replicates = Annotated[
    int | None,
    typer.Option("--replicates", "-n", min=1, help="Replicates (default: the scenario's)"),
]
# A seed is a non-negative integer (numpy's SeedSequence): refused while parsing, before anything
# is created on disk.
Seed = Annotated[
    int | None, typer.Option(min=0, help="Base seed, 0 or more (default: the scenario's)")
]
SetItems = Annotated[
    list[str] | None, typer.Option("--set", help="Override a parameter: key=value")
]
SetFile = Annotated[
    Path | None, typer.Option(help="YAML file of parameter overrides (e.g. calibrated.yaml)")
]
Workers = Annotated[int, typer.Option(min=1, help="Processes to run replicates in")]


def input_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print input errors one per line on stderr and exit 2, with no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sim.errors import InputError

        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


def shown_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory."""
    import os

    return os.path.relpath(path) if Path(path).is_absolute() else str(path)


def scenario_file(value: Path) -> Path:
    """A scenario given as a file, or by the id `conflict-sim list` prints (`ceasefire_jan12`
    is `scenarios/ceasefire_jan12.yaml`). Every command that takes a scenario resolves it here.

    Raises InputError naming the closest id when the value is neither a file nor an id.
    """
    from sim.config import SCENARIO_DIR
    from sim.errors import InputError, Problem, did_you_mean

    value = Path(value)
    if value.exists() or value.suffix in (".yaml", ".yml"):
        return value  # a file (a missing .yaml is reported by the loader, located)
    candidate = SCENARIO_DIR / f"{value}.yaml"
    if len(value.parts) == 1 and candidate.is_file():
        return Path(shown_path(candidate))
    ids = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
    raise InputError(
        Problem(str(value), 1, 1, "scenario", "no such file or scenario id"
                f"{did_you_mean(str(value), ids)}; `conflict-sim list` shows the ids")
    )  # fmt: skip
