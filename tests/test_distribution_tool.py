"""The statistics of benchmarks/distribution.py on synthetic runs tables: two samples of the same
distributions pass, a shifted number, a shifted category, a changed share of "never" or a
constant that changed fail, and Holm's adjustment matches a hand computation. One short run of
the whole tool checks that each side runs the tree asked for."""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import short_scenario

ROOT = Path(__file__).resolve().parent.parent
N = 200


@pytest.fixture(scope="module")
def dist():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "benchmarks"))  # distribution.py imports trees.py beside it
        yield importlib.import_module("distribution")


def runs(seed: int, shift: float = 0.0, lna_share: float = 0.5, never: float = 0.3) -> pd.DataFrame:
    """A synthetic runs table: identifiers, continuous losses, integer counts, a capture time
    that never happens in a share `never` of runs, a controller, a boolean and constants."""
    rng = np.random.default_rng(seed)
    captured_at = rng.gamma(4.0, 30.0, N)
    captured_at[rng.random(N) < never] = np.nan
    return pd.DataFrame(
        {
            "run_id": np.arange(N),
            "seed": rng.integers(0, 2**62, N),
            "losses_gna": rng.lognormal(6.5 + shift, 0.4, N),
            "incidents_drone": rng.poisson(2.0, N),
            "sirte_captured_at": captured_at,
            "controller_end_misrata": rng.choice(
                ["GNA", "LNA", "contested"], N, p=[0.9 - lna_share / 2, lna_share / 2, 0.1]
            ),
            "ceasefire_held": rng.random(N) < 0.6,
            "patron_deployments": np.full(N, 2),
            "tripoli_captured_at": np.full(N, np.nan),
        }
    )


def verdicts(dist, a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, dict[tuple[str, str], str]]:
    rows = dist.compare(a, b, scenario="synthetic")
    moved = dist.judge(rows, alpha=0.01)
    return moved, {(r.outcome, r.test): r.verdict for r in rows}


def test_same_distributions_pass(dist) -> None:
    moved, got = verdicts(dist, runs(1), runs(2))
    assert not moved, got
    assert set(got.values()) <= {"same", "constant, equal", "constant, equal (never)"}
    assert not any(o in ("run_id", "seed") for o, _ in got)  # identifiers are not outcomes
    assert got[("patron_deployments", "constant")] == "constant, equal"
    assert got[("tripoli_captured_at", "constant")] == "constant, equal (never)"
    assert got[("sirte_captured_at", "Fisher exact: share never")] == "same"
    assert got[("controller_end_misrata", "chi-square")] == "same"
    assert got[("ceasefire_held", "Fisher exact")] == "same"


def test_a_shifted_number_fails(dist) -> None:
    moved, got = verdicts(dist, runs(1), runs(2, shift=0.2))  # losses x 1.22, half an SD
    assert moved
    assert got[("losses_gna", "Mann-Whitney U")] == "MOVED"
    others = {k: v for k, v in got.items() if k[0] != "losses_gna"}
    assert "MOVED" not in others.values(), others


def test_a_shifted_category_fails(dist) -> None:
    moved, got = verdicts(dist, runs(1, lna_share=0.1), runs(2, lna_share=0.5))
    assert moved
    assert got[("controller_end_misrata", "chi-square")] == "MOVED"
    assert [k for k, v in got.items() if v == "MOVED"] == [("controller_end_misrata", "chi-square")]


def test_a_changed_share_of_never_fails_and_the_times_are_tested_apart(dist) -> None:
    moved, got = verdicts(dist, runs(1, never=0.2), runs(2, never=0.6))
    assert moved
    assert got[("sirte_captured_at", "Fisher exact: share never")] == "MOVED"
    # the times among the runs where Sirte falls come from the same distribution on both sides
    assert got[("sirte_captured_at (when it happens)", "Kolmogorov-Smirnov")] == "same"
    assert got[("sirte_captured_at (when it happens)", "Mann-Whitney U")] == "same"


def test_constant_that_changed_and_column_on_one_side_fail(dist) -> None:
    b = runs(2).assign(patron_deployments=3).drop(columns="ceasefire_held")
    moved, got = verdicts(dist, runs(1), b)
    assert moved
    assert got[("patron_deployments", "constant")] == "CONSTANT, DIFFERS"
    assert got[("ceasefire_held", "-")] == "ONLY IN A"


def test_small_tables_use_a_monte_carlo_p_value(dist) -> None:
    a = pd.DataFrame({"offensives_resumed_by": ["LNA"] * 190 + ["GNA"] * 8 + [None] * 2})
    b = pd.DataFrame({"offensives_resumed_by": ["LNA"] * 150 + ["GNA"] * 48 + [None] * 2})
    rows = dist.compare(a, b)
    assert [r.test for r in rows] == ["chi-square, Monte Carlo"]  # 'none': expected count 2
    assert rows[0].a == "GNA 8 / LNA 190 / none 2"
    assert dist.judge(rows, alpha=0.01)


def test_holm_matches_a_hand_computation(dist) -> None:
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 -> kept at 0.06
    assert dist.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert dist.holm([0.5, 0.9]) == [1.0, 1.0]


def test_a_bad_commit_is_one_line_and_exit_code_2(dist, capsys) -> None:
    assert dist.main(["--rev", "no-such-commit-xyz", "-n", "5"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"distribution.py: 'no-such-commit-xyz' names no commit in {ROOT}"
    ]


def test_a_json_file_in_no_folder_is_refused_before_any_run(dist, capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as exit_:
        dist.main(["--json", str(tmp_path / "missing" / "out.json")])
    assert exit_.value.code == 2
    assert f"no folder {tmp_path / 'missing'}" in capsys.readouterr().err


def test_the_tool_runs_head_against_the_working_tree(dist, tmp_path: Path) -> None:
    scenario = short_scenario(tmp_path, end="2020-01-06T00:00+02:00")  # one day
    out = tmp_path / "out.json"
    argv = ["-n", "6", "--workers", "1", "--scenario", str(scenario), "--json", str(out)]
    assert dist.main(argv) == 0  # 6 runs a side are far too few to move anything after Holm
    facts = json.loads(out.read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    assert facts["a"]["commit"] == head.stdout.strip()[:12]
    assert (facts["a"]["seed"], facts["b"]["seed"]) == (1, 2)
    outcomes = {r["outcome"] for r in facts["rows"]}
    assert {"losses_gna", "controller_end_sirte", "ceasefire_state_end"} <= outcomes
    assert not outcomes & {"run_id", "point", "replicate", "seed"}
