"""Morale: falls with losses, encirclement and low supply; recovers out of contact."""

from __future__ import annotations


def update_morale(
    morale: float,
    loss_fraction: float,
    supply: float,
    encircled: bool,
    in_contact: bool,
    loss_sensitivity: float,
    supply_sensitivity: float,
    encircled_penalty: float,
    recovery: float,
    low_supply: float = 0.5,
) -> float:
    """Morale after one hour, kept in [0, 1]; a unit with supply below `low_supply`
    (`morale.low_supply`) loses `supply_sensitivity` an hour."""
    m = morale - loss_sensitivity * loss_fraction
    if supply < low_supply:
        m -= supply_sensitivity
    if encircled:
        m -= encircled_penalty
    if not in_contact and loss_fraction == 0:
        m += recovery
    return min(1.0, max(0.0, m))


def should_withdraw(
    morale: float, odds: float, withdraw_morale: float, withdraw_ratio: float
) -> bool:
    """A unit withdraws when its morale breaks or the enemy/own strength ratio is too high."""
    return morale < withdraw_morale or odds > withdraw_ratio
