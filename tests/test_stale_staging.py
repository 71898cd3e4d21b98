"""Tidying what an interrupted writer left beside its folder never touches what is not ours, and
never leaves the folder missing when a complete old copy of it is there (property test)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.outdir import STAGING_MARKER, clean_stale_staging

SUFFIX = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=8, max_size=8)
KINDS = ("staging", "old-ours", "old-partial", "users", "users-file")
COMPLETE = {"versions": {"conflict-sim": "0.1.0"}, "status": "complete"}


def make(parent: Path, kind: str, suffix: str) -> Path:
    name = {"staging": f".res.{suffix}", "users-file": f".res.{suffix}"}.get(kind, "")
    name = name or (f".res.old.{suffix}" if kind.startswith("old") else f".res.{suffix}")
    path = parent / name
    if path.exists():
        return path
    if kind == "users-file":
        path.write_text("mine")
        return path
    path.mkdir()
    if kind == "staging":
        (path / STAGING_MARKER).touch()
        (path / "runs.parquet").write_bytes(b"half")
    elif kind == "old-ours":
        (path / "manifest.json").write_text(json.dumps(COMPLETE))
    elif kind == "old-partial":
        (path / "manifest.json").write_text(json.dumps({**COMPLETE, "status": "partial"}))
    else:
        (path / "thesis.txt").write_text("mine")
    return path


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@settings(max_examples=60, deadline=None)
@given(
    entries=st.lists(st.tuples(st.sampled_from(KINDS), SUFFIX), max_size=6),
    present=st.booleans(),
)
def test_only_our_leftovers_go_and_a_complete_old_folder_comes_back(entries, present):
    parent = Path(tempfile.mkdtemp())
    try:
        made: dict[Path, str] = {}
        for kind, suffix in entries:  # the first of two entries with one name decides its kind
            made.setdefault(make(parent, kind, suffix), kind)
        final = parent / "res"
        if present:
            final.mkdir()
            (final / "manifest.json").write_text(json.dumps(COMPLETE))
        theirs = {p: snapshot(p) for p, kind in made.items() if kind in ("users", "users-file")}
        theirs |= {p: snapshot(p) for p, kind in made.items() if kind == "old-partial"}
        clean_stale_staging(final)
        for path, before in theirs.items():
            assert path.exists() and snapshot(path) == before, path
        assert not any(p.exists() for p, kind in made.items() if kind == "staging")
        ours_old = [p for p, kind in made.items() if kind == "old-ours"]
        assert final.is_dir() == (present or bool(ours_old))
        assert not any(p.exists() for p in ours_old)
    finally:
        shutil.rmtree(parent)
