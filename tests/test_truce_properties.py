"""The truce's systems on the toy line, by their meaning (sim/truce.py, the truce's questions in
sim/situation.py and sim/fronts.py, the land grab in sim/command.py): who may fire once a party
resumes, when violence collapses a truce, where a party resumes, how long an incident lasts,
that a ground probe is close combat, that incidents leave the politics stream in step."""

from __future__ import annotations

import numpy as np
import pytest

from sim.agents import Posture
from sim.config import load_scenario
from sim.fronts import contacts_by_sector
from sim.model import ConflictModel
from sim.runner import resolve_params

from .test_model import TOY

SHARES = ("small_arms", "shelling", "drone", "ground_probe")


def _truce(**overrides: float) -> ConflictModel:
    """The toy line under a truce declared at hour 0 between X and Y; y1 stands at B."""
    setup = load_scenario(TOY)
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=1)
    m.unit_by_id["y1"].cell = m.grid._cells["B"]
    m.truce.declare(["X", "Y"])
    return m


def _only(kind: str) -> dict[str, float]:
    return {f"ceasefire.share_{k}": float(k == kind) for k in SHARES}


def test_once_either_party_resumes_in_a_sector_fire_is_open_there_both_ways():
    m = _truce()
    sector = m.sector_of["B"]
    assert not m.truce.fire_open("A", "X", "B", "Y")
    m.truce._resume(sector, "X", 1.0, "A")
    assert m.truce.fire_open("A", "X", "B", "Y") and m.truce.fire_open("B", "Y", "A", "X")


@pytest.mark.parametrize(("recent", "collapses"), [(80.0, True), (70.0, False)])
def test_the_truce_collapses_at_its_share_of_the_pre_truce_violence(recent, collapses):
    """With 100 killed or wounded in the window before it and a share of 0.75, 80 in the last
    window collapse the truce, 70 do not."""
    m = _truce(**{"ceasefire.collapse_violence_share": 0.75})
    window = m.p["ceasefire.collapse_window_days"] * 24.0
    m.truce.pre_truce_deaths = 100.0
    m.cumulative_losses = [0.0, 0.0]
    m.fighter_losses = recent
    m.time = window + 1
    m.truce._check_collapse({})
    assert (m.truce.collapsed_at is not None) == collapses


def test_a_party_resumes_in_the_sector_where_its_odds_are_best(monkeypatch):
    m = _truce(**{"faction.Y.resume_hazard": 0.0})
    m.p["faction.X.resume_hazard"] = 1e6  # beyond its range: a certain resumption
    contacts = {
        "north": [("A", "X", "B", "Y", 30.0)],
        "south": [("B", "Y", "A", "X", 30.0)],
    }
    odds = {"north": 3.0, "south": 0.5}
    monkeypatch.setattr(m, "sector_odds", lambda pairs, party: {s: odds[s] for s in pairs})
    m.truce._decisions(contacts)
    assert set(m.truce.resumed) == {("north", "X")}


def _incidents(kind: str, km: float, n: int, seed: int = 5) -> list[dict]:
    m = _truce(**{**_only(kind), "combat.noise": 0, "faction.X.ceasefire_compliance": 0})
    m.truce.draw_compliance(m.unit_by_id["x1"])
    rng = np.random.default_rng(seed)
    for _ in range(n):
        m.truce._incident("s", "X", [("A", "X", "B", "Y", km)], rng)
    return [e for e in m.rows_events if e["kind"] == "violation"]


def test_incidents_last_their_median_hours_in_the_median():
    """The duration of an incident is exponential with median `ceasefire.incident_median_hours`."""
    events = _incidents("small_arms", 30.0, 1500)
    median = _truce().p["ceasefire.incident_median_hours"]
    assert len(events) == 1500
    assert np.median([e["duration_hours"] for e in events]) == pytest.approx(median, rel=0.1)


def test_a_ground_probe_closes_with_the_enemy_whatever_the_distance():
    """With the same draws, probes across 10 and 40 km cost the same: a probe is close combat.
    Shelling across the longer distance costs less."""
    near, far = (_incidents("ground_probe", km, 20) for km in (10.0, 40.0))
    assert [e["casualties"] for e in near] == [e["casualties"] for e in far]
    assert sum(e["casualties"] for e in near) > 0
    near, far = (_incidents("shelling", km, 20) for km in (10.0, 40.0))
    assert sum(e["casualties"] for e in far) < sum(e["casualties"] for e in near)


def test_incidents_leave_the_politics_and_combat_streams_in_step():
    """Common random numbers: hours of incidents draw only from the incidents stream."""
    busy = _truce(**{"ceasefire.violation_rate": 50.0, "faction.X.ceasefire_compliance": 0})
    for u in busy.units:
        busy.truce.draw_compliance(u)
    quiet = _truce(**{"ceasefire.violation_rate": 50.0, "faction.X.ceasefire_compliance": 0})
    for u in quiet.units:
        quiet.truce.draw_compliance(u)
    for _ in range(72):
        busy.truce.hour(decide=False)
    assert busy.truce.violations > 10
    for stream in ("politics", "combat", "civilians", "command"):
        assert busy.streams[stream].random() == quiet.streams[stream].random(), stream


def test_sector_odds_are_own_strength_over_the_enemys():
    m = _truce()
    x1, y1 = m.unit_by_id["x1"], m.unit_by_id["y1"]
    y1.personnel *= 0.5 * m.unit_strength(x1) / m.unit_strength(y1)
    pairs = {"s": [("A", "X", "B", "Y", 30.0)]}
    assert m.sector_odds(pairs, "X")["s"] == pytest.approx(2.0)
    assert m.sector_odds(pairs, "Y")["s"] == pytest.approx(0.5)


def test_only_the_side_that_will_be_outnumbered_sees_a_power_shift():
    """X and Y at 1,000 each; 2,000 for Y on the way: X's share falls from 1/2 to 1/4."""
    m = _truce()
    m.pending_arrivals = [(10.0, "Y", 2000.0)]
    assert m.power_shift("X") == pytest.approx(0.25) and m.power_shift("Y") == 0.0


def test_two_sides_at_one_place_are_one_contact():
    occupied = {"B": {"X", "Y"}, "C": {"Y"}}
    dist = {"B": {"B": 0.0, "C": 40.0}, "C": {"C": 0.0, "B": 40.0}}
    got = contacts_by_sector(occupied, dist, {"B": "s", "C": "s"}, 50.0)
    assert got == {"s": [("B", "X", "B", "Y", 0.0), ("B", "X", "C", "Y", 40.0)]}


class _Draws:
    """A command stream whose uniform draws are all `u` (and normal draws 0)."""

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u

    def normal(self, *_args) -> float:
        return 0.0


@pytest.mark.parametrize(("factor", "looks"), [(1.0, False), (10.0, True)])
def test_the_land_grab_raises_the_chance_of_a_local_attack_before_a_truce(factor, looks):
    """Aggression 0.1 a day: a decision looks for an attack on a draw of 0.5 only when a
    ceasefire is due within `command.land_grab_hours` and the land-grab factor lifts the
    chance (to 1 at a factor of 10)."""
    setup = load_scenario(TOY)
    overrides = {"faction.X.aggression": 0.1, "command.land_grab_factor": factor}
    m = ConflictModel(setup, resolve_params(setup, overrides), seed=1)
    x = m.factions["X"]
    x._ceasefire_hours = [m.time + 10.0]
    m.streams["command"] = _Draws(0.5)
    looked = []
    x.best_local_attack = lambda smap: looked.append(smap)
    x._maybe_local_attack(m.strength_map())
    assert bool(looked) == looks
    assert m.unit_by_id["x1"].posture == Posture.RESERVE
