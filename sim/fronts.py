"""Front lines: where, along an axis of places, one side's ground gives way to the other's,
and the lines of contact: hostile places within reach of each other, by sector.

A theater's sectors each have an axis (`sectors:` in the theater file; one sector along the
`front_axis` when none is given). Pure functions over node names and controllers.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence


def front_position(
    axis: Sequence[str], axis_km: Mapping[str, float], controller_of: Callable[[str], str]
) -> float:
    """km from the axis start of the first boundary between the start's holder and anyone else.

    The front sits half-way between the last node held by the start's holder and the first node
    held by another side (or at a contested node's own km); a contested place keeps its
    controller for this, so fighting inside a city does not move the line to it. An axis held
    by one side throughout gives its full length.

    >>> km = {"A": 0.0, "B": 30.0, "C": 70.0}
    >>> front_position(["A", "B", "C"], km, {"A": "X", "B": "X", "C": "Y"}.get)
    50.0
    """
    first = controller_of(axis[0])
    for prev, node in itertools.pairwise(axis):
        holder = controller_of(node)
        if holder == "contested":
            return float(axis_km[node])
        if holder != first:
            return (axis_km[prev] + axis_km[node]) / 2.0
    return float(axis_km[axis[-1]])


def contacts_by_sector(
    occupied: dict[str, set[str]],
    dist: dict[str, dict[str, float]],
    sector_of: dict[str, str],
    contact_km: float,
) -> dict[str, list[tuple[str, str, str, str, float]]]:
    """Hostile contacts grouped by sector: (node a, faction a, node b, faction b, km), a <= b.

    A pair of occupied nodes within `contact_km` by road with different factions is a contact;
    it belongs to the sector of its first node (or the second's, if the first has none)."""
    out: dict[str, list] = defaultdict(list)
    nodes = sorted(occupied)
    for i, a in enumerate(nodes):
        for b in nodes[i:]:
            km = dist[a].get(b)
            if km is None or km > contact_km:
                continue
            for fa in sorted(occupied[a]):
                for fb in sorted(occupied[b]):
                    if fa != fb and (a != b or fa < fb):
                        sector = sector_of.get(a) or sector_of.get(b) or ""
                        out[sector].append((a, fa, b, fb, km))
    return dict(out)
