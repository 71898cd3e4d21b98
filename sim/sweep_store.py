"""A sweep folder on disk: its manifest (with a backup), design, and Parquet parts checked
against the sha256 and row count the manifest recorded for each.

Every part is written by `write_part` through a temporary file of its own and renamed into
place; its sha256 and rows go into `manifest.json` (`sweep.part_files`) when its batch is
recorded as complete. Readers hash every part they read and refuse a damaged one in one line
naming it; `sim.sweep.run_sweep(resume=True)` reruns the batches of damaged or missing parts.
`manifest.backup.json` is a second copy of the manifest, written after it: a damaged
`manifest.json` is rebuilt from it on `--resume` (a batch recorded after the backup was last
written simply runs again).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError, Problem
from sim.outdir import STAGING_MARKER, new_staging, signals_held, write_atomic
from sim.runner import TABLES, Tables

MANIFEST = "manifest.json"
BACKUP = "manifest.backup.json"
DESIGN_FILE = "design.parquet"
PARTS = "parts"


def part_path(folder: Path, table: str, batch: int) -> Path:
    return Path(folder) / PARTS / f"{table}-{batch:06d}.parquet"


def part_info(data: bytes, rows: int) -> dict[str, Any]:
    """What the manifest records of a part: its sha256 and its number of rows."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "rows": int(rows)}


def write_part(data: bytes, path: Path) -> None:
    """Write a part atomically; the temporary name is unique per process and call, since a worker
    orphaned by a killed sweep may still be writing the same (identical) part."""
    write_atomic(path, data)


def resume_command(folder: str | Path, scenario: str | None = None) -> str:
    """The shell command (each word quoted) that resumes the sweep in `folder`."""
    if scenario is None:
        try:
            scenario = str(_load(Path(folder) / MANIFEST)["scenario"]["file"])
        except (InputError, OSError, KeyError, TypeError):
            scenario = "SCENARIO"
    words = ["conflict-sim", "sweep", scenario, "--out", str(folder), "--resume"]
    return shlex.join(words)


def _load(path: Path) -> dict[str, Any]:
    """A manifest file as a dict, or one located line saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem(str(path), 1, 1, "", "missing")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), 1, 1, "", f"unreadable: {exc}")) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        why = f"damaged: not valid JSON ({exc.msg})"
        raise InputError(Problem(str(path), exc.lineno, exc.colno, "", why)) from None
    if not isinstance(data, dict) or data.get("kind") != "sweep" or "sweep" not in data:
        raise InputError(Problem(str(path), 1, 1, "kind", "not a sweep manifest"))
    return data


def read_manifest(folder: str | Path, repair: bool = False) -> dict[str, Any]:
    """A sweep's manifest.

    With `repair`, a missing or damaged manifest.json is rebuilt from manifest.backup.json
    (written back in place); without it, a damaged one is refused in one line that says so.

    Raises:
        InputError: not a sweep folder, or the manifest (and its backup) cannot be read.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file() and not (folder / BACKUP).is_file():
        raise InputError(Problem(str(folder), 1, 1, "", "not a sweep folder (no manifest.json)"))
    try:
        return _load(path)
    except InputError as exc:
        first = exc
    try:
        backup = _load(folder / BACKUP)
    except InputError:
        raise first from None
    if not repair:
        p = first.problems[0]
        fix = f"{resume_command(folder, backup['scenario']['file'])} rebuilds it from {BACKUP}"
        raise InputError(Problem(p.file, p.line, p.col, p.field, f"{p.message}; {fix}")) from None
    write_manifest(backup, folder, backup_too=False)
    return backup


def write_manifest(meta: Mapping[str, Any], folder: Path, backup_too: bool = True) -> None:
    """Write manifest.json, then (by default) its backup: at any moment one of them is whole."""
    data = (json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
    write_atomic(Path(folder) / MANIFEST, data)
    if backup_too:
        write_atomic(Path(folder) / BACKUP, data)


def leftovers_only(folder: Path) -> bool:
    """Whether `folder` holds only what a sweep killed before its first manifest left: an empty
    parts/ folder, a design file and temporary files (our own names)."""
    for entry in folder.iterdir():
        if entry.name == PARTS and entry.is_dir():
            if any(not p.name.endswith(".tmp") for p in entry.iterdir()):
                return False
        elif entry.name != DESIGN_FILE and not entry.name.endswith(".tmp"):
            return False
    return True


def design_bytes(points: pd.DataFrame) -> bytes:
    """design.parquet's contents: the points with their number (column `point`)."""
    import io

    buf = io.BytesIO()
    points.reset_index().to_parquet(buf, compression="zstd", index=False)
    return buf.getvalue()


def create_sweep_folder(folder: Path, points: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Create a new sweep folder atomically: built under a staging name, then renamed, so a
    failure (a full disk) or a signal leaves nothing that blocks the next try. The design
    file's sha256 goes into the manifest (`sweep.design_sha256`)."""
    design = design_bytes(points)
    meta["sweep"]["design_sha256"] = hashlib.sha256(design).hexdigest()
    staging = new_staging(folder)
    try:
        (staging / PARTS).mkdir()
        write_atomic(staging / DESIGN_FILE, design)
        write_manifest(meta, staging)
        (staging / STAGING_MARKER).unlink()
        with signals_held():
            os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def design_problem(folder: Path, meta: Mapping[str, Any]) -> str | None:
    """Why design.parquet does not match the sha256 the manifest recorded, or None."""
    path = Path(folder) / DESIGN_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    recorded = meta["sweep"].get("design_sha256")
    if recorded is not None and hashlib.sha256(data).hexdigest() != recorded:
        return f"damaged (its sha256 differs from {MANIFEST})"
    return None


def read_design(folder: str | Path) -> pd.DataFrame:
    """The design points (index `point`, one column per swept parameter).

    Raises:
        InputError: design.parquet is missing or damaged (one line; `--resume` rebuilds it).
    """
    folder = Path(folder)
    meta = read_manifest(folder)
    why = design_problem(folder, meta)
    if why:
        fix = f"{resume_command(folder, meta['scenario']['file'])} rebuilds it"
        raise InputError(Problem(str(folder / DESIGN_FILE), 1, 1, "", f"{why}; {fix}"))
    df = pd.read_parquet(folder / DESIGN_FILE)
    return df.set_index("point")


def complete_batches(folder: str | Path, meta: Mapping[str, Any] | None = None) -> list[int]:
    meta = meta or read_manifest(folder)
    return sorted(meta["sweep"]["batches_complete"])


def part_problem(folder: Path, name: str, info: Mapping[str, Any] | None) -> str | None:
    """Why the part `name` does not match what the manifest recorded, or None if it does."""
    path = Path(folder) / PARTS / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    if info is None:
        return None  # a sweep written before parts were hashed: nothing to check against
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        return f"damaged (its sha256 differs from {MANIFEST}; {info['rows']} rows were written)"
    return None


def damaged_batches(folder: Path, meta: Mapping[str, Any]) -> dict[int, str]:
    """The complete batches whose parts are missing or damaged, with the first problem found."""
    s = meta["sweep"]
    recorded = s.get("part_files", {})
    bad: dict[int, str] = {}
    for b in s["batches_complete"]:
        for table in s["tables"]:
            name = part_path(folder, table, b).name
            why = part_problem(folder, name, recorded.get(name))
            if why:
                bad[b] = f"{PARTS}/{name} {why}"
                break
    return bad


def sweep_parts(folder: str | Path, table: str = "runs") -> list[Path]:
    """The part files of one table that belong to complete batches (for DuckDB, pyarrow).

    Raises:
        InputError: a part is missing or damaged (one line naming it).
    """
    folder = Path(folder)
    meta = read_manifest(folder)
    paths = [part_path(folder, table, b) for b in complete_batches(folder, meta)]
    _check_parts(folder, meta, paths)
    return paths


def _check_parts(folder: Path, meta: Mapping[str, Any], paths: Sequence[Path]) -> None:
    recorded = meta["sweep"].get("part_files", {})
    for path in paths:
        why = part_problem(folder, path.name, recorded.get(path.name))
        if why:
            fix = f"rerun its batch with: {resume_command(folder, meta['scenario']['file'])}"
            raise InputError(Problem(str(path), 1, 1, "", f"{why}; {fix}"))


def _read_table(paths: Sequence[Path]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [t for t in (pq.read_table(p) for p in paths) if t.num_columns]
    if not parts:
        return pd.DataFrame()
    table = pa.concat_tables(parts, promote_options="permissive")
    return table.to_pandas()


def read_sweep(folder: str | Path, tables: Sequence[str] = TABLES) -> Tables:
    """A sweep's complete runs as the output tables, in run-id order (`tables` limits which).

    Raises:
        InputError: the manifest or a part to be read is missing or damaged (one line).
    """
    folder = Path(folder)
    meta = read_manifest(folder)
    stored = set(meta["sweep"]["tables"])
    done = complete_batches(folder, meta)
    out = {}
    for name in TABLES:
        if name in tables and name in stored:
            paths = [part_path(folder, name, b) for b in done]
            _check_parts(folder, meta, paths)
            out[name] = _read_table(paths)
        else:
            out[name] = pd.DataFrame()
    return Tables(**out)


def read_runs(folder: str | Path) -> pd.DataFrame:
    """The runs table of a sweep (one row per complete run)."""
    return read_sweep(folder, tables=("runs",)).runs


_NOT_RUN_CODE = {"cli.py", "progress.py", "summary.py", "sweep_analysis.py", "validation.py"}
_NOT_RUN_CODE |= {"fact_matching.py"}
_NOT_RUN_CODE |= {"calibration.py", "observations.py", "outdir.py", "api.py", "results.py"}
_NOT_RUN_CODE |= {"sweep_store.py", "errors.py", "execution.py", "dask_cluster.py", "__init__.py"}
# Modules a sweep's runs never import (a test runs a sweep and holds it to this): comparing,
# exporting, importing event data, scoring, analysing and building theaters. A fix to one of
# them refused every resume as 'model code changed'.
NOT_IMPORTED_BY_RUNS = {
    "baseline.py", "compare.py", "compare_report.py", "discovery.py", "discovery_report.py",
    "eventfact_builders.py", "eventfacts.py", "eventplaces.py", "eventrows.py", "export.py",
    "geonames.py", "observation_checks.py", "osm_roads.py", "sample_split.py",
    "scenario_observations.py", "scoring.py", "sweep_report.py", "sweep_sensitivity.py",
    "sweep_terminal.py", "targets.py", "theater_build.py", "theater_csv.py", "theater_yaml.py",
}  # fmt: skip
_NOT_RUN_CODE |= NOT_IMPORTED_BY_RUNS


def code_digest() -> str:
    """sha256 of the package's source files that determine a run's result (the model, its
    inputs' readers, seeds and designs); reports, commands and observation scoring are left out,
    so that changing them never blocks a resume."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("report", "commands") or (
            len(rel.parts) == 1 and rel.name in _NOT_RUN_CODE
        ):
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _run_fields() -> tuple[str, ...]:
    """What a parameter entry gives a run: every field of its schema but its description."""
    from sim.params import ParamEntry

    return tuple(sorted(set(ParamEntry.model_fields) - {"unit", "source", "doc", "test"}))


def parameters_digest(path: Path) -> str:
    """sha256 of what the parameters file gives the runs: each entry's default, per-name
    defaults, range and start_only, not its unit, source, doc or test, whose rewording (a
    corrected doc) refused every resume as 'the parameters file changed'."""
    from sim.yamlsource import load_yaml

    data = load_yaml(path).data
    fields = _run_fields()
    values = {
        key: {f: entry[f] for f in fields if f in entry} if isinstance(entry, dict) else entry
        for key, entry in sorted(data.items())
    }
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def input_fingerprint(setup: Any) -> dict[str, str]:
    """A fingerprint of everything besides the sweep's settings that determines its runs: the
    theater and parameters files, the model's code, and the libraries whose random streams or
    arithmetic the runs use (the scenario's sha256 is a setting of its own)."""
    from importlib import metadata

    from sim.params import PARAMETERS_FILE

    out = {
        "theater_sha256": setup.theater_sha256,
        "parameters_sha256": parameters_digest(PARAMETERS_FILE),
        "code_sha256": code_digest(),
    }
    for pkg in ("mesa", "numpy", "networkx"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


_WHAT = {
    "theater_sha256": "the theater file",
    "parameters_sha256": "the parameters file (config/parameters.yaml)",
    "code_sha256": "conflict-sim's model code",
    "mesa": "the Mesa version",
    "numpy": "the NumPy version",
    "networkx": "the networkx version",
}


def check_inputs(stored: Mapping[str, str] | None, now: Mapping[str, str], folder: Path) -> None:
    """Refuse, in one line, a resume whose inputs differ from those the sweep started with.

    Raises:
        InputError: naming every input that changed.
    """
    if not stored:
        return  # a sweep from before inputs were fingerprinted
    changed = [_WHAT.get(k, k) for k in now if k in stored and stored[k] != now[k]]
    if changed:
        why = (
            f"{', '.join(changed)} changed since the sweep started, so resumed runs would not "
            "match the saved ones; restore the inputs, or start a new sweep in another --out"
        )
        raise InputError(Problem(str(folder / MANIFEST), 1, 1, "inputs", why))


def not_new_sweep(folder: Path) -> str:
    """Why a new sweep cannot be written to an existing `--out` (`sweep` without `--resume`;
    an empty folder it takes)."""
    if not folder.is_dir():
        return "is a file, not a folder"
    if (folder / BACKUP).is_file() or _kind(folder / MANIFEST) in ("sweep", None):
        return "already exists; add --resume to continue that sweep, or choose another --out"
    return (
        "is not a sweep folder (it holds files: a run's results or your own); choose another --out"
    )


def _kind(manifest: Path) -> str | None:
    """A manifest's `kind` ('sweep'; '' for a run's, which has none, or when there is no
    manifest), None when it is there but unreadable (a damaged one `--resume` repairs)."""
    if not manifest.is_file():
        return ""
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    return str(data.get("kind", "")) if isinstance(data, dict) else None
