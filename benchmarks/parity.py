"""Byte parity of the output tables: SHA-256 digests of every run's Parquet files, stored once
and checked after a change that must not change a result (a speed-up, a refactor).

    .venv/bin/python benchmarks/parity.py check            # full set: 4 scenarios x 5 seeds
    .venv/bin/python benchmarks/parity.py check --quick    # what tests/test_parity.py checks
    .venv/bin/python benchmarks/parity.py write            # store both sets (the model changed
                                                           # on purpose: say so in the commit)
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/parity.py write   # digests of another checkout

The full set runs each of `scenarios/*.yaml` to its end for its first 5 replicate seeds
(`ensemble_specs(5, scenario seed)`), 20 runs; the quick set runs `ceasefire_jan12` cut to its
first 3 days for 2 seeds. Each run's five tables are built and written exactly as `conflict-sim
run` writes them (`to_tables`, then `write_parquet`: pandas, zstd) and each file is digested.
A file's digest also depends on the pandas/pyarrow versions that write it (both put their
version in the file), so they are written down beside the digests, and each table also gets a
content digest (`<table>.values`: its column names and every value, floats by their exact repr)
that another pandas or pyarrow leaves as it is: `check` compares the Parquet bytes when the
versions are the ones that wrote them, the values always.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "data" / "parity_digests.json"
SCENARIOS = ("ceasefire_jan12", "no_ceasefire", "sirte_advance", "turkish_deployment")
FULL_SEEDS = 5
QUICK = {"scenario": "ceasefire_jan12", "seeds": 2, "end": "2020-01-08T00:00+02:00"}


def cut(scenario: Path, end: str, folder: Path) -> Path:
    """A copy of a scenario that ends at `end` (events after it dropped), as tests/conftest.py
    cuts its short scenario."""
    data = yaml.safe_load(scenario.read_text())
    data["end"] = end
    stop = dt.datetime.fromisoformat(end)

    def when(v: object) -> dt.datetime:
        return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))

    data["events"] = [e for e in data.get("events", []) if when(e["at"]) <= stop]
    path = folder / f"{scenario.stem}-to-{stop:%Y%m%d}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def content_digest(df) -> str:
    """SHA-256 of a table's column names and values (missing values as one token, floats by
    repr, which round-trips exactly), independent of how a library version lays out a file."""
    import math

    h = hashlib.sha256()
    for col in df.columns:
        h.update(f"\x00{col}\x01".encode())
        for v in df[col].tolist():
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("NaT", "<NA>"):
                h.update(b"\x02null")
            else:
                h.update(b"\x02" + (repr(v) if isinstance(v, float) else str(v)).encode())
    return h.hexdigest()


def run_digests(scenario: Path, seeds: int, name: str) -> dict[str, str]:
    """`{"<name>/seed<i>/<table>.parquet": sha256 of the file, ".../<table>.values": sha256 of
    its values}` for the first `seeds` replicates."""
    from sim.config import load_scenario
    from sim.results import write_parquet
    from sim.runner import ensemble_specs, resolve_params, run_one, to_tables

    setup = load_scenario(scenario)
    params = resolve_params(setup)
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in ensemble_specs(seeds, setup.scenario.seed):
            tables = to_tables(setup, [run_one(setup, spec, params)])
            for table, df in tables.items():
                path = Path(tmp) / f"{table}.parquet"
                write_parquet(df, path)
                key = f"{name}/seed{spec.replicate}/{table}"
                out[f"{key}.parquet"] = hashlib.sha256(path.read_bytes()).hexdigest()
                out[f"{key}.values"] = content_digest(df)
    return out


def compute(quick: bool) -> dict[str, str]:
    """The digests of the quick set, or of the full set."""
    if quick:
        with tempfile.TemporaryDirectory() as tmp:
            path = cut(ROOT / "scenarios" / f"{QUICK['scenario']}.yaml", QUICK["end"], Path(tmp))
            return run_digests(path, QUICK["seeds"], f"{QUICK['scenario']}-3days")
    out: dict[str, str] = {}
    for name in SCENARIOS:
        out.update(run_digests(ROOT / "scenarios" / f"{name}.yaml", FULL_SEEDS, name))
    return out


def versions() -> dict[str, str]:
    import pandas
    import pyarrow

    return {"pandas": pandas.__version__, "pyarrow": pyarrow.__version__}


def load() -> dict:
    return json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}


def differences(stored: dict[str, str], got: dict[str, str], files: bool = True) -> list[str]:
    """Keys whose digest differs, or that only one side has; `files=False` leaves out the
    Parquet files' digests (another pandas/pyarrow writes other bytes) and keeps the values'."""
    keys = stored.keys() | got.keys()
    if not files:
        keys = {k for k in keys if not k.endswith(".parquet")}
    return sorted(k for k in keys if stored.get(k) != got.get(k))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("action", choices=("check", "write"))
    ap.add_argument("--quick", action="store_true", help="only the quick set (write: only it)")
    args = ap.parse_args(argv)
    sets = ("quick",) if args.quick else ("quick", "full")
    stored = load()
    if args.action == "write":
        for name in sets:
            stored[name] = compute(name == "quick")
        stored["versions"] = versions()
        DIGESTS.parent.mkdir(parents=True, exist_ok=True)
        DIGESTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        import sim

        where = Path(sim.__file__).parent.parent
        print(f"wrote {', '.join(sets)} digests of the model in {where} to {DIGESTS}")
        return 0
    bad = 0
    same_versions = stored.get("versions") == versions()
    if not same_versions:
        print(f"digests written with {stored.get('versions')}, this is {versions()}: "
              "comparing values only, not the Parquet bytes")  # fmt: skip
    for name in sets:
        diff = differences(stored.get(name, {}), compute(name == "quick"), files=same_versions)
        print(f"{name}: {'identical' if not diff else f'{len(diff)} digests differ'}")
        for key in diff:
            print(f"  {key}")
        bad += len(diff)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
