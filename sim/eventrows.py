"""Reading ACLED and UCDP GED files into one shape of rows, and the account of what became of
them (`ImportReport`); `sim.eventplaces` puts the rows on the network.

Both formats are read as CSV with pandas (or .xlsx with openpyxl, the `excel` extra); a missing
column or a bad cell is one located line, `file:line:col: column: message`, where line is the
row's line in the file and col the column's number. Rows are never dropped here: the caller
counts and reports those too coarse in place or time, or outside the theater.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError, Problem, did_you_mean
from sim.eventdata import (
    ACLED_NEEDED,
    CIVILIAN_TARGETING,
    CIVILIANS,
    FORMATS,
    GED_NEEDED,
)


@dataclass
class Rows:
    """Rows of an event file in one shape, whatever the format.

    `frame` columns: `row_id`, `line` (1-based line of the row in the file), `date` (local
    calendar day), `date_end`, `event_type`, `sub_event_type`, `actor1`, `actor2`, `location`,
    `latitude`, `longitude`, `coarse_place`, `coarse_time`, `fatalities` (best), `low`, `high`,
    `civilian` (civilian deaths), `notes`, `updated` (ACLED `timestamp` as a date, or None).
    """

    path: Path
    format: str
    frame: pd.DataFrame


def read_table(path: str | Path) -> tuple[pd.DataFrame, list[int]]:
    """A CSV (or, with openpyxl, an .xlsx) file as strings, and each row's line number."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "file", "no such file"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise InputError(
                Problem(
                    str(path),
                    1,
                    1,
                    "file",
                    "reading Excel needs openpyxl: pip install 'conflict-sim[excel]'",
                )
            ) from None
        try:
            df = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
            raise InputError(
                Problem(str(path), 1, 1, "file", f"not a readable Excel file: {exc}")
            ) from None
        return _strip(df), list(range(2, len(df) + 2))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(str(path), 1, 1, "file", f"not UTF-8 text ({exc.reason})")
        ) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 1
        raise InputError(Problem(str(path), line, 1, "file", f"not a CSV table: {exc}")) from None
    except pd.errors.EmptyDataError:
        raise InputError(Problem(str(path), 1, 1, "file", "empty file")) from None
    df = _strip(df)
    # A quoted field may span lines: each row starts after the newlines of the rows before it.
    breaks = df.apply(lambda col: col.str.count("\n")).sum(axis=1).to_numpy(dtype=int)
    before = np.concatenate([[0], np.cumsum(breaks)[:-1]]) if len(df) else breaks
    lines = (2 + np.arange(len(df)) + before).astype(int).tolist()
    return df, lines


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    df.columns = [str(c).strip() for c in df.columns]
    return df.astype(str).apply(lambda col: col.str.strip())


class _Cells:
    """Typed access to a table's cells, collecting one located problem per bad cell."""

    def __init__(self, path: Path, df: pd.DataFrame, lines: list[int]):
        self.path, self.df, self.lines = path, df, lines
        self.cols = {c: i + 1 for i, c in enumerate(df.columns)}
        self.problems: list[Problem] = []

    def need(self, columns: tuple[str, ...]) -> None:
        missing = [c for c in columns if c not in self.cols]
        for c in missing:
            self.problems.append(
                Problem(
                    str(self.path), 1, 1, c, f"missing column {c!r}{did_you_mean(c, self.cols)}"
                )
            )
        if missing:
            raise InputError(self.problems)

    def text(self, col: str) -> pd.Series:
        return self.df[col] if col in self.cols else pd.Series("", index=self.df.index)

    def bad(self, i: int, col: str, message: str) -> None:
        if len(self.problems) < 20:  # a wrong file would print thousands of lines
            self.problems.append(
                Problem(str(self.path), self.lines[i], self.cols.get(col, 1), col, message)
            )

    def number(
        self,
        col: str,
        default: float | None = None,
        lo: float | None = None,
        hi: float | None = None,
    ) -> np.ndarray:
        out = np.full(len(self.df), np.nan)
        for i, v in enumerate(self.text(col)):
            if v == "" and default is not None:  # NaN: an empty cell allowed
                out[i] = default
                continue
            try:
                x = float(v)
            except ValueError:
                self.bad(i, col, f"not a number: {v!r}")
                continue
            if not math.isfinite(x) or (lo is not None and x < lo) or (hi is not None and x > hi):
                self.bad(i, col, f"{v} is outside [{lo}, {hi}]")
                continue
            out[i] = x
        return out

    def day(self, col: str) -> list[date | None]:
        out: list[date | None] = []
        for i, v in enumerate(self.text(col)):
            d = parse_day(v)
            if d is None:
                self.bad(i, col, f"not a date: {v!r} (expected e.g. 2020-01-07 or 07 January 2020)")
            out.append(d)
        return out

    def done(self) -> None:
        if self.problems:
            raise InputError(self.problems)


_MODEL_KIND = r"(?:^|;\s*)conflict-sim kind=([a-z_]+)"
_START = r";\s*start=([0-9T:+.-]+)"
_HOURS = r";\s*hours=([0-9.]+)"
_DAY_FORMATS = (
    "%Y-%m-%d",
    "%d %B %Y",
    "%d-%B-%Y",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
)


def parse_day(text: str) -> date | None:
    """A calendar day from the date formats ACLED and GED exports use, or None."""
    text = text.strip()
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_rows(path: str | Path, fmt: str) -> Rows:
    """Read an ACLED or UCDP GED export (CSV, or .xlsx with openpyxl) into `Rows`.

    Raises InputError naming `file:line:col: column: message` for a missing column (with the
    closest match) or a bad cell; rows are never dropped here.
    """
    path = Path(path)
    df, lines = read_table(path)
    cells = _Cells(path, df, lines)
    _check_format(path, df, fmt)
    if fmt == "acled":
        frame = _acled(cells)
    elif fmt == "ucdp-ged":
        frame = _ged(cells)
    else:
        raise InputError(
            Problem(
                "<command line>",
                1,
                1,
                "--format",
                f"unknown format {fmt!r}; expected one of {list(FORMATS)}{did_you_mean(fmt, FORMATS)}",
            )
        )
    cells.done()
    frame["line"] = lines
    return Rows(path, fmt, frame.reset_index(drop=True))


def _check_format(path: Path, df: pd.DataFrame, fmt: str) -> None:
    """One line naming the right --format when the file has every column the other format
    needs and lacks some of this one's (instead of a line per missing column)."""
    needed = {"acled": ACLED_NEEDED, "ucdp-ged": GED_NEEDED}
    if fmt not in needed:
        return
    other = next(f for f in needed if f != fmt)
    cols = set(df.columns)
    if set(needed[other]) <= cols and not set(needed[fmt]) <= cols:
        names = {"acled": "an ACLED", "ucdp-ged": "a UCDP GED"}
        lacks = ", ".join(c for c in needed[fmt] if c not in cols)
        raise InputError(
            Problem(
                str(path), 1, 1, "--format",
                f"{names[other]} file given with --format {fmt} (it lacks {lacks}); "
                f"use --format {other}",
            )
        )  # fmt: skip


def _acled(c: _Cells) -> pd.DataFrame:
    c.need(ACLED_NEEDED)
    fat = c.number("fatalities", lo=0)
    etype = c.text("event_type")
    civ_row = (etype.str.lower() == CIVILIANS.lower()) | (
        c.text("civilian_targeting").str.lower() == CIVILIAN_TARGETING.lower()
    )
    stamps = (
        c.number("timestamp", default=-1) if "timestamp" in c.cols else np.full(len(c.df), -1.0)
    )
    days = c.day("event_date")
    return pd.DataFrame(
        {
            "row_id": c.text("event_id_cnty"),
            "date": days,
            "date_end": days,
            "event_type": etype,
            "sub_event_type": c.text("sub_event_type"),
            "actor1": c.text("actor1"),
            "assoc1": c.text("assoc_actor_1"),
            "actor2": c.text("actor2"),
            "assoc2": c.text("assoc_actor_2"),
            "location": c.text("location"),
            "latitude": c.number("latitude", default=np.nan, lo=-90, hi=90),
            "longitude": c.number("longitude", default=np.nan, lo=-180, hi=180),
            # ACLED geo_precision 3: only a larger region is known; time_precision 3: the month.
            "coarse_place": c.number("geo_precision", lo=1, hi=3) >= 3,
            "coarse_time": c.number("time_precision", default=1, lo=1, hi=3) >= 3,
            "fatalities": fat,
            "low": fat,
            "high": fat,
            "civilian": np.where(civ_row, fat, 0.0),
            "notes": c.text("notes"),
            "updated": [
                datetime.fromtimestamp(s, tz=UTC).date() if s >= 0 else None for s in stamps
            ],
            # rows written by `conflict-sim export` name the model's kind: read back exactly
            "model_kind": c.text("tags").str.extract(_MODEL_KIND, expand=False),
            "start": pd.to_datetime(
                c.text("tags").str.extract(_START, expand=False), errors="coerce"
            ),
            "hours": pd.to_numeric(
                c.text("tags").str.extract(_HOURS, expand=False), errors="coerce"
            ),
        }
    )


def _ged(c: _Cells) -> pd.DataFrame:
    c.need(GED_NEEDED)
    best, low, high = c.number("best", lo=0), c.number("low", lo=0), c.number("high", lo=0)
    civ = c.number("deaths_civilians", default=0, lo=0)
    start, end = c.day("date_start"), c.day("date_end")
    tov = c.number("type_of_violence", lo=1, hi=3)
    date_prec = c.number("date_prec", default=1, lo=1, hi=5)
    span = np.array([(e - s).days if s and e else 0 for s, e in zip(start, end, strict=True)])
    return pd.DataFrame(
        {
            "row_id": c.text("id"),
            "date": start,
            "date_end": end,
            "event_type": [f"type_of_violence {int(t)}" if t == t else "" for t in tov],
            "sub_event_type": "",
            "type_of_violence": tov,
            "actor1": c.text("side_a"),
            "assoc1": "",
            "actor2": c.text("side_b"),
            "assoc2": "",
            "location": c.text("where_coordinates"),
            "latitude": c.number("latitude", default=np.nan, lo=-90, hi=90),
            "longitude": c.number("longitude", default=np.nan, lo=-180, hi=180),
            # GED where_prec 4+: first-order admin unit, country or wider; date_prec 3+ or a span
            # of more than a week: no single week can hold it.
            "coarse_place": c.number("where_prec", lo=1, hi=7) >= 4,
            "coarse_time": (date_prec >= 3) | (span > 6),
            "fatalities": best,
            "low": low,
            "high": high,
            "civilian": np.minimum(civ, best),
            "notes": c.text("source_headline") if "source_headline" in c.cols else "",
            "updated": None,
        }
    )


@dataclass
class ImportReport:
    """What happened to the rows: used, or set aside (with ids), never silently dropped."""

    rows: int = 0
    used: int = 0
    outside_window: int = 0
    coarse_place: list[str] = field(default_factory=list)
    coarse_time: list[str] = field(default_factory=list)
    outside_theater: list[str] = field(default_factory=list)
    by_coordinates: int = 0
    unmapped_types: Counter = field(default_factory=Counter)  # (event type / sub type) -> rows
    unknown_actors: Counter = field(default_factory=Counter)
    unscored_deaths: float = 0.0  # deaths in rows of a type with no model kind for deaths
    facts: int = 0

    def lines(self) -> list[str]:
        out = [
            f"{self.rows} rows: {self.used} used, {self.outside_window} outside the window, "
            f"{len(self.coarse_place)} too coarse in place, {len(self.coarse_time)} too coarse in "
            f"time, {len(self.outside_theater)} outside the theater",
            f"{self.by_coordinates} rows placed by coordinates (no place of that name)",
        ]
        for what, ids in (
            ("too coarse in place", self.coarse_place),
            ("too coarse in time", self.coarse_time),
            ("outside the theater", self.outside_theater),
        ):
            if ids:
                more = f" (+{len(ids) - 10} more)" if len(ids) > 10 else ""
                out.append(f"{what}: {', '.join(ids[:10])}{more}")
        for t, n in sorted(self.unmapped_types.items()):
            out.append(f"no model kind for {t!r}: {n} rows (counted in deaths only)")
        for a, n in sorted(self.unknown_actors.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"unknown actor {a!r}: {n} rows (add it to the actor mapping)")
        if self.unscored_deaths:
            out.append(
                f"{self.unscored_deaths:g} deaths in rows whose kind has no casualties in the model: not scored"
            )
        out.append(f"{self.facts} facts")
        return out
