"""Patrons: foreign backers of a faction. Dated inflows of fighters and drones, a contingent
when the client asks, and their own decision whether their assets hold fire under a truce."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa import Agent

from sim.config import InflowSpec
from sim.scenario_events import arrive

if TYPE_CHECKING:
    from sim.model import ConflictModel

DAYS_PER_MONTH = 365.25 / 12.0


class Patron(Agent):
    """A foreign backer: dated inflows of fighters and drones (`schedule_inflows`), a contingent
    when its client asks (`step`, for what-if scenarios), and its own decision whether its
    assets hold fire under a truce (`complies`): a patron is not a party to its client's truce.
    """

    def __init__(
        self,
        model: ConflictModel,
        key: str,
        name: str,
        client: str,
        inflows: tuple[InflowSpec, ...] = (),
    ):
        super().__init__(model)
        self.key = key
        self.name = name
        self.client = client
        self.inflows = list(inflows)
        self.requested_at: float | None = None
        self.deployments = 0
        self.delivered = {"fighters": 0.0, "drones": 0.0}
        self._complies: tuple[float | None, bool] | None = None  # (truce declared at, choice)

    def complies(self) -> bool:
        """Whether the patron holds its assets' fire under the truce in force: one draw per
        declared truce, with chance `patron.<P>.ceasefire_compliance` (the `patrons` stream)."""
        m = self.model
        if self._complies is None or self._complies[0] != m.truce.declared_at:
            chance = m.p[f"patron.{self.key}.ceasefire_compliance"]
            self._complies = (m.truce.declared_at, bool(m.streams["patrons"].random() < chance))
        return self._complies[1]

    def schedule_inflows(self) -> None:
        """Schedule the deliveries of each dated inflow within the run, every
        `patron.inflow_interval_days`: a monthly rate drawn per replicate uniformly in the
        inflow's [per_month_low, per_month_high] (the `patrons` stream; at the midpoint when
        `patron.sample_inflows` is 0), delivered in equal batches (fractions carried over)."""
        m = self.model
        if m.p["patron.inflows"] < 0.5:
            return
        step_h = m.p["patron.inflow_interval_days"] * 24.0
        for flow in self.inflows:
            low, high = flow.per_month_low, flow.per_month_high
            if m.p["patron.sample_inflows"] >= 0.5 and high > low:
                rate = float(m.streams["patrons"].uniform(low, high))
            else:
                rate = (low + high) / 2.0
            first = max(m.sc.hour_of(flow.start), 0.0) + step_h
            last = m.sc.hours if flow.end is None else min(m.sc.hour_of(flow.end), m.sc.hours)
            per_batch = rate * step_h / (24.0 * DAYS_PER_MONTH)
            hour = first
            while hour <= last:
                m._at(hour, self._deliver, flow, per_batch)
                hour += step_h

    def _deliver(self, flow: InflowSpec, amount: float) -> None:
        """One batch of an inflow: fighters as a new unit of the patron at the client's nearest
        held place to the inflow's, drones onto the patron's drone fleet (replacing losses)."""
        m = self.model
        carried = self.delivered[flow.kind] + amount
        n = int(carried) - int(self.delivered[flow.kind])
        self.delivered[flow.kind] = carried
        if n <= 0:
            return
        place = m.network.resolve(flow.place)
        if flow.kind == "fighters":
            arrive(
                m, self.key, place, personnel=n, firepower=m.p[f"patron.{self.key}.firepower"],
                drones=0, air_defence=0, name=f"{self.name} inflow",
                text=f"{n} fighters arrive for the {self.client} ({self.name}; {flow.source})",
            )  # fmt: skip
            return
        fleet = [a for a in m.assets if a.owner == self.key and a.kind == "drone"]
        held = [a for a in fleet if m.places[a.base].controller == self.client]
        if held:
            held[0].count += n
            m.log(
                "deployment", held[0].base, f"{self.client},{self.key}", 0.0,
                f"{self.name} delivers {n} drones to {held[0].base} ({flow.source})",
            )  # fmt: skip
            m.refresh_air_cover()
        else:
            arrive(
                m, self.key, place, personnel=0, firepower=0.0, drones=n, air_defence=0,
                name=f"{self.name} drones",
            )  # fmt: skip

    def step(self) -> None:
        """The client asks once enemy-held ground nears its capital or its most valuable city."""
        m = self.model
        troops = m.p[f"patron.{self.key}.troops"]
        drones = m.p[f"patron.{self.key}.drones"]
        if self.requested_at is not None or (troops < 1 and drones < 1):
            return  # nothing whole to send: troops and drones arrive as whole people and craft
        threatened = m.threatened_place(self.client, m.p[f"patron.{self.key}.trigger_km"])
        if threatened is None:
            return
        self.requested_at = m.time
        delay = m.p[f"patron.{self.key}.delay_days"] * 24.0
        m.log(
            "request",
            threatened,
            f"{self.client},{self.key}",
            0.0,
            f"{self.client} asks {self.name} for help: enemy within reach of {threatened}",
        )
        m.schedule_deployment(
            self.key,
            threatened,
            personnel=troops,
            firepower=m.p[f"patron.{self.key}.firepower"],
            drones=int(drones),
            air_defence=0,
            delay_hours=delay,
            name=f"{self.name} contingent",
        )
