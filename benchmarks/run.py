"""Benchmarks: one run, sweep throughput against mesa.batch_run, and sweep memory.

    .venv/bin/python benchmarks/run.py            # everything (a few minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # small sizes, to check the harness
    .venv/bin/python benchmarks/run.py --only single,throughput,memory --json out.json

1. One replicate of scenarios/ceasefire_jan12.yaml: ms per run, µs per simulated hour, and the
   ratio to an empty Mesa model stepping the same number of agents (shuffle_do of a no-op step)
   for the same hours, in the same process.
2. Sweep throughput in runs/s on a short window of the same scenario: `run_sweep` with 1 worker
   (in process) and 2 workers (process pool), and the same runs (same points and seeds) through
   `mesa.batch_run` with 1 and 2 processes; each in a fresh subprocess, timed from the call to its
   return (pool start-up included; interpreter and import time excluded).
3. Peak memory (ru_maxrss) of a 2,000-run sweep against a 200-run sweep (2 workers, all tables
   written), each in a fresh subprocess: the parent, the largest worker, and parent + 2 workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SCENARIO = ROOT / "scenarios" / "ceasefire_jan12.yaml"
THROUGHPUT_END = "2020-01-09T00:00+02:00"  # 96 hours from the start (5 Jan 00:00)
MEMORY_END = "2020-01-06T00:00+02:00"  # 24 hours
SEED = 20200112
# 5 x 4 = 20 points; replicates set the run count.
THROUGHPUT_PARAMS = ["faction.LNA.aggression=0.3:0.9:5", "ceasefire.violation_rate=0.1:1:4"]
MEMORY_PARAMS = ["faction.LNA.aggression=0.1:1:10", "ceasefire.violation_rate=0:2:10"]


def cut(folder: Path, end: str) -> Path:
    """ceasefire_jan12 cut to [start, end] (later events dropped), as tests/conftest.py does."""
    data = yaml.safe_load(SCENARIO.read_text())
    data["end"] = end
    stop = dt.datetime.fromisoformat(end)

    def when(v):
        return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))

    data["events"] = [e for e in data["events"] if when(e["at"]) <= stop]
    path = folder / f"cut-{stop:%Y%m%d}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- 1. one run -------------------------------------------------------------------------------


def bench_single(repeats: int) -> dict:
    import mesa

    from sim.config import load_scenario
    from sim.model import ConflictModel
    from sim.runner import ensemble_specs, network_for, resolve_params, run_one

    setup = load_scenario(SCENARIO)
    params = resolve_params(setup)
    hours = setup.scenario.hours
    agents = len(ConflictModel(setup, params, 1, network=network_for(setup)).agents)
    specs = ensemble_specs(repeats + 1, SEED)
    run_one(setup, specs[0], params)  # warm-up: network, caches
    times = []
    for spec in specs[1:]:
        t = time.perf_counter()
        run_one(setup, spec, params)
        times.append(time.perf_counter() - t)

    class Idle(mesa.Agent):
        def step(self) -> None:
            pass

    class Empty(mesa.Model):
        def __init__(self, n: int, seed: int):
            super().__init__(rng=seed)
            Idle.create_agents(self, n)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    empty = []
    for r in range(repeats):
        t = time.perf_counter()
        m = Empty(agents, r)
        while m.time < hours:
            m.step()
        empty.append(time.perf_counter() - t)
    run_ms = 1000 * sorted(times)[len(times) // 2]
    empty_ms = 1000 * sorted(empty)[len(empty) // 2]
    return {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "hours": hours,
        "agents": agents,
        "repeats": repeats,
        "ms_per_run": run_ms,
        "us_per_hour": 1000 * run_ms / hours,
        "empty_model_ms": empty_ms,
        "ratio_to_empty_model": run_ms / empty_ms,
    }


# --- children (each measurement in a fresh interpreter) ---------------------------------------


def _norm(v):
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return bool(v)
    if v is None:
        return None
    if isinstance(v, str):
        return v
    f = float(v)
    return None if math.isnan(f) else round(f, 9)


def digest(rows: list[dict]) -> str:
    """A fingerprint of run summaries, to show both methods ran the same runs."""
    rows = sorted(({k: _norm(v) for k, v in r.items()} for r in rows), key=lambda r: r["run_id"])
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]


def _cpu_self() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu_of(pid: int) -> float:
    """CPU seconds of a live process (Linux: utime + stime in /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_kb(pid: int) -> int:
    """Peak resident memory of a live process (Linux: VmHWM in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_sweep(args) -> dict:
    import resource

    from sim.execution import local_executor, prestart_pool, stop_executor

    if args.workers > 1:
        prestart_pool()  # as `conflict-sim sweep` does, before its own heavy imports
    import sim.model  # noqa: F401 - imported before the clock starts, as in the other modes
    from sim.sweep import read_runs, run_sweep

    marks: list[tuple[float, int]] = []
    out = Path(args.out)
    t0, c0 = time.perf_counter(), _cpu_self()
    # The pool run_sweep would make, made here so that its workers' peaks can be read afterwards
    # (with forkserver they are not this process's children, so RUSAGE_CHILDREN misses them).
    pool = local_executor(args.workers)
    result = run_sweep(
        args.scenario, args.params.split(";"), replicates=args.replicates, seed=SEED,
        workers=args.workers, executor=pool, out=out,
        progress=lambda d, n: marks.append((time.perf_counter(), d)),
    )  # fmt: skip
    wall = time.perf_counter() - t0
    procs = list((getattr(pool, "_processes", None) or {}).values())
    worker_kb = [_peak_kb(p.pid) for p in procs]
    cpu = _cpu_self() - c0 + sum(_cpu_of(p.pid) for p in procs)
    stop_executor(pool)
    first = next((m for m in marks if m[1] > 0), None)
    steady = None
    if first is not None and marks[-1][0] > first[0]:
        steady = (marks[-1][1] - first[1]) / (marks[-1][0] - first[0])
    runs = read_runs(out)
    summary_cols = [c for c in runs.columns if c not in ("point", "replicate", "seed")]
    summary_cols = [c for c in summary_cols if "." not in c]  # drop the swept parameters
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = max(worker_kb, default=0)
    return {
        "runs": result.runs,
        "batch_size": result.meta["sweep"]["batch_size"],
        "seconds": wall,
        "runs_per_s": result.runs / wall,
        "cpu_ms_per_run": 1000 * cpu / result.runs,
        "steady_runs_per_s": steady,
        "digest": digest(runs[summary_cols].to_dict("records")),
        "maxrss_parent_mb": self_kb / 1024,
        "maxrss_worker_mb": child_kb / 1024,
        "disk_mb": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20,
    }


def child_batch_run(args) -> dict:
    os.environ.update(
        BENCH_SCENARIO=args.scenario, BENCH_PARAMS=args.params,
        BENCH_REPLICATES=str(args.replicates), BENCH_SEED=str(SEED),
    )  # fmt: skip
    sys.path.insert(0, str(HERE))
    import mesa
    from mesa_batch import BatchConflict, plan

    t0, c0, k0 = time.perf_counter(), _cpu_self(), _cpu_children()
    p = plan()  # loads the scenario and makes the design, as run_sweep does inside its call
    rows = mesa.batch_run(
        BatchConflict, {"run": range(p.runs)}, number_processes=args.workers, rng=[None],
        max_steps=p.setup.scenario.hours + 1, data_collection_period=-1, display_progress=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    cpu = _cpu_self() - c0 + _cpu_children() - k0
    summaries = [{"run_id": r["run"], **r["summary"]} for r in rows]
    return {
        "runs": p.runs,
        "seconds": wall,
        "runs_per_s": p.runs / wall,
        "cpu_ms_per_run": 1000 * cpu / p.runs,
        "digest": digest(summaries),
    }


def run_child(kind: str, **kw) -> dict:
    """Run one measurement in a fresh interpreter; adds `process_seconds`, its whole wall time."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_seconds"] = wall
    return out


# --- 2. throughput, 3. memory -----------------------------------------------------------------


def _spin(n: int, start_at: float | None = None) -> float:
    """A pure-Python loop (dict stores, integer maths, like the model's inner loops); wall s.
    `start_at` (time.time()) lines up two copies so that they really run at the same time."""
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    t = time.perf_counter()
    d: dict[int, int] = {}
    x = 0
    for i in range(n):
        x += i % 7
        d[i & 1023] = x
    return time.perf_counter() - t


def machine_scaling(n: int = 4_000_000) -> float:
    """What two cores give two independent processes here: the same loop alone, then two at
    once, as a ratio of work per second (2.0 = perfect). The sweep's 2-worker ratio is read
    against it: other tenants and shared caches take their share before any code of ours."""
    import multiprocessing as mp

    alone = min(_spin(n), _spin(n))
    with mp.get_context("fork").Pool(2) as pool:
        start_at = time.time() + 0.5  # both workers have their task by then
        both = pool.starmap(_spin, [(n, start_at), (n, start_at)])
    return 2 * alone / max(both)


THROUGHPUT_MODES = (
    ("sweep_1_worker", "sweep", 1),
    ("sweep_2_workers", "sweep", 2),
    ("batch_run_1_process", "batch_run", 1),
    ("batch_run_2_processes", "batch_run", 2),
)


def bench_throughput(tmp: Path, replicates: int, repeats: int) -> dict:
    """Each mode `repeats` times, interleaved (ABCD ABCD ...), best of each kept: other work on
    the machine only ever slows a measurement down."""
    scenario = cut(tmp, THROUGHPUT_END)
    params = ";".join(THROUGHPUT_PARAMS)
    common = dict(scenario=scenario, params=params, replicates=replicates)
    tries: dict[str, list[dict]] = {name: [] for name, _, _ in THROUGHPUT_MODES}
    machine: list[float] = []
    for rep in range(repeats):
        machine.append(machine_scaling())
        for name, kind, workers in THROUGHPUT_MODES:
            print(f"  {name} ({rep + 1}/{repeats}) ...", file=sys.stderr, flush=True)
            out = tmp / f"tp-{name}-{rep}"
            tries[name].append(run_child(kind, workers=workers, out=out, **common))
    best = {}
    for name, runs in tries.items():
        b = dict(min(runs, key=lambda r: r["seconds"]))
        b["process_seconds"] = min(r["process_seconds"] for r in runs)
        b["all_seconds"] = [round(r["seconds"], 2) for r in runs]
        best[name] = b
    n = best["sweep_1_worker"]["runs"]
    rate = {k: n / v["seconds"] for k, v in best.items()}
    whole = {k: n / v["process_seconds"] for k, v in best.items()}
    digests = {r["digest"] for runs in tries.values() for r in runs}

    def ratios(r: dict) -> dict:
        return {
            "2_workers_to_1": r["sweep_2_workers"] / r["sweep_1_worker"],
            "sweep_2_workers_to_batch_run_1_process": r["sweep_2_workers"]
            / r["batch_run_1_process"],
            "sweep_2_workers_to_batch_run_2_processes": r["sweep_2_workers"]
            / r["batch_run_2_processes"],
            "sweep_1_worker_to_batch_run_1_process": r["sweep_1_worker"] / r["batch_run_1_process"],
        }

    # Paired: each round's modes ran back to back, so a round's ratios share its conditions.
    rounds = [ratios({k: n / v[i]["seconds"] for k, v in tries.items()}) for i in range(repeats)]
    return {
        "scenario": f"ceasefire_jan12 cut to {THROUGHPUT_END} (96 hours)",
        "runs": n,
        "repeats": repeats,
        "results": best,
        "same_runs_everywhere": len(digests) == 1,
        "ratios_in_call": ratios(rate),
        "ratios_whole_process": ratios(whole),
        "ratios_in_call_median_of_rounds": {
            k: statistics.median(r[k] for r in rounds) for k in rounds[0]
        },
        "machine_scaling_2_processes": machine,
    }


def bench_memory(tmp: Path, small: int, large: int) -> dict:
    scenario = cut(tmp, MEMORY_END)
    params = ";".join(MEMORY_PARAMS)
    points = 100
    out = {}
    for runs in (small, large):
        print(f"  sweep of {runs} runs ...", file=sys.stderr, flush=True)
        out[runs] = run_child(
            "sweep", scenario=scenario, params=params, replicates=max(1, runs // points),
            workers=2, out=tmp / f"mem-{runs}",
        )  # fmt: skip
        out[runs]["total_mb"] = out[runs]["maxrss_parent_mb"] + 2 * out[runs]["maxrss_worker_mb"]
    s, g = out[small], out[large]
    return {
        "scenario": f"ceasefire_jan12 cut to {MEMORY_END} (24 hours), 2 workers, all tables",
        "results": {str(k): v for k, v in out.items()},
        "ratio_parent": g["maxrss_parent_mb"] / s["maxrss_parent_mb"],
        "ratio_worker": g["maxrss_worker_mb"] / s["maxrss_worker_mb"],
        "ratio_total": g["total_mb"] / s["total_mb"],
    }


def report(res: dict) -> None:
    def line(text: str = "") -> None:
        print(text, flush=True)

    if "single" in res:
        s = res["single"]
        line(f"1. One replicate of {s['scenario']} ({s['hours']} h, {s['agents']} agents)")
        line(f"   {s['ms_per_run']:.0f} ms per run, {s['us_per_hour']:.0f} µs per simulated hour")
        line(
            f"   empty Mesa model, same agents and hours: {s['empty_model_ms']:.1f} ms; "
            f"ratio {s['ratio_to_empty_model']:.0f}x"
        )
    if "throughput" in res:
        t = res["throughput"]
        line(f"2. Sweep throughput, {t['runs']} runs of {t['scenario']}, best of {t['repeats']}")
        for name, r in t["results"].items():
            steady = r.get("steady_runs_per_s")
            extra = f", steady state {steady:.2f} runs/s" if steady else ""
            line(
                f"   {name:<22} {r['seconds']:5.1f} s in the call ({t['runs'] / r['seconds']:5.2f} runs/s"
                f"{extra}), {r['process_seconds']:5.1f} s whole process, "
                f"{r['cpu_ms_per_run']:.0f} ms CPU a run"
            )
        line(f"   same runs everywhere (summary digest): {t['same_runs_everywhere']}")
        a, w = t["ratios_in_call"], t["ratios_whole_process"]
        m = t["ratios_in_call_median_of_rounds"]
        line(
            "   ratios of runs/s                     in the call   whole process   median of rounds"
        )
        for key, label, target in (
            ("2_workers_to_1", "2 workers / 1 worker", ">= 1.8"),
            ("sweep_2_workers_to_batch_run_1_process", "2 workers / batch_run 1 process", ">= 2"),
            ("sweep_2_workers_to_batch_run_2_processes", "2 workers / batch_run 2 processes", ""),
            ("sweep_1_worker_to_batch_run_1_process", "1 worker / batch_run 1 process", ""),
        ):
            goal = f"(target {target})" if target else ""
            line(f"   {label:<36} {a[key]:8.2f}x {w[key]:13.2f}x {m[key]:16.2f}x  {goal}")
        ms = t["machine_scaling_2_processes"]
        line(
            f"   this machine, two independent Python loops at once vs one: "
            f"{statistics.median(ms):.2f}x median ({min(ms):.2f}-{max(ms):.2f}x over the rounds)"
        )
    if "memory" in res:
        m = res["memory"]
        line(f"3. Peak memory (ru_maxrss), {m['scenario']}")
        for runs, r in m["results"].items():
            line(
                f"   {runs:>5} runs (batch {r['batch_size']:>2}): parent {r['maxrss_parent_mb']:.0f} MB, "
                f"largest worker {r['maxrss_worker_mb']:.0f} MB, parent + 2 workers {r['total_mb']:.0f} MB, "
                f"{r['seconds']:.0f} s, {r['disk_mb']:.1f} MB on disk"
            )
        line(
            f"   ratio large/small: parent {m['ratio_parent']:.2f}, worker {m['ratio_worker']:.2f}, "
            f"total {m['ratio_total']:.2f} (target <= 1.2)"
        )


def _load(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--only", default="single,throughput,memory")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ap.add_argument("--repeats", type=int, default=3, help="throughput: best of N (default 3)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    for opt in ("--scenario", "--params", "--out"):
        ap.add_argument(opt, help=argparse.SUPPRESS)
    ap.add_argument("--replicates", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        fn = {"sweep": child_sweep, "batch_run": child_batch_run}[args.child]
        print(json.dumps(fn(args)))
        return
    only = set(args.only.split(","))
    res: dict = {"quick": args.quick, "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    # Other work on the machine skews every number here: the load is recorded with them.
    res["loadavg_before"] = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-") as d:
        tmp = Path(d)
        if "single" in only:
            print("1. one replicate ...", file=sys.stderr, flush=True)
            res["single"] = bench_single(2 if args.quick else 5)
        if "throughput" in only:
            print("2. throughput ...", file=sys.stderr, flush=True)
            res["throughput"] = bench_throughput(
                tmp, 1 if args.quick else 10, 1 if args.quick else args.repeats
            )
        if "memory" in only:
            print("3. memory ...", file=sys.stderr, flush=True)
            res["memory"] = bench_memory(tmp, *((100, 400) if args.quick else (200, 2000)))
    res["loadavg_after"] = os.getloadavg()
    report(res)
    print(
        f"load average (1, 5, 15 min) before {_load(res['loadavg_before'])}, "
        f"after {_load(res['loadavg_after'])} on {res['cpus']} CPUs"
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
