"""An output table as it is recorded: one list per column (issue #12, columnar recording).

A run samples about 23,000 rows (units and places every 6 hours, events as they happen); kept
as one Python list per column, a sample appends a few values to each list instead of building a
dict per row, and the table is built from the lists without gathering cells from dicts. Readers
that want rows (tests, small scripts) still get dicts: `Columns` is a sequence of row dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, overload


class Columns(Sequence[dict[str, Any]]):
    """Rows of one table kept as `data`: column name -> list of values, all of one length.

    Column order is the order in which names were first seen, as in a DataFrame built from the
    same rows as dicts; a row that lacks a column holds None there (`dict.get`'s answer)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.data: dict[str, list[Any]] = {name: [] for name in names}
        self._length = 0

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> Columns:
        table = cls()
        for row in rows:
            table.append(row)
        return table

    def append(self, row: Mapping[str, Any]) -> None:
        """One row given as a mapping; new names become columns, missing ones get None."""
        data = self.data
        if row.keys() != data.keys():
            for name in row:
                if name not in data:
                    data[name] = [None] * self._length
            for name, values in data.items():
                if name not in row:
                    values.append(None)
        for name, value in row.items():
            data[name].append(value)
        self._length += 1

    def add(self, *values: Any) -> None:
        """One row given as its values, one per column in column order (ValueError otherwise)."""
        if len(values) != len(self.data):
            raise ValueError(f"{len(values)} values for {len(self.data)} columns")
        for column, value in zip(self.data.values(), values, strict=True):
            column.append(value)
        self._length += 1

    def extend(self, columns: Mapping[str, Sequence[Any]]) -> None:
        """Rows given column by column: a sequence for every column, all of one length
        (ValueError otherwise, a column missing or extra included)."""
        data = self.data
        if columns.keys() != data.keys():
            raise ValueError(f"columns {list(columns)} for a table of {list(data)}")
        count = len(next(iter(columns.values()), ()))
        if any(len(values) != count for values in columns.values()):
            raise ValueError("columns of different lengths")
        for name, values in data.items():
            values.extend(columns[name])
        self._length += count

    @staticmethod
    def concat(parts: Iterable[Columns]) -> dict[str, list[Any]]:
        """The columns of several tables one after the other: every name any of their rows has,
        in first-seen order, None where a part lacks it; the same columns as the rows of all
        parts as dicts would give (so a table without rows has no columns either)."""
        parts = [part for part in parts if len(part)]
        names = dict.fromkeys(name for part in parts for name in part.data)
        return {
            name: list(
                chain.from_iterable(part.data.get(name) or [None] * len(part) for part in parts)
            )
            for name in names
        }

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            raise IndexError(f"row {index} of {self._length}")
        return {name: values[index] for name, values in self.data.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = list(self.data)
        return (dict(zip(names, row, strict=True)) for row in zip(*self.data.values(), strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Columns):
            return self.data == other.data
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Columns({self._length} rows: {', '.join(self.data)})"
