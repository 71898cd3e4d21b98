"""Searches through one side's ground: the weight functions that hide roads (`km_through`,
`km_avoiding`) give the subgraph's distances and paths, and `FriendlyRoads` follows control."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.network import km_avoiding, km_through


@st.composite
def roads(draw):
    n = draw(st.integers(3, 12))
    names = [f"p{i}" for i in range(n)]
    g = nx.Graph()
    g.add_nodes_from(names)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    for a, b in draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)):
        g.add_edge(a, b, km=float(draw(st.integers(1, 60))))  # whole km: ties happen
    held = set(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))
    return g, held, sorted(held)[0]


@settings(max_examples=150, deadline=None)
@given(roads())
def test_hidden_roads_equal_the_subgraph_search(case) -> None:
    g, held, source = case
    sub = g.subgraph(held)
    want = nx.single_source_dijkstra(sub, source, weight="km")
    assert nx.single_source_dijkstra(g, source, weight=km_through(held)) == want
    blocked = set(g) - held
    assert nx.single_source_dijkstra(g, source, weight=km_avoiding(blocked)) == want
    for target in sorted(held):
        try:
            path = nx.shortest_path(sub, source, target, weight="km")
        except nx.NetworkXNoPath:
            path = None
        try:
            got = nx.shortest_path(g, source, target, weight=km_through(held))
        except nx.NetworkXNoPath:
            got = None
        assert got == path


def test_friendly_roads_follow_control(tmp_path) -> None:
    from sim.config import load_scenario
    from sim.model import ConflictModel
    from sim.runner import network_for, resolve_params
    from tests.conftest import short_scenario

    setup = load_scenario(short_scenario(tmp_path, end="2020-01-06T00:00+02:00"))
    m = ConflictModel(setup, resolve_params(setup), 5, network=network_for(setup))
    faction = m.factions["GNA"]
    held = faction.roads.held()
    capital = m.network.resolve(faction.capital)
    assert capital in held and all(m.places[n].status == "GNA" for n in held)
    km = faction.roads.km_to(capital)
    assert km[capital] == 0.0 and set(km) <= held
    lost = next(n for n in km if n != capital)
    m.places[lost].controller = "LNA"  # as update_control does, with the version bump
    m._control_version += 1
    assert lost not in faction.roads.held() and lost not in faction.roads.km_to(capital)
    assert faction.roads.path(lost, capital) is None
