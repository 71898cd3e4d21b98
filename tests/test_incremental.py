"""State kept up to date incrementally (occupancy, contacts, effectiveness, settled places)
against a full recompute every hour: the debug mode `verify_caches` asserts equality over whole
runs, and its outputs (which skip no place's control update) equal the fast mode's."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config import load_scenario
from sim.model import VERIFY_ENV, ConflictModel
from sim.runner import ensemble_specs, network_for, resolve_params, run_one, to_tables
from tests.conftest import short_scenario

TOY = Path(__file__).parent / "data" / "toy_scenario.yaml"


def _tables(setup, seed: int):
    spec = ensemble_specs(1, seed)[0]
    return to_tables(setup, [run_one(setup, spec, resolve_params(setup))])


@pytest.mark.parametrize("seed", [1, 7])
def test_verified_run_matches_fast_run_through_the_ceasefire(tmp_path, monkeypatch, seed) -> None:
    # 5-13 January: the offensive, Sirte, the contacts and incidents of the first truce day.
    setup = load_scenario(short_scenario(tmp_path, end="2020-01-13T00:00+02:00"))
    monkeypatch.delenv(VERIFY_ENV, raising=False)
    fast = _tables(setup, seed)
    monkeypatch.setenv(VERIFY_ENV, "1")  # every hour: recompute, assert, skip nothing
    checked = _tables(setup, seed)
    assert len(fast.events) > 0 and (fast.events["kind"] == "control_change").any()
    for (name, a), (_n, b) in zip(fast.items(), checked.items(), strict=True):
        assert a.equals(b), name


def test_verified_toy_runs() -> None:
    setup = load_scenario(TOY)
    params = resolve_params(setup)
    for seed in (3, 4):
        m = ConflictModel(setup, params, seed, network=network_for(setup), verify_caches=True)
        m.run()
        assert m.time >= setup.scenario.hours


def _model(tmp_path: Path) -> ConflictModel:
    setup = load_scenario(short_scenario(tmp_path, end="2020-01-06T00:00+02:00"))
    return ConflictModel(setup, resolve_params(setup), 5, network=network_for(setup))


def test_check_catches_stale_occupancy(tmp_path) -> None:
    m = _model(tmp_path)
    m.check_caches()
    u = m._units[0]
    other = next(n for n in m.places if n != u.node)
    m.occupancy[u.node].remove(u)  # as if a move had not been followed
    m.occupancy[other].append(u)
    with pytest.raises(AssertionError, match="occupancy"):
        m.check_caches()


def test_check_catches_stale_effectiveness(tmp_path) -> None:
    m = _model(tmp_path)
    u = m._units[0]
    m.unit_strength(u)
    m.check_caches()
    u.eff *= 1.5  # a cached value that no longer follows its inputs
    with pytest.raises(AssertionError, match="effectiveness"):
        m.check_caches()


def test_contacts_follow_a_move(tmp_path) -> None:
    m = _model(tmp_path)
    km = m.p["ceasefire.contact_km"]
    before = m.contacts(km)
    assert m.contacts(km) is before  # kept while nobody moves
    u = next(u for u in m._units if not u.local and u.speed_kmh > 0)
    far = max(m.dist[u.node], key=m.dist[u.node].get)
    u.cell = m.grid[far]
    m.verify_caches = True
    after = m.contacts(km)  # recomputed (and checked against a fresh computation)
    assert after is not before
    assert u in m.occupancy[far] and u in m.grid[far].agents


def test_setting_parameters_expires_caches(tmp_path) -> None:
    m = _model(tmp_path)
    u = m._units[0]
    before = m.unit_strength(u)
    m.p.update({"combat.morale_exponent": 2.0, "control.min_personnel": 1e9})
    m.p_version += 1  # as scenario_events.set_params does after `set:`
    u.morale = 0.5
    assert m.unit_strength(u) < before and u.eff_key[-1] == m.p_version
    m.check_caches()
    assert (
        m.min_personnel == 1e9
        and not u.active
        and m.units_at(u.node) == [v for v in m.units_at(u.node) if v.local]
    )


def test_settled_place_needs_no_update(tmp_path) -> None:
    m = _model(tmp_path)
    place = next(p for p in m.places.values() if p.controller in m.factions)
    other = next(f for f in m.factions if f != place.controller)
    assert place.settled(set()) and place.settled({place.controller})
    assert not place.settled({other}) and not place.settled({other, place.controller})
    assert place.update_control({other}, 10) is None and place.holder == other
    assert not place.settled(set())  # a hold count is running: it must be reset


def test_hot_state_holds_python_floats(tmp_path) -> None:
    # numpy scalars in personnel, morale or losses make every later operation ~10x slower.
    setup = load_scenario(short_scenario(tmp_path, end="2020-01-08T00:00+02:00"))
    m = ConflictModel(setup, resolve_params(setup), 2, network=network_for(setup))
    m.run()
    assert m.fighter_losses > 0
    values = [m.fighter_losses, m.civilian_casualties, m.displaced, *m.losses.values()]
    for u in m._units:
        values += [u.personnel, u.morale, u.supply, u.eff, u.progress_km, u.lost_this_hour]
    values += [p.population for p in m.places.values()]
    assert {type(v) for v in values} == {float}


def test_decision_strengths_follow_losses(tmp_path) -> None:
    m = _model(tmp_path)
    m._deciding = True  # as in step's decisions
    smap = m.decision_strength_map()
    assert m.decision_strength_map() is smap  # shared while nothing is lost
    u = next(u for u in m._units if u.active and not u.local)
    m.inflict(u, 10.0, 5.0)  # a probe's losses
    fresh = m.decision_strength_map()
    assert fresh is not smap and fresh == m.strength_map() != smap
    m._deciding = False
    assert m.decision_strength_map() is not fresh  # a scenario event's decision: its own


def test_check_catches_stale_decision_strengths(tmp_path) -> None:
    m = _model(tmp_path)
    m._deciding = True
    m.decision_strength_map()
    u = next(u for u in m._units if u.active and not u.local)
    u.personnel -= 100.0  # a loss that did not go through inflict
    m.verify_caches = True
    with pytest.raises(AssertionError, match="decision strengths"):
        m.decision_strength_map()


def test_a_remnant_beside_an_active_enemy_is_in_contact(tmp_path) -> None:
    """Morale sums strengths only at nodes where two sides have people: a remnant below the
    minimum size standing with an active enemy is among them, in contact, and gives way."""
    from sim import ground
    from sim.agents import Posture

    m = _model(tmp_path)
    for _ in range(3):
        m.step()
    enemy = next(u for u in m._units if u.active and u.faction == "GNA" and not u.route)
    remnant = next(u for u in m._units if u.faction == "LNA" and not u.local and not u.route)
    remnant.cell = m.grid[enemy.node]
    remnant.personnel = m.min_personnel - 1  # inactive: no strength of its own
    for u in m._units:
        u.lost_this_hour = 0.0
    assert not remnant.active and m.strength_map()["GNA"][enemy.node] > 0
    ground.morale_and_withdrawal(m)
    assert remnant.in_contact
    assert remnant.posture == Posture.WITHDRAW or remnant.personnel == 0  # withdrew or gave up


def test_supply_levels_follow_a_parameter_set_in_the_run(tmp_path) -> None:
    """Supply traces keep levels, so setting `supply.full_km` traces again from the next hour
    (not at the next change of control or decision interval)."""
    from types import SimpleNamespace

    from sim import scenario_events

    m = _model(tmp_path)
    for _ in range(7):  # into a decision interval: the trace of its first hour is kept
        m.step()
    away = [n for n, (level, hub) in m._supplied["LNA"].items() if n != hub and level == 1.0]
    assert away, "the test needs LNA places at full supply away from their hub"
    change = {"supply.full_km": 0.0, "supply.falloff_km": 10.0}
    scenario_events.set_params(m, SimpleNamespace(params=change, text="supply test"))
    m.step()
    assert all(m._supplied["LNA"][n][0] < 1.0 for n in away)


def _plan_ids(m: ConflictModel) -> list[tuple]:
    plan, engaged = m.battlefield.plan()
    rows = [(a, b, [u.uid for u in ua], [u.uid for u in ub], f) for a, b, ua, ub, f in plan]
    return [rows, sorted(engaged)]


def test_engagement_plan_is_rebuilt_after_each_kind_of_change(tmp_path) -> None:
    """The hour's engagement plan is kept under (occupancy version, parameter version, truce
    version): each change that can alter who fires on whom must bump one of them, and the
    plan then rebuilt equals a fresh one (a missing bump fails here and in verified runs)."""
    from types import SimpleNamespace

    from sim import ground, scenario_events

    m = _model(tmp_path)
    for _ in range(3):
        m.step()

    def key() -> tuple:
        return (m.occupancy_version, m._p_version, m.truce.version)

    mobile = [u for u in m._units if u.active and not u.local]
    changes = {
        "move": lambda: setattr(
            mobile[0],
            "cell",
            m.grid[next(n for n in m.dist[mobile[0].node] if n != mobile[0].node)],
        ),
        "drops below the minimum size": lambda: m.inflict(
            mobile[1], mobile[1].personnel - m.min_personnel + 1.0
        ),
        "surrender": lambda: ground.surrender(m, mobile[2], 9.0),
        "defection": lambda: scenario_events.defection(
            m,
            SimpleNamespace(
                unit=mobile[3].uid, to="GNA" if mobile[3].faction == "LNA" else "LNA", text="test"
            ),
        ),
        "parameters set": lambda: scenario_events.set_params(
            m, SimpleNamespace(params={"combat.fire_decay_km": 5.0}, text="test")
        ),
        "ceasefire declared": lambda: m.truce.declare(sorted(m.factions)),
        "offensive resumed": lambda: m.truce._resume(
            next(iter(m.sectors)), sorted(m.factions)[0], 2.0, mobile[4].node
        ),
        "collapse": lambda: m.truce._check_collapse({next(iter(m.sectors)): []}),
        "recommitment": m.truce.recommit,
    }
    for what, change in changes.items():
        before = key()
        change()
        assert key() != before, what
    assert m.truce.collapsed_at is None and not m.truce.resumed  # each change took effect


def test_losses_that_leave_a_unit_active_keep_the_plan(tmp_path) -> None:
    m = _model(tmp_path)
    u = next(u for u in m._units if u.active and not u.local and u.personnel > 100)
    before = m.occupancy_version
    m.inflict(u, 1.0, 1.0)
    assert m.occupancy_version == before and u.active


def test_check_catches_a_stale_engagement_plan(tmp_path) -> None:
    m = _model(tmp_path)
    for _ in range(40):  # into the fighting at Sirte
        m.step()
    assert m.battlefield._plan[0], "the test needs an hour with engagements"
    m.verify_caches = True
    m.battlefield.fight()  # fresh and kept plans agree
    m.battlefield._plan[0].pop()  # an engagement the kept plan has lost
    with pytest.raises(AssertionError, match="engagement plan"):
        m.battlefield.fight()


def test_a_hold_count_runs_on_while_nobody_moves(tmp_path) -> None:
    """update_control skips places settled last hour while the presence is unchanged; a place
    whose hold count runs must still be counted every hour until control passes."""
    from sim import ground

    m = _model(tmp_path)
    ground.update_control(m)
    place = next(
        p for n, p in m.places.items() if p.controller in m.factions and not m.occupancy.get(n)
    )
    enemy = next(f for f in m.factions if f != place.controller)
    u = next(u for u in m._units if u.faction == enemy and u.active and not u.local)
    u.cell = m.grid[place.name]
    u.route = []
    hold = int(m.p["control.hold_hours"])
    for hour in range(hold):
        assert place.controller != enemy, hour
        ground.update_control(m)
    assert place.controller == enemy and place.name not in m._unsettled
    ground.update_control(m)  # settled again: skipped, and nothing changes
    assert place.controller == enemy and place.holder is None


def test_check_catches_stale_two_sided_places(tmp_path) -> None:
    m = _model(tmp_path)
    m.two_sided()
    m.check_caches()
    m._two_sided[1].add("nowhere")  # a place kept as two-sided that is not
    with pytest.raises(AssertionError, match="two-sided"):
        m.check_caches()


def test_a_unit_wiped_out_leaves_the_two_sided_places(tmp_path) -> None:
    """Two-sided places count remnants too: losing the last person (below the minimum size
    already) must expire them, as dropping out of the active units does."""
    m = _model(tmp_path)
    u = next(u for u in m._units if not u.local and u.personnel > 0)
    enemy = next(v for v in m._units if v.faction != u.faction and not v.local)
    u.cell = m.grid[enemy.node]
    m.inflict(u, u.personnel - 1.0)  # a remnant of one: inactive, still a person
    assert not u.active and enemy.node in m.two_sided() and m.hurt == [u]
    m.inflict(u, 1.0)
    alone = {v.faction for v in m._units if v.node == enemy.node and v.personnel > 0}
    assert (enemy.node in m.two_sided()) == (len(alone) > 1)


def test_a_withdrawal_on_the_road_is_not_present(tmp_path) -> None:
    """Presence is kept under the occupancy version, except while a withdrawal is on the road:
    a unit withdrawing along a road no longer holds the place it left, without any move."""
    from sim import ground
    from sim.agents import Posture

    m = _model(tmp_path)
    u = next(u for u in m._units if u.active and not u.local and len(m.occupancy[u.node]) == 1)
    kept = ground._presence(m)
    assert u.faction in kept[u.node] and ground._presence(m) is kept  # kept while nobody moves
    nxt = next(iter(m.network.graph[u.node]))
    u.posture, u.route, u.progress_km = Posture.WITHDRAW, [nxt], 1.0
    m.movers = [u]
    assert u.node not in ground._presence(m)
    u.route, u.progress_km, u.posture = [], 0.0, Posture.HOLD  # arrived back, nobody moved
    assert ground._presence(m) is kept


def test_supply_lines_follow_a_move(tmp_path) -> None:
    """Each hub's units are kept until a unit moves or the traces are made again: a unit moved
    beyond its side's supply lines is cut off at the next hour's update, and back when it
    returns."""
    from sim import ground

    m = _model(tmp_path)
    m.step()
    u = next(u for u in m._units if not u.local and u.active and not u.encircled)
    home = u.node
    beyond = next(n for n in m.places if n not in m._supplied[u.faction])
    u.cell = m.grid[beyond]
    ground.update_supply(m)
    assert u.encircled and u in ground._supply_lines(m)[1]
    u.cell = m.grid[home]
    ground.update_supply(m)
    assert not u.encircled


def test_a_fire_range_set_in_the_run_changes_the_segments_that_fire(tmp_path) -> None:
    """`set: combat.max_fire_km` mid-run reaches the engagement plan: the segments short enough
    to fire across follow the parameter (they were fixed at the start; a review's find)."""
    from types import SimpleNamespace

    from sim import scenario_events

    m = _model(tmp_path)
    before = list(m.fire_edges)
    assert before, "the test needs road segments within fire range"
    scenario_events.set_params(m, SimpleNamespace(params={"combat.max_fire_km": 0.0}, text="t"))
    assert m.fire_edges == [] and all(a == b for a, b, *_ in m.battlefield.plan()[0])
    longest = max(km for *_, km in m.network.graph.edges(data="km"))
    scenario_events.set_params(m, SimpleNamespace(params={"combat.max_fire_km": longest}, text="t"))
    assert len(m.fire_edges) == m.network.graph.number_of_edges() > len(before)


def test_every_kind_of_event_keeps_the_kept_state_fresh(monkeypatch) -> None:
    """A scenario with every event that changes an input of the kept state (defections, one on
    the road and back; a deployment; `set:` of the minimum size up and down, of the fire and
    contact ranges; a ceasefire declared twice; a recommitment; talks): the verify mode
    asserts every kept state each hour, and its outputs equal the fast mode's."""
    setup = load_scenario(Path(__file__).parent / "data" / "stress_caches.yaml")
    monkeypatch.delenv(VERIFY_ENV, raising=False)
    fast = _tables(setup, 7)
    monkeypatch.setenv(VERIFY_ENV, "1")
    checked = _tables(setup, 7)
    kinds = set(fast.events["kind"])
    assert {"defection", "deployment", "control_change", "withdrawal", "violation"} <= kinds, kinds
    for (name, a), (_n, b) in zip(fast.items(), checked.items(), strict=True):
        assert a.equals(b), name
