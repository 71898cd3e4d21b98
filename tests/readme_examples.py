"""The README's example outputs, generated from the program (`make readme`, i.e. `python -m tests.readme_examples`).

A block between `<!-- example -->` and `<!-- /example -->` holds a fenced block of `$ command`
lines, each followed by its output. This module runs every command from the project root and
writes what it printed (stdout, then stderr) under it; `--check` exits 1 when the README differs,
which `tests/test_readme_examples.py` asserts, so the examples cannot drift from the program.

`<!-- example head=N -->` keeps the first N lines of each output and marks the cut with `...`.
A `run` command writes its results folder to a temporary directory (`--out`, no report, no
progress bar: a progress line carries timings) and the output names the default folder, as
the command as written would.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?P<open><!-- example(?P<opts>[^>]*)-->\n```text\n)(?P<body>.*?)(?P<close>```\n<!-- /example -->)",
    re.S,
)
PROMPT = "$ "
PROGRAM = ".venv/bin/conflict-sim"


def run_command(line: str, executable: str) -> str:
    """One `$ .venv/bin/conflict-sim ...` line's output, as the user would see it."""
    args = shlex.split(line)
    if args[0] != PROGRAM:
        raise ValueError(f"README example commands start with {PROGRAM}: {line!r}")
    args[0] = executable
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    with tempfile.TemporaryDirectory() as tmp:
        shown = None
        if len(args) > 2 and args[1] == "run" and "--out" not in args:
            shown = f"results/{Path(args[2]).stem}"
            args += ["--out", f"{tmp}/out", "--no-report", "--quiet"]
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)
        out = proc.stdout + proc.stderr
        if shown:
            out = out.replace(f"{tmp}/out", shown)
    return "\n".join(ln.rstrip() for ln in out.rstrip("\n").splitlines())


def render_block(body: str, opts: str, executable: str) -> str:
    head = re.search(r"head=(\d+)", opts)
    commands = [ln[len(PROMPT) :] for ln in body.splitlines() if ln.startswith(PROMPT)]
    parts = []
    for cmd in commands:
        lines = run_command(cmd, executable).splitlines()
        if head and len(lines) > int(head.group(1)):
            lines = [*lines[: int(head.group(1))], "..."]
        parts.append("\n".join([PROMPT + cmd, *lines]))
    return "\n\n".join(parts) + "\n"


def render(text: str, executable: str) -> str:
    """The README text with every example block's outputs regenerated."""

    def one(m: re.Match) -> str:
        return m["open"] + render_block(m["body"], m["opts"], executable) + m["close"]

    return BLOCK.sub(one, text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    executable = str(Path(sys.executable).with_name("conflict-sim"))
    old = README.read_text(encoding="utf-8")
    new = render(old, executable)
    if "--check" in argv:
        if new != old:
            print("README.md examples differ from the program: run `make readme`", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
