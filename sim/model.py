"""The Mesa model: wires places, units, air assets, factions and patrons on the road network,
and steps them hour by hour.

Step h simulates the hour that ends at hour h. A scenario event dated hour h runs on Mesa's
event list right after step h, so it acts from the next hour on: a ceasefire "from midnight on
12 January" (hour 168) binds the hour 00:00-01:00, the first one after it.

The hour, in order (`ConflictModel.step`):
1. (the scenario events dated the hour before: offensives, the ceasefire, deployments, ...);
2. every `faction.decision_interval_hours`: faction command and patron decisions;
3. movement along roads;
4. ground engagements where the truce leaves fire open, then air sorties;
5. supply, morale and withdrawal, control (`sim.ground`);
6. the truce: incidents, each party's decision to resume offensives, collapse (`sim.truce`);
7. recording every `sample_every_hours`.
Queries the agents ask are in `sim.situation`, the output rows in `sim.recording`, the maths
in `sim.dynamics`, each mechanism's random stream in `sim.streams`.
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict

from mesa import Model
from mesa.discrete_space import Network

from sim import ground
from sim.agents import AirAsset, Place, Posture, Unit
from sim.battle import Battlefield
from sim.command import Faction
from sim.config import OffensiveEvent, Setup, UnitSpec
from sim.dynamics import air
from sim.dynamics.supply import HubStock
from sim.losses import Losses
from sim.network import RoadNetwork, build_network
from sim.patrons import Patron
from sim.recording import Recording, slug
from sim.scenario_events import HANDLERS, arrive
from sim.situation import Situation
from sim.streams import spawn_streams
from sim.truce import Truce

__all__ = ["ConflictModel"]

VERIFY_ENV = "CONFLICT_SIM_VERIFY_CACHES"


class ConflictModel(Situation, Losses, Recording, Model):
    """A conflict on a road network, stepped hourly from the scenario's start to its end.

    Args:
        setup: the loaded scenario and theater.
        params: every parameter by its dotted key (`sim.runner.resolve_params`).
        seed: the run's seed (a non-negative int); each mechanism draws from its own stream.
        network: the road network, shared between runs of a process (built if None).
        run_id: written into every output row.
        verify_caches: recompute every incrementally kept value each hour and assert it equals
            the kept one (slow; for tests). Default: on when the environment variable
            CONFLICT_SIM_VERIFY_CACHES is 1.
    """

    def __init__(
        self,
        setup: Setup,
        params: dict[str, float],
        seed: int,
        network: RoadNetwork | None = None,
        run_id: int = 0,
        verify_caches: bool | None = None,
    ):
        super().__init__(rng=int(seed))
        self._units: list[Unit] = []
        self._assets: list[AirAsset] = []
        self._candidates_all: list[Unit] = []  # see strike_candidates
        self._candidates: dict[str, list[Unit]] = {}  # side -> its enemies among them
        self._candidates_at: float | None = None
        self.occupancy: dict[str, list[Unit]] = defaultdict(list)  # kept by Unit.cell's setter
        # Bumped whenever a unit changes place or side, starts or stops counting as active
        # (`Unit.active`), loses its last person, or joins or leaves the model, and when a
        # parameter is set: what is built from who stands where (the engagement plan, the
        # lines of contact, the two-sided places, control's presence, the supply lines) is
        # rebuilt only then. Places change in about 80 of a run's 1,344 hours.
        self.occupancy_version = 0
        self._two_sided: tuple[int, set[str]] = (-1, set())
        self.hurt: list[Unit] = []  # units that took losses this hour (lost_this_hour > 0)
        self._contacts_key: tuple | None = None
        self._contacts: dict[str, list] = {}
        if verify_caches is None:
            verify_caches = os.environ.get(VERIFY_ENV) == "1"
        self.verify_caches = verify_caches
        self.setup, self.sc, self.theater = setup, setup.scenario, setup.theater
        self.hours = self.sc.hours  # the scenario's length (a property that computes it)
        # When what happens now happened, in hours: the start of the hour `step` simulates while
        # it runs (step h simulates the hour ending at h), else the instant of the scheduled call
        # running (`_run_at`: everything between steps is one).
        self.event_hour = 0.0
        # A plain dict: hundreds of thousands of lookups a run (a dict subclass's are ~50% slower).
        # Whoever sets parameters bumps `p_version` (scenario_events.set_params does), which
        # expires what was cached from them.
        self.p = dict(params)
        self.p_version = 0
        self.run_id = run_id
        self.streams = spawn_streams(int(seed))
        self.network = network or build_network(self.theater)
        self.grid = Network(self.network.graph, layout=self.network.positions(), random=self.random)
        self.dist, self.paths = self.network.all_pairs()
        self._near: dict[tuple[str, float], list[str]] = {}
        self.sectors = self.network.sectors
        self.sector_of = self.network.sector_of()
        self.fire_edges = self._fire_edges()
        self._callbacks: list[functools.partial] = []
        self.start_recording()

        self.places: dict[str, Place] = {
            name: Place(self, self.grid._cells[name], name, attrs)
            for name, attrs in self.network.graph.nodes(data=True)
        }
        for name, ctl in self.sc.control.items():
            place = self.places[self.network.resolve(name)]
            place.controller, place.contested = ctl, ctl == "contested"
        self.factions = {
            k: Faction(self, k, f.name, self.network.resolve(f.capital))
            for k, f in self.theater.factions.items()
        }
        self.patrons = {
            k: Patron(self, k, pat.name, pat.client, tuple(pat.inflows))
            for k, pat in self.theater.patrons.items()
        }
        self.unit_by_id: dict[str, Unit] = {}
        removed = set(self.sc.remove_units)
        for spec in [*self.theater.units, *self.sc.units]:
            size = self._sampled_personnel(spec)  # drawn for every unit, so removing one
            if spec.id not in removed:  # leaves the others' draws as they were
                self.add_unit(spec.model_copy(update={"personnel": size}))
        self._add_local_defence()
        for a in self.theater.air:
            AirAsset(
                self, a.id, a.name, a.owner, a.faction, a.kind, self.network.resolve(a.base),
                AirAsset.sampled_count(self, a.count_low, a.count, a.count_high), a.radius_km,
            )  # fmt: skip

        self.initial = self.personnel_by_faction()
        self.reinforcements: dict[str, float] = defaultdict(float)
        self.losses: dict[str, float] = defaultdict(float)
        self.fighter_losses = 0.0  # killed or wounded (surrenders are not), for the truce
        self.loss_events = 0  # calls of `inflict` (and surrenders): a strength may have changed
        self._decision_smap: tuple[int, dict] | None = None  # see decision_strength_map
        self._deciding = False  # the factions' decisions of `step` under way
        self.cumulative_losses: list[float] = [0.0]  # fighter_losses at the end of hour h
        self.civilian_casualties = 0.0
        self.displaced = 0.0
        self.key_places = self._key_places()
        self.captured_at: dict[str, float] = {}
        self.deployments = 0
        self.pending_arrivals: list[tuple[float, str, float]] = []  # (hour, faction, personnel)
        self.truce = Truce(self)
        self.battlefield = Battlefield(self)
        self.air_cover: dict[str, dict[str, float]] = {}  # faction -> place -> support bonus
        self.air_sorties: list[tuple[float, str, str]] = []  # (hour, faction, place struck)
        self._supplied: dict[str, dict[str, tuple[float, str]]] = {}  # node -> (level, hub)
        self._supplied_version = 0  # bumped when a side's supply trace changes
        self._supply_lines: tuple[tuple, tuple] = ((), ({}, []))  # see ground._supply_lines
        self._supply_traces: dict[tuple, dict[str, tuple[float, str]]] = {}  # see update_supply
        self._control_version = 0
        self._presence: dict[str, set[str]] | None = None  # see ground.update_control
        self._present_at: tuple[int, dict[str, set[str]]] = (-1, {})
        self.movers: list[Unit] = []  # units with a route at the start of the hour
        self._unsettled: list[str] = []
        self._supply_version: tuple | None = None
        self.hub_stocks: dict[str, HubStock] = {}  # made at the first hour (sim.ground)
        for ev in self.sc.events:
            self._at(self.sc.hour_of(ev.at), HANDLERS[type(ev)], self, ev, at_end=True)
        for pat in self.patrons.values():
            pat.schedule_inflows()
        self.refresh_air_cover()
        self.record()

    # --- construction -----------------------------------------------------------------------

    def add_unit(self, spec: UnitSpec) -> Unit:
        node = self.network.resolve(spec.place)
        unit = Unit(
            self, self.grid._cells[node], spec.id, spec.name, spec.faction, spec.personnel,
            spec.firepower, spec.speed_kmh, Posture(spec.posture), spec.patron,
        )  # fmt: skip
        self.unit_by_id[spec.id] = unit
        return unit

    def _sampled_personnel(self, spec: UnitSpec) -> int:
        """A unit's personnel: its best estimate, or with `forces.sample_personnel` a draw from
        the triangular distribution on its stated range with the estimate as mode (the usual
        reading of a low / most likely / high estimate)."""
        low, high = spec.personnel_low, spec.personnel_high
        if self.p["forces.sample_personnel"] < 0.5 or low is None or high is None or low >= high:
            return spec.personnel
        mode = min(max(spec.personnel, low), high)
        return round(float(self.streams["forces"].triangular(low, mode, high)))

    def _add_local_defence(self) -> None:
        """Immobile militias of each populated place, siding with whoever holds it at the start."""
        share = self.p["control.local_defence_share"]
        for name, place in self.places.items():
            n = round(place.population * share)
            if (
                place.waypoint
                or place.controller not in self.factions
                or n < self.p["control.min_personnel"]
            ):
                continue
            unit = Unit(
                self, place.cell, f"local_{slug(name)}", f"Local defence ({name})", place.controller,
                n, self.p["control.local_defence_firepower"], 0.0, Posture.HOLD,
            )  # fmt: skip
            unit.local = True  # counts as active down to one person
            self.occupancy_version += 1
            self.unit_by_id[unit.uid] = unit

    def _key_places(self) -> list[str]:
        names = {self.network.resolve(n) for n in self.theater.key_places}
        for ev in self.sc.events:
            if isinstance(ev, OffensiveEvent):
                names.update(self.network.resolve(t) for t in ev.targets)
        names.update(f.capital for f in self.factions.values())
        return sorted(names)

    def _at(self, hour: float, fn, *args, at_end: bool = False, **kwargs) -> None:
        """Schedule a call at `hour`, booked at its own instant (`event_hour`). A call the model
        makes for itself (a delivery) at or after the run's end is dropped: it would act on no
        simulated hour and only change end-of-run outcomes no sample saw. A scenario's own event
        at the end (`at_end`: a run cut at its ceasefire) still runs, as `check` allows. Mesa
        keeps weak references: the partial is kept here."""
        if hour >= self.hours and not at_end:
            return
        cb = functools.partial(self._run_at, fn, *args, **kwargs)
        self._callbacks.append(cb)
        self.schedule_event(cb, at=max(hour, self.time))

    def _run_at(self, fn, *args, **kwargs) -> None:
        self.event_hour = self.time
        fn(*args, **kwargs)

    def schedule_deployment(self, patron: str, place: str, delay_hours: float, **kw) -> None:
        """A patron's contingent arrives after `delay_hours`; both sides see it coming."""
        client = self.theater.patrons[patron].client
        self.pending_arrivals.append((self.time + delay_hours, client, kw.get("personnel", 0)))
        self._at(self.time + delay_hours, arrive, self, patron, place, **kw)

    @property
    def p_version(self) -> int:
        """Bumped after parameters are set: cached values expire, and the few values read in
        the innermost loops (`min_personnel`) are read again."""
        return self._p_version

    @p_version.setter
    def p_version(self, value: int) -> None:
        self._p_version = value
        self.min_personnel = self.p["control.min_personnel"]
        self.occupancy_version += 1  # the minimum size decides who is active
        if value:  # a parameter set in the run: fire range too (the network is built by then)
            self.fire_edges = self._fire_edges()

    def _fire_edges(self) -> list[tuple[str, str, float]]:
        """Road segments short enough to fire across (`combat.max_fire_km`): (node, node, km),
        each pair in name order, sorted."""
        return sorted(
            (*sorted((u, v)), km)
            for u, v, km in self.network.graph.edges(data="km")
            if km <= self.p["combat.max_fire_km"]
        )

    def register_agent(self, agent) -> None:
        super().register_agent(agent)
        self.occupancy_version += 1
        if isinstance(agent, Unit):
            self._units.append(agent)  # kept in creation order, as Mesa's agent set is
        elif isinstance(agent, AirAsset):
            self._assets.append(agent)

    def deregister_agent(self, agent) -> None:
        super().deregister_agent(agent)
        self.occupancy_version += 1
        if isinstance(agent, Unit):
            self._units.remove(agent)
        elif isinstance(agent, AirAsset):
            self._assets.remove(agent)

    # --- the hour ---------------------------------------------------------------------------

    def step(self) -> None:
        hour = round(self.time)
        self.event_hour = self.time - 1.0
        decide = (hour - 1) % int(self.p["faction.decision_interval_hours"]) == 0
        if decide:
            self._decision_smap, self._deciding = None, True
            for f in self.factions.values():
                f.decide()
            self._decision_smap, self._deciding = None, False
            for pat in self.patrons.values():
                pat.step()
            self.refresh_air_cover()
        self.movers = movers = []
        self.hurt = []
        for u in self._units:
            u.lost_this_hour = 0.0
            if u.route:
                movers.append(u)
        # Only units with a route move, in an order drawn afresh each hour (the units that hold
        # have nothing to do: Mesa's shuffle_do stepped and shuffled them all).
        self.random.shuffle(movers)
        for u in movers:
            u.move()
        engaged = self.battlefield.fight()
        flyers = [a for a in self._assets if a.strikes]
        self.random.shuffle(flyers)
        for a in flyers:
            a.fly_sorties()
        self.battlefield.civilians.returns(self.streams["civilians"])
        self.battlefield.close(engaged)
        ground.update_supply(self)
        ground.morale_and_withdrawal(self)
        ground.update_control(self)
        self.truce.hour(decide)
        self.cumulative_losses.append(self.fighter_losses)
        if hour % self.sc.sample_every_hours == 0 or hour >= self.hours:
            self.record()
        if self.verify_caches:
            self.check_caches()

    def refresh_air_cover(self) -> None:
        """Each faction's air support by place: `air.support_bonus` of the strike sorties it flew
        in the last `air.support_window_hours` over places within `combat.max_fire_km` by road."""
        since = self.time - self.p["air.support_window_hours"]
        self.air_sorties = [s for s in self.air_sorties if s[0] > since]
        flown: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for _hour, faction, node in self.air_sorties:
            for n in self.near(node, self.p["combat.max_fire_km"]):
                flown[faction][n] += 1.0
        per, cap = self.p["air.support_per_sortie"], self.p["combat.air_support_bonus"]
        self.air_cover = {
            f: {n: air.support_bonus(k, per, cap) for n, k in by_node.items()}
            for f, by_node in flown.items()
        }

    def run(self) -> None:
        """Step hour by hour to the scenario's end."""
        # The hot path reads Model.time's value from Mesa's `_time` (its Observable's storage,
        # Mesa 3.5): fail loudly should a Mesa release keep it elsewhere.
        if getattr(self, "_time", None) != self.time:
            raise RuntimeError("Mesa no longer keeps Model.time's value in _time")
        while self.time < self.hours:
            self.step()
        self.battlefield.close(set(), force=True)
