"""Results on disk: Parquet tables, manifest.json and network.json, written atomically.

A results folder is built under a temporary name beside its destination and renamed into place
only when complete, so an interrupted or failed run never leaves a half-written folder.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Setup
from sim.network import RoadNetwork
from sim.outdir import (
    STAGING_MARKER,
    TEMP_NAME,
    check_writable,
    clean_stale_staging,
    new_staging,
    output_lock,
    signals_held,
    write_atomic,
)
from sim.runner import TABLES, Tables, network_for


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("conflict-sim", "mesa", "numpy", "pandas", "pyarrow", "plotly"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet with zstd, no index; written to a temporary file of its own and renamed."""
    buf = io.BytesIO()
    df.to_parquet(buf, compression="zstd", index=False)
    write_atomic(path, buf.getvalue())


def write_json(data: Any, path: Path) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(path, text.encode("utf-8"))


RESULT_MARKERS = ("manifest.json", "calibration.json")
"""A folder holding one of these, written by conflict-sim, is a results folder of ours."""


def _ours(folder: Path) -> str | None:
    """Why `folder` is not a complete results folder of ours, or None when it is one.

    Ours means: a `manifest.json` (run, validate) or `calibration.json` (calibrate) that parses as
    JSON, names conflict-sim's version, and says `status: complete`. A sweep folder is ours too but
    is never replaced by a single run (its runs may have taken hours)."""
    for name in RESULT_MARKERS:
        path = folder / name
        if not path.is_file():
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return f"its {name} is unreadable"
        if not isinstance(meta, dict) or "conflict-sim" not in meta.get("versions", {}):
            return f"its {name} was not written by conflict-sim"
        if "sweep" in meta:
            return "it is a sweep folder"
        if meta.get("status") != "complete":
            return f"its {name} says status {meta.get('status')!r}, not 'complete'"
        return None
    return "it is not empty and holds no conflict-sim results (no manifest.json)"


FIGURES_DIR = "figures"
"""Where `plot --format` writes a results folder's figures by default."""


def export_default_name(fmt: str) -> str:
    """The file `export --format FMT` writes into a results folder by default."""
    return f"events-{fmt}.csv"


def _export_defaults() -> set[str]:
    from sim.eventdata import FORMATS

    return {export_default_name(f) for f in FORMATS}


OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""What file browsers leave in any folder they show: nobody's work."""

RESULT_ENTRIES = frozenset(
    {f"{t}.parquet" for t in TABLES}
    | {"manifest.json", "network.json", "report.html", "validation.parquet"}  # run, validate
    | {"calibration.json", "calibrated.yaml", "history.parquet"}  # calibrate
    | _export_defaults()
    | {FIGURES_DIR}
    | OS_LITTER
)
"""What conflict-sim writes into a results folder, its own commands' default outputs inside it
included: replacing the folder may remove these, and nothing else."""

FIGURE_SUFFIXES = frozenset({".png", ".svg", ".pdf", ".jpeg", ".jpg", ".webp", ".html"})


def _ours_inside(name: str, allowed: frozenset[str] = OS_LITTER) -> bool:
    return bool(TEMP_NAME.match(name)) or name in allowed


def foreign_entries(folder: Path) -> list[str]:
    """Entries of a results folder that are not part of its results (`RESULT_ENTRIES`; in
    `figures/`, anything but figure files; a temporary file a killed write of ours left is
    ours), sorted: a user's notes, an export given its own name, a compare.html sent there.
    Replacing the folder would delete them."""
    out = []
    for entry in sorted(folder.iterdir()):
        if not _ours_inside(entry.name, RESULT_ENTRIES):
            out.append(entry.name)
        elif entry.name == FIGURES_DIR and entry.is_dir():
            out.extend(
                f"{FIGURES_DIR}/{f.name}"
                for f in sorted(entry.iterdir())
                if not (f.is_file() and f.suffix.lower() in FIGURE_SUFFIXES)
                and not _ours_inside(f.name)
            )
    return out


def inputs_inside(folder: Path, inputs: Iterable[str | Path | None]) -> list[str]:
    """The command's input files that lie inside `folder` (relative to it), sorted: replacing
    the folder would delete what the command is reading (a `calibrated.yaml` given to
    `run --set-file` and `--out` the calibration's folder)."""
    if not folder.is_dir():
        return []
    root = folder.resolve()
    out = []
    for path in inputs:
        if path is None:
            continue
        full = Path(path).resolve()
        if full.is_relative_to(root):
            out.append(str(full.relative_to(root)))
    return sorted(out)


def check_output(folder: str | Path, option: str = "--out") -> Path:
    """Refuse an output path that writing results there would destroy; return it as a Path.

    Allowed: a path that does not exist, an empty folder, or a complete results folder of ours
    holding nothing but what conflict-sim writes there (the new results replace it). Refused: a
    file, any other folder, and a results folder with files of the user's in it
    (`foreign_entries`), so that a user's own files are never deleted.

    Raises:
        InputError: one line naming the path and why it is refused.
    """
    from sim.errors import InputError, Problem

    folder = Path(folder)
    reason = None
    if folder.exists() and not folder.is_dir():
        reason = "is a file, not a folder"
    elif folder.is_dir() and any(folder.iterdir()):
        why = _ours(folder)
        if why is not None:
            reason = f"would be replaced, but {why}; choose another folder"
        elif foreign := foreign_entries(folder):
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            reason = (
                f"would be replaced, but it also holds {shown}, which are not part of its "
                "results; move them out or choose another folder"
            )
    if reason is not None:
        raise InputError(Problem(option, 1, 1, "out", f"{folder} {reason}"))
    return folder


@contextmanager
def claim_output(
    folder: str | Path, option: str = "--out", inputs: Iterable[str | Path | None] = ()
) -> Iterator[Path]:
    """Hold `folder` for one writer for the block, after checking that it may be written.

    In order: the writer's lock (a second writer is refused), what an interrupted run left
    beside the folder is tidied, the folder is checked with `check_output`, and an existing
    folder is checked to be writable: all before any simulation.

    `inputs`: the files the command reads (scenario, set file, observations); a folder holding
    one is refused, since replacing it would delete it (`inputs_inside`).

    Raises:
        InputError: one line, when another writer holds the folder, or it may not be written.
    """
    from sim.errors import InputError, Problem

    with output_lock(folder, option) as held:
        clean_stale_staging(held)
        check_output(held, option)
        inside = inputs_inside(held, inputs)
        if inside:
            why = (
                f"{held} would be replaced, but it holds {', '.join(inside)}, which this command "
                "reads; write the results to another folder"
            )
            raise InputError(Problem(option, 1, 1, "out", why))
        if held.is_dir():
            check_writable(held, option)
        yield held


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces `final` only if the block succeeds.

    `final` is checked with `check_output` before and again at the swap, so the only thing ever
    replaced is an empty folder or a complete results folder of ours. The staging folder holds
    a marker, so that one left by a killed process is recognised and removed by the next
    writer (`claim_output`). Ctrl-C and SIGTERM wait until the swap is done, so it leaves the
    old folder or the new one, never neither.

    Raises:
        InputError: `final` is a file or a folder that is not ours (see `check_output`).
        OSError: writing failed (a full disk): the staging folder is removed, `final` unchanged.
    """
    final = check_output(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_staging(final)
    try:
        yield tmp
        check_output(final)
        (tmp / STAGING_MARKER).unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    with signals_held():
        if final.exists():
            # A unique name: two writers never share it, and a stale one is never ours to delete.
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old.", dir=final.parent))
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def network_json(setup: Setup, net: RoadNetwork) -> dict[str, Any]:
    """The resolved network, faction styling and the theater's report choices (map labels,
    front marks, map extent), so a report needs only the results folder."""
    from sim.theater_view import report_settings

    g = net.graph
    return {
        "theater": setup.theater.name,
        "factions": {
            k: {"name": f.name, "color": f.color} for k, f in setup.theater.factions.items()
        },
        "nodes": [
            {
                "name": n,
                "lat": d["lat"],
                "lon": d["lon"],
                "kind": d["kind"],
                "waypoint": d["waypoint"],
                "population": d["population"],
                "axis_km": net.axis_km.get(n),
            }
            for n, d in g.nodes(data=True)
        ],
        "edges": [{"a": a, "b": b, "km": km} for a, b, km in g.edges(data="km")],
        "axis": net.axis,
        "report": report_settings(setup.theater),
    }


def manifest(
    setup: Setup,
    params: Mapping[str, float],
    overrides: Mapping[str, float],
    seed: int,
    replicates: int,
    tables: Tables | None = None,
    status: str = "complete",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    s = setup.scenario
    out: dict[str, Any] = {
        "scenario": {
            "file": setup.scenario_path,
            "sha256": setup.scenario_sha256,
            "title": s.title,
            "description": s.description,
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "hours": s.hours,
            "sample_every_hours": s.sample_every_hours,
            "facts": s.facts,
        },
        "theater": {
            "file": setup.theater_path,
            "name": setup.theater.name,
            "sha256": setup.theater_sha256,
            # Times shown are local: hours since the start become clock times in this zone
            # (elapsed hours, across a daylight-saving change), which the start's offset alone
            # does not give.
            "timezone": setup.theater.timezone,
        },
        "parameters": dict(sorted(params.items())),
        "overrides": dict(sorted(overrides.items())),
        "seed": seed,
        "replicates": replicates,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": status,
    }
    if tables is not None:
        out["tables"] = {name: len(df) for name, df in tables.items()}
    if extra:
        out.update(extra)
    return out


def write_results(
    folder: str | Path,
    setup: Setup,
    tables: Tables,
    params: Mapping[str, float],
    overrides: Mapping[str, float],
    seed: int,
    replicates: int,
    *,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    extra: Mapping[str, Any] | None = None,
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """Write a results folder atomically: the tables (and any extra ones), manifest and network;
    `finish` adds to the staged folder (the report) before it is renamed into place."""
    with staged_dir(Path(folder)) as tmp:
        for name, df in [*tables.items(), *(extra_tables or {}).items()]:
            write_parquet(df, tmp / f"{name}.parquet")
        meta = manifest(setup, params, overrides, seed, replicates, tables, extra=extra)
        write_json(meta, tmp / "manifest.json")
        write_json(network_json(setup, network_for(setup)), tmp / "network.json")
        if finish is not None:
            finish(tmp)
    return Path(folder)


def read_results(folder: str | Path) -> tuple[Tables, dict[str, Any], dict[str, Any]]:
    """Read a results folder back: tables, manifest and network."""
    folder = Path(folder)
    tables = Tables(
        **{name: pd.read_parquet(folder / f"{name}.parquet") for name in Tables.__annotations__}
    )
    meta = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    net = json.loads((folder / "network.json").read_text(encoding="utf-8"))
    return tables, meta, net
