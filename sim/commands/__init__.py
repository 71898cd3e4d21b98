"""CLI command groups. Each module has `register(app)` and imports heavy modules lazily.

These modules have no `from __future__ import annotations`: typer reads the parameters of every
command at each start of `conflict-sim`, and annotations kept as strings cost it a compile and
an eval each (~18 ms a start for the 14 commands), where evaluated ones cost nothing more."""

import contextlib
import functools
import sys
from collections.abc import Callable
from contextvars import ContextVar
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


_SCOPE: ContextVar[contextlib.ExitStack | None] = ContextVar("command_scope", default=None)

# True in the `conflict-sim` program (set by `sim.cli.main`), whose process ends with the command;
# False where the commands are called in-process (tests, `CliRunner`).
PROGRAM = False


def settle_imports() -> None:
    """In the program, freeze what is alive once a command has imported what it needs.

    The modules' objects (Mesa, pandas, SciPy: about a million) live until the process exits,
    yet each full collection of the garbage collector walks them all again (one during a run of
    ceasefire_jan12, ~65 ms). `gc.freeze` moves them out of the collector's generations. Not done
    in-process (tests), where it would keep any garbage of the moment for the process's life.
    """
    if PROGRAM:
        import gc

        gc.freeze()


def hold(resource: contextlib.AbstractContextManager[Any]) -> Any:
    """Enter `resource` (an output folder's claim) until the running command ends."""
    stack = _SCOPE.get()
    if stack is None:
        raise RuntimeError("hold() is for use inside a command decorated with input_errors")
    return stack.enter_context(resource)


def input_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print input errors one per line on stderr and exit 2, with no traceback.

    Also, for the whole command: SIGTERM acts like Ctrl-C (one line, exit 130); a storage fault
    (full disk, read-only) is one line naming the path and the reason (exit 1), and so are
    worker processes that keep dying; what the command `hold`s (an output folder's lock) is
    released when it ends."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sim.errors import InputError
        from sim.execution import WorkersLost
        from sim.outdir import output_fault, sigterm_as_interrupt

        try:
            with contextlib.ExitStack() as stack, sigterm_as_interrupt():
                token = _SCOPE.set(stack)
                try:
                    return fn(*args, **kwargs)
                finally:
                    _SCOPE.reset(token)
        except InputError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            print(
                "interrupted: output folders are replaced whole or not at all, "
                "so nothing half-written was left",
                file=sys.stderr,
            )
            raise typer.Exit(130) from None
        except WorkersLost as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
        except OSError as exc:
            line = output_fault(exc)
            if line is None:
                raise
            print(f"error: {line}", file=sys.stderr)
            raise typer.Exit(1) from None

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
