"""Scoring runs against observations: the share of replicates that match each fact, and a score.

The scores are pure functions over the run tables (DataFrames), matched fact by fact in
`sim.fact_matching`, so they can be tested on hand-made frames and reused by `validate`,
`calibrate` and the report; `run_validation` runs an ensemble and scores it.

Scores (lower is better, 0 is perfect): the Brier score for yes/no facts and the ensemble CRPS,
in expectation over the observation's own uncertainty, for numbers (`sim.scoring`, where the
choice is explained); for the overall score a CRPS is divided by the observation's scale,
max(|centre|, width, 1), so that casualties and kilometres can be averaged with Brier scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from sim.fact_matching import control_matches, event_matches, number_values
from sim.observations import ObservationFile
from sim.scoring import brier, crps_ensemble, crps_normal_obs, crps_uniform_obs
from sim.targets import EventFilter, Target, hours_since, places_near, resolve_targets

# The scores and targets live in sim.scoring and sim.targets; they are re-exported here. What is
# matched on the run tables (select_events, controller_at, ...) lives in sim.fact_matching.
__all__ = [
    "COLUMNS",
    "EventFilter",
    "Target",
    "ValidationRun",
    "brier",
    "crps_ensemble",
    "crps_normal_obs",
    "crps_uniform_obs",
    "hours_since",
    "number_score",
    "overall",
    "places_near",
    "resolve_targets",
    "run_validation",
    "score_targets",
    "write_validation",
]

COLUMNS = ("id", "description", "kind", "source", "share_matching", "score", "score_kind")


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
    observations: Any = None,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, float] | None = None,
    workers: int = 1,
    full_window: bool = False,
    progress: bool = False,
) -> ValidationRun:
    """Load (or take) a scenario and an observations file (None: the scenario's own, its
    `observations:` field), run the ensemble and score it, next to the no-change baseline of
    `sim.baseline` (made from each run's own state). InputError (located) for bad input.

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
    if observations is None:
        from sim.scenario_observations import scenario_observations

        observations = scenario_observations(setup)
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
            "window_end": run.run_setup.scenario.end.isoformat(),
            "cut_to_observations": run.cut,
            "seconds": round(run.seconds, 2),
            **run.summary,  # its `observations` is the number of facts scored
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
