"""The fighters' losses as the model books them: off the unit, onto the ledgers, and the
running totals read by the truce's collapse test. A mixin of `ConflictModel`, as `Situation`.

Losses, defined once (see `sim.battle`): `killed` and `wounded` together are casualties, which
leave the unit; `surrender` books `captured` instead (`sim.ground`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.agents import Unit
    from sim.model import ConflictModel


class Losses:
    """Booking fighters' losses (methods of the model)."""

    def inflict(self: ConflictModel, u: Unit, killed: float, wounded: float = 0.0) -> None:
        """Fighters killed and wounded (casualties): off the unit, onto its faction's losses,
        the hour's and the battlefield's ledgers of killed and wounded. A unit loses no more
        than it has: the killed's and the wounded's shares of a group wiped out, split apart
        (`Battlefield._apply_losses`), can overshoot it by a rounding error, taken off the
        wounded."""
        before = u.personnel
        lost = killed + wounded
        if lost > before:  # wiped out: all it has, so that nothing is left, not -1e-16
            killed = min(killed, before)
            wounded = max(before - killed, 0.0)
            lost, after = before, 0.0
        else:
            after = before - lost
        self.loss_events += 1
        bf = self.battlefield
        bf.killed[u.faction] += killed  # Battlefield.book, inlined (tens of thousands a run)
        bf.wounded[u.faction] += wounded
        u.personnel = after
        least = 1.0 if u.local else self.min_personnel  # Unit.active's threshold
        if (before >= least) != (after >= least) or (before > 0) != (after > 0):
            self.occupancy_version += 1  # no longer active, or no one left
        if lost > 0 and u.lost_this_hour == 0:
            self.hurt.append(u)
        u.lost_this_hour += lost
        self.losses[u.faction] += lost
        self.fighter_losses += lost

    def deaths_between(self: ConflictModel, start: float, end: float) -> float:
        """Fighters killed or wounded in hours (start, end], from the running totals kept at the
        end of each hour (`cumulative_losses[h]`: all up to and including hour h)."""
        cum = self.cumulative_losses

        def upto(h: float) -> float:
            i = int(h)
            if i >= len(cum):
                return self.fighter_losses  # the hour under way
            return cum[i] if i >= 0 else 0.0

        return upto(end) - upto(start)

    def personnel_by_faction(self: ConflictModel) -> dict[str, float]:
        """Each faction's personnel now (people; remnants and local militias included)."""
        out = dict.fromkeys(self.factions, 0.0)
        for u in self.units:
            out[u.faction] += u.personnel
        return out
