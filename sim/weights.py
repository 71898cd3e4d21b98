"""The one check that a run can draw from every group of weights (an incident's kind): not all
of a group's weights 0, at the start or after any of the scenario's `set` events. `check`,
a sweep's design points, calibration's candidates and a run's overrides all ask it here, and
each reports the answer its own way (a located line in the scenario file, a `--param` error,
a candidate's reason)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sim.config import Scenario, SetEvent
from sim.errors import Problem
from sim.params import weight_problem


@dataclass(frozen=True)
class ZeroedGroup:
    """A group of weights all 0 from some point of a run on.

    key: the group's parameter to point at (the zeroing event's own key when it sets one).
    why: what is wrong, e.g. "ceasefire.share_small_arms, ... are all 0: at least one incident
        kind needs a positive share".
    event: where the scenario file zeroes it, `("events", i, "params"[, key])` for
        `Located.problem`, or None when the parameters at the start already do.
    at: the zeroing event's time, or None with `event`.
    """

    key: str
    why: str
    event: tuple | None = None
    at: datetime | None = None

    @property
    def located_why(self) -> str:
        """`why` for a line located at `event` (or at the parameters, when None)."""
        return self.why if self.event is None else f"from this event on, {self.why}"

    @property
    def reason(self) -> str:
        """`why` as one line without a location: says which event, if any."""
        if self.at is None:
            return self.why
        return f"from the set event at {self.at.isoformat()} on, {self.why}"


def zeroed_group(s: Scenario, values: Mapping[str, float]) -> ZeroedGroup | None:
    """The first group of weights (sim.params.weight_problem) that `values` (the parameters at
    the start of a run of `s`, defaults and `set:` included) leave all 0, at the start or after
    one of `s`'s `set` events; None when the run can always draw. Events of one time are taken
    together, as they all fire before the next hour; the run would fail at the first zeroing,
    so later events are not looked at."""
    zeroed = weight_problem(values)
    if zeroed:
        return ZeroedGroup(*zeroed)
    current = dict(values)
    sets = sorted(
        ((i, ev) for i, ev in enumerate(s.events) if isinstance(ev, SetEvent)),
        key=lambda pair: pair[1].at,
    )
    for at, group in itertools.groupby(sets, key=lambda pair: pair[1].at):
        group = list(group)
        for _i, ev in group:
            current.update(ev.params)
        zeroed = weight_problem(current)
        if zeroed:
            key, why = zeroed
            # The last event of the time that sets a key of the group zeroed it.
            i, ev = next(((i, ev) for i, ev in reversed(group) if key in ev.params), group[-1])
            loc = ("events", i, "params", key) if key in ev.params else ("events", i, "params")
            return ZeroedGroup(key, why, loc, at)
    return None


def event_problem(setup: Any, z: ZeroedGroup, context: str) -> Problem:
    """`z` (with an `event`) as a line located in `setup`'s scenario file, its message led by
    `context` (e.g. "with the overrides given"): for parameters `check` did not see. The file
    is read only here, when there is a problem to locate."""
    from sim.yamlsource import load_yaml

    assert z.event is not None
    src = load_yaml(setup.scenario_path)
    return src.problem(z.event, f"{context}, {z.located_why}", key=True)
