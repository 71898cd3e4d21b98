"""Another commit of this repository, checked out to run its model beside this tree's: shared by
`versus.py` (timing) and `distribution.py` (outcome distributions).

A commit goes into a temporary git worktree (`checkout`), removed again on the way out. Its code
runs in this interpreter, with the dependencies of this tree's venv, and the tree's folder first
on `PYTHONPATH` (`env_for`), which puts the tree's `sim` ahead of the editable install of this
one (setuptools' editable finder comes after the path in `sys.meta_path`); `check_model_from`
refuses a run whose `sim` came from anywhere else. A commit that needs another dependency than
this venv has cannot be run this way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commit_of(rev: str) -> str:
    """The full SHA-1 of `rev` in this repository; ValueError if it names no commit."""
    out = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise ValueError(f"{rev!r} names no commit in {ROOT}")
    return out.stdout.strip()


def describe_working_tree() -> str:
    """`<HEAD's short SHA>` of this checkout, with `+changes` when files differ from it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return f"{head}+changes" if dirty else head


@contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """`rev` checked out (detached) into a temporary git worktree, removed on exit."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), rev],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )


def env_for(tree: Path) -> dict[str, str]:
    """The environment that runs `tree`'s model in this interpreter."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def check_model_from(tree: Path, sim_file: str) -> None:
    """RuntimeError unless `sim_file` (a child's `sim.__file__`) lies inside `tree`."""
    if not Path(sim_file).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"{tree} ran the model in {sim_file}: not the tree asked for")


def model_source(tree: Path) -> Path:
    """Where a child started with `env_for(tree)` imports `sim` from (checked to be `tree`)."""
    out = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        cwd=tree, env=env_for(tree), capture_output=True, text=True, check=True,
    )  # fmt: skip
    sim_file = out.stdout.strip()
    check_model_from(tree, sim_file)
    return Path(sim_file)
