"""Would compiling the model's pure-Python hot path (Cython, mypyc) or another CPython make a
replicate of `ceasefire_jan12` faster? Builds compiled copies of the tree outside it and times
each build and interpreter in one command, alternating, with the load average beside each figure
(results and the commands that made them: benchmarks/compiled.md).

    .venv/bin/python benchmarks/compile_try.py time --reps 8       # this interpreter, this tree
    .venv/bin/python benchmarks/compile_try.py build cython /tmp/cy  # a copy of the tree, compiled
    .venv/bin/python benchmarks/compile_try.py build mypyc /tmp/my --modules sim/dynamics/*.py
    .venv/bin/python benchmarks/compile_try.py versus --rounds 3 --reps 6 \\
        plain=.venv/bin/python cython=.venv/bin/python:/tmp/cy py312=/tmp/venv312/bin/python

time: loads the scenario once, runs one warm-up replicate, then `--reps` replicates (seeds
    2, 3, ...), and prints the median CPU time (time.process_time) and wall time per replicate,
    the load average, the Python version and which `sim` modules were imported from extensions.
build: copies the tracked files of this checkout to DIR (`git ls-files`, so the worktree itself
    never holds a .so that would shadow its .py), then compiles `--modules` there in place:
    `cython` with Cython's pure-Python mode (`cythonize -i`, language_level 3, binding=True),
    `mypyc` with mypyc. Run the tests or parity against it with `PYTHONPATH=DIR`.
micro: why: the model's kind of code (attribute and dict look-ups over ~45 objects) and local
    float arithmetic, each timed interpreted and compiled by Cython, alternating.
versus: `NAME=PYTHON[:TREE]` specs; each round runs `time` once per spec in a new process
    (PYTHONPATH=TREE where given, so that tree's `sim` shadows the editable install), in turn,
    and the table gives each spec's median over the rounds and its ratio to the first spec.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/ceasefire_jan12.yaml"
# The model's hot path (the lead's modules, issue #12): what a compiled build would compile.
HOT = [
    "sim/model.py",
    "sim/battle.py",
    "sim/truce.py",
    "sim/ground.py",
    "sim/situation.py",
    "sim/agents.py",
    "sim/command.py",
    "sim/population.py",
    "sim/patrons.py",
    "sim/recording.py",
    "sim/columns.py",
    "sim/dynamics/air.py",
    "sim/dynamics/ceasefire.py",
    "sim/dynamics/civilians.py",
    "sim/dynamics/combat.py",
    "sim/dynamics/morale.py",
    "sim/dynamics/supply.py",
]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def time_replicates(reps: int, scenario: str) -> dict[str, object]:
    """Median seconds (CPU and wall) of `reps` replicates after one warm-up, in this process."""
    from sim.config import load_scenario
    from sim.runner import RunSpec, resolve_params, run_one

    setup = load_scenario(ROOT / scenario)
    params = resolve_params(setup)
    run_one(setup, RunSpec(0, 0, 0, 1), params)
    cpu, wall = [], []
    before = load()
    for seed in range(2, 2 + reps):
        c0, w0 = time.process_time(), time.perf_counter()
        run_one(setup, RunSpec(seed, 0, seed, seed), params)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    compiled = sorted(
        name
        for name, mod in sys.modules.items()
        if name.startswith("sim") and str(getattr(mod, "__file__", "")).endswith((".so", ".pyd"))
    )
    import sim

    return {
        "python": sys.version.split()[0],
        "sim": str(Path(sim.__file__).parent),
        "cpu_ms": 1000 * statistics.median(cpu),
        "wall_ms": 1000 * statistics.median(wall),
        "cpu_all_ms": [round(1000 * c) for c in cpu],
        "load_before": before,
        "load_after": load(),
        "compiled": compiled,
    }


def copy_tree(dest: Path) -> None:
    """The tracked files of this checkout (as they are on disk) copied to `dest`."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    if dest.exists():
        shutil.rmtree(dest)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)


def build(kind: str, dest: Path, modules: list[str], copy: bool, directives: list[str]) -> None:
    """Compile `modules` (paths relative to the tree) of a copy of this tree at `dest` in place."""
    if copy:
        copy_tree(dest)
    bindir = Path(sys.executable).parent
    if kind == "cython":
        cmd = [
            str(bindir / "cythonize"),
            "-i",
            "-f",
            "-3",
            "-j",
            "2",
            "-X",
            "binding=True",
            "-X",
            # a float-annotated `x ** y` is C pow (Python's float pow for the model's positive
            # bases); without it Cython 3 types it "double or complex" and refuses min()/max()
            "cpow=True",
            *[arg for d in directives for arg in ("-X", d)],
            *modules,
        ]
    else:
        cmd = [str(bindir / "mypyc"), "--ignore-missing-imports", *modules]
    t0 = time.perf_counter()
    done = subprocess.run(["nice", *cmd], cwd=dest)
    print(
        f"{kind} build of {len(modules)} modules: {time.perf_counter() - t0:.0f} s wall, "
        f"exit {done.returncode}"
    )
    sizes = sum(p.stat().st_size for p in dest.rglob("*.so"))
    print(f"extensions in {dest}: {len(list(dest.rglob('*.so')))} files, {sizes / 1e6:.1f} MB")
    if done.returncode:
        sys.exit(done.returncode)


# A stand-alone copy of the shape of Battlefield.plan's occupancy scan (and of the Lanchester
# rate arithmetic), written out on purpose: it is compiled alone, interpreted and by Cython, so
# it may not import sim; it measures the kind of code, not the model.
MICRO = """
class Unit:
    def __init__(self, i):
        self.personnel = float(100 + i)
        self.node = f"n{i % 9}"
        self.faction = "A" if i % 2 else "B"
        self.morale = 1.0


def scan(units, cover):
    occupied = {}
    total = 0.0
    none = {}
    for u in units:
        if u.personnel >= 1.0:
            sides = occupied.get(u.node)
            if sides is None:
                sides = occupied[u.node] = {}
            group = sides.get(u.faction)
            if group is None:
                sides[u.faction] = [u]
            else:
                group.append(u)
            total += u.personnel * u.morale * (1.0 + cover.get(u.faction, none).get(u.node, 0.0))
    return occupied, total


def arith(n):
    x, y, e = 1000.0, 900.0, 0.5
    s = 0.0
    for i in range(n):
        s += 0.01 * x + 0.002 * x * (y / x) ** e
    return s
"""


def micro(folder: Path) -> None:
    """The model's kind of code, interpreted and compiled (`MICRO`), alternating twice."""
    import importlib

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("micro_py", "micro_cy"):
        (folder / f"{name}.py").write_text(MICRO)
    cythonize = Path(sys.executable).parent / "cythonize"
    subprocess.run(
        [str(cythonize), "-i", "-3", "-q", "micro_cy.py"], cwd=folder, check=True,
        capture_output=True,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    mods = {"interpreted": importlib.import_module("micro_py")}
    mods["cython"] = importlib.import_module("micro_cy")
    for name in ["interpreted", "cython"] * 2:
        mod = mods[name]
        units, cover = [mod.Unit(i) for i in range(45)], {"A": {"n1": 0.1}}
        t0 = time.process_time()
        for _ in range(20_000):
            mod.scan(units, cover)
        t1 = time.process_time()
        mod.arith(2_000_000)
        t2 = time.process_time()
        print(
            f"{name:>11} ({Path(mod.__file__).suffix}): 45-object scan "
            f"{1e6 * (t1 - t0) / 20_000:.1f} us, float arithmetic {1e9 * (t2 - t1) / 2e6:.0f} "
            f"ns/iteration, load {load()}"
        )


def versus(specs: list[str], rounds: int, reps: int, scenario: str) -> None:
    """Each spec's `time` in a new process, in turn, for `rounds` rounds; medians and ratios."""
    parsed = []
    for spec in specs:
        name, _, rest = spec.partition("=")
        python, _, tree = rest.partition(":")
        parsed.append((name, os.path.abspath(python), tree))
    results: dict[str, list[dict]] = {name: [] for name, _, _ in parsed}
    for r in range(rounds):
        # each round starts one spec later, so that no build always runs after the same one
        for name, python, tree in parsed[r % len(parsed) :] + parsed[: r % len(parsed)]:
            env = dict(os.environ)
            if tree:
                env["PYTHONPATH"] = tree
            out = subprocess.run(
                [
                    "nice",
                    python,
                    str(Path(__file__).resolve()),
                    "time",
                    "--reps",
                    str(reps),
                    "--scenario",
                    scenario,
                    "--json",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=tree or ROOT,
            ).stdout
            res = json.loads(out.strip().splitlines()[-1])
            results[name].append(res)
            print(
                f"round {r + 1} {name:>10}: {res['cpu_ms']:.0f} ms cpu, {res['wall_ms']:.0f} ms "
                f"wall, load {res['load_before']} -> {res['load_after']}, py {res['python']}, "
                f"{len(res['compiled'])} compiled",
                flush=True,
            )
    base = None
    print(f"\n{'build':>10} {'python':>8} {'cpu ms':>7} {'wall ms':>8} {'ratio':>6}  load")
    for name, _, _ in parsed:
        cpu = statistics.median(x for res in results[name] for x in res["cpu_all_ms"])
        wall = statistics.median(res["wall_ms"] for res in results[name])
        base = base or cpu
        loads = " ".join(res["load_before"] for res in results[name])
        print(
            f"{name:>10} {results[name][0]['python']:>8} {cpu:7.0f} {wall:8.0f} "
            f"{cpu / base:6.2f}  {loads}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("time")
    t.add_argument("--reps", type=int, default=8)
    t.add_argument("--scenario", default=SCENARIO)
    t.add_argument("--json", action="store_true")
    b = sub.add_parser("build")
    b.add_argument("kind", choices=["cython", "mypyc"])
    b.add_argument("dest", type=Path)
    b.add_argument("--modules", nargs="+", default=HOT)
    b.add_argument("--no-copy", action="store_true", help="compile in an existing copy")
    b.add_argument("-X", dest="directives", action="append", default=[], help="Cython directive")
    mi = sub.add_parser("micro")
    mi.add_argument("folder", type=Path)
    v = sub.add_parser("versus")
    v.add_argument("specs", nargs="+")
    v.add_argument("--rounds", type=int, default=3)
    v.add_argument("--reps", type=int, default=6)
    v.add_argument("--scenario", default=SCENARIO)
    args = ap.parse_args()
    if args.cmd == "time":
        res = time_replicates(args.reps, args.scenario)
        print(json.dumps(res) if args.json else json.dumps(res, indent=1))
    elif args.cmd == "build":
        modules = [
            m for pat in args.modules for m in sorted(glob.glob(pat, root_dir=ROOT)) or [pat]
        ]
        build(args.kind, args.dest.resolve(), modules, not args.no_copy, args.directives)
    elif args.cmd == "micro":
        micro(args.folder)
    else:
        versus(args.specs, args.rounds, args.reps, args.scenario)


if __name__ == "__main__":
    main()
