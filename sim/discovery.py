"""Scenario discovery over a sweep: PRIM boxes and extra-trees feature scores (EMA Workbench).

`parse_condition("ceasefire_survived_30d == True", outcomes)` reads `--discover`: an outcome
column, one comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) and a value (a number, `True`/`False`
or a bare word such as a faction name), parsed by a regular expression, never evaluated.
Errors are `InputError`s located at the column of the expression they concern.

`discover(runs, params, condition)` marks each run where the condition holds as a case of
interest and runs PRIM (Friedman and Fisher 1999; EMA Workbench's `Prim`, lenient objective,
peel and paste alpha 0.05, minimum mass 0.05) over the swept parameters. It returns the
peeling trajectory (coverage: the share of all cases of interest inside the box; density: the
share of runs inside the box that are cases; mass: the share of runs inside the box) and the
chosen box: the one with the highest coverage among those with density >= `min_density`
(default 0.8), or the densest one when none reaches it. Each restricted limit of the chosen box
has its quasi-p-value (Bryant and Lempert 2010: a one-sided binomial test of the box against
the box with that limit removed).

`feature_scores(runs, params, outcome)` ranks the parameters by the impurity importance of an
extra-trees forest (EMA Workbench's `get_ex_feature_scores`; classification for a 0/1 outcome,
regression otherwise; fixed random state so reports are reproducible); scores sum to 1.

EMA Workbench and scikit-learn are an optional extra: `pip install 'conflict-sim[discovery]'`.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem, did_you_mean

INSTALL = "scenario discovery needs EMA Workbench: pip install 'conflict-sim[discovery]'"
OPS = ("==", "!=", "<=", ">=", "<", ">")
_EXPR = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>==|!=|<=|>=|<|>)?\s*(?P<value>.*?)\s*$"
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]*$|^'[^']*'$|^\"[^\"]*\"$")


@dataclass(frozen=True)
class Condition:
    """`outcome op value`, e.g. ceasefire_survived_30d == True."""

    outcome: str
    op: str
    value: float | bool | str
    text: str

    def mask(self, values: pd.Series) -> np.ndarray:
        """True where a run meets the condition; a run with no value never does."""
        present = values.notna().to_numpy()
        if isinstance(self.value, str):
            v = values.astype("string").fillna("").to_numpy(dtype=object)
            target: object = self.value
        else:
            v = pd.to_numeric(values.astype("float64"), errors="coerce").to_numpy()
            target = float(self.value)
        with np.errstate(invalid="ignore"):
            hit = {
                "==": lambda: v == target,
                "!=": lambda: v != target,
                "<": lambda: v < target,
                "<=": lambda: v <= target,
                ">": lambda: v > target,
                ">=": lambda: v >= target,
            }[self.op]()
        return np.asarray(hit, dtype=bool) & present


def _error(col: int, message: str) -> InputError:
    return InputError(Problem("--discover", 1, col, "discover", message))


def parse_condition(
    text: str, outcomes: Sequence[str], categorical: Sequence[str] = ()
) -> Condition:
    """Parse `OUTCOME OP VALUE` against the sweep's outcome columns (see the module notes).

    Raises InputError (field `discover`, column of the offending part) for an unknown outcome,
    a missing or unknown operator, a missing value, or a value of the wrong kind.
    """
    m = _EXPR.match(text)
    if not m or not text.strip():
        return _fail_shape(text)
    name, op, raw = m["name"], m["op"], m["value"]
    if name not in outcomes:
        raise _error(m.start("name") + 1, f"unknown outcome {name!r}{did_you_mean(name, outcomes)}")
    if op is None:
        rest = text[m.end("name") :].strip()
        col = m.end("name") + 1 + (len(text[m.end("name") :]) - len(text[m.end("name") :].lstrip()))
        what = f"found {rest[:10]!r}" if rest else "nothing after the outcome"
        raise _error(col, f"expected a comparison ({', '.join(OPS)}), {what}")
    col = m.start("value") + 1
    if not raw:
        raise _error(col, f"expected a value after {op!r}")
    if name in categorical:
        if op not in ("==", "!="):
            raise _error(m.start("op") + 1, f"{name} is a category: use == or !=, not {op!r}")
        if not _WORD.match(raw):
            raise _error(col, f"expected a word (a faction key, a place), found {raw!r}")
        return Condition(name, op, raw.strip("'\""), text.strip())
    if raw in ("True", "true", "False", "false"):
        if op not in ("==", "!="):
            raise _error(m.start("op") + 1, f"compare True/False with == or !=, not {op!r}")
        return Condition(name, op, raw.lower() == "true", text.strip())
    if not _NUMBER.match(raw):
        raise _error(col, f"expected a number or True/False, found {raw!r}")
    return Condition(name, op, float(raw), text.strip())


def _fail_shape(text: str) -> Condition:
    stripped = text.lstrip()
    col = len(text) - len(stripped) + 1
    if not stripped:
        raise _error(1, "empty condition: expected OUTCOME OP VALUE, e.g. 'front_km_end < 300'")
    raise _error(col, f"expected an outcome name, found {stripped[:10]!r}")


@dataclass
class Discovery:
    """PRIM's answer for one condition (shapes: trajectory one row per box, limits one row per
    restricted parameter)."""

    condition: Condition
    runs: int  # runs with a value of the outcome (PRIM's data)
    cases: int  # of those, runs meeting the condition
    trajectory: pd.DataFrame  # box, coverage, density, mass, restricted, runs, cases
    chosen: int  # row of `trajectory`
    limits: pd.DataFrame  # parameter, low, high, range_low, range_high, qp_low, qp_high
    min_density: float
    note: str = ""

    @property
    def box(self) -> pd.Series:
        return self.trajectory.iloc[self.chosen]


def _known_category(condition: Condition, values: pd.Series) -> None:
    """A category no run has (a misspelt faction or state) is an error naming those the runs
    have, not a condition that no run (or, with !=, every run) meets."""
    have = sorted({str(v) for v in values})
    if have and condition.value not in have:
        col = condition.text.rindex(str(condition.value)) + 1
        raise _error(
            col,
            f"{condition.value!r} is not a value of {condition.outcome} (the runs have "
            f"{', '.join(have)}){did_you_mean(str(condition.value), have)}",
        )


def _require_ema():
    try:
        with warnings.catch_warnings():  # "ipyparallel not installed": not used here
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        raise InputError(Problem("--discover", 1, 1, "discover", INSTALL)) from None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def discover(
    runs: pd.DataFrame, params: Sequence[str], condition: Condition, min_density: float = 0.8,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> Discovery:  # fmt: skip
    """PRIM over the swept parameters for the runs meeting `condition` (module notes).
    `ranges` (the design's swept range per parameter) is what the limits are shown against;
    by default the range of the runs.

    Raises InputError when EMA Workbench is missing, or when no run, or every run, meets the
    condition (PRIM then has nothing to separate).
    """
    prim = _require_ema()
    values = runs[condition.outcome]
    keep = values.notna().to_numpy()
    if isinstance(condition.value, str):
        _known_category(condition, values[keep])
    x = runs.loc[keep, list(params)].astype("float64").reset_index(drop=True)
    y = condition.mask(values[keep]).astype(int)
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        which = "no run" if cases == 0 else "every run"
        raise _error(
            1, f"{which} of the {len(y)} with a value meets {condition.text!r}: nothing to discover"
        )
    with warnings.catch_warnings():  # pandas deprecations inside EMA Workbench
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        p = prim.Prim(x, y, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05)
        box = p.find_box()
    t = box.peeling_trajectory
    traj = pd.DataFrame(
        {
            "box": np.arange(len(t)),
            "coverage": t["coverage"].to_numpy(dtype=float),
            "density": t["density"].to_numpy(dtype=float),
            "mass": t["mass"].to_numpy(dtype=float),
            "restricted": t["res_dim"].to_numpy(dtype=int),
            "runs": t["n"].to_numpy(dtype=int),
            "cases": t["k"].to_numpy(dtype=int),
        }
    )
    dense = traj[traj["density"] >= min_density - 1e-12]
    note = ""
    if dense.empty:
        chosen = int(traj["density"].idxmax())
        note = (
            f"No box reaches a density of {min_density:.0%}: the densest one is shown "
            f"({traj.at[chosen, 'density']:.0%})."
        )
    else:
        chosen = int(dense.sort_values(["coverage", "density"], ascending=False).index[0])
    init = box.box_lims[0]
    _, table = box.inspect(chosen, style="data")[0]  # restricted parameters: min, max, qp, qp
    rows = []
    for name, r in zip(table.index, table.to_numpy(dtype=float), strict=True):
        rows.append(
            {
                "parameter": name, "low": r[0], "high": r[1],
                "range_low": (ranges or {}).get(name, (float(init[name].iloc[0]), 0))[0],
                "range_high": (ranges or {}).get(name, (0, float(init[name].iloc[1])))[1],
                "qp_low": r[2], "qp_high": r[3],
            }
        )  # fmt: skip
    rows.sort(key=lambda row: list(params).index(row["parameter"]))
    cols = ["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"]
    limits = pd.DataFrame(rows, columns=cols)
    return Discovery(condition, len(y), cases, traj, chosen, limits, min_density, note)


def feature_scores(
    runs: pd.DataFrame, params: Sequence[str], outcome: pd.Series, share: bool, seed: int = 0
) -> pd.DataFrame | None:
    """Extra-trees feature scores of the parameters for one outcome (runs with a value only):
    columns parameter, score (sums to 1), sorted high to low; None with fewer than 10 runs or
    when EMA Workbench is missing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import feature_scoring
            from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    except ImportError:
        return None
    keep = outcome.notna().to_numpy()
    if keep.sum() < 10:
        return None
    x = runs.loc[keep, list(params)].astype("float64").reset_index(drop=True)
    y = outcome[keep].astype("float64").to_numpy()
    if np.unique(y).size < 2:
        return None
    mode = RuleInductionType.CLASSIFICATION if share else RuleInductionType.REGRESSION
    scores, _ = feature_scoring.get_ex_feature_scores(
        x, y.astype(int) if share else y, mode=mode, max_features=max(1, round(len(params) / 3)),
        random_state=seed,
    )  # fmt: skip
    out = pd.DataFrame({"parameter": list(scores.index), "score": scores.iloc[:, 0].to_numpy()})
    return out.reset_index(drop=True)
