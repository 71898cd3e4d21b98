"""Bad input: one line per problem as file:line:col: field: message, exit 2, nothing on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import SCENARIOS, input_errors, line_of

runner = CliRunner()


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def _edit(old: str, new: str, tmp_path: Path) -> Path:
    text = (SCENARIOS / "ceasefire_jan12.yaml").read_text()
    assert old in text
    return _scenario(tmp_path, text.replace(old, new, 1))


def test_yaml_syntax_error_points_at_the_line(tmp_path):
    path = _edit("theater: libya", "theater: [libya", tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert "YAML syntax error" in m["msg"] and int(m["line"]) >= line_of(path, "theater:")


def test_wrong_type_names_field_and_line(tmp_path):
    path = _edit("replicates: 20", "replicates: many", tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "replicates" and int(m["line"]) == line_of(path, "replicates:")
    assert int(m["col"]) == len("replicates: ") + 1


def test_unknown_field_suggests_the_close_one(tmp_path):
    path = _edit("replicates: 20", "replicats: 20", tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert "unknown field" in m["msg"] and "did you mean 'replicates'" in m["msg"]
    assert int(m["line"]) == line_of(path, "replicats:") and m["col"] == "1"


def test_unknown_place_suggests_the_close_one(tmp_path):
    path = _edit("place: Abu Grein", "place: Abu Grain", tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"].endswith(".place") and "did you mean 'Abu Grein'" in m["msg"]
    assert int(m["line"]) == line_of(path, "place: Abu Grain")


def test_event_outside_the_window_is_rejected(tmp_path):
    path = _edit("at: 2020-01-12T00:00+02:00", "at: 2020-04-12T00:00+02:00", tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert "outside the scenario window" in m["msg"] and m["field"].endswith(".at")


def test_a_merged_event_is_located_at_its_own_override(tmp_path):
    """`<<:` copies an event; the overriding `at` (line 2 of the copy) is the one at fault."""
    text = (SCENARIOS / "ceasefire_jan12.yaml").read_text()
    first = "events:\n  - at: 2020-01-05T00:00+02:00"
    assert first in text
    copy = "  - <<: *first\n    at: 2020-04-01T00:00+02:00\n"
    text = text.replace(first, "events:\n  - &first\n    at: 2020-01-05T00:00+02:00", 1)
    path = _scenario(tmp_path, text.rstrip("\n") + "\n" + copy)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert "outside the scenario window" in m["msg"]
    assert int(m["line"]) == line_of(path, "at: 2020-04-01")


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("events:", "events:\x07", "events:", "control characters"),
        ("events:", "extra: *nope\nevents:", "extra:", "undefined alias 'nope'"),
        ("replicates: 20", "replicates: 20\nwhen: 2020-01-45", "when:", "day is out of range"),
    ],
)
def test_text_yaml_cannot_read_or_build_is_located(tmp_path, old, new, needle, message):
    path = _edit(old, new, tmp_path)
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert message in m["msg"] and int(m["line"]) == line_of(path, needle)


def test_a_file_that_is_not_utf8_is_located(tmp_path):
    path = tmp_path / "latin1.yaml"
    text = (SCENARIOS / "ceasefire_jan12.yaml").read_text().replace("events:", "# café\nevents:", 1)
    path.write_bytes(text.encode("latin-1"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    line = next(i for i, ln in enumerate(text.splitlines(), start=1) if ln.startswith("# caf"))
    assert m["msg"] == "not UTF-8 text" and int(m["line"]) == line


def test_every_error_is_reported_not_just_the_first(tmp_path):
    text = (SCENARIOS / "ceasefire_jan12.yaml").read_text()
    text = text.replace("place: Abu Grein", "place: Abu Grain").replace("to: LNA", "to: LNX")
    errors = input_errors(runner.invoke(app, ["check", str(_scenario(tmp_path, text))]))
    assert len(errors) == 2


def test_road_to_a_missing_place_in_a_theater(tmp_path):
    src = (THEATER := Path(__file__).parent / "data" / "toy_theater.yaml").read_text()
    path = tmp_path / "theater.yaml"
    path.write_text(src.replace("{a: A, b: B, km: 30", "{a: A, b: Bee, km: 30"))
    (m,) = input_errors(runner.invoke(app, ["check", str(path)]))
    assert m["field"] == "roads.0.b" and "unknown place 'Bee'" in m["msg"]
    assert THEATER.exists()


def test_missing_file(tmp_path):
    (m,) = input_errors(runner.invoke(app, ["check", str(tmp_path / "nope.yaml")]))
    assert m["msg"] == "no such file"


def test_run_with_bad_input_leaves_no_results_folder(tmp_path):
    path = _edit("place: Abu Grein", "place: Abu Grain", tmp_path)
    out = tmp_path / "out"
    input_errors(runner.invoke(app, ["run", str(path), "--out", str(out), "-n", "1"]))
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_unknown_set_key_on_the_command_line(tmp_path, short_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(short_path), "--out", str(out), "--set", "ceasefire.violaton_rate=1"]
    )
    (m,) = input_errors(result)
    assert "did you mean 'ceasefire.violation_rate'" in m["msg"]
    assert not out.exists()


def test_interrupted_write_leaves_nothing_half_written(tmp_path, monkeypatch, short_path):
    import sim.api

    def boom(folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.api, "_write_report", boom)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        sim.api.run_to_folder(short_path, replicates=1, out=out, progress=False)
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_existing_results_are_replaced_whole(tmp_path, short_path):
    out = tmp_path / "out"
    first = runner.invoke(
        app, ["run", str(short_path), "--out", str(out), "-n", "1", "--no-report"]
    )
    assert first.exit_code == 0, first.output
    # export's default output, made from the results replaced: replaced with them (a file of
    # the user's would be refused instead: tests/test_output_folder.py)
    (out / "events-acled.csv").write_text("old")
    result = runner.invoke(
        app, ["run", str(short_path), "--out", str(out), "-n", "1", "--no-report"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "events-acled.csv").exists() and (out / "runs.parquet").exists()
    shutil.rmtree(out)


def test_incident_kinds_all_at_zero_share_are_refused_before_any_run(tmp_path):
    """The shares of the incident kinds are the weights of one draw: all 0 leaves nothing to
    draw (it used to crash the run at the first incident)."""
    out = tmp_path / "out"
    shares = ["small_arms", "shelling", "drone", "ground_probe"]
    args = [a for k in shares for a in ("--set", f"ceasefire.share_{k}=0")]
    result = runner.invoke(app, ["run", str(SCENARIOS / "ceasefire_jan12.yaml"), *args,
                                 "-n", "1", "--no-report", "--out", str(out)])  # fmt: skip
    (m,) = input_errors(result)
    assert "incident kind" in m.group(0) and "share_small_arms" in m.group(0)
    assert not out.exists()
