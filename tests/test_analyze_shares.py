"""`analyze` writes shares as the run's summary and the report do (`sim.summary.percent`): a
share that happened never reads as 0% (1 run in 300 was '0%' in analyze's mean)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from sim.cli import app
from sim.report.labels import format_value
from sim.summary import percent

from .sweep_fakes import fake_sweep


def test_analyze_writes_1_run_in_300_as_0_3_percent(tmp_path):
    held = np.zeros(600, dtype=bool)
    held[0] = True  # 1 of the 300 runs at a = 0
    held[300:450] = True  # 150 of the 300 at a = 1
    design = pd.DataFrame({"a": np.repeat([0.0, 1.0], 300)})
    folder = fake_sweep(tmp_path / "s", design, {"ceasefire_held": held}, kind="grid")
    res = CliRunner().invoke(app, ["analyze", str(folder), "--outcome", "ceasefire_held"])
    assert res.exit_code == 0, res.output
    rows = [ln.split("│")[1:-1] for ln in res.output.splitlines() if ln.startswith("│ a ")]
    means = [cells[3].strip() for cells in rows if len(cells) == 6]  # the shares' table
    assert means == ["0.3%", "50%"]  # was "0%" and "50%"
    assert (folder / "analysis.html").is_file()
    assert "mean 0.3%" in (folder / "analysis.html").read_text()


def test_shares_too_small_for_one_decimal_say_so():
    assert [percent(s) for s in (0, 1 / 300, 1 / 2500, 0.5, 2499 / 2500, 1)] == [
        "0%", "0.3%", "<0.1%", "50%", ">99.9%", "100%"
    ]  # fmt: skip
    assert format_value("ceasefire_held", 1 / 2500, None) == "<0.1%"
