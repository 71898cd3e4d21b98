"""What a run records: the event log, the sampled state (timeseries, control, units) and the
summary row of `runs.parquet`. A mixin of `ConflictModel`; the contract is in README.md.

Losses (see `sim.battle`): `casualties_<F>` are killed + wounded, with `killed_<F>`,
`wounded_<F>` and `captured_<F>` (surrendered or dispersed) beside them; `losses_<f>` in the
summary are all personnel lost (killed + wounded + captured). `civilian_casualties` are civilians
killed and injured, `civilians_killed` the dead; `displaced` everyone who ever fled,
`displaced_now` those still away. An event's `casualties` and `civilian_casualties` are deaths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.columns import Columns
from sim.fronts import front_position

if TYPE_CHECKING:
    from sim.agents import Unit
    from sim.model import ConflictModel


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


EVENT_COLUMNS = (
    "run_id", "hour", "kind", "detail", "place", "sector", "factions", "casualties",
    "civilian_casualties", "duration_hours", "text",
)  # fmt: skip
CONTROL_COLUMNS = ("run_id", "hour", "place", "controller")
UNIT_COLUMNS = (
    "run_id", "hour", "unit", "name", "faction", "place", "lat", "lon", "personnel", "morale",
    "supply", "posture",
)  # fmt: skip


class Recording:
    """The output tables, appended column by column as the run goes (`sim.columns`)."""

    def start_recording(self: ConflictModel) -> None:
        """Empty tables: `rows_timeseries` (its columns follow the factions and sectors),
        `rows_control`, `rows_units`, `rows_events`."""
        self.rows_timeseries = Columns()
        self.rows_control = Columns(CONTROL_COLUMNS)
        self.rows_units = Columns(UNIT_COLUMNS)
        self.rows_events = Columns(EVENT_COLUMNS)

    def log(
        self: ConflictModel, kind: str, place: str, factions: str, casualties: float, text: str,
        hour: float | None = None, civilian: float = 0.0, duration: float = 0.0, detail: str = "",
    ) -> None:  # fmt: skip
        """One row of events.parquet; `detail` refines the kind (an incident's kind, a probe).
        `hour` defaults to `event_hour`: what happens during a step is logged at the start of the
        hour it simulates (a strike flown 23:00-24:00 is on that day), as engagements are."""
        h = self.event_hour if hour is None else hour
        self.rows_events.add(
            self.run_id, float(h), kind, detail, place, self.sector_of.get(place, ""), factions,
            float(casualties), float(civilian), float(duration), text,
        )  # fmt: skip

    def front_km(self: ConflictModel) -> float:
        """The front along the theater's `front_axis` (km from its first place)."""
        return front_position(self.network.axis, self.network.axis_km, self._controller)

    def sector_fronts(self: ConflictModel) -> dict[str, float]:
        """Each sector's front, km from its axis' first place."""
        return {
            name: front_position(axis, km, self._controller)
            for name, (axis, km) in self.sectors.items()
        }

    def _controller(self: ConflictModel, node: str) -> str:
        return self.places[node].controller

    def record(self: ConflictModel) -> None:
        """Sample the state: a timeseries row, each place's controller, each unit."""
        h = round(self.time)
        row: dict[str, Any] = {"run_id": self.run_id, "hour": h}
        personnel = self.personnel_by_faction()
        held = dict.fromkeys(self.factions, 0)
        for place in self.places.values():
            if not place.waypoint and place.controller in held and not place.contested:
                held[place.controller] += 1
        bf = self.battlefield
        for f in self.factions:
            row[f"personnel_{f}"] = personnel[f]
            row[f"casualties_{f}"] = bf.killed[f] + bf.wounded[f]
            row[f"killed_{f}"] = bf.killed[f]
            row[f"wounded_{f}"] = bf.wounded[f]
            row[f"captured_{f}"] = bf.captured[f]
            row[f"places_{f}"] = held[f]
        row["front_km"] = self.front_km()
        for name, km in self.sector_fronts().items():
            row[f"front_km_{name}"] = km
        truce = self.truce.sector_states()  # once a sample: each is a scan of the incidents
        row.update(
            civilian_casualties=self.civilian_casualties,
            civilians_killed=bf.civilians.killed,
            displaced=self.displaced,
            displaced_now=bf.civilians.away_now(),
            ceasefire_state=self.truce.state(truce).value,
            violations=self.truce.violations,
            incident_rate=self.truce.intensity_now * 24.0,
        )
        for name in self.sectors:
            row[f"truce_{name}"] = truce[name].value
        self.rows_timeseries.append(row)
        n = len(self.places)
        self.rows_control.extend(
            {
                "run_id": [self.run_id] * n, "hour": [h] * n, "place": list(self.places),
                "controller": [place.status for place in self.places.values()],
            }
        )  # fmt: skip
        units = self.units
        n = len(units)
        lat, lon = zip(*map(self._unit_position, units), strict=True) if units else ((), ())
        self.rows_units.extend(
            {
                "run_id": [self.run_id] * n, "hour": [h] * n, "unit": [u.uid for u in units],
                "name": [u.name for u in units], "faction": [u.faction for u in units],
                "place": [u.node for u in units], "lat": lat, "lon": lon,
                "personnel": [u.personnel for u in units], "morale": [u.morale for u in units],
                "supply": [u.supply for u in units], "posture": [u.posture.value for u in units],
            }
        )  # fmt: skip

    def _unit_position(self: ConflictModel, u: Unit) -> tuple[float, float]:
        here = self.places[u.node]
        if not u.route or u.progress_km <= 0:
            return here.lat, here.lon
        there = self.places[u.route[0]]
        f = min(u.progress_km / self.network.graph.edges[u.node, u.route[0]]["km"], 1.0)
        return here.lat + (there.lat - here.lat) * f, here.lon + (there.lon - here.lon) * f

    def summary(self: ConflictModel) -> dict[str, Any]:
        """One row of runs.parquet: the outcome metrics of this run."""
        out: dict[str, Any] = {}
        for name in self.key_places:
            out[f"controller_end_{slug(name)}"] = self.places[name].status
            out[f"{slug(name)}_captured_at"] = self.captured_at.get(name, np.nan)
        sampled = self.rows_timeseries.data
        fronts = sampled["front_km"]
        out["front_km_end"] = self.front_km()
        out["front_km_min"] = float(min(fronts))
        out["front_km_max"] = float(max(fronts))
        for name, km in self.sector_fronts().items():
            series = sampled[f"front_km_{name}"]
            out[f"front_km_end_{name}"] = km
            out[f"front_km_min_{name}"] = float(min(series))
            out[f"front_km_max_{name}"] = float(max(series))
        personnel = self.personnel_by_faction()
        bf = self.battlefield
        for f in self.factions:
            out[f"losses_{f.lower()}"] = self.losses[f]
            out[f"killed_{f.lower()}"] = bf.killed[f]
            out[f"wounded_{f.lower()}"] = bf.wounded[f]
            out[f"captured_{f.lower()}"] = bf.captured[f]
            out[f"personnel_end_{f.lower()}"] = personnel[f]
        out["civilian_casualties"] = self.civilian_casualties
        out["civilians_killed"] = bf.civilians.killed
        out["displaced"] = self.displaced
        out["displaced_now"] = bf.civilians.away_now()
        out.update(self.truce.summary())
        out["patron_deployments"] = self.deployments
        return out
