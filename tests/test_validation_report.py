"""The report's validation section (issue #15): findings, overall scores of the model and the
no-change baseline with the skill, windows and sample marks, safe source links, and the chart."""

from __future__ import annotations

import pandas as pd
import yaml
from typer.testing import CliRunner

from sim.baseline import compare
from sim.cli import app
from sim.report.html import Link, Section, Table, assemble, render_table
from sim.report.tables import source_cell, validation_summary_table, validation_table
from sim.report.validation_section import findings, score_chart, validation_section

from .conftest import short_scenario


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["sirte_held", "clash", "deaths"],
            "description": ["LNA holds Sirte", "clashes <b>at</b> Abu Grein", "LNA dead"],
            "kind": ["control", "event", "number"],
            "source": [
                "Reuters, 2020-01-07, https://www.reuters.com/x",
                "Seed article, 2020-01-09, shared/seed/article.txt",
                "Crisis24, 2020-01-28, https://crisis24.garda.com/y",
            ],
            "source_url": ["https://www.reuters.com/x", None, "https://crisis24.garda.com/y"],
            "share_matching": [1.0, 0.2, 0.0],
            "score": [0.0, 0.64, 0.9],
            "score_kind": ["brier", "brier", "crps_normalised"],
            "weight": [1.0, 1.0, 1.0],
            "after_ceasefire": [False, True, True],
            "sample": ["in-sample", "out-of-sample", "out-of-sample"],
            "window_start": ["2020-01-07T00:00:00+02:00", "2020-01-26T00:00:00+02:00",
                             "2020-01-27T00:00:00+02:00"],
            "window_end": ["2020-01-07T00:00:00+02:00", "2020-01-27T00:00:00+02:00",
                           "2020-01-28T00:00:00+02:00"],
            "observed": ["LNA holds Sirte at 07 Jan 00:00", "engagement <img src=x>", "in [6, 11]"],
            "simulated": ["3 of 3 runs", "1 of 5 runs", "median 0"],
            "baseline_share_matching": [1.0, 0.5, 0.0],
            "baseline_score": [0.0, 0.25, 0.95],
        }
    )  # fmt: skip


def test_links_are_made_only_of_http_addresses_and_escaped():
    cells = [
        Link("ok", "https://example.org/a?b=1&c=2"),
        Link("js", "javascript:alert(1)"),
        Link("quote", 'https://example.org/"onmouseover="alert(1)'),
        Link("<b>tag</b>", "http://example.org/"),
    ]
    html = render_table(Table(columns=["c"], rows=[[c] for c in cells]))
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
        'rel="noopener noreferrer">ok</a>' in html
    )
    assert "<td>js</td>" in html and "javascript" not in html  # shown as its text only
    assert "<td>quote</td>" in html and "onmouseover" not in html and html.count("<a ") == 2
    assert "&lt;b&gt;tag&lt;/b&gt;</a>" in html


def test_source_cell_links_the_url_and_keeps_the_label():
    row = {"source": "Reuters, 2020-01-07, https://www.reuters.com/x", "source_url": None}
    cell = source_cell(row)
    assert cell == Link("Reuters, 2020-01-07", "https://www.reuters.com/x")  # found in the label
    assert source_cell({"source": "Seed article, 2020-01-09"}) == "Seed article, 2020-01-09"


def test_fact_table_has_windows_samples_both_scores_and_links():
    table = validation_table(_frame())
    assert table.columns == [
        "id", "window", "sample", "description", "score", "model: share, score",
        "baseline: share, score", "source",
    ]  # fmt: skip
    first, second, third = table.rows
    assert first[1] == "07 Jan 2020 00:00" and first[2] == "in-sample"
    assert second[1] == "26 Jan 2020 00:00 – 27 Jan 00:00" and second[2] == "out-of-sample"
    assert second[4:7] == ["Brier", "20%, 0.640", "50%, 0.250"]
    assert third[4:7] == ["CRPS/scale", "0%, 0.900", "0%, 0.950"]
    assert (
        isinstance(first[-1], Link)
        and second[-1] == "Seed article, 2020-01-09, shared/seed/article.txt"
    )


def test_summary_table_gives_model_baseline_and_skill():
    summary = compare(_frame())
    rows = {r[0]: r[1:] for r in validation_summary_table(summary).rows}
    model, base = (0.0 + 0.64) / 2, (0.0 + 0.25) / 2
    assert rows["mean Brier score (yes/no facts)"] == [
        f"{model:.3f}", f"{base:.3f}", f"{1 - model / base:.3f}"
    ]  # fmt: skip
    assert rows["mean CRPS / scale (numbers)"][2] == f"{1 - 0.9 / 0.95:.3f}"
    assert rows["mean share of runs matching"][:2] == ["40%", "50%"]


def test_findings_say_what_was_found_by_sample():
    text = " ".join(findings(_frame(), "baseline from each run's state at 12 Jan 2020 00:00"))
    assert "1 of 3 facts are matched in most runs" in text
    assert "Missed in most runs: clash, deaths" in text
    assert "In-sample (1 facts)" in text and "skill n/a" in text  # 0 against 0: undefined
    out = compare(_frame()[_frame()["sample"] == "out-of-sample"])
    assert f"Out-of-sample (2 facts): overall score {out['model']['score']:.3f}" in text
    assert "does not beat 'nothing changes'" in text
    assert "The baseline scores better on 1 facts: clash" in text
    assert text.endswith("Baseline from each run's state at 12 Jan 2020 00:00.")


def test_chart_plots_each_facts_score_for_model_and_baseline():
    fig = score_chart(_frame())
    traces = {t.name: t for t in fig.data if t.name}
    assert list(traces["model"].x) == [0.0, 0.64, 0.9]
    assert list(traces["no-change baseline"].x) == [0.0, 0.25, 0.95]
    assert list(traces["model"].y) == ["sirte_held", "clash *", "deaths *"]
    assert all(t.type == "scatter" for t in fig.data)  # the report's small plotly bundle
    hover = " ".join(traces["model"].customdata)
    assert "engagement &lt;img src=x&gt;" in hover and "<img" not in hover  # plotly reads HTML
    assert "26 Jan 2020 00:00 – 27 Jan 00:00 (out-of-sample)" in hover


def test_section_works_on_an_old_frame_without_the_baseline():
    old = _frame()[["id", "description", "kind", "source", "share_matching", "score",
                    "score_kind"]]  # fmt: skip
    section = validation_section(old, {})
    assert isinstance(section, Section)
    assert [t.name for t in section.figures[0].data] == ["model"]
    assert "baseline: share, score" not in section.tables[1].columns
    assert section.tables[0].columns == ["", "model"]
    page = assemble("t", [section])
    assert "https://www.reuters.com/x" in page and "clashes &lt;b&gt;at&lt;/b&gt;" in page


def test_validate_report_has_the_section_with_baseline_and_links(tmp_path):
    scenario = short_scenario(tmp_path, end="2020-01-08T00:00+02:00")
    source = {"publication": "Test <i>pub</i>", "date": "2020-01-07",
              "url": "https://example.org/libya?a=1&b=2"}  # fmt: skip
    facts = [
        {"id": "sirte", "kind": "control", "description": "LNA holds Sirte", "place": "Sirte",
         "controller": "LNA", "at": "2020-01-07T00:00+02:00", "source": source},
    ]  # fmt: skip
    obs = tmp_path / "obs.yaml"
    obs.write_text(yaml.safe_dump({"title": "t", "observations": facts}, sort_keys=False))
    out = tmp_path / "val"
    result = CliRunner().invoke(
        app, ["validate", str(scenario), "-o", str(obs), "-n", "2", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="validation">') :]
    section = section[: section.index("</section>")]
    assert "no-change baseline" in section and "skill (1 - model/baseline)" in section
    assert (
        '<a href="https://example.org/libya?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">Test &lt;i&gt;pub&lt;/i&gt;, 2020-01-07</a>'
    ) in section
    assert "07 Jan 2020 00:00" in section and "in-sample" in section
    assert str(obs) in section
