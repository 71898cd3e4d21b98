"""The places and roads CSV files `conflict-sim theater new` reads (docs/theater_new.md).

Read with the csv module (any dialect `csv.Sniffer` recognises: comma, semicolon or tab; quoted
fields). The header names the columns, in any order and case; `type` is taken for `kind`. Every
problem is located at its line and column (`places.csv:4:12: population: ...`), all of them
are reported together, and an unknown column names the closest known one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from sim.config import PlaceSpec
from sim.errors import InputError, Problem, did_you_mean

PLACE_COLUMNS = (
    "name", "aliases", "lat", "lon", "population", "kind", "controller", "geonameid",
    "coord_source", "population_source",
)  # fmt: skip
ROAD_COLUMNS = ("a", "b", "km", "source", "route", "corridor")
SYNONYMS = {"type": "kind", "latitude": "lat", "longitude": "lon", "lng": "lon"}
KINDS: tuple[str, ...] = get_args(PlaceSpec.model_fields["kind"].annotation)


@dataclass
class Cell:
    """Where a value was read: file, line and column (1-based)."""

    file: str
    line: int
    col: int

    def problem(self, field: str, message: str) -> Problem:
        return Problem(self.file, self.line, self.col, field, message)


@dataclass
class Row:
    """One data row: its values by column (empty cells left out) and where each was read."""

    line: int
    values: dict[str, str]
    cells: dict[str, Cell] = field(default_factory=dict)

    def at(self, column: str) -> Cell:
        return self.cells[column]


def read_rows(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Row]:
    """The rows of a CSV file with a header; InputError listing every located problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "(file)", "no such file"))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(str(path), 1, 1, "file", f"not UTF-8 text ({exc.reason})")
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise InputError(Problem(str(path), 1, 1, "(header)", "empty file: expected a header"))
    names = [SYNONYMS.get(h.strip().lower(), h.strip().lower()) for h in header]
    problems = []
    for i, name in enumerate(names):
        if name not in columns:
            col = _column(lines[0], header, i, dialect.delimiter)
            problems.append(Problem(str(path), 1, col, header[i], f"unknown column"
                                    f"{did_you_mean(name, columns)}; known: {', '.join(columns)}"))  # fmt: skip
    for need in required:
        if need not in names:
            problems.append(Problem(str(path), 1, 1, need, "required column is missing"))
    if problems:
        raise InputError(problems)
    rows = []
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        raw = lines[line - 1] if line - 1 < len(lines) else ""
        row = Row(line, {})
        for i, value in enumerate(fields[: len(names)]):
            row.cells[names[i]] = Cell(str(path), line, _column(raw, fields, i, dialect.delimiter))
            if value.strip():
                row.values[names[i]] = value.strip()
        for need in required:
            if need not in row.values:
                cell = row.cells.get(need, Cell(str(path), line, 1))
                problems.append(cell.problem(need, "required value is missing"))
        for name in names:
            row.cells.setdefault(name, Cell(str(path), line, 1))
        rows.append(row)
    if problems:
        raise InputError(problems)
    return rows


def _column(raw: str, fields: list[str], index: int, delimiter: str) -> int:
    """The 1-based character column where field `index` starts; with quoting on the line the
    offsets are not the fields' lengths, so the line's start is given."""
    if '"' in raw:
        return 1
    return sum(len(f) + len(delimiter) for f in fields[:index]) + 1


def number(row: Row, column: str, problems: list[Problem], *, integer: bool = False,
           low: float | None = None, high: float | None = None) -> float | None:  # fmt: skip
    """A number from a row's column (None when empty); problems located at the cell."""
    text = row.values.get(column)
    if text is None:
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        what = "a whole number" if integer else "a number"
        problems.append(row.at(column).problem(column, f"expected {what}, got {text!r}"))
        return None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        problems.append(row.at(column).problem(column, f"{text} is outside [{low:g}, {high:g}]"))
        return None
    return value


def kind(row: Row, problems: list[Problem]) -> str | None:
    """A row's place kind (city, town, ...), or None when the column is empty; a misspelt kind
    is added to `problems` with its close match."""
    text = row.values.get("kind")
    if text is None:
        return None
    if text.lower() not in KINDS:
        hint = did_you_mean(text, KINDS)
        problems.append(row.at("kind").problem("kind", f"unknown kind {text!r}{hint}; one of "
                                               f"{', '.join(KINDS)}"))  # fmt: skip
        return None
    return text.lower()


def flag(row: Row, column: str, problems: list[Problem]) -> bool:
    """A yes/no cell (true/false, yes/no, 1/0; empty is no); anything else goes to `problems`."""
    text = row.values.get(column, "").lower()
    if text in ("", "false", "no", "0"):
        return False
    if text in ("true", "yes", "1"):
        return True
    problems.append(row.at(column).problem(column, f"expected true or false, got {text!r}"))
    return False
