"""sim.columns: a table recorded column by column holds exactly the rows it was given, in the
column order and with the None padding a DataFrame built from the same rows as dicts has."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from sim.columns import Columns

ROWS = [
    {"run_id": 0, "hour": 0, "front_km": 300.0},
    {"run_id": 0, "hour": 6, "front_km": 301.5, "state": "held"},  # a column seen late
    {"hour": 12, "run_id": 0, "state": "violated"},  # another order, a column missing
]


def test_rows_of_different_keys_give_the_dataframe_pandas_gives() -> None:
    table = Columns.from_rows(ROWS)
    assert list(table.data) == ["run_id", "hour", "front_km", "state"]
    assert table.data["front_km"] == [300.0, 301.5, None]
    assert table.data["state"] == [None, "held", "violated"]
    expected = pd.DataFrame(ROWS)
    pd.testing.assert_frame_equal(pd.DataFrame(table.data), expected, check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(list(table)), expected, check_exact=True)


def test_add_and_extend_equal_appending_the_rows() -> None:
    rows = [{"run_id": 1, "hour": h, "place": p, "controller": c}
            for h in (0, 6) for p, c in (("A", "GNA"), ("B", "LNA"))]  # fmt: skip
    by_add, by_extend = Columns(rows[0]), Columns(rows[0])
    for row in rows:
        by_add.add(*row.values())
    for h in (0, 6):
        by_extend.extend(
            {"run_id": [1, 1], "hour": (h, h), "place": ["A", "B"], "controller": ["GNA", "LNA"]}
        )
    assert by_add == by_extend == Columns.from_rows(rows) == rows
    assert len(by_extend) == 4


def test_a_row_that_does_not_fit_is_refused_and_leaves_the_table_as_it_was() -> None:
    table = Columns(("a", "b"))
    with pytest.raises(ValueError, match="1 values for 2 columns"):
        table.add(1)
    with pytest.raises(ValueError, match="different lengths"):
        table.extend({"a": [1, 2], "b": [3]})
    with pytest.raises(ValueError, match="columns"):
        table.extend({"a": [1]})
    assert len(table) == 0 and table.data == {"a": [], "b": []}


def test_a_sequence_of_row_dicts() -> None:
    table = Columns.from_rows(ROWS)
    assert len(table) == 3
    assert table[0] == {"run_id": 0, "hour": 0, "front_km": 300.0, "state": None}
    assert table[-1]["state"] == "violated"
    assert table[1:] == list(table)[1:]
    assert [r["hour"] for r in table if r["state"]] == [6, 12]
    with pytest.raises(IndexError):
        table[3]
    assert table != Columns.from_rows(ROWS[:2])
    assert pickle.loads(pickle.dumps(table)) == table  # what a sweep worker sends back


def test_concat_pads_missing_columns_and_tables_without_rows_add_none() -> None:
    first = Columns.from_rows(ROWS[:1])
    second = Columns.from_rows([{"run_id": 1, "hour": 0, "state": "held"}])
    empty = Columns(("run_id", "hour", "never_written"))
    got = Columns.concat([empty, first, second])
    assert got == {
        "run_id": [0, 1],
        "hour": [0, 0],
        "front_km": [300.0, None],
        "state": [None, "held"],
    }
    assert Columns.concat([empty]) == {}  # no rows, no columns: as a DataFrame of no rows
