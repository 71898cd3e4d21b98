"""Calibration: fit named parameters to observations with common random numbers.

Every candidate parameter set is run with the same replicate seeds (`seed_for(seed, 0, r)` for
replicate r), so that two candidates differ only by their parameters, not by luck; the objective
is the overall validation score (lower is better). Two methods:

- `de` (default): `scipy.optimize.differential_evolution`, seeded, a small population, the
  number of generations set by the budget, each generation evaluated in one batch (vectorised);
  no gradient polish (the objective is piecewise constant in the parameters);
- `abc`: approximate Bayesian computation by rejection over a scrambled, seeded Sobol design:
  every point is scored, the best `accept` fraction is kept as the approximate posterior.

Both report the best point, its score, and the score of the defaults on the same seeds.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Setup
from sim.errors import InputError, Problem
from sim.execution import execute, local_executor, stop_executor
from sim.params import ParamRegistry
from sim.runner import RunSpec, seed_for, to_tables
from sim.validation import Target, overall, score_targets
from sim.weights import zeroed_group

METHODS = ("de", "abc")
# The score of a candidate the model cannot run: worse than any, and no fact scored.
INFEASIBLE = {
    "score": math.inf, "brier": math.nan, "crps_normalised": math.nan,
    "share_matching": math.nan, "observations": 0,
}  # fmt: skip


@dataclass(frozen=True)
class ParamRange:
    key: str
    low: float
    high: float


def parse_param_ranges(
    items: Iterable[str], registry: ParamRegistry, origin: str = "--param"
) -> list[ParamRange]:
    """`KEY=lo:hi` strings, checked against the registry's keys and valid ranges."""
    out: list[ParamRange] = []
    seen: set[str] = set()
    for item in items:
        key, sep, spec = item.partition("=")
        key = key.strip()
        lo_s, colon, hi_s = spec.partition(":")
        if not sep or not colon or not key:
            raise InputError(Problem(origin, 1, 1, item, "expected KEY=low:high"))
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            raise InputError(
                Problem(origin, 1, 1, key, f"expected numbers in low:high, got {spec!r}")
            ) from None
        if key in seen:
            raise InputError(Problem(origin, 1, 1, key, "parameter given twice"))
        if not lo < hi:
            raise InputError(Problem(origin, 1, 1, key, f"low {lo:g} must be below high {hi:g}"))
        for v in (lo, hi):
            why = registry.check(key, v)
            if why:
                raise InputError(Problem(origin, 1, 1, key, why))
        if registry.specs[key].switch:
            why = "a switch is 0 or 1 and cannot be fitted over a range: fix it with --set"
            raise InputError(Problem(origin, 1, 1, key, why))
        seen.add(key)
        out.append(ParamRange(key, lo, hi))
    if not out:
        raise InputError(Problem(origin, 1, 1, "", "give at least one --param KEY=low:high"))
    return out


def crn_specs(
    candidates: Sequence[Mapping[str, float]], replicates: int, seed: int, first_point: int = 0
) -> list[RunSpec]:
    """Run specs for candidates x replicates: replicate r has the same seed for every candidate."""
    seeds = [seed_for(seed, 0, r) for r in range(replicates)]
    specs = []
    for c, overrides in enumerate(candidates):
        point = first_point + c
        for r in range(replicates):
            specs.append(
                RunSpec(
                    run_id=point * replicates + r,
                    point=point,
                    replicate=r,
                    seed=seeds[r],
                    overrides=dict(overrides),
                )
            )
    return specs


@dataclass
class Objective:
    """Scores candidate parameter sets on fixed seeds; keeps a history of every evaluation."""

    setup: Setup
    targets: Sequence[Target]
    base_params: Mapping[str, float]
    ranges: Sequence[ParamRange]
    replicates: int
    seed: int
    executor: Executor | None = None
    batch_size: int = 4
    on_progress: Callable[[int], None] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.ranges]

    def infeasible(self, candidate: Mapping[str, float]) -> str | None:
        """Why the model cannot run `candidate` over the base parameters (every weight of a group
        0, at the start or after a scenario `set` event: its first draw from the group would
        fail mid-run), or None. A search drawing each share from [0, x] can land on all 0."""
        zeroed = zeroed_group(self.setup.scenario, {**self.base_params, **candidate})
        return zeroed.reason if zeroed else None

    def evaluate(self, candidates: Sequence[Mapping[str, float]], label: str = "") -> list[float]:
        """Run and score candidates (all their replicates in one batch of work). A candidate
        the model cannot run (`infeasible`) is not run: it scores +inf, its `infeasible` column
        says why, and the search moves away from it."""
        first = len(self.history)
        why = [self.infeasible(c) for c in candidates]
        specs = crn_specs(candidates, self.replicates, self.seed, first_point=first)
        specs = [s for s in specs if why[s.point - first] is None]
        skipped = sum(w is not None for w in why) * self.replicates
        if skipped and self.on_progress is not None:
            self.on_progress(skipped)  # counted as done: the progress bar reaches its total
        outputs: dict[int, list] = {}
        done = 0
        for batch in execute(self.setup, specs, self.base_params, self.executor, self.batch_size):
            for out in batch:
                outputs.setdefault(out.summary["point"], []).append(out)
            done += len(batch)
            if self.on_progress is not None:
                self.on_progress(len(batch))
        scores = []
        for c, cand in enumerate(candidates):
            if why[c] is not None:
                summary = {**INFEASIBLE, "infeasible": why[c]}
            else:
                tables = to_tables(self.setup, outputs.get(first + c, []))
                summary = overall(score_targets(self.targets, tables))
            self.history.append({"candidate": first + c, "label": label, **dict(cand), **summary})
            scores.append(summary["score"])
        return scores

    def vector(self, x: np.ndarray) -> list[float]:
        """The objective for scipy: x of shape (n_params, S), one column per candidate."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[0] != len(self.ranges):
            x = x.T
        cands = [dict(zip(self.keys, map(float, col), strict=True)) for col in x.T]
        scores = self.evaluate(cands, label="search")
        return [s if math.isfinite(s) else 1e9 for s in scores]


@dataclass
class CalibrationResult:
    method: str
    ranges: list[ParamRange]
    best: dict[str, float]
    best_score: dict[str, float]
    default: dict[str, float]
    default_score: dict[str, float]
    history: pd.DataFrame
    evaluations: int
    runs: int
    seconds: float
    accepted: pd.DataFrame | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def posterior(self) -> dict[str, dict[str, float]]:
        """Median and 90% interval of each parameter over the accepted points (ABC only)."""
        if self.accepted is None or self.accepted.empty:
            return {}
        out = {}
        for r in self.ranges:
            q = self.accepted[r.key].quantile([0.05, 0.5, 0.95])
            out[r.key] = {"p05": float(q[0.05]), "median": float(q[0.5]), "p95": float(q[0.95])}
        return out


def de_shape(budget: int, n_params: int) -> tuple[int, int]:
    """(popsize multiplier, maxiter) so that DE spends about `budget` evaluations.

    scipy's population is max(5, popsize * n_params) and DE evaluates it maxiter + 1 times.
    """
    pop = max(5, min(12 * n_params, budget // 3))
    popsize = max(1, math.ceil(pop / n_params))
    pop = max(5, popsize * n_params)
    maxiter = max(0, budget // pop - 1)
    return popsize, maxiter


def planned_evaluations(budget: int, n_params: int, method: str) -> int:
    """Candidates a calibration will score, the defaults included."""
    if method == "de":
        popsize, maxiter = de_shape(budget, n_params)
        return max(5, popsize * n_params) * (maxiter + 1) + 1
    return budget + 1


def calibrate(
    setup: Setup,
    targets: Sequence[Target],
    ranges: Sequence[ParamRange],
    *,
    budget: int = 40,
    replicates: int = 4,
    seed: int = 20200112,
    method: str = "de",
    base_overrides: Mapping[str, float] | None = None,
    workers: int = 1,
    accept: float = 0.1,
    on_progress: Callable[[int, int], None] | None = None,
) -> CalibrationResult:
    """Fit `ranges` to `targets`; `budget` is the number of candidate parameter sets scored."""
    from sim.runner import resolve_params

    if method not in METHODS:
        raise InputError(Problem("--method", 1, 1, method, f"expected one of {list(METHODS)}"))
    if budget < 1:
        raise InputError(Problem("--budget", 1, 1, "budget", "must be at least 1"))
    started = time.perf_counter()
    base_params = resolve_params(setup, base_overrides or {})
    default = {r.key: float(base_params[r.key]) for r in ranges}
    total_runs = planned_evaluations(budget, len(ranges), method) * replicates
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if on_progress is not None:
            on_progress(done[0], total_runs)

    executor = local_executor(workers, start=True)  # a start cut short by Ctrl-C is noisy
    batch = max(1, min(8, replicates))
    interrupted = True  # until the search ends normally: then workers are stopped, not awaited
    try:
        obj = Objective(
            setup, targets, base_params, ranges, replicates, seed, executor, batch, tick
        )
        obj.evaluate([default], label="default")
        accepted = None
        details: dict[str, Any] = {}
        if method == "de":
            details = _run_de(obj, ranges, *de_shape(budget, len(ranges)), seed)
        else:
            accepted = _run_abc(obj, ranges, budget, seed, accept)
            details = {"design": "sobol (scrambled)", "accept": accept}
        interrupted = False
    finally:
        stop_executor(executor, interrupted=interrupted, kill=interrupted)
    history = pd.DataFrame(obj.history)
    search = history[history["label"] != "default"]
    pick = search if not search.empty else history
    best_row = pick.loc[pick["score"].fillna(np.inf).idxmin()]
    default_row = history.iloc[0]
    score_keys = ("score", "brier", "crps_normalised", "share_matching")
    return CalibrationResult(
        method=method,
        ranges=list(ranges),
        best={r.key: float(best_row[r.key]) for r in ranges},
        best_score={k: float(best_row[k]) for k in score_keys},
        default=default,
        default_score={k: float(default_row[k]) for k in score_keys},
        history=history,
        evaluations=len(history),
        runs=len(history) * replicates,
        seconds=time.perf_counter() - started,
        accepted=accepted,
        details=details,
    )


def _run_de(
    obj: Objective, ranges: Sequence[ParamRange], popsize: int, maxiter: int, seed: int
) -> dict[str, Any]:
    from scipy.optimize import differential_evolution

    bounds = [(r.low, r.high) for r in ranges]
    res = differential_evolution(
        obj.vector,
        bounds,
        popsize=popsize,
        maxiter=maxiter,
        rng=np.random.default_rng(seed),
        polish=False,
        tol=0.0,
        init="latinhypercube",
        updating="deferred",
        vectorized=True,
    )
    return {
        "popsize": popsize,
        "maxiter": maxiter,
        "generations": int(res.nit),
        "message": str(res.message),
    }


def sobol_design(ranges: Sequence[ParamRange], n: int, seed: int) -> np.ndarray:
    """n points of a scrambled Sobol sequence scaled to the ranges (rows = points)."""
    from scipy.stats import qmc

    engine = qmc.Sobol(d=len(ranges), scramble=True, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n need not be a power of 2
        unit = engine.random(n)
    return qmc.scale(unit, [r.low for r in ranges], [r.high for r in ranges])


def _run_abc(
    obj: Objective, ranges: Sequence[ParamRange], budget: int, seed: int, accept: float
) -> pd.DataFrame:
    points = sobol_design(ranges, budget, seed)
    cands = [dict(zip(obj.keys, map(float, p), strict=True)) for p in points]
    obj.evaluate(cands, label="search")
    hist = pd.DataFrame(obj.history[1:])
    keep = max(1, round(accept * len(hist)))
    return hist.nsmallest(keep, "score").reset_index(drop=True)


def set_file_text(
    result: CalibrationResult, fixed: Mapping[str, float], header: Sequence[str] = ()
) -> str:
    """calibrated.yaml: a `set:` mapping that `conflict-sim run --set-file` reads."""
    from sim.yamlsource import dump_yaml

    values = {**{k: float(v) for k, v in fixed.items()}}
    values.update({k: float(f"{v:.6g}") for k, v in result.best.items()})
    lines = [f"# {h}" for h in header]
    body = dump_yaml({"set": values})
    return "\n".join([*lines, body]) if lines else body
