"""Where a replicate's hours go: the cost of each system of `ConflictModel.step` per simulated
hour, split by what happened in the hour, next to an empty Mesa model's hour (issue #12).

    .venv/bin/python benchmarks/hours.py --replicates 6

It answers why the replicate target (150 ms, 112 µs an hour) is out of reach with the model's
present hour-by-hour design. Each system of the step (the sequence in `ConflictModel.step`) is
timed with `time.perf_counter` around its call, a dozen calls an hour, so the timers add little.
Hours are sorted into:

- `loss or move`: a unit lost people or moved this hour;
- `neither`: no unit lost anyone or moved (fire may still be exchanged, with no loss drawn);

and the table gives each system's µs per hour in each kind of hour. A second pass, untimed,
counts the exchanges of fire (`Battlefield.exchange`, incidents included) and the draws from
the run's random streams, per hour. The last lines give the bound that follows: the step
without its engagements at all, which no way of computing the engagements can go below.

`--primitives` times the pieces an array rewrite would be made of, on this machine: numpy's
draws one by one and as one array call over an hour's exchanges, and arithmetic over a
theater's units as numpy arrays and as Python floats.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "ceasefire_jan12.yaml"
SEED = 20200112

# (module, owner, attribute, label): the systems of one hour, in the step's order.
SYSTEMS = [
    ("sim.command", "Faction", "decide", "decisions"),
    ("sim.patrons", "Patron", "step", "patrons"),
    ("sim.model", "ConflictModel", "refresh_air_cover", "air cover"),
    ("sim.agents", "Unit", "move", "movement"),
    ("sim.battle", "Battlefield", "fight", "engagements"),
    ("sim.agents", "AirAsset", "fly_sorties", "air sorties"),
    ("sim.battle", "Battlefield", "close", "battles, returns"),
    ("sim.ground", None, "update_supply", "supply"),
    ("sim.ground", None, "morale_and_withdrawal", "morale"),
    ("sim.ground", None, "update_control", "control"),
    ("sim.truce", "Truce", "hour", "truce"),
    ("sim.model", "ConflictModel", "record", "recording"),
]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} {five:.2f}"


def _patch(module: str, owner: str | None, name: str, wrap: Callable) -> None:
    import importlib

    target: Any = importlib.import_module(module)
    if owner is not None:
        target = getattr(target, owner)
    setattr(target, name, wrap(getattr(target, name)))


def timed(replicates: int) -> tuple[dict[str, dict[str, float]], Counter, float]:
    """Seconds per system and kind of hour, hours of each kind, and the empty Mesa model's
    seconds for the same hours and agents, over `replicates` runs after a warm-up."""
    from sim.config import load_scenario
    from sim.model import ConflictModel
    from sim.runner import ensemble_specs, resolve_params, run_one

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speed import empty_model_seconds, scheduled_agents

    hour: dict[str, float] = defaultdict(float)
    spent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    kinds: Counter = Counter()

    def timer(label: str) -> Callable:
        def wrap(f: Callable) -> Callable:
            def timed_call(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                out = f(*a, **k)
                hour[label] += time.perf_counter() - t
                return out

            return timed_call

        return wrap

    for module, owner, name, label in SYSTEMS:
        _patch(module, owner, name, timer(label))
    step = ConflictModel.step

    def counted_step(self: ConflictModel) -> None:
        hour.clear()
        t = time.perf_counter()
        step(self)
        hour["whole step"] = time.perf_counter() - t
        kind = "loss or move" if self.hurt or self.movers else "neither"
        kinds[kind] += 1
        for label, s in hour.items():
            spent[kind][label] += s

    ConflictModel.step = counted_step
    setup = load_scenario(SCENARIO)
    params = resolve_params(setup)
    specs = ensemble_specs(replicates + 1, SEED)
    run_one(setup, specs[0], params)  # warm-up: the road network and its caches
    spent.clear()
    kinds.clear()
    for spec in specs[1:]:
        run_one(setup, spec, params)
    ConflictModel.step = step
    counts = scheduled_agents(setup, params)
    empty = sum(empty_model_seconds(counts, setup.scenario.hours, s.seed) for s in specs[1:])
    return spent, kinds, empty


def counted(replicates: int) -> tuple[float, float, int]:
    """Exchanges of fire and random draws per hour, and the hours, over `replicates` runs
    (a separate pass: counting every draw would distort the timings)."""
    import sim.battle
    import sim.model
    from sim.config import load_scenario
    from sim.runner import ensemble_specs, resolve_params, run_one

    draws = exchanges = 0

    class Counting:
        def __init__(self, rng: Any) -> None:
            self._rng = rng

        def __getattr__(self, name: str) -> Any:
            f = getattr(self._rng, name)

            def call(*a: Any, **k: Any) -> Any:
                nonlocal draws
                draws += 1
                return f(*a, **k)

            return call

    spawn, exchange = sim.model.spawn_streams, sim.battle.Battlefield.exchange

    def counting_exchange(self: Any, *a: Any, **k: Any) -> Any:
        nonlocal exchanges
        exchanges += 1
        return exchange(self, *a, **k)

    sim.model.spawn_streams = lambda seed: {k: Counting(g) for k, g in spawn(seed).items()}
    sim.battle.Battlefield.exchange = counting_exchange
    setup = load_scenario(SCENARIO)
    params = resolve_params(setup)
    for spec in ensemble_specs(replicates, SEED + 1):
        run_one(setup, spec, params)
    sim.model.spawn_streams, sim.battle.Battlefield.exchange = spawn, exchange
    hours = replicates * setup.scenario.hours
    return exchanges / hours, draws / hours, hours


def primitives(exchanges: int = 9, units: int = 46) -> None:
    """µs per call of a draw and of arithmetic, scalar against array (best of 5 repeats)."""
    import timeit

    import numpy as np

    rng = np.random.default_rng(1)
    space = {
        "rng": rng, "np": np, "n": np.full(exchanges, 500), "p": np.full(exchanges, 0.002),
        "a": np.ones(units), "b": np.ones(units), "xs": [1.0] * units, "ys": [1.0] * units,
        "k": exchanges,
    }  # fmt: skip
    cases = [
        ("one binomial draw", "rng.binomial(500, 0.002)"),
        (f"{exchanges} binomial draws, one by one", "[rng.binomial(500, 0.002) for _ in range(k)]"),
        (f"{exchanges} binomial draws, one array call", "rng.binomial(n, p)"),
        ("one Poisson draw", "rng.poisson(0.01)"),
        (f"sum of {units} products, numpy", "(a * b).sum()"),
        (f"sum of {units} products, Python floats", "sum([x * y for x, y in zip(xs, ys)])"),
    ]
    print(f"primitives (µs a call, best of 5); load {load()}")
    for label, stmt in cases:
        best = min(timeit.repeat(stmt, globals=space, number=20_000, repeat=5)) / 20_000
        print(f"  {label:44s}{1e6 * best:7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--replicates", type=int, default=6)
    ap.add_argument("--primitives", action="store_true", help="also time draws and arithmetic")
    args = ap.parse_args()
    if args.primitives:
        primitives()
    before = load()
    exchanges, draws, _ = counted(max(2, args.replicates // 2))
    spent, kinds, empty = timed(args.replicates)
    total_hours = sum(kinds.values())
    kinds_order = ["loss or move", "neither"]
    print(f"{args.replicates} replicates of {SCENARIO.relative_to(ROOT)}; load {before} before")
    head = "".join(f"{k:>16s}" for k in kinds_order)
    print(f"{'µs per simulated hour':22s}{head}{'all hours':>12s}{'share':>8s}")
    whole = sum(spent[k]["whole step"] for k in kinds_order)
    labels = [label for *_, label in SYSTEMS] + ["whole step"]
    for label in labels:
        row = "".join(
            f"{1e6 * spent[k][label] / kinds[k]:16.1f}" if kinds[k] else f"{'-':>16s}"
            for k in kinds_order
        )
        both = sum(spent[k][label] for k in kinds_order)
        print(f"{label:22s}{row}{1e6 * both / total_hours:12.1f}{100 * both / whole:7.1f}%")
    share = "".join(f"{100 * kinds[k] / total_hours:15.0f}%" for k in kinds_order)
    print(f"{'share of hours':22s}{share}")
    fight = sum(spent[k]["engagements"] for k in kinds_order)
    per_h = 1e6 * (whole - fight) / total_hours
    print(f"empty Mesa model: {1e6 * empty / total_hours:.1f} µs an hour (same agents and hours)")
    print(f"exchanges of fire: {exchanges:.1f} an hour; random draws: {draws:.1f} an hour")
    print(
        f"without engagements the step would cost {per_h:.0f} µs an hour: "
        f"{per_h * total_hours / args.replicates / 1e3:.0f} ms a replicate "
        f"({per_h / (1e6 * empty / total_hours):.1f}x the empty model); load {load()} after"
    )


if __name__ == "__main__":
    main()
