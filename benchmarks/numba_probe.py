"""Could a numba core keep the model's outputs byte-identical, and what would it cost? (issue #12)

The replicate target (150 ms) needs a compiled core over arrays of units and places (see
`hours.py` and `compiled.md`). This probe measures, on this machine, what decides whether that
core could be numba without giving up the contract that the same seed gives the same outputs:

- **identity**: the model's own pure functions (`combat.expected_losses`, RK4; `combat.realise`
  and `combat.split_casualties`, binomial draws), compiled by `numba.njit` unchanged, against
  themselves interpreted, over `--inputs` random inputs: the same results bit for bit, and the
  same random generator state after the same draws;
- **calls**: µs per call of each, interpreted and compiled, and of one binomial draw made by
  numpy from Python against one made by a compiled function that is handed the Generator (what
  a partial port, calling a kernel once per exchange, would pay);
- **start**: `import numba` against `import numpy` as whole processes, and the first call of the
  three kernels in a new process with an empty cache (compiling) and with a warm one
  (`cache=True`, `NUMBA_CACHE_DIR` in a temporary folder).

numba is not a dependency of conflict-sim. Run the probe with a Python that has numba and the
project's requirements, from the repository root, e.g.:

    python3.13 -m venv /tmp/nb && /tmp/nb/bin/pip install numba -e .
    /tmp/nb/bin/python benchmarks/numba_probe.py --rounds 5 --inputs 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ("expected_losses", "realise", "split_casualties")
# A new process's first call of each kernel: compiling (cold cache) or loading (warm cache).
FIRST_CALLS = """
import time, numba, numpy as np
from sim.dynamics import combat
t = time.perf_counter()
numba.njit(cache=True)(combat.expected_losses)(30.0, 20.0, 0.1, 0.1, 0.02, 0.01, 0.5, 0.5)
rng = np.random.default_rng(1)
numba.njit(cache=True)(combat.realise)(rng, 30.0, 2.0, True)
numba.njit(cache=True)(combat.split_casualties)(rng, 5.0, 0.25, True)
print(time.perf_counter() - t)
"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} {five:.2f}"


def identity(inputs: int) -> None:
    import numba
    import numpy as np

    from sim.dynamics import combat

    compiled = {name: numba.njit(getattr(combat, name)) for name in KERNELS}
    r = np.random.default_rng(20200112)
    rk4 = [
        (float(r.integers(1, 20_000)), float(r.integers(1, 20_000)), *map(float, r.uniform(1e-4, 3, 2)),
         *map(float, r.uniform(0, 0.1, 2)), *map(float, r.uniform(0, 1, 2)))
        for _ in range(inputs)
    ]  # fmt: skip
    differ = sum(combat.expected_losses(*a) != compiled["expected_losses"](*a) for a in rk4)
    print(f"expected_losses (RK4): {differ} of {inputs} random inputs differ")
    for name, make in (
        ("realise", lambda: (float(r.integers(1, 5000)), float(r.uniform(0, 60)), True)),
        ("split_casualties", lambda: (float(r.integers(0, 400)), float(r.uniform(0, 1)), True)),
    ):
        args = [make() for _ in range(inputs)]
        a, b = np.random.default_rng(7), np.random.default_rng(7)
        same = all(getattr(combat, name)(a, *x) == compiled[name](b, *x) for x in args)
        state = a.bit_generator.state == b.bit_generator.state
        print(
            f"{name}: draws identical over {inputs} calls: {same}; generator state equal: {state}"
        )


def _draw_kernels() -> dict[str, tuple[object, tuple]]:
    """A compiled function per distribution the model draws from (`rng.<method>(` in sim/),
    each making `k` draws with the arguments given, and those arguments."""
    import numba
    import numpy as np

    def kernel(method: str, nargs: int):
        params = ", ".join(f"a{i}" for i in range(nargs))
        head = f"g, k, {params}" if params else "g, k"
        src = (
            f"def draw({head}):\n    out = np.empty(k)\n    for i in range(k):\n"
            f"        out[i] = g.{method}({params})\n    return out\n"
        )
        scope: dict = {"np": np}
        exec(src, scope)  # one small function per method: numba needs the attribute literal
        return numba.njit(scope["draw"])

    cases = {
        "poisson": (0.7,), "exponential": (3.5,), "integers": (0, 7), "random": (),
        "normal": (0.0, 1.5), "negative_binomial": (2.0, 0.3), "binomial": (40, 0.2),
    }  # fmt: skip
    return {m: (kernel(m, len(args) or 0), args) for m, args in cases.items()}


def draws(k: int) -> None:
    """Each distribution's `k` draws by numpy and by a compiled function: the same numbers and
    the same generator state after them?"""
    import numpy as np

    for method, (draw, args) in _draw_kernels().items():
        a, b = np.random.default_rng(11), np.random.default_rng(11)
        ours = [float(getattr(a, method)(*args)) for _ in range(k)]
        theirs = draw(b, k, *args).tolist()
        state = a.bit_generator.state == b.bit_generator.state
        print(f"  {method:18s} {k} draws identical: {ours == theirs}; state equal: {state}")


def shuffles(k: int) -> None:
    """The hour's movers and strike assets are shuffled by Mesa's `model.random` (CPython's
    `random.Random`, MT19937), not a numpy stream. numba's `random` has a state of its own; copied
    from CPython's (through `numba._helperlib`, a private API), do its shuffles match?"""
    import random

    import numba
    import numpy as np
    from numba import _helperlib

    @numba.njit
    def shuffle(a):
        random.shuffle(a)
        return a

    shuffle(np.arange(3))  # compile before the state is copied
    r = random.Random(20200112)
    _version, state, _gauss = r.getstate()
    _helperlib.rnd_set_state(_helperlib.rnd_get_py_state_ptr(), (state[-1], list(state[:-1])))
    sizes = np.random.default_rng(5).integers(1, 60, k).tolist()  # the model: 0-46 movers
    same = True
    for n in sizes:
        ours = list(range(n))
        r.shuffle(ours)
        same = same and ours == shuffle(np.arange(n)).tolist()
    print(f"  {k} shuffles of 1-59 items identical to CPython's: {same}")


def calls(n: int) -> None:
    import numba
    import numpy as np

    from sim.dynamics import combat
    from sim.streams import spawn_streams

    rk4_args = (3000.0, 2500.0, 0.004, 0.005, 0.02, 0.01, 0.6, 0.5)
    rng = np.random.default_rng(3)

    @numba.njit
    def one_binomial(g, trials, p):
        return g.binomial(trials, p)

    @numba.njit
    def hour(*gs):
        return gs[0].random()

    streams = list(spawn_streams(1).values())  # a run's streams, one per mechanism
    cases = {
        "expected_losses, interpreted": lambda: combat.expected_losses(*rk4_args),
        "expected_losses, numba (float args)": lambda: jit_rk4(*rk4_args),
        "binomial, numpy from Python": lambda: rng.binomial(10, 0.3),
        "binomial, numba handed the Generator": lambda: one_binomial(rng, 10, 0.3),
        f"an hour's call, handed the run's {len(streams)} streams": lambda: hour(*streams),
    }
    jit_rk4 = numba.njit(combat.expected_losses)
    for f in cases.values():
        f()  # compile
    for name, f in cases.items():
        best = min(timeit.repeat(f, number=n, repeat=5)) / n * 1e6
        print(f"  {name:40s} {best:6.2f} µs a call")


def _wall(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - t


def start(rounds: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    numba_s, numpy_s, cold, warm = [], [], [], []
    for _ in range(rounds):
        numba_s.append(_wall("import numba", env))
        numpy_s.append(_wall("import numpy", env))
        with tempfile.TemporaryDirectory() as cache:
            run_env = {**env, "NUMBA_CACHE_DIR": cache}
            for out in (cold, warm):
                done = subprocess.run(
                    [sys.executable, "-c", FIRST_CALLS], check=True, env=run_env, cwd=ROOT,
                    capture_output=True, text=True,
                )  # fmt: skip
                out.append(float(done.stdout))
    med = statistics.median
    print(
        f"  import numba {med(numba_s):.2f} s, import numpy {med(numpy_s):.2f} s (whole processes)"
    )
    print(
        f"  first call of the 3 kernels: {med(cold):.2f} s compiling, {med(warm):.2f} s from cache"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="new processes timed, each kind")
    ap.add_argument("--inputs", type=int, default=100_000, help="random inputs for identity")
    ap.add_argument("--calls", type=int, default=20_000, help="calls a timing (best of 5)")
    a = ap.parse_args()
    try:
        import numba
    except ImportError:
        sys.exit("numba_probe: this Python has no numba (see the module's docstring)")
    sys.path.insert(0, str(ROOT))
    print(f"numba {numba.__version__}, Python {sys.version.split()[0]}; load {load()}")
    identity(a.inputs)
    print("the model's other distributions:")
    draws(a.inputs // 5)
    shuffles(a.inputs // 50)
    print("calls:")
    calls(a.calls)
    print("start:")
    start(a.rounds)
    print(f"load {load()} after")


if __name__ == "__main__":
    main()
