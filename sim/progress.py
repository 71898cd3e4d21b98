"""Progress for long work: a bar with rate and time left on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Lines:
    """Periodic plain lines for logs and CI: at most one every `every` seconds, and the last."""

    def __init__(self, label: str, total: int, every: float = 5.0, completed: int = 0):
        self.label, self.total, self.every = label, total, every
        self.completed = completed  # done before this session (a resumed sweep)
        self.start = self.last = time.monotonic()

    def __call__(self, done: int, total: int | None = None) -> None:
        total = total or self.total
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        rate = (done - self.completed) / max(now - self.start, 1e-9)
        left = (total - done) / rate if rate > 0 else float("inf")
        print(
            f"{self.label}: {done}/{total} ({rate:.2f}/s, {left:.0f} s left)",
            file=sys.stderr,
            flush=True,
        )


@contextmanager
def progress(label: str, total: int, enabled: bool = True, completed: int = 0) -> Iterator:
    """Yield `update(done, total)`; a rich bar on a terminal, periodic lines otherwise."""
    if not enabled:
        yield lambda done, total=None: None
        return
    if not sys.stderr.isatty():
        yield _Lines(label, total, completed=completed)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.2f}/s" if task.speed else "-/s")

    cols = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        Rate(),
        TimeRemainingColumn(),
    )
    with Progress(*cols, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total, completed=completed)
        yield lambda done, total=None: bar.update(task, completed=done)
