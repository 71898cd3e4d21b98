"""Static export of the report's figures (PNG, SVG or PDF) through kaleido and Chromium.

kaleido 1.x drives a Chromium found on PATH (Debian: `apt-get install chromium`). It is never
downloaded here. The page kaleido renders in gets plotly.js from the installed plotly package
and no MathJax, and geo figures get their topojson from the copy shipped in `sim/assets/`
(kaleido's `topojson` option: a file:// folder), so export works with no network.

The animated map is exported as a still of its last day.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.errors import InputError

FORMATS = ("png", "svg", "pdf")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = (
    "static export needs Chromium for kaleido: install it with `apt-get install chromium` "
    "(Debian/Ubuntu), or set BROWSER_PATH to a Chrome/Chromium executable"
)


def find_browser() -> str | None:
    """The Chromium kaleido will use: BROWSER_PATH, else a chromium/chrome on PATH."""
    import os

    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).is_file() else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_browser() -> str:
    """The browser's path, or an InputError saying how to install Chromium."""
    browser = find_browser()
    if browser is None:
        raise InputError(INSTALL_HINT)
    return browser


def topojson_url() -> str:
    """file:// URL of the folder holding africa_50m.json (ends with '/')."""
    from sim.report.html import asset_path

    return asset_path("africa_50m.json").parent.resolve().as_uri() + "/"


def export_figures(
    figures: Mapping[str, Any], out_dir: Path, fmt: str = "png", scale: float = 2.0
) -> list[Path]:
    """Write each figure to `out_dir/<name>.<fmt>`; InputError if Chromium is unavailable."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    browser = require_browser()
    try:
        import kaleido
        from kaleido import PageGenerator
    except ImportError:
        raise InputError(
            "static export needs kaleido: pip install 'conflict-sim[export]' (kaleido>=1.0)"
        ) from None
    from sim.report.map import map_at

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = []
    paths = []
    for name, fig in figures.items():
        still = map_at(fig) if fig.frames else fig
        height = int(still.layout.height or 500)
        path = out_dir / f"{name}.{fmt}"
        tmp = out_dir / f".{name}.tmp.{fmt}"
        specs.append(
            {
                "fig": still.to_plotly_json(),
                "path": tmp,
                "opts": {"format": fmt, "width": 1100, "height": height, "scale": scale},
                "topojson": topojson_url(),
            }
        )
        paths.append((tmp, path))
    try:
        kaleido.write_fig_from_object_sync(
            specs, kopts={"page_generator": PageGenerator(mathjax=False), "path": browser}
        )
    except Exception as exc:  # kaleido/choreographer raise several error types
        for tmp, _ in paths:
            tmp.unlink(missing_ok=True)
        if type(exc).__name__ in ("ChromeNotFoundError", "BrowserFailedError"):
            raise InputError(INSTALL_HINT) from None
        raise InputError(f"static export failed: {type(exc).__name__}: {exc}") from None
    failed = [path.name for tmp, path in paths if not tmp.is_file()]
    if failed:
        for tmp, _ in paths:
            tmp.unlink(missing_ok=True)
        raise InputError(f"static export failed: kaleido wrote no {', '.join(failed)}")
    for tmp, path in paths:
        tmp.replace(path)
    return [p for _, p in paths]
