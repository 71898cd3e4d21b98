"""What a new user hits with the commands that write one file or one folder (`plot`, `analyze`,
`export`, `observe import`, `compare`): an --out that cannot be written where asked is one located
line, exit 2, before any work and with nothing left on disk; and every command's help, sub-commands
included, reads with plain placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import ROOT, input_errors

TOY = ROOT / "tests" / "data" / "toy_scenario.yaml"
THEATER = str(ROOT / "tests" / "data" / "toy_theater.yaml")


@pytest.fixture(scope="module")
def toy_results(tmp_path_factory) -> Path:
    from sim.api import run_to_folder

    folder = tmp_path_factory.mktemp("toy")
    out, _ = run_to_folder(TOY, replicates=1, out=folder / "results", report=False, progress=False)
    return out


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _commands(outside: Path, results: Path) -> dict[str, list[str]]:
    """Each command with its inputs; `--out` is appended by the tests."""
    csv = outside / "rows.csv"
    csv.write_text("event_id_cnty\n")
    return {
        "plot": ["plot", str(results)],
        "analyze": ["analyze", str(outside / "no-sweep")],
        "export": ["export", str(results)],
        "observe import": [
            "observe",
            "import",
            str(csv),
            "--format",
            "acled",
            "--theater",
            THEATER,
        ],
        "compare": ["compare", str(results), str(results)],
    }


@pytest.mark.parametrize("command", ["plot", "analyze", "export", "observe import", "compare"])
def test_out_under_a_file_is_refused_before_any_work(command, toy_results, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine\n")
    args = _commands(tmp_path, toy_results)[command]
    name = {"compare": "cmp", "export": "rows.csv", "observe import": "obs.yaml"}
    out = blocker / name.get(command, "page.html")
    before, results_before = _listing(tmp_path), _listing(toy_results)
    (m,) = input_errors(CliRunner().invoke(app, [*args, "--out", str(out)]))
    assert m["file"] == "--out"
    assert m["msg"] == f"{out} cannot be created: {blocker} is a file, not a folder"
    assert blocker.read_text() == "mine\n"
    assert _listing(tmp_path) == before and _listing(toy_results) == results_before


@pytest.mark.parametrize("command", ["plot", "analyze", "export", "observe import"])
def test_out_naming_a_folder_for_a_file_is_refused(command, toy_results, tmp_path):
    args = _commands(tmp_path, toy_results)[command]
    folder = tmp_path / ("events.csv" if command == "export" else "here")
    folder.mkdir()
    (m,) = input_errors(CliRunner().invoke(app, [*args, "--out", str(folder)]))
    assert m["msg"] == f"{folder} is a folder; give a file name"
    assert not list(tmp_path.rglob("*.tmp")) and not list(folder.iterdir())


def test_compare_out_naming_a_file_is_refused(toy_results, tmp_path):
    blocker = tmp_path / "compare.html"
    blocker.write_text("mine\n")
    res = CliRunner().invoke(
        app, ["compare", str(toy_results), str(toy_results), "--out", str(blocker)]
    )
    (m,) = input_errors(res)
    assert m["msg"] == f"{blocker} is a file, not a folder" and blocker.read_text() == "mine\n"


@pytest.mark.parametrize("name", ["events.json", "events.xls", "events"])
def test_export_refuses_a_file_name_it_would_not_write_as_named(name, toy_results, tmp_path):
    out = tmp_path / name
    (m,) = input_errors(CliRunner().invoke(app, ["export", str(toy_results), "--out", str(out)]))
    assert m["msg"].startswith(f"{out} is not a .csv or .xlsx file name")
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_report_goes_into_missing_folders_through_a_temporary_file_of_its_own(
    toy_results, tmp_path
):
    out = tmp_path / "new" / "deeper" / "report.html"
    res = CliRunner().invoke(app, ["plot", str(toy_results), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]


def test_a_failed_report_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    import os

    from sim.report.html import write_html

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError) as info:
        write_html("<html></html>", tmp_path / "page.html")
    assert info.value.filename == str(tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []


def test_run_out_under_a_file_names_the_file_in_the_way(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine\n")
    out = blocker / "results"
    res = CliRunner().invoke(app, ["run", str(TOY), "-n", "1", "--out", str(out), "--no-report"])
    (m,) = input_errors(res)
    assert m["msg"] == f"{out} cannot be created: {blocker} is a file, not a folder"


def _every_command(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _every_command(cmd, (*path, name))
        else:
            yield (*path, name)


def _all_commands() -> list[tuple[str, ...]]:
    from typer.main import get_command

    return sorted(_every_command(get_command(app)))


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_help_has_plain_placeholders(path):
    res = CliRunner().invoke(app, [*path, "--help"], terminal_width=80)
    assert res.exit_code == 0, res.output
    usage = res.output.splitlines()[0]
    assert "{" not in usage, usage
    for odd in ("<bool>", "<str>", "<path>", "<int", "<float", "<list["):
        assert odd not in res.output, (odd, res.output)


@pytest.mark.parametrize("group", ["observe", "theater"])
def test_a_command_group_lists_each_command_whole(group):
    res = CliRunner().invoke(app, [group, "--help"], terminal_width=80)
    assert res.exit_code == 0 and "..." not in res.output.replace("[ARGS]...", ""), res.output


@pytest.mark.parametrize("spec", ["5-2", "1-0", "0,1-0"])
def test_export_refuses_a_run_range_that_ends_before_it_starts(spec, toy_results, tmp_path):
    out = tmp_path / "events.csv"
    res = CliRunner().invoke(app, ["export", str(toy_results), "--runs", spec, "--out", str(out)])
    (m,) = input_errors(res)
    assert m["field"] == "--runs" and "ends before it starts" in m["msg"]
    assert not out.exists()


def test_the_same_rows_give_the_same_xlsx_bytes_whatever_the_clock(monkeypatch, tmp_path):
    """openpyxl stamps the clock into the workbook's dates and every ZIP entry; both are fixed."""
    import datetime as dt
    import time
    import zipfile

    import openpyxl.writer.excel as excel
    import pandas as pd

    from sim.export import XLSX_TIME, write_table

    df = pd.DataFrame({"event_id_cnty": ["LBY0-1", "LBY0-2"], "fatalities": [3, 0]})

    class Clock(dt.datetime):
        offset = 0

        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 5, 6, 7, 8, 9 + cls.offset, tzinfo=tz)

    monkeypatch.setattr(excel.datetime, "datetime", Clock)
    write_table(df, tmp_path / "a.xlsx")
    Clock.offset = 30
    real = time.localtime
    monkeypatch.setattr(time, "localtime", lambda *a: real(*a) if a else real(2e9))
    write_table(df, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {XLSX_TIME}
        assert b"1980-01-01T00:00:00Z</dcterms:modified>" in z.read("docProps/core.xml")
    assert pd.read_excel(tmp_path / "a.xlsx").equals(df)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


def test_observe_import_names_the_format_a_file_of_the_other_one_needs(toy_results, tmp_path):
    ged = tmp_path / "ged.csv"
    res = CliRunner().invoke(
        app, ["export", str(toy_results), "--format", "ucdp-ged", "--out", str(ged)]
    )
    assert res.exit_code == 0, res.output
    args = ["observe", "import", str(ged), "--format", "acled", "--theater", THEATER]
    (m,) = input_errors(CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o.yaml")]))
    assert m["field"] == "--format" and m["msg"].endswith("use --format ucdp-ged")
    assert m["msg"].startswith("a UCDP GED file given with --format acled (it lacks event_id_cnty")


def test_observe_import_refuses_a_window_that_ends_before_it_starts(tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("event_id_cnty\n")
    args = ["observe", "import", str(csv), "--format", "acled", "--theater", THEATER]
    res = CliRunner().invoke(app, [*args, "--from", "2020-01-11", "--to", "2020-01-05"])
    (m,) = input_errors(res)
    assert m["field"] == "--to" and "is before --from 2020-01-11" in m["msg"]


def test_observe_import_writes_where_its_help_says_by_default(toy_results, tmp_path, monkeypatch):
    rows = tmp_path / "in" / "rows.csv"
    res = CliRunner().invoke(app, ["export", str(toy_results), "--out", str(rows)])
    assert res.exit_code == 0, res.output
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    args = ["observe", "import", str(rows), "--format", "acled", "--theater", THEATER]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (here / "rows-observations.yaml").is_file()
    text = " ".join(CliRunner().invoke(app, ["observe", "import", "--help"]).output.split())
    assert "default STEM-observations.yaml in the current folder" in text


@pytest.mark.parametrize("what", ["missing", "file", "sweep"])
def test_plot_of_what_is_not_a_results_folder_is_one_located_line(what, tmp_path):
    target = tmp_path / what
    if what == "file":
        target.write_text("x\n")
    elif what == "sweep":
        target.mkdir()
        (target / "manifest.json").write_text("{}")
    (m,) = input_errors(CliRunner().invoke(app, ["plot", str(target)]))
    assert m["file"] == str(target) and m["field"] == "results"
