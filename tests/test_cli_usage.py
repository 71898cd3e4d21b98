"""Command-line usage errors are the project's one located line with exit code 2, not click's
usage box (a negative seed, an unknown option, a missing argument, an unknown command)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sim.cli import app

from .conftest import input_errors

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (["run", "ceasefire_jan12", "--seed", "-7"], "--seed", "greater than or equal to 0"),
        (["sweep", "ceasefire_jan12", "--seed", "-1", "--param", "x=1"], "--seed", "0"),
        (["run", "ceasefire_jan12", "--nope"], "--nope", "No such option"),
        (["route", "Tripoli"], "destination", "Missing argument"),
        (["nosuch"], "", "No such command"),
    ],
)
def test_a_usage_error_is_one_located_line(args, field, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (err,) = input_errors(runner.invoke(app, args))
    assert err["file"] == "<command line>" and err["field"] == field
    assert words in err["msg"]
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_help_and_a_good_command_still_exit_0():
    assert runner.invoke(app, ["--help"]).exit_code == 0
    assert runner.invoke(app, ["route", "Tripoli", "Misrata"]).exit_code == 0


def test_the_command_list_gives_each_command_a_whole_sentence():
    """`conflict-sim --help` listed the first line of each docstring, cut mid-sentence where it
    runs on ('check ... print each error as', 'compare ... 95% intervals (paired')."""
    listed = runner.invoke(app, ["--help"]).output.split("Commands:\n", 1)[1]
    rows: dict[str, str] = {}
    for line in listed.splitlines():
        if line.startswith("  ") and not line.startswith("   "):  # a command's first line
            name, _, text = line.strip().partition(" ")
            rows[name] = text.strip()
        elif line.strip():  # its text wrapped
            rows[name] += " " + line.strip()
    assert len(rows) >= 12
    for name, text in rows.items():
        assert text.endswith(".") and text.count("(") == text.count(")"), (name, text)
    assert rows["check"].endswith("print each error as file:line:col, exit 2.")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Export events, e.g. ACLED rows. Then more.", "Export events, e.g. ACLED rows."),
        ("Pairs (i.e. Same seeds) two runs. More.", "Pairs (i.e. Same seeds) two runs."),
        ("LNA vs. GNA losses per day. More.", "LNA vs. GNA losses per day."),
        ("Roads, towns etc. Then more.", "Roads, towns etc."),  # etc. may end a sentence
        ("One line.\nSecond line.\n\nNext paragraph.", "One line."),
        ("No full stop\nat all", "No full stop at all"),
    ],
)
def test_the_command_list_does_not_cut_a_help_text_at_an_abbreviation(text, first):
    from sim.cli import first_sentence

    assert first_sentence(text) == first
