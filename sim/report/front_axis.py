"""The front figure's geometry: panel heights in pixels, axis titles that fit their panel, and
place marks on the main axis that do not print over each other.

Plotly sizes subplots in fractions of the plotting area, so a fixed fraction of space between
panels ate most of a tall figure (eight panels of 116 px in a 2,260 px figure) and a long axis
title ran up over the figure's title. Here every length is chosen in pixels first and turned
into fractions last, so the marks can be spaced for the height the panel really has.

Text widths are estimated, not measured (no browser here): `TEXT_EM` of the font size per
character is wider than the average of the report's sans-serif fonts, so an estimate that fits
is a label that fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim.report.figures import FONT

TEXT_EM = 0.6  # estimated width of one character, in font sizes (generous for sans-serif)
TITLE_SIZE = FONT["size"] * 1.2  # px: plotly's default axis-title size for FONT
TICK_SIZE = FONT["size"]  # px: plotly's default tick-label size
LABEL_PX = round(TICK_SIZE * 1.3)  # px: a tick label's line height, the least gap between two
MAIN_PX = 300  # px: the main axis' panel when sector panels follow
ALONE_PX = 320  # px: the main axis' panel when it is the only one
SECTOR_PX = 170  # px: each sector's panel
GAP_PX = 60  # px: between panels, for the lower panel's title
MARGIN = dict(l=70, r=30, t=100, b=70)  # px; b holds the date ticks and the axis title


@dataclass(frozen=True)
class Geometry:
    """Pixel layout of a front figure with `panels` panels (the main axis' first): `height` of
    the figure, `margin_t`, `panel_px` per panel, and the fractions plotly takes
    (`row_heights`, `spacing`)."""

    height: int
    margin_t: int
    panel_px: tuple[int, ...]

    @property
    def plot_px(self) -> int:
        return self.height - self.margin_t - MARGIN["b"]

    @property
    def spacing(self) -> float:
        return GAP_PX / self.plot_px if len(self.panel_px) > 1 else 0.0

    @property
    def row_heights(self) -> list[float]:
        return [p / sum(self.panel_px) for p in self.panel_px]


def geometry(panels: int, margin_t: int) -> Geometry:
    """Panel heights in pixels for a front figure of `panels` panels under a top margin."""
    sizes = (ALONE_PX,) if panels == 1 else (MAIN_PX, *([SECTOR_PX] * (panels - 1)))
    height = margin_t + MARGIN["b"] + sum(sizes) + GAP_PX * (panels - 1)
    return Geometry(height, margin_t, sizes)


def text_px(text: str, size: float) -> float:
    """Estimated width in px of one line of plain text at `size` px (module notes)."""
    return len(text) * size * TEXT_EM


def fitting_title(candidates: Sequence[str], panel_px: float) -> str:
    """The first title whose every line fits along a panel `panel_px` tall (a y-axis title is
    written upwards, centred on its panel); else the last, the shortest."""
    for title in candidates:
        if all(text_px(line, TITLE_SIZE) <= panel_px for line in title.split("<br>")):
            return title
    return candidates[-1]


def spaced_marks(
    marks: Sequence[tuple[float, str]],
    first: Iterable[str],
    km_per_px: float,
    gap_px: float = LABEL_PX,
) -> list[tuple[float, str]]:
    """The marks (km, place) to label so that no two labels are closer than `gap_px`, sorted
    by km. The two ends come first, then the places in `first` (those that matter most, in
    their order), then the rest in the given order; a mark too close to one already taken is
    left out. Deterministic: same inputs, same marks."""
    if not marks:
        return []
    by_km = sorted(marks)
    ends = [by_km[0], by_km[-1]]
    rank = {name: i for i, name in enumerate(first)}
    middle = sorted(
        (m for m in marks if m not in ends),
        key=lambda m: rank.get(m[1], len(rank)),  # stable: ties keep the theater's order
    )
    taken: list[tuple[float, str]] = []
    for km, name in dict.fromkeys([*ends, *middle]):
        if all(abs(km - k) / km_per_px >= gap_px for k, _ in taken):
            taken.append((km, name))
    return sorted(taken)
