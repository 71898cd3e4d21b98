"""Input errors that the CLI prints as one line each (`file:line:col: field: message`) and exits 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        field = self.field or "(top)"
        return f"{self.file}:{self.line}:{self.col}: {field}: {self.message}"


class InputError(Exception):
    """Bad user input: one or more problems, each printed on its own line."""

    def __init__(self, problems: Iterable[Problem] | Problem | str):
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix naming the closest choice, or '' when none is close."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""
