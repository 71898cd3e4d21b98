"""The speed targets of issue #12, each measured as a ratio in one command, with the load average.

    .venv/bin/python benchmarks/speed.py single --rounds 7     # a replicate vs an empty Mesa model
    .venv/bin/python benchmarks/speed.py cli --rounds 5        # `conflict-sim run -n 1` vs import mesa
    .venv/bin/python benchmarks/speed.py cli --tree /tmp/old   # the same for another checkout
    .venv/bin/python benchmarks/speed.py cli --compile        # with sim's bytecode cached
    .venv/bin/python benchmarks/speed.py cli --versus /tmp/old # and another checkout, same rounds
    .venv/bin/python benchmarks/speed.py sweep --runs 40       # 2-worker throughput -> 10,000 runs

single: one replicate of `ceasefire_jan12` (1,344 simulated hours) against an empty Mesa model
    that schedules what the model schedules: as many no-op units and air assets as the model
    has (counted from a model of the scenario: 46 units, 12 air assets on 1 December 2026), each type shuffled and
    stepped every hour as `ConflictModel.step` did when #12 was filed (it now steps only the
    units with a route and the strike assets: the baseline is the dearer one), for the same
    hours, in the same process;
    the two alternate for `--rounds` rounds after a warm-up, each with a new replicate seed.
cli: `conflict-sim run scenarios/ceasefire_jan12.yaml -n 1 --no-report` as a whole process
    against `python -c "import mesa"` as a whole process, alternating for `--rounds` rounds.
    Wall time and CPU time (user + sys, from getrusage of the children) of each, and the
    ratio of each clock: CPU time moves less when other work shares the cores.
    `--compile` writes the tree's bytecode first (see `compile_tree`).
sweep: `run_sweep` of `--runs` full-length runs of `ceasefire_jan12` (one design point,
    `--runs` replicates, all tables written) on `--workers` workers, in runs/s from the call to
    its return (pool start included), extrapolated linearly to 10,000 runs.

Targets (issue #12): single <= 4x and <= 150 ms on a quiet machine; cli <= 2x; 10,000 runs in
<= 15 minutes. `benchmarks/versus.py` compares a replicate with another commit (>= 5x).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "ceasefire_jan12.yaml"
SEED = 20200112


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} {five:.2f}"


def scheduled_agents(setup, params) -> dict[str, int]:
    """What `ConflictModel.step` shuffles and steps each hour: its units and its air assets."""
    from sim.agents import AirAsset, Unit
    from sim.model import ConflictModel
    from sim.runner import network_for

    m = ConflictModel(setup, params, 1, network=network_for(setup))
    return {"units": len(m.agents_by_type[Unit]), "air": len(m.agents_by_type.get(AirAsset, []))}


def empty_model_seconds(counts: dict[str, int], hours: int, seed: int) -> float:
    """Wall seconds of an empty Mesa model stepping `counts` no-op agents of two types."""
    import mesa

    class IdleUnit(mesa.Agent):
        def move(self) -> None:
            pass

    class IdleAir(mesa.Agent):
        def step(self) -> None:
            pass

    class Empty(mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=seed)
            IdleUnit.create_agents(self, counts["units"])
            IdleAir.create_agents(self, counts["air"])

        def step(self) -> None:
            self.agents_by_type[IdleUnit].shuffle_do("move")
            self.agents_by_type[IdleAir].shuffle_do("step")

    t = time.perf_counter()
    m = Empty()
    while m.time < hours:
        m.step()
    return time.perf_counter() - t


def single(rounds: int) -> None:
    from sim.config import load_scenario
    from sim.runner import ensemble_specs, resolve_params, run_one

    before = load()
    setup = load_scenario(SCENARIO)
    params = resolve_params(setup)
    hours = setup.scenario.hours
    counts = scheduled_agents(setup, params)
    specs = ensemble_specs(rounds + 1, SEED)
    run_one(setup, specs[0], params)  # warm-up: the road network, caches
    runs, empties, ratios = [], [], []
    for spec in specs[1:]:
        t = time.perf_counter()
        run_one(setup, spec, params)
        runs.append(time.perf_counter() - t)
        empties.append(empty_model_seconds(counts, hours, spec.replicate))
        ratios.append(runs[-1] / empties[-1])
    run_ms, empty_ms = 1000 * statistics.median(runs), 1000 * statistics.median(empties)
    n = counts["units"] + counts["air"]
    print(f"one replicate of ceasefire_jan12 ({hours} h), {rounds} rounds; load {before} before")
    print(f"  model      : {run_ms:7.0f} ms (min {1000 * min(runs):.0f})")
    print(f"  empty Mesa : {empty_ms:7.1f} ms ({counts['units']} + {counts['air']} = {n} agents)")
    print(f"  ratio      : {statistics.median(ratios):.1f}x median of rounds "
          f"({min(ratios):.1f}-{max(ratios):.1f}); load {load()} after")  # fmt: skip


# What the `conflict-sim` script runs, with the tree to take `sim` from on PYTHONPATH.
LAUNCH = "import sys; from sim.cli import main; sys.argv[0] = 'conflict-sim'; main()"


def _time(cmd: list[str], tree: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys) of `cmd` as a whole process.

    CPU time is read from `getrusage(RUSAGE_CHILDREN)` before and after: the child is waited
    for, so the difference is its own (and its children's) CPU time. It moves less than wall
    time when other work shares the cores."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=tree, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bytecode_state(tree: Path) -> str:
    """How many of the tree's `sim` modules have bytecode cached beside them (__pycache__)."""
    from importlib.util import cache_from_source

    sources = sorted((tree / "sim").rglob("*.py"))
    cached = sum(Path(cache_from_source(str(f))).is_file() for f in sources)
    return f"{cached} of {len(sources)} sim modules have cached bytecode"


def compile_tree(tree: Path) -> None:
    """Write bytecode for the tree's `sim` package, as an installed or once-run copy has it.

    Where PYTHONDONTWRITEBYTECODE is set (as on the machine these numbers come from) and
    nothing compiled the sources, every process compiles the ~45 modules a run imports; Python
    still reads bytecode that exists, so compiling once measures what a user's copy does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "sim")], env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def cli(rounds: int, tree: Path, compiled: bool = False, versus: Path | None = None) -> None:
    """`conflict-sim run` of `tree` (and of `versus`, another checkout, in the same rounds)
    against `python -c "import mesa"`, each a whole process, in an order that turns each round."""
    trees = {"run": tree} | ({"versus": versus} if versus is not None else {})
    if compiled:
        for t in trees.values():
            compile_tree(t)
    before = load()
    exe = sys.executable
    names = [*trees, "mesa"]
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            cmds = {}
            for name, t in trees.items():
                scenario = t / "scenarios" / SCENARIO.name
                out = Path(tmp) / f"{name}{r}"
                cmds[name] = ([exe, "-c", LAUNCH, "run", str(scenario), "-n", "1", "--no-report",
                               "--out", str(out)], t)  # fmt: skip
            cmds["mesa"] = ([exe, "-c", "import mesa"], tree)
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order if r % 2 else order[::-1]:
                w, c = _time(*cmds[name])
                wall[name].append(w)
                cpu[name].append(c)
    med = statistics.median
    print(f"whole processes, {rounds} rounds; load {before} before")
    labels = {"run": f"conflict-sim run ... ({tree})", "mesa": "python -c 'import mesa'"}
    if versus is not None:
        labels["versus"] = f"conflict-sim run ... ({versus})"
    for t in trees.values():
        print(f"  {t}: {bytecode_state(t)}{' (compiled by --compile)' if compiled else ''}")
    print(f"  PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}; "
          "`run` is `-n 1 --no-report` of ceasefire_jan12")  # fmt: skip
    print(f"  {'':<56}  wall      CPU (user+sys)")
    for name in names:
        print(f"  {labels[name]:<56}: {med(wall[name]):5.2f} s   {med(cpu[name]):5.2f} s")
    for name in trees:
        for clock, times in (("wall", wall), ("CPU ", cpu)):
            ratios = [a / b for a, b in zip(times[name], times["mesa"], strict=True)]
            print(f"  {name:<6} / import mesa, {clock}: {med(ratios):.2f}x median of rounds "
                  f"({min(ratios):.2f}-{max(ratios):.2f})")  # fmt: skip
    print(f"  load {load()} after")


def sweep(runs: int, workers: int) -> None:
    from run import _cpu_of, _peak_kb  # benchmarks/run.py: /proc readings of live workers

    from sim.execution import local_executor, prestart_pool, stop_executor

    before = load()
    if workers > 1:
        prestart_pool()
    from sim.sweep import run_sweep

    # The pool run_sweep would make, made here so that its workers' peak memory and CPU can be
    # read before it stops (forkserver workers are not this process's children).
    pool = local_executor(workers) if workers > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        t, c = time.perf_counter(), time.process_time()
        result = run_sweep(
            SCENARIO, ["ceasefire.violation_rate=1"], replicates=runs, seed=SEED,
            workers=workers, out=Path(tmp) / "sweep", executor=pool,
        )  # fmt: skip
        wall = time.perf_counter() - t
        cpu = time.process_time() - c
    procs = list((getattr(pool, "_processes", None) or {}).values()) if pool else []
    worker_mb = [_peak_kb(p.pid) / 1024 for p in procs]
    cpu += sum(_cpu_of(p.pid) for p in procs)
    if pool is not None:
        stop_executor(pool)
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = result.runs / wall
    print(f"sweep of {result.runs} full-length runs of ceasefire_jan12 on {workers} workers; "
          f"load {before} before")  # fmt: skip
    print(f"  {wall:.1f} s, {rate:.2f} runs/s -> 10,000 runs in {10_000 / rate / 60:.0f} min; "
          f"CPU {1000 * cpu / result.runs:.0f} ms a run (parent and workers); load {load()} after")  # fmt: skip
    print(f"  peak RSS: parent {parent_mb:.0f} MB, workers "
          f"{', '.join(f'{mb:.0f}' for mb in worker_mb) or '-'} MB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=("single", "cli", "sweep"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1000, help="sweep: runs (the issue: 1,000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tree", type=Path, default=ROOT, help="cli: the source tree to run")
    ap.add_argument(
        "--versus", type=Path, help="cli: another source tree, timed in the same rounds"
    )
    ap.add_argument(
        "--compile",
        action="store_true",
        help="cli: write the tree's bytecode first (__pycache__), as a user's copy has it",
    )
    args = ap.parse_args()
    if args.what == "single":
        single(args.rounds)
    elif args.what == "cli":
        cli(args.rounds, args.tree.resolve(), args.compile,
            args.versus.resolve() if args.versus else None)  # fmt: skip
    else:
        sweep(args.runs, args.workers)


if __name__ == "__main__":
    main()
