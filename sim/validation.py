"""Scoring runs against observations: the share of replicates that match each fact, and a score.

Everything here is a pure function over the run tables (DataFrames), so it can be tested on
hand-made frames and reused by `validate`, `calibrate` and the report.

Scores (lower is better, 0 is perfect): the Brier score for yes/no facts and the ensemble CRPS,
in expectation over the observation's own uncertainty, for numbers (`sim.scoring`, where the
choice is explained); for the overall score a CRPS is divided by the observation's scale,
max(|centre|, width, 1), so that casualties and kilometres can be averaged with Brier scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from sim.eventdata import INCIDENT_AS
from sim.observations import ObservationFile, is_cumulative
from sim.scoring import brier, crps_ensemble, crps_normal_obs, crps_uniform_obs
from sim.targets import EventFilter, Target, hours_since, places_near, resolve_targets

# The scores and targets live in sim.scoring and sim.targets; they are re-exported here.
__all__ = [
    "COLUMNS",
    "EventFilter",
    "Target",
    "ValidationRun",
    "brier",
    "control_matches",
    "controller_at",
    "crps_ensemble",
    "crps_normal_obs",
    "crps_uniform_obs",
    "event_end_hours",
    "event_matches",
    "hours_since",
    "kind_mask",
    "number_score",
    "number_values",
    "overall",
    "places_near",
    "resolve_targets",
    "run_validation",
    "score_targets",
    "select_events",
    "series_at",
    "write_validation",
]

COLUMNS = ("id", "description", "kind", "source", "share_matching", "score", "score_kind")
_FIGHTING = re.compile(r"^\s*(\d+(?:\.\d+)?) h of fighting")


# --- matching on the run tables --------------------------------------------------------------


def _by_run(values: pd.Series, run_ids: Iterable[int], fill: Any) -> pd.Series:
    out = values.reindex(pd.Index(list(run_ids), name="run_id"))
    return out.fillna(fill) if fill is not None else out


def controller_at(control: pd.DataFrame, place: str, hour: float) -> pd.Series:
    """Each run's controller of `place` at `hour`: the last sample at or before it."""
    rows = control[control["place"] == place]
    before = rows[rows["hour"] <= hour + 1e-9]
    first = rows.sort_values("hour").groupby("run_id").head(1)
    if before.empty:
        return first.set_index("run_id")["controller"]
    last = before.loc[before.groupby("run_id")["hour"].idxmax()].set_index("run_id")["controller"]
    missing = first.set_index("run_id")["controller"].drop(last.index, errors="ignore")
    return pd.concat([last, missing]).sort_index()


def control_matches(
    control: pd.DataFrame,
    place: str,
    controllers: Sequence[str],
    start: float,
    end: float,
    mode: str,
    run_ids: Iterable[int],
) -> pd.Series:
    """Per run: did `place` have one of `controllers` at `start` (mode 'at'), at `end` ('end'),
    or at every sample from `start` to `end` ('throughout')?"""
    allowed = set(controllers)
    run_ids = list(run_ids)
    if mode == "at":
        ok = controller_at(control, place, start).isin(allowed)
    elif mode == "end":
        ok = controller_at(control, place, end).isin(allowed)
    elif mode == "throughout":
        first = controller_at(control, place, start).isin(allowed)
        rows = control[
            (control["place"] == place) & (control["hour"] > start) & (control["hour"] <= end)
        ]
        inside = rows.assign(ok=rows["controller"].isin(allowed)).groupby("run_id")["ok"].all()
        ok = first & _by_run(inside, first.index, True).astype(bool)
    else:
        raise ValueError(f"unknown control mode {mode!r}")
    return _by_run(ok, run_ids, False).astype(bool)


def event_end_hours(events: pd.DataFrame) -> pd.Series:
    """When each event ends: `hour + duration_hours` where the table has that column; for an
    engagement logged as 'N h of fighting at ...', its start plus N; otherwise its start."""
    if "duration_hours" in events.columns:
        return events["hour"] + events["duration_hours"].fillna(0.0)
    text = events["text"] if "text" in events.columns else pd.Series("", index=events.index)
    hours = text.astype(str).str.extract(_FIGHTING, expand=False).astype(float)
    fighting = (events["kind"] == "engagement") & hours.notna()
    return events["hour"] + np.where(fighting, hours.fillna(0.0), 0.0)


def kind_mask(events: pd.DataFrame, kind: str) -> pd.Series:
    """Boolean mask, one per event row: the row is of `kind`, or a violation whose fire
    (`detail`) is of that kind (`sim.eventdata.INCIDENT_AS`)."""
    mask = events["kind"] == kind
    details = INCIDENT_AS.get(kind)
    if details and "detail" in events.columns:
        mask |= (events["kind"] == "violation") & events["detail"].isin(details)
    return mask


def select_events(events: pd.DataFrame, flt: EventFilter, start: float, end: float) -> pd.DataFrame:
    """Events matching a filter that overlap [start, end] (an engagement counts while it lasts)."""
    if events.empty:
        return events
    ev = events
    mask = pd.Series(True, index=ev.index)
    if flt.kind is not None:
        mask &= kind_mask(ev, flt.kind)
    if flt.places is not None:
        mask &= ev["place"].isin(flt.places)
    # An event of N hours covers [hour, hour + N): one ending as a window starts is not in it.
    ongoing = (event_end_hours(ev) > start + 1e-9) | (ev["hour"] >= start - 1e-9)
    mask &= (ev["hour"] <= end + 1e-9) & ongoing
    if flt.min_casualties > 0:
        mask &= ev["casualties"].fillna(0) >= flt.min_casualties
    if flt.factions or flt.attacker or flt.target:
        parts = ev["factions"].fillna("").astype(str).str.split(",")
        if flt.factions:
            need = set(flt.factions)
            mask &= parts.map(lambda p: need.issubset(p))
        if flt.attacker:
            mask &= parts.map(lambda p: len(p) > 0 and p[0] == flt.attacker)
        if flt.target:
            mask &= parts.map(lambda p: len(p) > 1 and p[1] == flt.target)
    return ev[mask]


def event_matches(
    events: pd.DataFrame, flt: EventFilter, start: float, end: float, run_ids: Iterable[int]
) -> pd.Series:
    """Per run: did at least one matching event happen in the window?"""
    hits = select_events(events, flt, start, end)
    counts = hits.groupby("run_id").size() if not hits.empty else pd.Series(dtype=int)
    return _by_run(counts > 0, run_ids, False).astype(bool)


def series_at(timeseries: pd.DataFrame, column: str, hour: float) -> pd.Series:
    """Each run's value of a timeseries column at `hour` (the last sample at or before it)."""
    before = timeseries[timeseries["hour"] <= hour + 1e-9]
    if before.empty:
        before = timeseries.sort_values("hour").groupby("run_id").head(1)
    idx = before.groupby("run_id")["hour"].idxmax()
    return before.loc[idx].set_index("run_id")[column].astype(float)


def number_values(tables: Any, target: Target, run_ids: Iterable[int]) -> pd.Series:
    """Per run: the simulated value of a number observation."""
    run_ids = list(run_ids)
    metric = target.metric or ""
    if metric.startswith("event_"):
        hits = select_events(tables.events, target.filter, target.start, target.end)
        if metric == "event_count":
            vals = hits.groupby("run_id").size() if not hits.empty else pd.Series(dtype=float)
        elif metric == "event_mean_casualties":  # no value in a run where no event matched
            if hits.empty:
                return _by_run(pd.Series(dtype=float), run_ids, None)
            return _by_run(hits.groupby("run_id")["casualties"].mean(), run_ids, None)
        else:
            col = "casualties" if metric == "event_casualties" else "civilian_casualties"
            vals = hits.groupby("run_id")[col].sum() if not hits.empty else pd.Series(dtype=float)
        return _by_run(vals.astype(float), run_ids, 0.0)
    ts = tables.timeseries
    if target.mode == "at" or not is_cumulative(metric):
        vals = series_at(ts, metric, target.end)
    else:
        vals = series_at(ts, metric, target.end) - series_at(ts, metric, target.start)
    return _by_run(vals, run_ids, None)


def number_score(values: np.ndarray, target: Target) -> tuple[float, float, float]:
    """(share within the observed range, CRPS, CRPS divided by the observation's scale).

    Runs without a value (NaN: a mean over no events) count as not matching and are left out
    of the CRPS; with no value at all the CRPS is NaN."""
    values = np.asarray(values, dtype=float)
    n_runs = len(values)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return 0.0, math.nan, math.nan
    if target.low is not None and target.high is not None:
        lo, hi = target.low, target.high
        crps = crps_uniform_obs(values, lo, hi)
        centre, width = 0.5 * (lo + hi), hi - lo
    else:
        sd = target.sd or 0.0
        lo, hi = target.value - 2 * sd, target.value + 2 * sd  # type: ignore[operator]
        crps = crps_normal_obs(values, target.value, sd)  # type: ignore[arg-type]
        centre, width = target.value, 4 * sd  # type: ignore[assignment]
    share = float(np.sum((values >= lo - 1e-9) & (values <= hi + 1e-9)) / n_runs)
    scale = max(abs(centre), width, 1.0)
    return share, crps, crps / scale


def _summary(values: np.ndarray) -> str:
    if len(values) == 0:
        return ""
    q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    return f"median {q50:.3g} (90%: {q05:.3g}-{q95:.3g})"


def score_targets(targets: Sequence[Target], tables: Any) -> pd.DataFrame:
    """One row per observation: share of replicates matching it, its score and what was simulated."""
    run_ids = sorted(tables.runs["run_id"].tolist())
    rows = []
    for t in targets:
        row: dict[str, Any] = {
            "id": t.id,
            "description": t.description,
            "kind": t.kind,
            "source": t.source,
            "source_date": t.source_date.isoformat(),
            "weight": t.weight,
            "after_ceasefire": t.after_ceasefire,
            "observed": t.observed,
            "n_runs": len(run_ids),
        }
        if t.kind == "number":
            values = number_values(tables, t, run_ids).to_numpy(dtype=float)
            share, crps, norm = number_score(values, t)
            values = values[~np.isnan(values)]
            row.update(
                share_matching=share,
                score=norm,
                score_kind="crps_normalised",
                crps=crps,
                simulated=_summary(values),
            )
        else:
            if t.kind == "control":
                ok = control_matches(
                    tables.control, t.place, t.controllers, t.start, t.end, t.mode, run_ids
                )
            else:
                ok = event_matches(tables.events, t.filter, t.start, t.end, run_ids)
            share = float(ok.mean()) if len(ok) else 0.0
            row.update(
                share_matching=share,
                score=brier(share, 1.0),
                score_kind="brier",
                crps=math.nan,
                simulated=f"{int(ok.sum())} of {len(ok)} runs",
            )
        rows.append(row)
    df = pd.DataFrame(rows)
    order = [*COLUMNS, *[c for c in df.columns if c not in COLUMNS]]
    return df[order] if not df.empty else pd.DataFrame(columns=order)


def overall(scores: pd.DataFrame) -> dict[str, float]:
    """Weighted means: Brier over yes/no facts, normalised CRPS over numbers, and both together
    (the single number calibration minimises); NaN where a kind is absent."""

    def wmean(df: pd.DataFrame) -> float:
        df = df[df["score"].notna()]
        if df.empty:
            return math.nan
        return float(np.average(df["score"], weights=df["weight"]))

    yes_no = scores[scores["score_kind"] == "brier"]
    numbers = scores[scores["score_kind"] == "crps_normalised"]
    return {
        "score": wmean(scores),
        "brier": wmean(yes_no),
        "crps_normalised": wmean(numbers),
        "share_matching": float(scores["share_matching"].mean()) if len(scores) else math.nan,
        "observations": len(scores),
    }


# --- running a validation (what `conflict-sim validate` and the Python API call) -------------


@dataclass
class ValidationRun:
    """An ensemble scored against observations, with everything needed to write it out."""

    setup: Any  # the scenario as loaded
    run_setup: Any  # the scenario as run (cut to the observed days unless full_window)
    observations: ObservationFile
    params: dict[str, float]
    overrides: dict[str, float]
    replicates: int
    seed: int
    tables: Any
    scores: pd.DataFrame
    summary: dict[str, float]
    seconds: float
    origin: Any = None  # sim.baseline.Origin: where the no-change baseline starts
    comparison: dict[str, Any] = field(default_factory=dict)  # sim.baseline.compare

    @property
    def baseline_note(self) -> str:
        return self.origin.note(self.run_setup.scenario.start) if self.origin else ""

    @property
    def cut(self) -> bool:
        return self.run_setup.scenario.end != self.setup.scenario.end


def run_validation(
    scenario: Any,
    observations: Any,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, float] | None = None,
    workers: int = 1,
    full_window: bool = False,
    progress: bool = False,
) -> ValidationRun:
    """Load (or take) a scenario and an observations file, run the ensemble and score it,
    next to the no-change baseline of `sim.baseline` (made from each run's own state).

    Unless `full_window`, the scenario is cut to end a day after the last observation, so that
    a week of observations does not cost two months of simulation.
    """
    import time
    from pathlib import Path

    from sim.baseline import compare, forecast_origin, with_baseline
    from sim.config import Setup, load_scenario
    from sim.execution import run_specs
    from sim.observations import cut_setup, load_observations
    from sim.progress import progress as progress_bar
    from sim.runner import ensemble_specs, network_for, resolve_params, to_tables

    setup = scenario if isinstance(scenario, Setup) else load_scenario(Path(scenario))
    obs = (
        observations
        if isinstance(observations, ObservationFile)
        else load_observations(observations, setup)
    )
    run_setup = setup if full_window else cut_setup(setup, obs.last_time())
    overrides = dict(overrides or {})
    params = resolve_params(setup, overrides)
    replicates = replicates or setup.scenario.replicates
    seed = setup.scenario.seed if seed is None else seed
    started = time.perf_counter()
    specs = ensemble_specs(replicates, seed)
    with progress_bar("replicates", len(specs), enabled=progress) as update:
        outputs = run_specs(run_setup, specs, params, workers=workers, on_progress=update)
    tables = to_tables(run_setup, outputs)
    targets = resolve_targets(obs, run_setup, network_for(run_setup))
    model_scores = score_targets(targets, tables)
    origin = forecast_origin(targets)
    scores = with_baseline(model_scores, targets, tables, obs, origin)
    return ValidationRun(
        setup=setup,
        run_setup=run_setup,
        observations=obs,
        params=params,
        overrides=overrides,
        replicates=replicates,
        seed=seed,
        tables=tables,
        scores=scores,
        summary=overall(model_scores),
        seconds=time.perf_counter() - started,
        origin=origin,
        comparison=compare(scores),
    )


def _iso(start: datetime, origin: Any) -> str | None:
    from datetime import timedelta

    return (start + timedelta(hours=origin.hour)).isoformat() if origin is not None else None


def write_validation(folder: Any, run: ValidationRun, report: bool = True) -> Any:
    """Write the run tables, validation.parquet, manifest, network (and report) atomically."""
    from pathlib import Path

    from sim.api import _write_report
    from sim.results import write_results

    extra = {
        "validation": {
            "observations": str(run.observations.path),
            "window_end": run.run_setup.scenario.end.isoformat(),
            "cut_to_observations": run.cut,
            "seconds": round(run.seconds, 2),
            **run.summary,
            **run.comparison,
            "observations_file": str(run.observations.path),
            "baseline_origin": _iso(run.run_setup.scenario.start, run.origin),
            "baseline_lookback_hours": run.origin.lookback if run.origin else None,
            "baseline_note": run.baseline_note,
        }
    }
    return write_results(
        Path(folder), run.run_setup, run.tables, run.params, run.overrides, run.seed,
        run.replicates, extra_tables={"validation": run.scores}, extra=extra,
        finish=_write_report if report else None,
    )  # fmt: skip
