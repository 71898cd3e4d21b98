"""A no-change baseline for `validate`: what "nothing changes" forecasts, scored like the model.

The baseline forecast is made from each run's own state at one forecast origin, the start of
the observation window (the earliest start among the facts scored, in the scenario's hours;
clamped to the run's start). From there:

- control stays as it was at the origin (the controller the run's control table gives at that
  hour, the same lookup the model is scored with);
- events of each kind and place continue at the rate of the look-back, the 14 days before the
  origin: a fact's filter (kind, places, factions, casualties) counts the matching events that
  began in [origin - 14 d, origin) in each run. Where the run began less than 14 days before
  the origin, the look-back is the span available; at the run's start it is empty and the
  baseline forecasts no events. Events follow a Poisson process at that rate, so the
  probability of at least one in a fact's window of W hours is 1 - exp(-rate * W), W taken as
  at least one hour (the model's step);
- numbers: for event metrics, a compound Poisson draw (the count as above; each event's
  casualties drawn from those of the look-back's matching events) sampled `SAMPLES_PER_RUN`
  times a run with a fixed seed per fact; for timeseries columns, persistence: a level stays
  at its value at the origin, and a cumulative column keeps rising at its look-back rate.

Each run's forecast is pooled over runs, like the model's ensemble: for yes/no facts the
forecast probability is the mean of the runs' probabilities (Brier score), for numbers the
pooled samples go through the same CRPS code as the model's (`sim.validation.number_score`).
The skill score is 1 - model / baseline (1 perfect, 0 no better than "nothing changes",
negative worse), computed over the facts both score; undefined (NaN) where the baseline
scores 0.

Everything here is a pure function over the run tables, generic over the event kinds and
places that appear in them.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from sim.fact_matching import by_run, controller_at, fighters_killed, select_events, series_at
from sim.observations import is_cumulative
from sim.report.labels import as_date
from sim.validation import Target, brier, number_score, overall

LOOKBACK_HOURS = 14 * 24.0
MIN_WINDOW_HOURS = 1.0
SAMPLES_PER_RUN = 200
BASELINE_SEED = 20200112
BASELINE_COLUMNS = (
    "baseline_share_matching",
    "baseline_score",
    "baseline_crps",
    "baseline_simulated",
)
SUMMARY_KEYS = ("score", "brier", "crps_normalised", "share_matching")


@dataclass(frozen=True)
class Origin:
    """When the baseline forecast is made, in hours since the run's start.

    `requested` is the observation window's start; `hour` the origin used (never before the
    run's start); `lookback` the hours of history behind it (at most `LOOKBACK_HOURS`)."""

    hour: float
    requested: float
    lookback: float
    lookback_wanted: float = LOOKBACK_HOURS

    @property
    def clamped(self) -> bool:
        return self.hour > self.requested

    def note(self, start: datetime | None = None) -> str:
        """One line saying where the forecast starts and what history it rests on; `start` (the
        scenario's, in the theater's zone) makes the origin a wall-clock time, elapsed hours
        after it (`labels.as_date`: right across a daylight-saving change)."""
        when = (
            as_date(pd.Timestamp(start), self.hour).strftime("%d %b %Y %H:%M")
            if start is not None
            else f"hour {self.hour:g}"
        )
        text = f"baseline from each run's state at {when}"
        if self.clamped:
            text += " (the observation window starts before the run: the run's start is used)"
        if self.lookback <= 0:
            return text + "; no event history before it, so it forecasts no events"
        short = (
            f", all the run has of the {self.lookback_wanted / 24:g} days wanted"
            if self.lookback < self.lookback_wanted
            else ""
        )
        return text + f"; event rates over the {self.lookback / 24:g} days before it{short}"


def forecast_origin(targets: Sequence[Target], lookback: float = LOOKBACK_HOURS) -> Origin:
    """The origin for a set of facts: the earliest start, clamped to the run's start (hour 0)."""
    requested = min((t.start for t in targets), default=0.0)
    hour = max(0.0, requested)
    return Origin(
        hour=hour, requested=requested, lookback=min(lookback, hour), lookback_wanted=lookback
    )


def window_hours(target: Target) -> float:
    """The length a Poisson rate is applied over: the fact's window, at least one model step."""
    return max(target.end - target.start, MIN_WINDOW_HOURS)


def lookback_events(events: pd.DataFrame, target: Target, origin: Origin) -> pd.DataFrame:
    """Events matching the fact's filter that began in [origin - lookback, origin)."""
    if events.empty or origin.lookback <= 0:
        return events.iloc[0:0]
    hits = select_events(events, target.filter, -math.inf, math.inf)
    begin = origin.hour - origin.lookback
    return hits[(hits["hour"] >= begin - 1e-9) & (hits["hour"] < origin.hour - 1e-9)]


def event_rates(
    events: pd.DataFrame, target: Target, origin: Origin, run_ids: Iterable[int]
) -> pd.Series:
    """Per run: matching events an hour in the look-back (0 where the look-back is empty)."""
    hits = lookback_events(events, target, origin)
    counts = hits.groupby("run_id").size() if not hits.empty else pd.Series(dtype=float)
    rates = counts.astype(float) / origin.lookback if origin.lookback > 0 else counts * 0.0
    return by_run(rates, run_ids, 0.0).astype(float)


def event_probabilities(rates: pd.Series | np.ndarray, hours: float) -> np.ndarray:
    """P(at least one event in `hours`) for Poisson processes at `rates` an hour."""
    return 1.0 - np.exp(-np.asarray(rates, dtype=float) * hours)


def control_persists(
    control: pd.DataFrame, target: Target, origin: Origin, run_ids: Iterable[int]
) -> pd.Series:
    """Per run: is the place held by an acceptable controller at the origin (and so, by
    persistence, at every time of the fact)?"""
    held = controller_at(control, target.place, origin.hour).isin(set(target.controllers))
    return by_run(held, run_ids, False).astype(bool)


def _rng(target: Target) -> np.random.Generator:
    """A stream per fact, so adding or reordering facts leaves the others' draws alone."""
    return np.random.default_rng([BASELINE_SEED, zlib.crc32(target.id.encode("utf-8"))])


def event_metric_samples(
    events: pd.DataFrame,
    target: Target,
    origin: Origin,
    run_ids: Iterable[int],
    samples: int = SAMPLES_PER_RUN,
) -> np.ndarray:
    """Pooled compound-Poisson draws of an event metric (count, casualty sums or the mean
    casualties per event; NaN where a draw has no event and the metric is a mean)."""
    run_ids = list(run_ids)
    metric = target.metric or ""
    hits = lookback_events(events, target, origin)
    pools = {}
    if not hits.empty:
        # fighters killed, as the model's own value counts them (a surrender kills no one)
        killed = (
            hits["civilian_casualties"].fillna(0.0).astype(float)
            if metric == "event_civilian_casualties"
            else fighters_killed(hits)
        )
        pools = {r: g.to_numpy(float) for r, g in killed.groupby(hits["run_id"])}
    rng = _rng(target)
    mean_counts = event_rates(events, target, origin, run_ids).to_numpy() * window_hours(target)
    out = []
    for run, lam in zip(run_ids, mean_counts, strict=True):
        n = rng.poisson(lam, size=samples)
        if metric == "event_count":
            out.append(n.astype(float))
            continue
        pool = pools.get(run, np.zeros(1))
        draws = rng.choice(pool, size=int(n.sum())) if n.sum() else np.zeros(0)
        sums = np.zeros(samples)
        np.add.at(sums, np.repeat(np.arange(samples), n), draws)
        if metric == "event_mean_casualties":
            out.append(np.where(n > 0, sums / np.maximum(n, 1), np.nan))
        else:
            out.append(sums)
    return np.concatenate(out) if out else np.zeros(0)


def series_persistence(
    timeseries: pd.DataFrame, target: Target, origin: Origin, run_ids: Iterable[int]
) -> np.ndarray:
    """Per run: a timeseries number under persistence (levels stay, cumulative columns keep
    their look-back rate); NaN for runs without the column's samples."""
    metric = target.metric or ""
    now = series_at(timeseries, metric, origin.hour)
    if is_cumulative(metric):
        if origin.lookback > 0:
            rate = (now - series_at(timeseries, metric, origin.hour - origin.lookback)) / (
                origin.lookback
            )
        else:
            rate = now * 0.0
        if target.mode == "at":
            vals = now + rate * max(target.end - origin.hour, 0.0)
        else:
            vals = rate * max(target.end - target.start, 0.0)
    else:
        vals = now
    return by_run(vals, run_ids, None).to_numpy(dtype=float)


def _row(target: Target, share: float, score: float, crps: float, text: str) -> dict[str, Any]:
    return {
        "id": target.id,
        "baseline_share_matching": share,
        "baseline_score": score,
        "baseline_crps": crps,
        "baseline_simulated": text,
    }


def baseline_scores(targets: Sequence[Target], tables: Any, origin: Origin) -> pd.DataFrame:
    """One row per fact: the baseline's share matching, score (Brier, or CRPS divided by the
    observation's scale as for the model), raw CRPS and a description of its forecast."""
    run_ids = sorted(tables.runs["run_id"].tolist())
    rows = []
    for t in targets:
        if t.kind == "control":
            held = control_persists(tables.control, t, origin, run_ids)
            share = float(held.mean()) if len(held) else 0.0
            text = f"held at the origin in {int(held.sum())} of {len(held)} runs"
            rows.append(_row(t, share, brier(share), math.nan, text))
        elif t.kind == "event":
            rates = event_rates(tables.events, t, origin, run_ids)
            p = event_probabilities(rates, window_hours(t))
            share = float(p.mean()) if len(p) else 0.0
            text = f"p {share:.2f} at {24 * float(rates.mean()):.3g} a day (mean of runs)"
            rows.append(_row(t, share, brier(share), math.nan, text))
        else:
            if (t.metric or "").startswith("event_"):
                values = event_metric_samples(tables.events, t, origin, run_ids)
            else:
                values = series_persistence(tables.timeseries, t, origin, run_ids)
            share, crps, norm = number_score(values, t)
            finite = values[~np.isnan(values)]
            text = ""
            if len(finite):
                q05, q50, q95 = np.quantile(finite, [0.05, 0.5, 0.95])
                text = f"median {q50:.3g} (90%: {q05:.3g}-{q95:.3g})"
            rows.append(_row(t, share, norm, crps, text))
    return pd.DataFrame(rows, columns=["id", *BASELINE_COLUMNS])


def skill(model: float, baseline: float) -> float:
    """1 - model / baseline for negatively oriented scores; NaN when undefined."""
    if any(isinstance(v, float) and math.isnan(v) for v in (model, baseline)) or baseline == 0:
        return math.nan
    return 1.0 - model / baseline


def compare(scores: pd.DataFrame) -> dict[str, Any]:
    """Overall model and baseline scores over the facts both score, and the skill of each.

    `scores` is a validation frame with the baseline columns. Returns {"model": {...},
    "baseline": {...}, "skill": {...}, "facts_compared": n}, each inner dict keyed by
    `SUMMARY_KEYS` (see `sim.validation.overall`)."""
    both = scores[scores["score"].notna() & scores["baseline_score"].notna()]
    model = overall(both)
    base = overall(
        both.assign(score=both["baseline_score"], share_matching=both["baseline_share_matching"])
    )
    return {
        "model": {k: model[k] for k in SUMMARY_KEYS},
        "baseline": {k: base[k] for k in SUMMARY_KEYS},
        "skill": {k: skill(model[k], base[k]) for k in SUMMARY_KEYS if k != "share_matching"},
        "facts_compared": len(both),
    }


def fact_windows(obs: Any) -> pd.DataFrame:
    """Each fact's window as ISO times (an `at` fact's window is that instant) and its
    source's URL (None where the source has none)."""
    return pd.DataFrame(
        [
            {
                "id": o.id,
                "window_start": o.start.isoformat(),
                "window_end": o.end.isoformat(),
                "source_url": o.source.url,
            }
            for o in obs.observations
        ],
        columns=["id", "window_start", "window_end", "source_url"],
    )


def with_baseline(
    scores: pd.DataFrame, targets: Sequence[Target], tables: Any, obs: Any, origin: Origin
) -> pd.DataFrame:
    """The validation frame with each fact's window, source URL, its in-/out-of-sample mark
    and the baseline's columns added (existing columns and row order kept). A fact is out of
    sample when its time or its source postdates the scenario's cutoff (its first ceasefire,
    or 12 January 2020: `sim.observations.scenario_cutoff` and `after_cutoff`)."""
    out = scores.merge(fact_windows(obs), on="id", how="left")
    out["sample"] = np.where(out["after_ceasefire"].astype(bool), "out-of-sample", "in-sample")
    out = out.merge(baseline_scores(targets, tables, origin), on="id", how="left")
    return out
