"""The honesty rule: what calibration may learn from and what stays the out-of-sample test.
Each theater sets its `calibration_cutoff`; nothing dated after it (a fact's window or its
source's date) may calibrate, and `validate` marks such facts out of sample."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sim.config import Setup
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.observations import ObservationBase, ObservationFile


def after_cutoff(o: ObservationBase, cutoff: datetime) -> str | None:
    """Why an observation postdates `cutoff` (its facts or its source), or None."""
    if o.end > cutoff:
        return f"its time {o.end.isoformat()} is after {cutoff.isoformat()}"
    if o.source.date > cutoff.date():
        return f"its source is dated {o.source.date.isoformat()}, after {cutoff.date().isoformat()}"
    return None


def scenario_cutoff(setup: Setup) -> datetime:
    """When calibration must stop looking: the theater's `calibration_cutoff` if it sets one,
    else the scenario's first ceasefire, else its end (every fact in its window may be used)."""
    if setup.theater.calibration_cutoff is not None:
        return setup.theater.calibration_cutoff
    times = [e.at for e in setup.scenario.events if getattr(e, "kind", "") == "ceasefire"]
    return min(times, default=setup.scenario.end)


def check_in_sample(obs: ObservationFile, setup: Setup) -> None:
    """Refuse observations dated after the ceasefire began (calibration's honesty rule)."""
    cutoff = scenario_cutoff(setup)
    problems = []
    for i, o in enumerate(obs.data.observations):
        why = after_cutoff(o, cutoff)
        if why:
            field = "source" if why.startswith("its source") else ("at" if o.at else "window")
            problems.append(
                obs.problem(
                    i, field,
                    f"observation {o.id!r} is dated after the ceasefire began ({why}): calibration "
                    "may use only what was known before it (the rest is the out-of-sample test); "
                    "pass --allow-after-ceasefire to override",
                )
            )  # fmt: skip
    if problems:
        raise InputError(problems)


def cut_setup(setup: Setup, until: datetime, margin: timedelta = timedelta(days=1)) -> Setup:
    """The scenario cut to end `margin` after `until` (events after the new end dropped).

    Observations rarely reach past the first week; running the full window to score them would
    waste most of the time. Returns the setup unchanged when the cut would not shorten it.
    """
    s = setup.scenario
    # On a whole hour of the run (facts imported from ACLED end at 23:59:59), which simulates
    # whole hours: a cut between two would say the run ended after its last simulated hour.
    # Counted in UTC, then local, like the scenario's times.
    hours = max(1, math.ceil(s.hour_of(until + margin) - 1e-9))
    end = (s.start.astimezone(UTC) + timedelta(hours=hours)).astimezone(s.start.tzinfo)
    if end >= s.end:
        return setup
    events = [e for e in s.events if e.at <= end]
    return setup.model_copy(
        update={"scenario": s.model_copy(update={"end": end, "events": events})}
    )
