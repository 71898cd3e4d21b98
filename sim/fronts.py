"""Front lines: where, along an axis of places, one side's ground gives way to the other's.

A theater's sectors each have an axis (`sectors:` in the theater file; one sector along the
`front_axis` when none is given). Pure functions over node names and controllers.
"""

from __future__ import annotations

import itertools
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
