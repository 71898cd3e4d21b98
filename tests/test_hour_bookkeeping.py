"""When things are booked: an event of a step at the start of the hour it simulates, and the
run's end-of-run outcomes equal to its last sampled hour (nothing happens after it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config import load_scenario
from sim.model import ConflictModel
from sim.runner import network_for, resolve_params

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "ceasefire_jan12.yaml"


@pytest.fixture(scope="module")
def stepped():
    """ceasefire_jan12 run to its end, with the hour of each step noted beside the events it
    logged (each step's rows, engagements aside: they are logged when the battle closes)."""
    setup = load_scenario(SCENARIO)
    m = ConflictModel(setup, resolve_params(setup), 11, network=network_for(setup))
    logged: list[tuple[float, dict]] = []
    step = m._user_step  # ConflictModel.step, which Mesa calls at each hour (scenario events aside)

    def noted_step() -> None:
        before = len(m.rows_events)
        step()
        logged.extend((m.time, row) for row in list(m.rows_events)[before:])

    m._user_step = noted_step
    m.run()
    return m, logged


def test_what_a_step_logs_is_at_the_start_of_the_hour_it_simulates(stepped):
    """Step h simulates the hour from h - 1 to h: a strike flown from 23:00 to 24:00 on 11
    January is on the 11th, before the ceasefire of midnight, as that hour's engagements are
    (they were at h - 1 and strikes, incidents and control changes at h)."""
    _m, logged = stepped
    kinds = {row["kind"] for _h, row in logged}
    assert {"strike", "violation", "control_change", "engagement"} <= kinds
    for h, row in logged:
        if row["kind"] == "engagement":
            assert row["hour"] <= h - 1  # the battle's first hour
        else:
            assert row["hour"] == h - 1, row


def test_scenario_events_keep_their_own_instant(stepped):
    """The ceasefire of midnight on 12 January is logged at midnight (hour 168), the instant
    it takes effect, not at the start of an hour before it."""
    m, _logged = stepped
    declared = [row["hour"] for row in m.rows_events if row["kind"] == "ceasefire"]
    assert declared[0] == 168.0


def test_the_runs_end_outcomes_are_its_last_sampled_hour(stepped):
    """Nothing happens after the last simulated hour: patron inflows due at the run's end
    arrived after it (GNA +170-456 fighters in personnel_end), and closing the battles ran an
    extra hour of civilians' returns (displaced_now 0-5 below the last sample)."""
    m, _logged = stepped
    summary = m.summary()
    last = list(m.rows_timeseries)[-1]
    assert last["hour"] == m.hours
    for f in m.factions:
        assert summary[f"personnel_end_{f.lower()}"] == pytest.approx(last[f"personnel_{f}"])
    assert summary["displaced_now"] == pytest.approx(last["displaced_now"])
    assert summary["displaced"] == pytest.approx(last["displaced"])


def test_a_capture_time_is_its_control_changes_hour(stepped):
    """`<place>_captured_at` is booked as the event that records it is: a capture and its
    control_change disagreed by an hour (Sirte 36 against 37)."""
    m, _logged = stepped
    first: dict[str, float] = {}
    for row in m.rows_events:
        if row["kind"] == "control_change":
            first.setdefault(row["place"], row["hour"])
    assert m.captured_at and all(first[name] == h for name, h in m.captured_at.items())


def test_a_call_scheduled_between_hours_is_booked_at_its_own_instant():
    """A scenario event (or a delivery) Mesa runs at 10.5 is logged at 10.5, not at the start
    of the hour the last step simulated; one at the run's end is dropped (it would act on no
    simulated hour)."""
    setup = load_scenario(SCENARIO)
    m = ConflictModel(setup, resolve_params(setup), 3, network=network_for(setup))
    m._at(10.5, m.log, "event", "", "", 0.0, "between hours")
    m._at(float(m.hours), m.log, "event", "", "", 0.0, "at the end")
    m.run()
    notes = [(row["hour"], row["text"]) for row in m.rows_events if row["kind"] == "event"]
    assert (10.5, "between hours") in notes
    assert all(text != "at the end" for _h, text in notes)
