"""A sweep's design: the swept parameters (`KEY=SPEC` axes) and the points to run.

Designs are a full grid, a Latin hypercube (McKay, Beckman & Conover 1979) or Saltelli's scheme
on a scrambled Sobol' sequence (Saltelli 2002; Saltelli et al. 2010), all from scipy.stats.qmc
and seeded apart from every run's stream, so a design never changes with the run seeds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem
from sim.params import ParamRegistry

DESIGNS = ("grid", "lhs", "sobol")
DEFAULT_SAMPLES = {"lhs": 64, "sobol": 16}
# A design's own random stream, apart from every run's (run seeds use 2-element spawn keys).
_DESIGN_KEY = (0x5EED,)


def usage_problem(field_: str, message: str, origin: str = "--param") -> InputError:
    """A command-line option's error as one located line (the option stands for the file)."""
    return InputError(Problem(origin, 1, 1, field_, message))


# --- parameter specs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One swept parameter: discrete levels (`a,b,c`, `lo:hi:n`) or a continuous range (`lo:hi`)."""

    key: str
    spec: str
    low: float
    high: float
    values: tuple[float, ...] | None = None

    @property
    def continuous(self) -> bool:
        return self.values is None

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples onto this axis (levels are equally likely)."""
        if self.values is None:
            return self.low + u * (self.high - self.low)
        idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[idx]


def _number(key: str, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise usage_problem(key, f"{what}: expected a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise usage_problem(key, f"{what}: expected a finite number, got {text.strip()!r}")
    return value


def _tidy(x: float) -> float:
    """0.30000000000000004 -> 0.3: grid values as a person would write them."""
    return float(f"{x:.12g}")


def parse_axis(item: str, registry: ParamRegistry) -> Axis:
    """Parse `KEY=SPEC` where SPEC is `a,b,c`, `lo:hi:n` or `lo:hi`; check key and range."""
    key, sep, spec = item.partition("=")
    key, spec = key.strip(), spec.strip()
    if not sep or not key or not spec:
        raise usage_problem(item, "expected KEY=SPEC with SPEC one of a,b,c | lo:hi:n | lo:hi")
    if key not in registry.specs:
        raise usage_problem(key, registry.check(key, 0.0) or "unknown parameter")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise usage_problem(key, f"{spec!r}: expected lo:hi (a range) or lo:hi:n (n values)")
        lo = _number(key, parts[0], f"{spec!r}: lo")
        hi = _number(key, parts[1], f"{spec!r}: hi")
        if not lo < hi:
            raise usage_problem(key, f"{spec!r}: lo must be less than hi")
        values = None
        if len(parts) == 3:
            try:
                n = int(parts[2])
            except ValueError:
                n = 0
            if n < 2:
                raise usage_problem(key, f"{spec!r}: n must be a whole number of at least 2")
            values = tuple(_tidy(v) for v in np.linspace(lo, hi, n))
        checks = list(values) if values is not None else [lo, hi]
        if values is None and registry.specs[key].switch:
            raise usage_problem(key, f"{spec!r}: a switch is 0 or 1, not a range: sweep it as 0,1")
    else:
        texts = spec.split(",")
        if any(not t.strip() for t in texts):
            raise usage_problem(key, f"{spec!r}: empty value in the list")
        values = tuple(_number(key, t, f"{spec!r}") for t in texts)
        if len(set(values)) != len(values):
            raise usage_problem(key, f"{spec!r}: a value is repeated")
        lo, hi, checks = min(values), max(values), list(values)
    for v in checks:
        why = registry.check(key, v)
        if why:
            raise usage_problem(key, why)
    return Axis(key=key, spec=spec, low=lo, high=hi, values=values)


def parse_axes(items: Iterable[str], registry: ParamRegistry) -> list[Axis]:
    axes: list[Axis] = []
    for item in items:
        axis = parse_axis(item, registry)
        if any(a.key == axis.key for a in axes):
            raise usage_problem(axis.key, "swept twice; give each parameter one --param")
        axes.append(axis)
    if not axes:
        raise usage_problem("", "give at least one --param KEY=SPEC to sweep")
    return axes


# --- designs --------------------------------------------------------------------------------


def design_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=_DESIGN_KEY))


def grid_design(axes: Sequence[Axis]) -> pd.DataFrame:
    """Every combination of the axes' values (the last parameter varies fastest)."""
    for a in axes:
        if a.values is None:
            raise usage_problem(
                a.key,
                f"{a.spec!r} is a range; a grid needs values (a,b,c) or lo:hi:n "
                "(or use --design lhs or --design sobol)",
            )
    rows = list(itertools.product(*(a.values for a in axes)))
    return pd.DataFrame(rows, columns=[a.key for a in axes], dtype=float)


def lhs_design(axes: Sequence[Axis], samples: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube of `samples` points, seeded."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(axes), rng=design_rng(seed)).random(samples)
    return pd.DataFrame({a.key: a.scale(u[:, j]) for j, a in enumerate(axes)})


def saltelli_unit(d: int, n: int, seed: int) -> np.ndarray:
    """Saltelli's scheme on a scrambled Sobol' sequence, first and total order (N * (D + 2) rows).

    Row layout matches `SALib.sample.sobol.sample(problem, N, calc_second_order=False)`, so
    `SALib.analyze.sobol.analyze(..., calc_second_order=False)` reads outcomes in design order:
    for each base row i: A_i, then A_i with column j taken from B_i for each j, then B_i.
    """
    from scipy.stats import qmc

    base = qmc.Sobol(d=2 * d, scramble=True, rng=design_rng(seed)).random_base2(int(math.log2(n)))
    a, b = base[:, :d], base[:, d:]
    blocks = np.empty((n, d + 2, d))
    blocks[:, 0] = a
    for j in range(d):
        blocks[:, 1 + j] = a
        blocks[:, 1 + j, j] = b[:, j]
    blocks[:, d + 1] = b
    return blocks.reshape(n * (d + 2), d)


def sobol_design(axes: Sequence[Axis], samples: int, seed: int) -> pd.DataFrame:
    if samples < 2 or samples & (samples - 1):
        up = 1 << max(1, math.ceil(math.log2(max(samples, 2))))
        raise usage_problem(
            "--samples",
            f"a Sobol' design needs a power of 2 base samples (got {samples}; try {up})",
            origin="--samples",
        )
    u = saltelli_unit(len(axes), samples, seed)
    return pd.DataFrame({a.key: a.scale(u[:, j]) for j, a in enumerate(axes)})


def make_design(kind: str, axes: Sequence[Axis], samples: int | None, seed: int) -> pd.DataFrame:
    """The design points: one row per point (index = point number), one column per parameter."""
    if kind not in DESIGNS:
        raise usage_problem(
            "--design", f"unknown design {kind!r}; one of {', '.join(DESIGNS)}", "--design"
        )
    if kind == "grid":
        if samples is not None:
            raise usage_problem(
                "--samples",
                "--samples applies to lhs and sobol; a grid's size comes from its values",
                "--samples",
            )
        points = grid_design(axes)
    else:
        n = DEFAULT_SAMPLES[kind] if samples is None else samples
        if n < 1:
            raise usage_problem("--samples", "must be at least 1", "--samples")
        points = lhs_design(axes, n, seed) if kind == "lhs" else sobol_design(axes, n, seed)
    points.index.name = "point"
    return points


# --- the plan -------------------------------------------------------------------------------


def check_points(setup: Any, base: Mapping[str, float], points: pd.DataFrame) -> None:
    """Refuse a design with a point the model cannot run: its parameters, over `base`, leave a
    group of weights all 0 (an incident's kind), at the start or after one of the scenario's
    `set` events (the model would fail at its next draw from the group, in a worker, mid-sweep).

    Raises:
        InputError: one line for the first such point, located at `--param` or at the event.
    """
    from sim.weights import event_problem, zeroed_group

    for number, row in points.iterrows():
        point = {k: float(v) for k, v in row.items()}
        zeroed = zeroed_group(setup.scenario, {**base, **point})
        if zeroed is None:
            continue
        shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
        if zeroed.event is None:
            raise usage_problem(zeroed.key, f"design point {number} ({shown}): {zeroed.why}")
        raise InputError(event_problem(setup, zeroed, f"with design point {number} ({shown})"))
