"""In-sample facts (issue #10 item 6): what was known by 12 January 2020 and the model gets
wrong, starting with Surman's control on 11 January."""

from __future__ import annotations

from datetime import date, datetime

from sim.config import load_scenario
from sim.observations import OBSERVATIONS_DIR, ControlObservation, load_observations

from .conftest import SCENARIOS

KNOWN_BY = date(2020, 1, 12)


def test_surman_is_lna_held_on_11_january_from_a_source_known_by_12_january():
    setup = load_scenario(SCENARIOS / "ceasefire_jan12.yaml")
    obs = load_observations(OBSERVATIONS_DIR / "jan2020.yaml", setup)
    surman = [
        o for o in obs.observations if isinstance(o, ControlObservation) and o.place == "Surman"
    ]
    assert len(surman) == 1
    (fact,) = surman
    assert fact.controllers() == ["LNA"]
    assert fact.at == datetime.fromisoformat("2020-01-11T18:00+02:00")
    assert fact.source.url and fact.source.url.startswith("https://")
    assert fact.source.date <= KNOWN_BY and fact.source.quote
    assert fact.weight < 1  # inferred, not stated for the date: marked so


def test_nothing_in_jan2020_is_dated_after_12_january():
    obs = load_observations(OBSERVATIONS_DIR / "jan2020.yaml")
    for o in obs.observations:
        assert o.source.date <= KNOWN_BY, o.id
        assert o.end.date() <= KNOWN_BY, o.id
