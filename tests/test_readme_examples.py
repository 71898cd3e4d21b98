"""The README's example outputs are the program's own (issue #15): regenerate them and compare."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.readme_examples import README, render

EXE = str(Path(sys.executable).with_name("conflict-sim"))


def test_readme_examples_match_the_program():
    text = README.read_text(encoding="utf-8")
    assert text.count("<!-- example") >= 3
    assert render(text, EXE) == text, "README examples drifted: run `make readme`"


def test_a_stale_output_is_caught_and_rewritten():
    stale = (
        "<!-- example -->\n```text\n$ .venv/bin/conflict-sim route Tripoli Misurata\n"
        "Tripoli -> Misrata: 999 km by road\n```\n<!-- /example -->\n"
    )
    fresh = render(stale, EXE)
    assert fresh != stale and "Tripoli -> Misrata: 200 km by road, 4 segments" in fresh
    assert render(fresh, EXE) == fresh
