"""A ceasefire incident counts, for an observed strike or engagement, as the fire it was."""

from __future__ import annotations

import pandas as pd

from sim.eventdata import INCIDENT_AS
from sim.fact_matching import select_events
from sim.truce import INCIDENT_KINDS
from sim.validation import EventFilter


def _events() -> pd.DataFrame:
    rows = [
        ("violation", "drone", 10.0),
        ("violation", "shelling", 11.0),
        ("violation", "small_arms", 12.0),
        ("violation", "ground_probe", 13.0),
        ("strike", None, 14.0),
        ("engagement", None, 15.0),
    ]
    return pd.DataFrame(
        {
            "run_id": 0,
            "hour": [h for *_, h in rows],
            "kind": [k for k, *_ in rows],
            "detail": [d for _, d, _ in rows],
            "place": "Town",
            "factions": "A,B",
            "casualties": 0.0,
            "hours": 1.0,
        }
    )


def _details(kind: str) -> list:
    hits = select_events(_events(), EventFilter(kind=kind), 0.0, 100.0)
    return sorted(hits["detail"].fillna("-"))


def test_incidents_count_as_their_fire():
    assert _details("strike") == ["-", "drone", "shelling"]
    assert _details("engagement") == ["-", "ground_probe", "small_arms"]
    assert _details("violation") == ["drone", "ground_probe", "shelling", "small_arms"]


def test_every_incident_kind_is_one_kind_of_fire():
    kinds = {k for k, *_ in INCIDENT_KINDS}
    assert kinds == INCIDENT_AS["strike"] | INCIDENT_AS["engagement"]
    assert not INCIDENT_AS["strike"] & INCIDENT_AS["engagement"]
