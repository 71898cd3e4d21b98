"""One replicate of a scenario on this working tree against another commit, in one command.

    .venv/bin/python benchmarks/versus.py                  # against HEAD~1
    .venv/bin/python benchmarks/versus.py --rev 9c1d348 --rounds 5
    .venv/bin/python benchmarks/versus.py --rev 01dfc65 --runs 3   # main before issue #12's work
    .venv/bin/python benchmarks/versus.py --python /opt/py/bin/python3.13   # this tree, two Pythons

The other commit is checked out into a temporary git worktree; each round times one replicate
of each side (after a warm-up run) in a fresh interpreter, the two sides back to back in
alternating order, so both see the same machine; with `--runs k` each child times k replicates
(new seeds) and reports its fastest, which takes out much of a shared machine's noise. Reports
the medians in ms per run and µs per simulated hour, the median of the per-round ratios
(other/this: how many times faster this tree is), and the load average before and after; each
child also times `runner.arrow_tables` on each replicate (the tables the CLI and sweeps build),
reported the same way where both trees have it.

With `--python PATH` the other side is this same tree run by another interpreter (which must
have the dependencies installed; the tree comes first on its path), unless `--rev` is also
given: it measures what the interpreter's build alone is worth (e.g. CPython built with PGO and
LTO against one built without, see `.ci/build-python`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from trees import ROOT, check_model_from, checkout, env_for

CHILD = r"""
import json, sys, time
from sim import runner
from sim.config import load_scenario
from sim.runner import ensemble_specs, resolve_params, run_one
clock = time.process_time if sys.argv[4] == "cpu" else time.perf_counter
setup = load_scenario(sys.argv[1])
params = resolve_params(setup)
runs = int(sys.argv[3])
specs = ensemble_specs(runs + 1, int(sys.argv[2]))
run_one(setup, specs[0], params)
best = tables = float("inf")
for spec in specs[1:]:
    t = clock()
    out = run_one(setup, spec, params)
    best = min(best, clock() - t)
    if hasattr(runner, "arrow_tables"):  # the tables as the CLI and sweeps build them
        t = clock()
        runner.arrow_tables(setup, [out])
        tables = min(tables, clock() - t)
import sim
print(json.dumps({"seconds": best, "tables": tables if tables < float("inf") else None,
                  "hours": setup.scenario.hours, "sim": sim.__file__}))
"""


def time_one(
    tree: Path, scenario: Path, seed: int, runs: int = 1, clock: str = "wall", python: str = ""
) -> dict:
    out = subprocess.run(
        [python or sys.executable, "-c", CHILD, str(scenario), str(seed), str(runs), clock],
        cwd=tree, env=env_for(tree), capture_output=True, text=True, check=True,
    )  # fmt: skip
    res = json.loads(out.stdout.strip().splitlines()[-1])
    check_model_from(tree, res["sim"])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rev", help="the commit to compare with (default HEAD~1, or this tree)")
    ap.add_argument("--python", default="", help="the other side's interpreter (default this one)")
    ap.add_argument("--scenario", default="scenarios/ceasefire_jan12.yaml")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20200112)
    ap.add_argument("--runs", type=int, default=1, help="replicates timed per child (fastest)")
    ap.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="cpu: the child's CPU time, less shaken by other work on a loaded machine",
    )  # fmt: skip
    args = ap.parse_args()
    if args.rev is None and not args.python:
        args.rev = "HEAD~1"
    label = args.rev or "this tree"
    if args.python:
        label += f" under {args.python}"
    load_before = os.getloadavg()
    with checkout(args.rev) if args.rev else nullcontext(ROOT) as old:
        new_t, old_t, ratios, hours = [], [], [], 0
        tables: dict[str, list[float]] = {"new": [], "old": []}
        for r in range(args.rounds):
            order = [("new", ROOT), ("old", old)] if r % 2 == 0 else [("old", old), ("new", ROOT)]
            got = {}
            for name, tree in order:
                python = args.python if name == "old" else ""
                res = time_one(tree, tree / args.scenario, args.seed, args.runs, args.clock, python)
                got[name], hours = res["seconds"], res["hours"]
                if res.get("tables") is not None:
                    tables[name].append(res["tables"])
            new_t.append(got["new"])
            old_t.append(got["old"])
            ratios.append(got["old"] / got["new"])
    load_after = os.getloadavg()
    new_ms, old_ms = 1000 * statistics.median(new_t), 1000 * statistics.median(old_t)
    print(
        f"one replicate of {args.scenario} ({hours} simulated hours), {args.rounds} rounds, "
        f"{args.clock} time, fastest of {args.runs} per child"
    )
    print(f"  this tree : {new_ms:8.0f} ms  ({1000 * new_ms / hours:6.0f} µs per simulated hour)")
    print(f"  this tree under {sys.executable}")
    print(f"  {label:<10}: {old_ms:8.0f} ms  ({1000 * old_ms / hours:6.0f} µs per simulated hour)")
    print(f"  speed-up other/this: median of rounds {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")  # fmt: skip
    if tables["new"] and tables["old"]:
        new_tb, old_tb = (1000 * statistics.median(tables[k]) for k in ("new", "old"))
        print(f"  building its tables (runner.arrow_tables): this tree {new_tb:.1f} ms, "
              f"other {old_tb:.1f} ms, {old_tb / new_tb:.2f}x (medians of rounds)")  # fmt: skip
    print(
        f"  load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}"
    )


if __name__ == "__main__":
    main()
