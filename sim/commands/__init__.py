"""CLI command groups. Each module has `register(app)` and imports heavy modules lazily."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer


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
