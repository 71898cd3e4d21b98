"""The `conflict-sim` command line: thin wiring over the layers below.

Each group of commands lives in `sim/commands/` and imports its heavy modules inside the
command, so `conflict-sim --help` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from sim.commands import core, theater

# Placeholders in --help: typer's own (<int range>, <list[str]>, {scenario}) read as code.
METAVARS = {"set_": "KEY=VALUE", "set": "KEY=VALUE", "param": "KEY=SPEC", "outcome": "COLUMN"}


def plain_metavars(command: Any) -> Any:
    """Give every argument and option without a metavar a plain one: SCENARIO, N, X, PATH,
    TEXT, KEY=VALUE, [a|b|c]."""
    for p in command.params:
        if isinstance(p.default, Path) and p.default.is_absolute() and p.show_default:
            # relative to where the user stands, and not cut or bracketed by typer
            p.help = f"{p.help or ''}  [default: {os.path.relpath(p.default)}]"
            p.show_default = False
        if p.metavar is not None or getattr(p, "is_flag", False):
            continue
        desc = p.type_descriptor
        bare = p.bare_type().removeprefix("list[").removesuffix("]")
        if p.param_type_name == "argument":
            name = (p.name or "arg").upper()
            p.metavar = name
            usage = (name if p.required else f"[{name}]") + ("..." if p.nargs != 1 else "")
            # typer adds the type (<path>) after the name and braces in the usage line
            p.display_type_rich = lambda ctx: None
            p._usage_display_name = lambda usage=usage: usage
            continue
        elif p.name in METAVARS:
            p.metavar = METAVARS[p.name]
        elif desc.is_choice:
            p.metavar = "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
        else:
            p.metavar = {"int": "N", "float": "X", "Path": "PATH"}.get(bare, "TEXT")
    return command


# Words ending in a full stop that do not end a sentence: a help text's "e.g. ACLED" or
# "A vs. B" must not be cut there. "etc." is not one: it often ends a sentence.
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "vs.", "cf.", "approx.", "ca.", "incl.", "resp."})


def first_sentence(text: str) -> str:
    """The first sentence of a help text's first paragraph, its lines joined: up to a full stop
    followed by a word that does not begin in lower case (or by the end), as click's own short
    help cuts it, except after an abbreviation (`ABBREVIATIONS`, in any case, after an opening
    bracket or quote); the whole paragraph when it has no full stop."""
    words = text.strip().partition("\n\n")[0].split()
    for i, word in enumerate(words):
        if not word.endswith(".") or word.lstrip("([{\"'").lower() in ABBREVIATIONS:
            continue
        if i == len(words) - 1 or not words[i + 1][0].islower():
            return " ".join(words[: i + 1])
    return " ".join(words)


class Group(TyperGroup):
    """The command group, with plain placeholders in each command's help, and command-line
    usage errors (a bad option value, an unknown option, a missing argument) as the project's
    one located line with exit code 2 instead of click's usage box."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        import sys

        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except Exception as exc:
            # click's exceptions (typer vendors its own copy in recent versions, so matched by
            # their interface): a usage error exits 2, as every input error here does.
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                # `conflict-sim` or a command group alone asks for its help, not a usage error
                print(exc.ctx.get_help())
                sys.exit(0)
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                if type(exc).__name__ == "Abort":
                    print("Aborted.", file=sys.stderr)
                    sys.exit(1)
                raise
            param = getattr(exc, "param", None)
            field = max(param.opts, key=len) if param is not None and param.opts else ""
            if not field:
                field = getattr(exc, "option_name", None) or (param.name if param else "")
            message = " ".join(exc.format_message().split())
            print(f"error: <command line>:1:1: {field}: {message}", file=sys.stderr)
            sys.exit(exc.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        return plain_metavars(cmd) if cmd is not None else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with the whole first sentence of its help, wrapped (click cuts it with
        '...'; the docstring's first line cut it mid-sentence where the sentence runs on)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, first_sentence(cmd.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=Group,
    help="Agent-based simulation of armed conflict on a road network: theaters of war built from open data, scenarios run many times.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help wraps whole option names and defaults at any width (rich's boxes cut
    # them at 80 columns)
    rich_markup_mode=None,
)

for module in (core, theater):
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
    """The `conflict-sim` program (the console script and `python -m sim.cli`).

    When the command is done the process ends, and the interpreter's last garbage collections
    would walk every object still alive (Mesa, pandas and SciPy's modules, the run's tables):
    about 0.3 s of CPU after a `run`, a quarter of what `python -c "import mesa"` costs in all.
    Freezing them first (`gc.freeze`, which moves them out of the collector's generations) skips
    that walk; atexit handlers and the flushing of files and streams still happen as before.
    Only here, where the process is about to exit: not in `app`, which tests call in-process.
    """
    import gc

    import sim.commands

    sim.commands.PROGRAM = True
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":  # python -m sim.cli
    main()
