"""Did any key outcome's distribution move between two commits? A two-sample test on each
outcome of `runs.parquet` (issue #12, "Keep the contract": a change that reorders random draws
for speed must show on 200 replicates that no key outcome's distribution moved).

    .venv/bin/python benchmarks/distribution.py                       # HEAD vs the working tree
    .venv/bin/python benchmarks/distribution.py --rev main --rev-b speed3 --json out.json
    .venv/bin/python benchmarks/distribution.py -n 20 --scenario /tmp/short.yaml   # a quick look

Side A is `--rev` (default HEAD), side B the working tree or `--rev-b`; a commit is checked out
into a temporary git worktree (`trees.py`, as `versus.py` does) and each side runs its own code:
`conflict-sim run <scenario> -n N --no-report --seed S --workers W` in a child of this
interpreter with the side's folder first on PYTHONPATH. A scenario id resolves in each side's own
`scenarios/`; a path is used as given. By default the sides get different base seeds (`--seed`,
`--seed-b` = seed + 1): the tests assume independent samples, and common seeds would correlate
the sides wherever the draws did not change, which makes the tests blind to part of a change.

Every column of `runs.parquet` but the run's identifiers is an outcome:
- numbers: Kolmogorov-Smirnov (`scipy.stats.ks_2samp`, any difference of shape) and
  Mann-Whitney U (`mannwhitneyu`, a shift); the Anderson-Darling k-sample test is not used
  because scipy floors its tabulated p-value at 0.001, which after the correction below could
  never fall under 0.01. Missing values (`*_captured_at`, `offensives_resumed_at`, ... for "never
  happened") first get Fisher's exact test on the share that never happens, then the two tests
  on the times among the runs where it happens;
- categories (`controller_end_*`, `ceasefire_state_end`, `offensives_resumed_by`, booleans;
  missing counts as "none"): Fisher's exact test on a 2 x 2 table, the chi-square test of
  independence on a larger one (`chi2_contingency`; its Monte Carlo p-value, 99,999 random
  tables, where an expected count is under 5);
- an outcome constant on both sides is listed as constant, equal or not (not equal fails).
The p-values of all tests of all scenarios form one family, adjusted by Holm-Bonferroni (Holm
1979, Scand. J. Statist. 6:65-70), which bounds the chance of any false alarm at `--alpha`.
Medians and 5-95% ranges of each side, and the difference of medians B - A with a 95% percentile
bootstrap interval (`scipy.stats.bootstrap`, 2,000 resamples, fixed seed), describe the size.

Exit code 1 if any adjusted p-value is under `--alpha` (default 0.01) or an outcome is constant
with different values or found on one side only; 0 otherwise; 2 for a bad commit or a failed run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from trees import ROOT, checkout, commit_of, describe_working_tree, env_for, model_source

IDENTIFIERS = ("run_id", "point", "replicate", "seed")
SCENARIOS = ("ceasefire_jan12", "no_ceasefire")
MIN_SAMPLE = 5  # fewer values on a side than this: described, not tested
MONTE_CARLO_TABLES = 99_999  # smallest p-value 1e-5, under Holm's first threshold for ~500 tests
BOOTSTRAP_RESAMPLES = 2_000


@dataclass
class Row:
    """One test of one outcome (or an outcome not tested, with the reason in `verdict`).

    `a` and `b` describe each side ("median [5%, 95%]", or counts); `p` is the test's p-value,
    `p_adjusted` Holm's, both None where nothing was tested."""

    scenario: str
    outcome: str
    test: str
    a: str
    b: str
    p: float | None = None
    p_adjusted: float | None = None
    difference: str = ""
    verdict: str = ""
    failed: bool = False


def _num(v: float) -> str:
    return f"{v:.4g}"


def _describe(x: np.ndarray) -> str:
    lo, hi = np.percentile(x, [5, 95])
    return f"{_num(np.median(x))} [{_num(lo)}, {_num(hi)}]"


def _median_difference(xa: np.ndarray, xb: np.ndarray, seed: int) -> str:
    """B - A of the medians with its 95% percentile bootstrap interval."""

    def diff(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
        return np.median(b, axis=axis) - np.median(a, axis=axis)

    with warnings.catch_warnings():  # a degenerate bootstrap distribution is a valid answer here
        warnings.simplefilter("ignore")
        ci = stats.bootstrap(
            (xa, xb),
            diff,
            vectorized=True,
            n_resamples=BOOTSTRAP_RESAMPLES,
            method="percentile",
            rng=np.random.default_rng(seed),
        ).confidence_interval
    return f"{_num(np.median(xb) - np.median(xa))} [{_num(ci.low)}, {_num(ci.high)}]"


def _numeric(scenario: str, name: str, a: pd.Series, b: pd.Series, seed: int) -> list[Row]:
    xa, xb = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    rows = []
    never_a, never_b = int(np.isnan(xa).sum()), int(np.isnan(xb).sum())
    if never_a or never_b:
        share = f"never in {never_a}/{len(xa)}", f"never in {never_b}/{len(xb)}"
        if never_a == len(xa) and never_b == len(xb):
            return [Row(scenario, name, "constant", *share, verdict="constant, equal (never)")]
        table = [[never_a, len(xa) - never_a], [never_b, len(xb) - never_b]]
        p = float(stats.fisher_exact(table).pvalue)
        rows.append(Row(scenario, name, "Fisher exact: share never", *share, p=p))
        xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
        name = f"{name} (when it happens)"
    if min(len(xa), len(xb)) < MIN_SAMPLE:
        a_txt = _describe(xa) if len(xa) else "-"
        b_txt = _describe(xb) if len(xb) else "-"
        verdict = f"not tested: under {MIN_SAMPLE} values on a side"
        return [*rows, Row(scenario, name, "-", a_txt, b_txt, verdict=verdict)]
    a_txt, b_txt = _describe(xa), _describe(xb)
    if np.ptp(xa) == 0 and np.ptp(xb) == 0:
        same = xa[0] == xb[0]
        verdict = "constant, equal" if same else "CONSTANT, DIFFERS"
        return [
            *rows,
            Row(scenario, name, "constant", a_txt, b_txt, verdict=verdict, failed=not same),
        ]
    difference = _median_difference(xa, xb, seed)
    with warnings.catch_warnings():  # with many ties the exact p gives way to the asymptotic one
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
        ks = float(stats.ks_2samp(xa, xb).pvalue)
    mw = float(stats.mannwhitneyu(xa, xb).pvalue)
    return [
        *rows,
        Row(scenario, name, "Kolmogorov-Smirnov", a_txt, b_txt, p=ks, difference=difference),
        Row(scenario, name, "Mann-Whitney U", a_txt, b_txt, p=mw, difference=difference),
    ]


def _categorical(scenario: str, name: str, a: pd.Series, b: pd.Series, seed: int) -> list[Row]:
    va = a.astype(object).where(a.notna(), "none").astype(str)
    vb = b.astype(object).where(b.notna(), "none").astype(str)
    counts = pd.DataFrame({"A": va.value_counts(), "B": vb.value_counts()}).fillna(0).sort_index()
    a_txt, b_txt = (" / ".join(f"{k} {int(v)}" for k, v in counts[s].items() if v) for s in "AB")
    if va.nunique() == 1 and vb.nunique() == 1:
        same = va.iloc[0] == vb.iloc[0]
        verdict = "constant, equal" if same else "CONSTANT, DIFFERS"
        return [Row(scenario, name, "constant", a_txt, b_txt, verdict=verdict, failed=not same)]
    table = counts.to_numpy(dtype=np.int64).T  # 2 sides x k categories
    if table.shape[1] == 2:
        p = float(stats.fisher_exact(table).pvalue)
        return [Row(scenario, name, "Fisher exact", a_txt, b_txt, p=p)]
    if stats.contingency.expected_freq(table).min() >= 5:
        p, test = float(stats.chi2_contingency(table).pvalue), "chi-square"
    else:
        method = stats.MonteCarloMethod(
            n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(seed)
        )
        p = float(stats.chi2_contingency(table, correction=False, method=method).pvalue)
        test = "chi-square, Monte Carlo"
    return [Row(scenario, name, test, a_txt, b_txt, p=p)]


def compare(a: pd.DataFrame, b: pd.DataFrame, scenario: str = "", seed: int = 0) -> list[Row]:
    """Test each outcome column of two `runs.parquet` tables (side A, side B).

    Columns in `IDENTIFIERS` are left out; a column on one side only is a failed row. Booleans and
    text are categories, other columns numbers (NaN: "never"). `seed` fixes the bootstrap and
    Monte Carlo draws. Returns rows in column order, not yet adjusted (see `judge`)."""
    rows: list[Row] = []
    columns = [c for c in dict.fromkeys([*a.columns, *b.columns]) if c not in IDENTIFIERS]
    for i, name in enumerate(columns):
        if name not in a or name not in b:
            side = "A" if name in a else "B"
            rows.append(Row(scenario, name, "-", "", "", verdict=f"ONLY IN {side}", failed=True))
            continue
        numeric = all(
            pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            for s in (a[name], b[name])
        )
        test = _numeric if numeric else _categorical
        rows.extend(test(scenario, name, a[name], b[name], seed + i))
    return rows


def holm(ps: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given: the i-th smallest of m is
    multiplied by m - i + 1 (i from 1), made non-decreasing in that order and capped at 1."""
    order = np.argsort(ps, kind="stable")
    m = len(ps)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        adjusted[i] = running
    return adjusted.tolist()


def judge(rows: list[Row], alpha: float) -> bool:
    """Adjust every tested row's p-value (one Holm family) and set its verdict; True if any
    outcome moved (adjusted p < alpha) or a row had failed already."""
    tested = [r for r in rows if r.p is not None]
    for row, adjusted in zip(tested, holm([r.p for r in tested]), strict=True):
        row.p_adjusted = adjusted
        row.failed = adjusted < alpha
        row.verdict = "MOVED" if row.failed else "same"
    return any(r.failed for r in rows)


def run_side(tree: Path, scenario: str, n: int, seed: int, workers: int, out: Path) -> pd.DataFrame:
    """`conflict-sim run` of `tree`'s own model, in a child of this interpreter; its runs table."""
    model_source(tree)  # RuntimeError unless the child imports `tree`'s sim
    cli = "import sys; from sim.cli import app; sys.argv[0] = 'conflict-sim'; app()"
    cmd = [
        sys.executable,
        "-c",
        cli,
        "run",
        scenario,
        "-n",
        str(n),
        "--no-report",
        "--quiet",
        "--seed",
        str(seed),
        "--workers",
        str(workers),
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, cwd=tree, env=env_for(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[3:])} in {tree} failed:\n{done.stderr.strip()}")
    return pd.read_parquet(out / "runs.parquet")


def _print(rows: list[Row]) -> None:
    def p(v: float | None) -> str:
        return "-" if v is None else f"{v:.2e}" if v < 1e-3 else f"{v:.3f}"

    head = ("outcome", "test", "p", "adj. p", "A", "B", "B - A median [95% CI]", "verdict")
    table = [
        (r.outcome, r.test, p(r.p), p(r.p_adjusted), r.a, r.b, r.difference, r.verdict)
        for r in rows
    ]
    widths = [max(len(str(x[i])) for x in [head, *table]) for i in range(len(head))]
    for scenario in dict.fromkeys(r.scenario for r in rows):
        print(f"\n{scenario}")
        print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for r, line in zip(rows, table, strict=True):
            if r.scenario == scenario:
                print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rev", default="HEAD", help="side A: a commit (default HEAD)")
    ap.add_argument("--rev-b", help="side B: a commit (default: the working tree)")
    ap.add_argument(
        "--scenario",
        action="append",
        help=f"id or path, repeatable (default {', '.join(SCENARIOS)})",
    )
    ap.add_argument("-n", "--replicates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1, help="side A's base seed (default 1)")
    ap.add_argument("--seed-b", type=int, help="side B's base seed (default: --seed + 1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--json", type=Path, help="write the rows and the run's facts here")
    args = ap.parse_args(argv)
    if args.replicates < 2:
        ap.error(f"--replicates {args.replicates}: give 2 or more")
    if not 0 < args.alpha < 1:
        ap.error(f"--alpha {args.alpha}: give a level between 0 and 1")
    if args.json and not args.json.parent.is_dir():  # found out now, not after the runs
        ap.error(f"--json {args.json}: no folder {args.json.parent}")
    seed_b = args.seed + 1 if args.seed_b is None else args.seed_b
    scenarios = args.scenario or list(SCENARIOS)
    try:
        label_a = commit_of(args.rev)[:12]
        label_b = commit_of(args.rev_b)[:12] if args.rev_b else describe_working_tree()
    except ValueError as exc:
        print(f"distribution.py: {exc}", file=sys.stderr)
        return 2
    load_before, wall = os.getloadavg(), time.perf_counter()
    rows: list[Row] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        tree_a = stack.enter_context(checkout(args.rev))
        tree_b = stack.enter_context(checkout(args.rev_b)) if args.rev_b else ROOT
        for k, scenario in enumerate(scenarios):
            name = Path(scenario).stem
            sides = []
            for side, tree, seed in (("A", tree_a, args.seed), ("B", tree_b, seed_b)):
                print(
                    f"{name}: side {side}, {args.replicates} runs, seed {seed} ...", file=sys.stderr
                )
                try:
                    out = Path(tmp) / f"{k}-{side}"
                    sides.append(run_side(tree, scenario, args.replicates, seed, args.workers, out))
                except (RuntimeError, subprocess.CalledProcessError) as exc:
                    print(f"distribution.py: {exc}", file=sys.stderr)
                    return 2
            rows.extend(compare(*sides, scenario=name, seed=1000 * k))
    moved = judge(rows, args.alpha)
    wall, load_after = time.perf_counter() - wall, os.getloadavg()
    facts = {
        "a": {"rev": args.rev, "commit": label_a, "seed": args.seed},
        "b": {"rev": args.rev_b or "working tree", "commit": label_b, "seed": seed_b},
        "scenarios": scenarios,
        "replicates": args.replicates,
        "workers": args.workers,
        "alpha": args.alpha,
        "correction": "Holm-Bonferroni over all tests",
        "wall_seconds": round(wall, 1),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "moved": moved,
    }
    print(
        f"A = {args.rev} ({label_a}, seed {args.seed}), B = {facts['b']['rev']} ({label_b}, "
        f"seed {seed_b}); {args.replicates} runs a side; Holm-adjusted, alpha {args.alpha}"
    )
    _print(rows)
    tested = sum(r.p is not None for r in rows)
    failed = [r for r in rows if r.failed]
    print(
        f"\n{tested} tests; {len(failed)} failed: "
        f"{'; '.join(f'{r.scenario} {r.outcome} ({r.test})' for r in failed) or 'none'}"
    )
    print(
        f"{wall:.0f} s wall; load average "
        f"{load_before[0]:.2f} {load_before[1]:.2f} before, {load_after[0]:.2f} {load_after[1]:.2f} after"
    )
    if args.json:
        args.json.write_text(
            json.dumps({**facts, "rows": [asdict(r) for r in rows]}, indent=1) + "\n"
        )
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
