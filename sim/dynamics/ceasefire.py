"""Ceasefire maths: incidents as a self-exciting (Hawkes) process, and each party's hazard of
resuming offensives. Pure functions over floats; `sim.truce` applies them to the model.

Incidents in a sector, per party and hour (Hawkes 1971; for conflict events Lewis et al. 2012,
Iraq; Zammit-Mangion et al. 2012, Afghanistan):

    lambda(t) = mu_war * rho(t) + sum_i n * (s_i / s_mean) * exp(-(t - t_i) / tau) / tau
    rho(t)    = rho0 + (1 - rho0) * (1 - exp(-t / T))

mu_war is the war-time rate, rho(t) the truce's suppression eroding back toward war over T
(OSCE SMM: about two weeks back to the prior level after Donbas recommitments), n the branching
ratio (expected direct offspring of an incident of mean severity; n < 1 keeps it stationary).

Resuming offensives, per party and day (Fortna 2003, 2004: the hazard of a truce's failure falls
with time; Fearon 1995, Powell 2006: a side expecting to lose relative power strikes early):

    h(t) = h0 * w(t) * G * 2 ** (dP / shift_per_doubling) * recip ** V * prod(1 - L_patron) * M
    w(t) = (max(t, 1 day) / ref) ** (k - 1)          (Weibull shape k < 1: falls with time)
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def erosion(t_days: float, rho0: float, erosion_days: float) -> float:
    """rho(t): the share of the war-time incident rate left under a truce `t_days` old.

    rho0 at the start, rising toward 1 with time constant `erosion_days`; 1 when no truce holds.
    """
    if t_days <= 0:
        return rho0
    if erosion_days <= 0:
        return 1.0
    return rho0 + (1.0 - rho0) * (1.0 - math.exp(-t_days / erosion_days))


def excitation(
    now_hours: float,
    past: Iterable[tuple[float, float]],
    branching: float,
    mean_severity: float,
    decay_hours: float,
) -> float:
    """Self-excitation per hour at `now_hours` from past incidents `(hour, severity)`.

    Each incident adds `branching * severity / mean_severity` expected offspring, spread over an
    exponential kernel of mean `decay_hours`; incidents at or after `now_hours` add nothing.
    The definition, summed directly; a run keeps the same sum by recursion (`Excitation`), and
    the tests hold the two equal.
    """
    if branching <= 0 or decay_hours <= 0:
        return 0.0
    total = 0.0
    for t, sev in past:
        dt = now_hours - t
        if dt > 0:
            total += sev * math.exp(-dt / decay_hours)
    return branching / mean_severity * total / decay_hours


class Excitation:
    """The Hawkes sum of one sector and party kept by recursion: at each call, the total
    sum(s_i * exp(-(now - t_i) / tau)) over incidents before `now`, decayed from the last call
    instead of summed afresh (the exponential kernel is Markov: S(t + d) = S(t) * exp(-d / tau);
    Ogata 1981). Equal to `excitation`'s sum over the same incidents up to rounding, at a cost
    that does not grow with the number of past incidents. With a decay that changes between
    calls (a scenario sets `ceasefire.decay_days`), the decay in force applies to the time since
    the last call. Times in hours; `now` must not decrease from call to call."""

    __slots__ = ("at", "last", "pending", "total")

    def __init__(self) -> None:
        self.at = 0.0
        self.total = 0.0
        self.pending: list[tuple[float, float]] = []  # incidents not yet folded into `total`
        self.last = -math.inf  # hour of the latest incident

    def add(self, hour: float, severity: float) -> None:
        """An incident at `hour` (hours) of `severity` (1-3); it excites from the next call on
        whose `now` is later than `hour`."""
        self.pending.append((hour, severity))
        self.last = max(self.last, hour)

    def per_hour(
        self, now: float, branching: float, mean_severity: float, decay_hours: float
    ) -> float:
        """`excitation(now, incidents, ...)` over every incident added: offspring per hour."""
        if decay_hours <= 0:
            self.total, self.pending, self.at = 0.0, [], now
            return 0.0
        total = self.total * math.exp(-(now - self.at) / decay_hours) if self.total else 0.0
        keep = []
        for t, sev in self.pending:
            if t < now:
                total += sev * math.exp(-(now - t) / decay_hours)
            else:  # at `now` itself: it excites from the next hour on
                keep.append((t, sev))
        self.total, self.pending, self.at = total, keep, now
        if branching <= 0:
            return 0.0
        return branching / mean_severity * total / decay_hours


def intensity(
    war_rate_per_day: float,
    rho: float,
    excitation_per_hour: float,
) -> float:
    """lambda(t) in incidents per hour: suppressed base rate plus self-excitation."""
    return max(war_rate_per_day, 0.0) / 24.0 * rho + max(excitation_per_hour, 0.0)


def weibull_profile(t_days: float, shape: float, ref_days: float) -> float:
    """w(t) = (max(t, 1 day) / ref) ** (shape - 1): 1 at `ref_days`, higher before if shape < 1."""
    return (max(t_days, 1.0) / ref_days) ** (shape - 1.0)


def resume_hazard(
    h0_per_day: float,
    t_days: float,
    shape: float,
    ref_days: float,
    best_odds: float,
    attack_ratio: float,
    gain_exponent: float,
    power_shift: float,
    shift_per_doubling: float,
    severe_incidents: int,
    recip_factor: float,
    leverages: Iterable[float],
    monitoring: float,
    talks: float = 1.0,
) -> float:
    """A party's hazard per day of resuming offensives under a truce `t_days` old.

    - best_odds / attack_ratio: its best local odds against what it needs to attack, raised to
      `gain_exponent` and bounded to [1/4, 4] (gain, Greenhill & Major 2006/07 on spoilers);
    - power_shift: its projected loss of relative power share over the coming weeks (>= 0), one
      doubling per `shift_per_doubling` (commitment problem, Fearon 1995; Powell 2006);
    - severe_incidents: severe incidents by the other side in the last days, x recip_factor each;
    - leverages: each patron removes that share of its client's hazard (Walter 1997: guarantees);
    - monitoring and talks: multipliers, 1 with none (Fortna 2003).

    Returns a hazard >= 0, `math.inf` where reciprocity overflows a float (a certain
    resumption: `probability_within` gives 1), and 0 where any factor is 0.
    """
    gain = (max(best_odds, 1e-9) / attack_ratio) ** gain_exponent
    gain = min(max(gain, 0.25), 4.0)
    shift = 2.0 ** (max(power_shift, 0.0) / shift_per_doubling)
    restraint = 1.0
    for lev in leverages:
        restraint *= 1.0 - min(max(lev, 0.0), 1.0)
    try:
        reciprocity = recip_factor ** max(severe_incidents, 0)
    except OverflowError:  # hundreds of severe incidents at a high factor: a certain resumption
        reciprocity = math.inf
        if 0.0 in (max(h0_per_day, 0.0), restraint, monitoring, talks):
            return 0.0  # but a factor of 0 (full restraint, no base hazard) still means none
    hazard = (
        max(h0_per_day, 0.0)
        * weibull_profile(t_days, shape, ref_days)
        * gain
        * shift
        * reciprocity
        * restraint
        * monitoring
        * talks
    )
    return hazard


def probability_within(hazard_per_day: float, hours: float) -> float:
    """Chance that a constant hazard fires within `hours`."""
    return 1.0 - math.exp(-max(hazard_per_day, 0.0) * hours / 24.0)
