"""docs/ stays in line with the code: every field of every input model (pydantic `model_fields`,
the parameter file's entry keys, the CSV columns of `theater new`) is documented in a table, no
documented field is missing from its model, and the walkthrough's commands run as written."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import sim.config
import sim.observations
import sim.theater_schema
from sim.params import _FIELDS as PARAMETER_FIELDS
from sim.theater_csv import PLACE_COLUMNS, ROAD_COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKER = re.compile(r"<!-- fields: (?P<name>[\w. ]+) -->")
ROW = re.compile(r"^\| `(?P<field>[^`]+)` \|")
# Models that are not a block of any file: bases whose fields their kinds repeat, and the run's
# setup object.
NOT_IN_FILES = {"Strict", "EventBase", "ObservationBase", "_PlaceFilter", "Setup"}
OTHER_FORMATS = {
    "parameters": set(PARAMETER_FIELDS),
    "places csv": set(PLACE_COLUMNS),
    "roads csv": set(ROAD_COLUMNS),
    "set file": {"set"},
    "project": {"default_theater"},
}


def input_models() -> dict[str, set[str]]:
    """'module.Model' -> its field names as written in files (aliases where given)."""
    out = {}
    for module in (sim.config, sim.theater_schema, sim.observations):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseModel)
                and cls.__module__ == module.__name__
                and name not in NOT_IN_FILES
            ):
                out[f"{module.__name__}.{name}"] = {
                    info.alias or field for field, info in cls.model_fields.items()
                }
    return out


def documented() -> dict[str, tuple[Path, set[str]]]:
    """Marker name -> (page, the fields in the table that follows it)."""
    found: dict[str, tuple[Path, set[str]]] = {}
    for page in sorted(DOCS.glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = MARKER.search(line)
            if not m:
                continue
            fields: set[str] = set()
            for row in lines[i + 1 :]:
                if MARKER.search(row) or row.startswith("#"):
                    break
                hit = ROW.match(row)
                if hit:
                    fields.add(hit["field"])
            assert m["name"] not in found, f"{m['name']} documented twice ({page.name})"
            found[m["name"]] = (page, fields)
    return found


def mismatches(expected: dict[str, set[str]], docs: dict[str, tuple[Path, set[str]]]) -> list[str]:
    """Each model or format undocumented, documented without existing, or whose table lacks a
    field or has one the model does not."""
    out = [f"undocumented: {name}" for name in sorted(set(expected) - set(docs))]
    out += [f"no such model: {name}" for name in sorted(set(docs) - set(expected))]
    for name in sorted(set(expected) & set(docs)):
        page, written = docs[name]
        out += [f"{page.name}: {name} has no field {f!r}" for f in sorted(written - expected[name])]
        out += [f"{page.name}: {name} lacks {f!r}" for f in sorted(expected[name] - written)]
    return out


def test_every_model_field_is_documented_and_nothing_else():
    problems = mismatches({**input_models(), **OTHER_FORMATS}, documented())
    assert not problems, "\n".join(problems)


def test_every_table_row_gives_unit_default_meaning_and_example():
    for page in DOCS.glob("*.md"):
        for line in page.read_text(encoding="utf-8").splitlines():
            if ROW.match(line):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                assert len(cells) == 5 and all(cells[1:4]), f"{page.name}: {line}"


def test_the_checker_is_not_blind():
    """A field added to a model, a documented field removed from it, and a new model are each
    caught."""
    expected = {**input_models(), **OTHER_FORMATS}
    docs = documented()
    assert "coord_source" in expected["sim.theater_schema.PlaceSpec"]
    assert docs["sim.observations.Window"][1] == {"from", "to"}
    grown = {
        **expected,
        "sim.theater_schema.PlaceSpec": expected["sim.theater_schema.PlaceSpec"] | {"elevation"},
    }
    assert mismatches(grown, docs) == ["theater.md: sim.theater_schema.PlaceSpec lacks 'elevation'"]
    shrunk = {
        **expected,
        "sim.theater_schema.RoadSpec": expected["sim.theater_schema.RoadSpec"] - {"route"},
    }
    assert mismatches(shrunk, docs) == [
        "theater.md: sim.theater_schema.RoadSpec has no field 'route'"
    ]
    assert mismatches({**expected, "sim.config.NewSpec": {"x"}}, docs) == [
        "undocumented: sim.config.NewSpec"
    ]


# --- the walkthrough -------------------------------------------------------------------------

STEP = re.compile(r"<!-- (?P<what>file|edit): (?P<name>[^ ]+) -->")


def walkthrough_steps(text: str) -> list[tuple[str, str, str]]:
    """(kind, name, body) in order: ('sh', '', commands), ('file', name, text), ('edit', name,
    yaml). Text blocks not marked as files are shown output, not run."""
    steps = []
    pending: tuple[str, str] | None = None
    for m in re.finditer(r"(<!-- (?:file|edit): [^ ]+ -->)|```(\w+)\n(.*?)```", text, re.S):
        if m.group(1):
            marker = STEP.match(m.group(1))
            pending = (marker["what"], marker["name"])
        elif pending is not None:
            steps.append((pending[0], pending[1], m.group(3)))
            pending = None
        elif m.group(2) == "sh":
            steps.append(("sh", "", m.group(3)))
    return steps


@pytest.mark.slow
def test_walkthrough_runs_as_written(tmp_path):
    steps = walkthrough_steps((DOCS / "walkthrough.md").read_text(encoding="utf-8"))
    assert [s[0] for s in steps].count("sh") >= 5
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cwd = tmp_path
    where = tmp_path / ".cwd"
    for kind, name, body in steps:
        if kind == "file":
            (cwd / name).write_text(body, encoding="utf-8")
        elif kind == "edit":
            data = yaml.safe_load((cwd / name).read_text(encoding="utf-8"))
            data.update(yaml.safe_load(body))
            (cwd / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        else:
            for command in body.splitlines():
                if not command.strip() or command.startswith("#"):
                    continue
                want = re.search(r"# exit (\d+)$", command)
                script = f"{command}\nrc=$?; pwd > {where}; exit $rc"
                done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env,
                                      capture_output=True, text=True, timeout=300)  # fmt: skip
                expected = int(want.group(1)) if want else 0
                assert done.returncode == expected, f"{command}\n{done.stdout}\n{done.stderr}"
                assert "Traceback" not in done.stderr
                cwd = Path(where.read_text().strip())
    assert (cwd / "results" / "first" / "report.html").is_file()
