"""Civilians in the war: the front-line residents at risk in each place, the harm done to them
by stand-off fire and strikes, their flight and their return. The maths is in
`sim.dynamics.civilians`; this is the bookkeeping, kept by the `Battlefield`.

Counts: `casualties` are civilians killed and injured; `killed` the dead among them
(`civilians.killed_share`). `displaced` is everyone who ever fled (IOM's cumulative count),
`returned` those who came back; `displaced - returned` are away now.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sim.dynamics import civilians as civ_fn
from sim.dynamics import combat

if TYPE_CHECKING:
    from sim.agents import Place
    from sim.model import ConflictModel


class Civilians:
    """At-risk pools (place -> residents still in the front-line areas), the people away from
    home (origin -> refuge -> people) and the running totals."""

    def __init__(self, model: ConflictModel):
        self.model = model
        self.at_risk: dict[str, float] = {}
        self.pool0: dict[str, float] = {}
        self.away: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._routes: list[tuple[str, list[str]]] = []  # away's keys, sorted (see returns)
        self.last_fire: dict[str, float] = {}
        self.casualties = 0.0
        self.killed = 0.0
        self.displaced = 0.0
        self.returned = 0.0

    def pool(self, place: Place) -> float:
        """The place's front-line residents still at home (set at first use)."""
        if place.name not in self.at_risk:
            n = civ_fn.at_risk_pool(place.population, self.model.p["civilians.frontline_residents"])
            self.at_risk[place.name] = self.pool0[place.name] = n
        return self.at_risk[place.name]

    def exposure(self, place: Place) -> float:
        """Share of the place's front-line residents still there, 0..1 (0 for an empty place)."""
        n = self.pool(place)
        p0 = self.pool0[place.name]
        return n / p0 if p0 > 0 else 0.0

    def ground_fire(
        self, place: Place, engaged_personnel: float, rng: np.random.Generator
    ) -> float:
        """One hour of fire reaching a populated place: stand-off fire events and flight.
        Returns civilians killed."""
        m, p = self.model, self.model.p
        if place.population <= 0:
            return 0.0
        self.last_fire[place.name] = m._time  # Model.time's value without its descriptor
        level = civ_fn.intensity(engaged_personnel, p["civilians.full_intensity_personnel"])
        events = int(rng.poisson(civ_fn.event_hazard(p["civilians.shelling_per_day"], level)))
        killed = 0.0
        if events:  # most hours of fire reach no one: nothing to draw or book
            mean = p["civilians.harm_per_shelling"] * self.exposure(place)
            harm = sum(
                civ_fn.heavy_tailed_harm(rng, mean, p["civilians.harm_dispersion"])
                for _ in range(events)
            )
            killed = self.book(place, harm, rng)
        self.pool(place)  # the pool is set at first use, before anyone flees
        self._flee(place, level, rng)
        return killed

    def strike(self, place: Place, rng: np.random.Generator) -> float:
        """A strike (air, drone) that hit a target in `place`: heavy-tailed harm to the
        front-line residents still there. Returns civilians killed. The interface the air war
        calls; draws from the caller's stream."""
        if place.population <= 0:
            return 0.0
        p = self.model.p
        mean = p["civilians.harm_per_strike"] * self.exposure(place)
        harm = civ_fn.heavy_tailed_harm(rng, mean, p["civilians.harm_dispersion"])
        return self.book(place, harm, rng)

    def book(self, place: Place, harm: float, rng: np.random.Generator) -> float:
        """Record `harm` civilian casualties at `place` (the dead leave its population and its
        front-line pool); returns the killed."""
        if harm <= 0:
            return 0.0
        m = self.model
        noise = m.p["combat.noise"] >= 0.5
        harm = min(harm, self.pool(place)) if noise else harm
        killed, _injured = combat.split_casualties(rng, harm, m.p["civilians.killed_share"], noise)
        killed = min(killed, place.population)
        place.population -= killed
        self.at_risk[place.name] = max(0.0, self.at_risk[place.name] - killed)
        place.civilian_casualties += harm
        m.civilian_casualties += harm
        self.casualties += harm
        self.killed += killed
        return killed

    def _flee(self, place: Place, level: float, rng: np.random.Generator) -> None:
        m = self.model
        n = self.at_risk[place.name]
        share = civ_fn.displaced_share(level, m.p["civilians.displacement_rate"])
        leaving = float(rng.binomial(int(n), share)) if n >= 1 else 0.0
        leaving = min(leaving, place.population)
        if leaving <= 0:
            return
        self.at_risk[place.name] = n - leaving
        place.population -= leaving
        place.displaced_out += leaving
        m.displaced += leaving
        self.displaced += leaving
        refuge = m.battlefield.refuge(place.name)
        if refuge is not None:
            m.places[refuge].population += leaving
        went = self.away[place.name]
        if (refuge or "") not in went:  # a new way home: returns walks them in sorted order
            self._routes = []
        went[refuge or ""] += leaving

    def returns(self, rng: np.random.Generator) -> None:
        """Each hour: the displaced of places quiet for `civilians.return_after_hours` come back
        at `civilians.return_rate` (a refuge gives back no more than it holds)."""
        m, p = self.model, self.model.p
        share = civ_fn.return_share(p["civilians.return_rate"])
        quiet_after = p["civilians.return_after_hours"]
        now = m.time
        if not self._routes:
            self._routes = [(o, sorted(self.away[o])) for o in sorted(self.away)]
        for origin, refuges in self._routes:
            if now - self.last_fire.get(origin, -1e9) < quiet_after:
                continue
            home = m.places[origin]
            went = self.away[origin]
            for refuge in refuges:
                n = went[refuge]
                if refuge:
                    n = min(n, m.places[refuge].population)
                back = float(rng.binomial(int(n), share)) if n >= 1 else 0.0
                if back <= 0:
                    continue
                if refuge:
                    m.places[refuge].population -= back
                went[refuge] -= back
                home.population += back
                self.at_risk[origin] = min(self.pool0[origin], self.at_risk[origin] + back)
                self.returned += back

    def away_now(self) -> float:
        """People displaced from their homes who have not returned yet."""
        return self.displaced - self.returned
