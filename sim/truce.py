"""The ceasefire as two processes: incidents (violations) and each party's decision to resume
offensives, recorded per front sector and party. The maths is in `sim.dynamics.ceasefire`.

- Incidents: per sector, party and hour, a self-exciting (Hawkes) count with a base rate the
  truce suppresses and time erodes. Only units of the party that do not comply can start one
  (compliance is drawn per unit from the faction's `ceasefire_compliance`), so the count is
  thinned where every unit complies. An incident has a kind and severity and is a short exchange
  at reduced intensity, logged as a `violation` event with its casualties.
- Resuming offensives: a party's decision, taken at its decision times, as a hazard that falls
  with the truce's age and rises with its best local odds, a projected loss of relative power
  and severe incidents by the other side; its patrons' leverage, monitoring and talks lower it.
  A party resumes in the sector where its odds are best; regular fire and advances are open in
  a sector once either party has resumed there.
- Collapse: offensives resumed in every sector in contact, or fighter deaths over the last
  `ceasefire.collapse_window_days` at or above `ceasefire.collapse_violence_share` of the same
  span before the truce. A `recommit` event restores every sector and restarts the clock.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from enum import Enum
from typing import TYPE_CHECKING

from sim.dynamics import ceasefire as cf
from sim.dynamics.combat import weighted_index

if TYPE_CHECKING:
    from sim.agents import Unit
    from sim.model import ConflictModel

# (kind, severity on an ordinal 1-3 scale, parameter of its share). Severity is an assumption:
# small-arms fire 1, shelling 2, a drone strike or a ground probe 3 (they take or risk ground).
INCIDENT_KINDS = (
    ("small_arms", 1.0, "ceasefire.share_small_arms"),
    ("shelling", 2.0, "ceasefire.share_shelling"),
    ("drone", 3.0, "ceasefire.share_drone"),
    ("ground_probe", 3.0, "ceasefire.share_ground_probe"),
)
SEVERE = 3.0


class TruceState(Enum):
    NONE = "none"
    HOLDING = "holding"
    VIOLATED = "violated"
    RESUMED = "resumed"
    COLLAPSED = "collapsed"


_RANK = {s: i for i, s in enumerate(TruceState)}


class Truce:
    """The state of a ceasefire in one run: per sector and party, with its incidents."""

    def __init__(self, model: ConflictModel):
        self.m = model
        self.parties: set[str] = set()
        self.declared_at: float | None = None
        self.clock_start: float | None = None
        self.collapsed_at: float | None = None
        self.first_collapsed_at: float | None = None  # kept when a recommitment restores it
        self.recommitments = 0
        self.resumed: dict[tuple[str, str], float] = {}  # (sector, party) -> hour
        self.first_resumed: tuple[float, str, str] | None = None
        self.incidents: list[tuple[float, str, str, float]] = []  # hour, sector, party, severity
        self._excitation: dict[tuple[str, str], cf.Excitation] = defaultdict(cf.Excitation)
        self.kinds: Counter[str] = Counter()
        self.violations = 0
        self.first_violation: float | None = None
        self.talks: list[tuple[float, float]] = []  # (until hour, factor)
        self.pre_truce_deaths = 0.0
        self.intensity_now = 0.0
        # Bumped whenever `bound` may answer differently (declared, recommitted, resumed,
        # collapsed): the engagement plan is kept under it.
        self.version = 0

    # --- state ----------------------------------------------------------------------------

    @property
    def declared(self) -> bool:
        return self.declared_at is not None

    @property
    def active(self) -> bool:
        return self.declared and self.collapsed_at is None

    def bound(self, faction: str, node: str) -> bool:
        """Whether the truce binds `faction` at `node`: declared, not collapsed, and the faction
        has not resumed offensives in the node's sector."""
        # `active` spelt out: asked for every pair of places in fire range, every hour
        if self.declared_at is None or self.collapsed_at is not None or faction not in self.parties:
            return False
        return (self.m.sector_of.get(node, ""), faction) not in self.resumed

    def bound_in(self, sector: str, faction: str) -> bool:
        return self.active and faction in self.parties and (sector, faction) not in self.resumed

    def fire_open(self, node_a: str, fa: str, node_b: str, fb: str) -> bool:
        """Regular fire between two groups is open unless the truce binds both."""
        return not (self.bound(fa, node_a) and self.bound(fb, node_b))

    def age_days(self) -> float:
        return 0.0 if self.clock_start is None else (self.m.time - self.clock_start) / 24.0

    def sector_state(self, sector: str) -> TruceState:
        """The worst state of a sector across the parties (resumed > violated > holding)."""
        if not self.declared:
            return TruceState.NONE
        if self.collapsed_at is not None:
            return TruceState.COLLAPSED
        worst = TruceState.HOLDING
        recent = self.m.time - self.m.p["ceasefire.recip_hours"]
        for party in self.parties:
            if (sector, party) in self.resumed:
                state = TruceState.RESUMED
            elif (sector, party) in self._excitation and (
                self._excitation[(sector, party)].last > recent
            ):
                state = TruceState.VIOLATED
            else:
                state = TruceState.HOLDING
            worst = max(worst, state, key=_RANK.get)
        return worst

    def sector_states(self) -> dict[str, TruceState]:
        """Each sector's state (`sector_state`), in the theater's order of sectors."""
        return {s: self.sector_state(s) for s in self.m.sectors}

    def state(self, by_sector: dict[str, TruceState] | None = None) -> TruceState:
        """The ceasefire's overall state: the worst over the sectors (`by_sector`: their states
        from `sector_states`, if the caller has them already)."""
        if not self.declared:
            return TruceState.NONE
        if by_sector is None:
            by_sector = self.sector_states()
        return max(by_sector.values() or [TruceState.HOLDING], key=_RANK.get)

    # --- events ---------------------------------------------------------------------------

    def declare(self, parties: list[str]) -> None:
        """A ceasefire takes effect (again, if an earlier one collapsed): every sector holds."""
        m = self.m
        self.version += 1
        self.parties = set(parties)
        if self.declared_at is None:
            self.declared_at = m.time
        self.collapsed_at = None
        self.resumed.clear()
        window = m.p["ceasefire.collapse_window_days"] * 24.0
        self.pre_truce_deaths = m.deaths_between(m.time - window, m.time)
        self._start_clock()

    def recommit(self) -> None:
        """Every sector back to holding, compliance redrawn, the clock restarted."""
        if not self.declared:
            return
        self.version += 1
        self.recommitments += 1
        self.collapsed_at = None
        self.resumed.clear()
        self._start_clock()

    def add_talks(self, factor: float, days: float) -> None:
        self.talks.append((self.m.time + days * 24.0, factor))

    def _start_clock(self) -> None:
        self.clock_start = self.m.time
        for f in self.parties:
            self.m.factions[f].bound_by_ceasefire = True
        for u in self.m.units:
            self.draw_compliance(u)

    def draw_compliance(self, u: Unit) -> None:
        """Each unit of a party complies with chance `faction.<F>.ceasefire_compliance`."""
        if not self.active or u.faction not in self.parties:
            return
        rng = self.m.streams["compliance"]
        u.compliant = bool(rng.random() < self.m.p[f"faction.{u.faction}.ceasefire_compliance"])

    # --- the hour -------------------------------------------------------------------------

    def hour(self, decide: bool) -> None:
        """Incidents this hour; at decision times each party's resume decision; then collapse."""
        if not self.active:
            self.intensity_now = 0.0
            return
        contacts = self.m.contacts(self.m.p["ceasefire.contact_km"])
        self._incidents(contacts)
        if decide:
            self._decisions(contacts)
        self._check_collapse(contacts)

    def _incidents(self, contacts: dict[str, list[tuple[str, str, str, str, float]]]) -> None:
        m, p = self.m, self.m.p
        rng = m.streams["incidents"]
        rho = cf.erosion(self.age_days(), p["ceasefire.truce_share"], p["ceasefire.erosion_days"])
        decay_h = p["ceasefire.decay_days"] * 24.0
        mean_sev = _mean_severity(p)
        now = m.time
        self.intensity_now = 0.0
        parties = sorted(self.parties)
        base = {
            f: p["ceasefire.violation_rate"] * p[f"faction.{f}.spoiler_propensity"] for f in parties
        }
        branching = p["ceasefire.branching_ratio"]
        for sector in sorted(contacts):
            if any((sector, f) in self.resumed for f in self.parties):
                continue  # fire is open there: regular engagements, not incidents
            for party in parties:
                excite = self._excitation[(sector, party)]
                lam = cf.intensity(
                    base[party], rho, excite.per_hour(now, branching, mean_sev, decay_h)
                )
                self.intensity_now += lam
                for _ in range(int(rng.poisson(lam))):
                    self._incident(sector, party, contacts[sector], rng)

    def _incident(self, sector: str, party: str, pairs: list, rng) -> None:
        """One incident: a non-compliant unit of `party` fires on the enemy across a contact."""
        m, p = self.m, self.m.p
        options = []
        for a, fa, b, fb, km in pairs:
            for node, side, other_node, other, d in ((a, fa, b, fb, km), (b, fb, a, fa, km)):
                if side == party and other != party:
                    shooters = [
                        u for u in m.units_at(node) if u.faction == party and not u.compliant
                    ]
                    if shooters:
                        options.append((node, other_node, other, d, shooters))
        if not options:
            return  # every unit of the party in contact complies: the incident does not happen
        node, target_node, enemy, km, shooters = options[int(rng.integers(len(options)))]
        k = weighted_index(rng, [p[key] for _, _, key in INCIDENT_KINDS])
        kind, severity, _ = INCIDENT_KINDS[k]
        hours = float(rng.exponential(p["ceasefire.incident_median_hours"] / math.log(2.0)))
        defenders = [u for u in m.units_at(target_node) if u.faction == enemy]
        lost = civ = 0.0
        drone = m.drone_over(target_node, party) if kind == "drone" else None
        if kind == "drone" and drone is not None and defenders:
            lost, civ = drone.strike_now(defenders, stream="incidents")
        else:
            if kind == "drone":
                kind, severity = "shelling", 2.0  # no drone within reach: stand-off fire instead
            # A ground probe closes with the enemy; fire from a distance thins with it.
            reach = 1.0 if kind == "ground_probe" else m.fire_factor(km)
            factor = p["ceasefire.incident_intensity"] * hours * reach
            la, lb, civ = m.battlefield.exchange(
                node, target_node, shooters, defenders, factor, stream="incidents"
            )
            lost = la + lb
        self._book(sector, party, kind, severity)
        m.log(
            "violation", target_node, f"{party},{enemy}", lost,
            f"{kind.replace('_', ' ')} by {party} from {node} on {target_node} "
            f"({hours:.1f} h, severity {severity:.0f}): {lost:.0f} killed",
            civilian=civ, duration=hours, detail=kind,
        )  # fmt: skip

    def air_incident(
        self, party: str, node: str, enemy: str, killed: float, civ: float, text: str
    ) -> None:
        """A strike flown where the truce binds `party` (by a patron that did not comply): an
        incident of kind drone, with its severity, excitation and log, as `_incident`'s."""
        m = self.m
        severity = next(sev for kind, sev, _ in INCIDENT_KINDS if kind == "drone")
        self._book(m.sector_of.get(node, ""), party, "drone", severity)
        m.log(
            "violation", node, f"{party},{enemy}", killed, f"{text} under the truce",
            civilian=civ, detail="drone",
        )  # fmt: skip

    def _book(self, sector: str, party: str, kind: str, severity: float) -> None:
        """An incident onto the truce's books: its count by kind, the violations, and the
        excitation it adds to the party's future incidents in the sector (the Hawkes process)."""
        self.incidents.append((self.m.time, sector, party, severity))
        self._excitation[(sector, party)].add(self.m.time, severity)
        self.kinds[kind] += 1
        self.record_violation()

    def record_violation(self) -> None:
        self.violations += 1
        if self.first_violation is None:
            self.first_violation = self.m.event_hour

    def _decisions(self, contacts: dict[str, list]) -> None:
        """Each party, at its decision time, may resume offensives in its best sector."""
        m, p = self.m, self.m.p
        rng = m.streams["politics"]
        every = p["faction.decision_interval_hours"]
        talks = math.prod(f for until, f in self.talks if until > m.time)
        for party in sorted(self.parties):
            sectors = [s for s in sorted(contacts) if (s, party) not in self.resumed]
            if not sectors:
                continue
            odds = m.sector_odds({s: contacts[s] for s in sectors}, party)
            best = max(sectors, key=lambda s: (odds[s], s))
            severe = self._severe_since(m.time - p["ceasefire.recip_hours"], party)
            hazard = cf.resume_hazard(
                p[f"faction.{party}.resume_hazard"], self.age_days(), p["ceasefire.weibull_shape"],
                p["ceasefire.hazard_ref_days"], odds[best], p[f"faction.{party}.attack_ratio"],
                p["ceasefire.gain_exponent"], m.power_shift(party),
                p["ceasefire.shift_per_doubling"], severe, p["ceasefire.recip_factor"],
                [p[f"patron.{k}.leverage"] for k, pat in m.patrons.items() if pat.client == party],
                p["ceasefire.monitoring"], talks,
            )  # fmt: skip
            if rng.random() < cf.probability_within(hazard, every):
                node = next(
                    (a if fa == party else b for a, fa, b, fb, _km in contacts[best]
                     if party in (fa, fb)), contacts[best][0][0],
                )  # fmt: skip
                self._resume(best, party, odds[best], node)

    def _severe_since(self, since: float, party: str) -> int:
        """Severe incidents by the other side after hour `since`: read from the newest back,
        as incidents are booked in time order."""
        count = 0
        for h, _s, f, sev in reversed(self.incidents):
            if h <= since:
                break
            if f != party and sev >= SEVERE:
                count += 1
        return count

    def _resume(self, sector: str, party: str, odds: float, node: str) -> None:
        m = self.m
        self.version += 1
        self.resumed[(sector, party)] = m.time
        if self.first_resumed is None:
            self.first_resumed = (m.event_hour, party, sector)
        self.record_violation()
        for u in m.units:
            if u.faction == party and m.sector_of.get(u.node) == sector:
                u.compliant = False
        m.log(
            "offensive", node, party, 0.0,
            f"{party} resumes offensive operations in sector {sector} (odds {odds:.2f}:1, "
            f"truce {self.age_days():.1f} days old)", detail="resumed",
        )  # fmt: skip

    def _check_collapse(self, contacts: dict[str, list]) -> None:
        m, p = self.m, self.m.p
        in_contact = set(contacts)
        resumed = {s for s, _f in self.resumed}
        why = None
        if in_contact and in_contact <= resumed:
            why = "offensives have resumed in every sector in contact"
        window = p["ceasefire.collapse_window_days"] * 24.0
        if why is None and m.time - self.clock_start >= window and self.pre_truce_deaths > 0:
            recent = m.deaths_between(m.time - window, m.time)
            if recent >= p["ceasefire.collapse_violence_share"] * self.pre_truce_deaths:
                why = f"{recent:.0f} fighters killed or wounded in {window / 24:.0f} days"
        if why is None:
            return
        self.version += 1
        self.collapsed_at = m.event_hour
        if self.first_collapsed_at is None:
            self.first_collapsed_at = m.event_hour
        for f in m.factions.values():
            f.bound_by_ceasefire = False
        for u in m.units:
            u.compliant = False
        m.log(
            "ceasefire_collapse", "", ",".join(sorted(self.parties)), 0.0,
            f"ceasefire collapses: {why}",
        )  # fmt: skip

    # --- outcomes -------------------------------------------------------------------------

    def summary(self) -> dict[str, object]:
        """The ceasefire's outcome metrics; NaN or None where no ceasefire was declared."""
        nan = math.nan
        out: dict[str, object] = {
            "ceasefire_violations": self.violations if self.declared else nan,
            "ceasefire_first_violation_at": _or_nan(self.first_violation),
            "offensives_resumed_at": _or_nan(self.first_resumed and self.first_resumed[0]),
            "offensives_resumed_by": self.first_resumed[1] if self.first_resumed else None,
            "ceasefire_collapsed_at": _or_nan(self.first_collapsed_at),
            "ceasefire_recommitments": self.recommitments if self.declared else nan,
            "ceasefire_state_end": self.state().value if self.declared else None,
            "ceasefire_held": (
                self.state() in (TruceState.HOLDING, TruceState.VIOLATED) if self.declared else None
            ),
        }
        for kind, _sev, _key in INCIDENT_KINDS:
            out[f"incidents_{kind}"] = self.kinds[kind] if self.declared else nan
        return out


def _mean_severity(p: dict[str, float]) -> float:
    shares = [(p[key], sev) for _k, sev, key in INCIDENT_KINDS]
    total = sum(s for s, _ in shares)
    return sum(s * sev for s, sev in shares) / total if total > 0 else 1.0


def _or_nan(value: float | None) -> float:
    return math.nan if value is None or value is False else float(value)
