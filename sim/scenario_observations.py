"""A scenario's own observations: the facts `validate` and `calibrate` score it against when no
`--observations` is given, named by the scenario's `observations:` field (docs/scenario.md).

The field takes an id (a file's stem in `data/observations/`, e.g. `jan2020`) or a `.yaml` path
relative to the scenario file, as `theater:` does; an id keeps working in a copy of the scenario
made elsewhere (a cut window in a temporary folder). The file named is the scenario's in-sample
facts: `calibrate` uses it by default, so `check` refuses one with a fact dated after the
calibration cutoff (`sim.sample_split`), and the out-of-sample facts (e.g.
`data/observations/after_ceasefire.yaml`) are always given explicitly with `--observations`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config import Setup
from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import load_yaml

if TYPE_CHECKING:
    from sim.observations import ObservationFile

FIELD = "observations"


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder, or absolute where
    the relative one would climb out of it."""
    rel = os.path.relpath(path)
    return str(Path(path).resolve()) if rel.startswith("..") else rel


def resolve_observations_path(name: str, relative_to: Path) -> Path:
    """The file an `observations:` value names: a `.yaml`/`.yml` value is a path (relative to
    `relative_to`, the scenario's folder, unless absolute), anything else an id in
    data/observations/ (`jan2020` is data/observations/jan2020.yaml)."""
    from sim.observations import OBSERVATIONS_DIR

    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        # normpath: `scenarios/../data/x.yaml` is shown, and loaded, as `data/x.yaml`
        return path if path.is_absolute() else Path(os.path.normpath(relative_to / path))
    return OBSERVATIONS_DIR / f"{name}.yaml"


def scenario_observations(setup: Setup) -> Path:
    """The observations file the scenario names.

    Raises InputError with one located problem: at the scenario's `observations:` field when the
    file it names does not exist (naming the closest file or id, never the scenario itself) or
    is not an observations file (a theater, a scenario), or at the scenario file's first line,
    field `observations`, when the scenario names none."""
    scenario_path = Path(setup.scenario_path)
    name = setup.scenario.observations
    if name is None:
        raise InputError(
            Problem(
                _shown(scenario_path), 1, 1, FIELD,
                "the scenario names no observations to score it against: add `observations: "
                "ID or PATH` (its in-sample facts, docs/scenario.md) or pass --observations FILE",
            )
        )  # fmt: skip
    path = resolve_observations_path(name, scenario_path.parent)
    if path.is_file():
        from sim.observations import is_observations_file

        if is_observations_file(path):
            return path
        src = load_yaml(scenario_path)
        raise InputError(
            src.problem(
                (FIELD,),
                f"{_shown(path)} is not an observations file (it has no list of "
                "`observations`, or it is a scenario): name a file of facts (docs/observations.md)",
            )
        )
    if path.exists():  # a folder (say): a close match would be the path itself
        hint, what = "", f"{_shown(path)} is not a file"
    elif name.endswith((".yaml", ".yml")):
        known = (
            [p.name for p in path.parent.glob("*.y*ml") if p.resolve() != scenario_path.resolve()]
            if path.parent.is_dir()
            else []
        )
        hint = did_you_mean(path.name, known)
        what = f"no file {_shown(path)}"
    else:
        from sim.observations import OBSERVATIONS_DIR

        hint = did_you_mean(name, [p.stem for p in OBSERVATIONS_DIR.glob("*.yaml")])
        what = f"no observations {name!r} in {_shown(OBSERVATIONS_DIR)}"
    src = load_yaml(scenario_path)
    raise InputError(src.problem((FIELD,), f"{what}{hint}"))


def observations_for(setup: Setup, given: Path | None) -> Path:
    """What a command scores against: `--observations` if given, else the scenario's own."""
    return given if given is not None else scenario_observations(setup)


def check_scenario_observations(setup: Setup) -> ObservationFile | None:
    """For `check`: load the observations the scenario names against it, as `validate` and
    `calibrate` would; None when it names none.

    Raises InputError: located at the scenario's field (a missing file; a file with facts dated
    after the calibration cutoff, which `calibrate` would refuse: one line, naming the first) or
    in the observations file (a bad fact, an unknown place, a fact outside the window)."""
    from sim.observations import load_observations
    from sim.sample_split import after_cutoff, scenario_cutoff

    if setup.scenario.observations is None:
        return None
    obs = load_observations(scenario_observations(setup), setup)
    cutoff = scenario_cutoff(setup)
    late = [(i, o) for i, o in enumerate(obs.data.observations) if after_cutoff(o, cutoff)]
    if late:
        i, first = late[0]
        where = obs.problem(i, "id", "")
        src = load_yaml(Path(setup.scenario_path))
        raise InputError(
            src.problem(
                (FIELD,),
                f"{_shown(obs.path)} has {len(late)} facts dated after the calibration cutoff "
                f"{cutoff.isoformat()} (the first: {first.id!r}, {where.file}:{where.line}), "
                "but a scenario's own observations are calibrate's default and must be in "
                "sample: name in-sample facts here and give later ones to validate --observations",
            )
        )
    return obs
