"""Running a scenario: one replicate, or an ensemble of seeded replicates, as DataFrames.

Seeds come from `numpy.random.SeedSequence(base, spawn_key=(point, replicate))`, so a run's
result depends only on the base seed, its design point and its replicate number: never on the
number of workers or the order in which runs finish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.columns import Columns
from sim.config import Setup
from sim.errors import InputError, Problem
from sim.network import RoadNetwork, build_network
from sim.params import ParamRegistry

TABLES = ("runs", "timeseries", "control", "units", "events")


def seed_for(base_seed: int, point: int, replicate: int) -> int:
    """The seed of one run, derived from the base seed, design point and replicate; a negative
    base seed is an InputError (numpy's SeedSequence takes none)."""
    if int(base_seed) < 0:
        raise InputError(Problem("seed", 1, 1, "seed", f"{base_seed} is negative: give 0 or more"))
    ss = np.random.SeedSequence(entropy=int(base_seed), spawn_key=(int(point), int(replicate)))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass
class RunSpec:
    """What one run needs besides the setup: its id, design point, replicate, seed and overrides."""

    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: dict[str, float] = field(default_factory=dict)


@dataclass
class RunOutput:
    """One run's summary row and its tables (rows as dicts are taken too, and kept as columns)."""

    summary: dict[str, Any]
    timeseries: Columns
    control: Columns
    units: Columns
    events: Columns

    def __post_init__(self) -> None:
        for name in TABLES[1:]:
            if not isinstance(rows := getattr(self, name), Columns):
                setattr(self, name, Columns.from_rows(rows))


_NETWORKS: dict[tuple[str, str], RoadNetwork] = {}


def network_for(setup: Setup) -> RoadNetwork:
    """Build the road network once per process and theater, reused by every run."""
    key = (setup.theater_path, setup.theater_sha256)  # an edited file builds a new network
    if key not in _NETWORKS:
        _NETWORKS[key] = build_network(setup.theater)
    return _NETWORKS[key]


def resolve_params(setup: Setup, *overrides: Mapping[str, float]) -> dict[str, float]:
    """Registry defaults, then the scenario's `set:`, then the caller's overrides in order.

    Raises InputError for an unknown key or a value out of range, or when, with the overrides,
    a `set` event of the scenario leaves a group of weights all 0 (located at the event: `check`
    saw the scenario without the overrides)."""
    registry = ParamRegistry.load(setup.theater)
    values = registry.resolve(setup.scenario.set, *overrides)
    if any(overrides):
        from sim.weights import event_problem, zeroed_group

        # The start was checked by registry.resolve; a set event's zeroing is located there.
        zeroed = zeroed_group(setup.scenario, values)
        if zeroed is not None and zeroed.event is not None:
            raise InputError(event_problem(setup, zeroed, "with the overrides given"))
    return values


def run_one(
    setup: Setup, spec: RunSpec, base_params: Mapping[str, float] | None = None
) -> RunOutput:
    """Run one replicate to the scenario's end and return its rows."""
    from sim.model import ConflictModel

    params = dict(base_params) if base_params is not None else resolve_params(setup)
    params.update(spec.overrides)
    model = ConflictModel(setup, params, spec.seed, network=network_for(setup), run_id=spec.run_id)
    model.run()
    summary = {
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        **{k: spec.overrides[k] for k in sorted(spec.overrides)},
        **model.summary(),
    }
    return RunOutput(
        summary, model.rows_timeseries, model.rows_control, model.rows_units, model.rows_events
    )


def ensemble_specs(
    replicates: int, seed: int, overrides: Mapping[str, float] | None = None, point: int = 0
) -> list[RunSpec]:
    """Run specs of an ensemble: one design point, `replicates` seeded runs."""
    return [
        RunSpec(
            run_id=r,
            point=point,
            replicate=r,
            seed=seed_for(seed, point, r),
            overrides=dict(overrides or {}),
        )
        for r in range(replicates)
    ]


@dataclass
class Tables:
    """The output contract's tables as DataFrames (see README, 'Output files')."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame
    control: pd.DataFrame
    units: pd.DataFrame
    events: pd.DataFrame

    def items(self) -> Iterable[tuple[str, pd.DataFrame]]:
        return ((name, getattr(self, name)) for name in TABLES)


_SORT_KEYS = {
    "runs": ["run_id"],
    "timeseries": ["run_id", "hour"],
    "control": ["run_id", "hour", "place"],
    "units": ["run_id", "hour", "unit"],
    "events": ["run_id", "hour"],
}


def arrow_tables(setup: Setup, outputs: Iterable[RunOutput]) -> dict[str, pa.Table]:
    """The output tables as Arrow tables, in run-id order, with clock times in the theater's
    local time (its `timezone`), whatever offset the scenario was written in.

    Built column by column in Arrow: about a third of the cost of pandas' DataFrame-from-rows,
    which a sweep of short runs pays for every run; sweep workers write these as they are.
    """
    outputs = sorted(outputs, key=lambda o: o.summary["run_id"])
    start = pd.Timestamp(setup.scenario.start).tz_convert(setup.theater.tzinfo())
    out = {"runs": _arrow([o.summary for o in outputs])}
    for name in TABLES[1:]:
        columns = Columns.concat(getattr(o, name) for o in outputs)
        table = pa.table({k: _column(k, values) for k, values in columns.items()})
        if table.num_rows:
            table = table.sort_by([(key, "ascending") for key in _SORT_KEYS[name]])  # stable
            hours = table.column("hour").to_numpy()
            clock = pa.array(start + pd.to_timedelta(hours, unit="h"))
            table = table.add_column(2, "time", clock)
        out[name] = table
    return out


def _arrow(rows: list[dict]) -> pa.Table:
    keys = dict.fromkeys(k for row in rows for k in row)  # every row's keys, in first-seen order
    return pa.table({k: _column(k, [row.get(k) for row in rows]) for k in keys})


def _column(name: str, values: list) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:  # mixed types: typed the way pandas would (a string column with NaN for missing)
        return pa.Array.from_pandas(pd.Series(values))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TypeError(f"output column {name!r} mixes types Parquet cannot hold: {exc}") from exc


def to_tables(setup: Setup, outputs: Iterable[RunOutput]) -> Tables:
    """Concatenate run outputs in run-id order and add clock times, as DataFrames."""
    return Tables(**{name: t.to_pandas() for name, t in arrow_tables(setup, outputs).items()})


def concat_tables(chunks: Iterable[Tables]) -> Tables:
    """Join tables built from disjoint sets of whole runs, in run-id order (stable, so the order
    of events within a run is kept): the same frames as one `to_tables` over all the runs."""
    chunks = list(chunks)
    out = {}
    for name in TABLES:
        frames = [getattr(c, name) for c in chunks if not getattr(c, name).empty]
        if not frames:
            out[name] = pd.DataFrame()
            continue
        df = pd.concat(frames, ignore_index=True)
        out[name] = df.sort_values(_SORT_KEYS[name], kind="stable").reset_index(drop=True)
    return Tables(**out)
