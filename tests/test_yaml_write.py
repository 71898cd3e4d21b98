"""Every YAML the project writes reads back through its own reader (sim.yamlsource.load_yaml,
YAML 1.2 core schema) as the same values of the same types. PyYAML's dumpers quote text by
YAML 1.1 rules, so text that only YAML 1.2 reads as a number (`00000008`, `08`, `1e3`, `-.5`,
`0o17`) used to be written bare and come back as a number."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.eventfacts import _dumper as observations_dumper
from sim.theater_yaml import _Dumper as TheaterDumper
from sim.yamlsource import YamlDumper, dump_yaml, load_yaml

DUMPERS = [YamlDumper, observations_dumper(), TheaterDumper]

# Text in the shapes YAML 1.1 and 1.2 resolve differently, or to something other than text.
WORDS = ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF", "true", "False", "TRUE",
         "null", "Null", "NULL", "~", "", "<<", "=", ".inf", "-.Inf", "+.INF", ".nan", ".NaN",
         "1:30", "190:20:30.15", "1_000", "0b101", "0x_1F", "2020-01-09", "2020-1-9",
         "2020-01-09 12:00:00", "2020-01-09T12:00:00+02:00", "2020-13-45", "- a", "a: b", "#x",
         "'", '"', "a\nb", " lead", "trail ", "\n", "  \n x \n"]  # fmt: skip
tricky_text = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(r"\A[-+]?0[0-9]{0,8}\Z"),  # leading zeros: octal under 1.1 only if 0-7
    st.from_regex(r"\A[-+]?(\.[0-9]{1,3}|[0-9]{1,3}(\.[0-9]{0,3})?)([eE][-+]?[0-9]{1,3})?\Z"),
    st.from_regex(r"\A[-+]?0[oOxXbB][0-9a-fA-F_]{1,4}\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?\Z"),
    st.text(max_size=12),
)
scalars = st.one_of(
    tricky_text,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same type all the way down (True is not 1, '8' is not 8)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def read_back(folder: Path, text: str) -> Any:
    path = folder / "written.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path).data["value"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("yaml_write")


@settings(max_examples=300, deadline=None)
@given(value=values, dumper=st.sampled_from(DUMPERS), flow=st.sampled_from([False, None, True]))
def test_what_is_written_reads_back_the_same(folder, value, dumper, flow):
    text = dump_yaml({"value": value}, dumper, default_flow_style=flow)
    assert same(read_back(folder, text), value), text


@pytest.mark.parametrize(
    "text", ["00000008", "08", "09", "1e3", "1E3", "-.5", "+.5", "0o17", "1.5e3"]
)
def test_text_only_yaml_1_2_reads_as_a_number_is_quoted(folder, text):
    """PyYAML's own dumper writes these bare: the case the helper exists for."""
    assert isinstance(read_back(folder, yaml.safe_dump({"value": text})), int | float)
    written = dump_yaml({"value": text})
    assert written.strip() in (f"value: '{text}'", f'value: "{text}"')
    assert read_back(folder, written) == text


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "1:30", "1_000", "0b101", "0x1F", "+1"])
def test_text_yaml_1_1_reads_as_another_type_stays_quoted(folder, text):
    """Text load_yaml reads as text but PyYAML's `safe_load` (YAML 1.1) would not: still quoted,
    so other readers of the files get text too."""
    written = dump_yaml({"value": text})
    assert yaml.safe_load(written)["value"] == text == read_back(folder, written)


def test_numbers_booleans_nulls_and_dates_are_written_bare(folder):
    value = [8, -0.5, 1e20, math.inf, True, False, None, dt.date(2020, 1, 9), "plain text"]
    written = dump_yaml({"value": value})
    assert "'" not in written and '"' not in written
    assert same(read_back(folder, written), value)
    assert same(read_back(folder, dump_yaml({"value": math.nan})), math.nan)
