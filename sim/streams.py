"""One random stream per mechanism, spawned from a run's seed (common random numbers).

Two scenarios that differ in one event share every draw the difference does not touch: the
ceasefire's compliance and incident draws never shift the combat, air, civilian or command
streams of the same seed. Each stream is `SeedSequence(seed, spawn_key=(k,))` with `k` a fixed
number per mechanism, so adding a mechanism later leaves the others' draws as they were.
"""

from __future__ import annotations

import numpy as np

STREAMS: dict[str, int] = {
    "combat": 1,
    "air": 2,
    "civilians": 3,
    "command": 4,
    "compliance": 5,
    "incidents": 6,
    "politics": 7,
    "forces": 8,
    "patrons": 9,
}
"""Mechanism name -> spawn key. Never renumber: it would change every seeded result."""


def spawn_streams(seed: int) -> dict[str, np.random.Generator]:
    """A generator per mechanism for a run seed (a non-negative int).

    Raises:
        ValueError: a negative seed (numpy's SeedSequence refuses it).
    """
    return {
        name: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(k,))))
        for name, k in STREAMS.items()
    }
