"""ConflictModel wrapped for `mesa.batch_run`, running exactly the runs a sweep would run.

`batch_run` builds each model from keyword arguments and, with more than one process, starts
children with the spawn method; so this module must be importable by name and rebuild its plan
in each child, from the environment (`BENCH_SCENARIO`, `BENCH_PARAMS`, `BENCH_REPLICATES`,
`BENCH_SEED`).
"""

from __future__ import annotations

import functools
import os

from mesa.datacollection import DataCollector

from sim.model import ConflictModel
from sim.runner import network_for


@functools.cache
def plan():
    from sim.config import load_scenario
    from sim.params import ParamRegistry
    from sim.runner import resolve_params
    from sim.sweep import SweepPlan, make_design, parse_axes

    setup = load_scenario(os.environ["BENCH_SCENARIO"])
    axes = parse_axes(os.environ["BENCH_PARAMS"].split(";"), ParamRegistry.load(setup.theater))
    seed = int(os.environ["BENCH_SEED"])
    points = make_design("grid", axes, None, seed)
    reps = int(os.environ["BENCH_REPLICATES"])
    return SweepPlan(setup, points, reps, seed, 1, resolve_params(setup))


class BatchConflict(ConflictModel):
    """One sweep run (`run` = run id) that stops itself at the scenario's end."""

    def __init__(self, run: int = 0, rng=None):
        p = plan()
        spec = p.spec(int(run))
        params = {**p.params, **spec.overrides}
        super().__init__(
            p.setup, params, spec.seed, network=network_for(p.setup), run_id=spec.run_id
        )
        self.summary_row: dict = {}
        self.datacollector = DataCollector(model_reporters={"summary": "summary_row"})

    def step(self) -> None:
        super().step()
        if self.time >= self.sc.hours:
            ConflictModel.run(self)  # nothing left to step: only closes the open battles
            self.summary_row = self.summary()
            self.datacollector.collect(self)
            self.running = False
