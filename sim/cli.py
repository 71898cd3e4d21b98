"""The `conflict-sim` command line: thin wiring over the layers below.

Each group of commands lives in `sim/commands/` and imports its heavy modules inside the
command, so `conflict-sim --help` stays fast.
"""

from __future__ import annotations

import typer

from sim.commands import core

app = typer.Typer(
    help="Agent-based simulation of armed conflict on a road network (first theater: Libya, January 2020).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (core,):
    module.register(app)


def _optional(name: str) -> None:
    """Command groups that other modules add (report, sweep, validation) register when present."""
    import importlib

    try:
        mod = importlib.import_module(f"sim.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"sim.commands.{name}":
            raise
        return
    mod.register(app)


for _name in ("report", "sweep", "validation", "data"):
    _optional(_name)


def main() -> None:
    app()


if __name__ == "__main__":  # python -m sim.cli
    main()
