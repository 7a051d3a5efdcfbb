"""How a courier's pay so far on a shift compares with the co-op's hourly floor: the one
definition the service's dispatch loop and the simulator both give the planner. Pure."""

from __future__ import annotations

KNOWN_AFTER_S = 10 * 60  # before this long on shift, a rate says nothing yet


def below_floor(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> bool:
    """Whether ``earned_cents`` over ``on_shift_s`` seconds is less than the floor's pay for them."""
    return earned_cents * 3600 < floor_cents_per_hour * max(0.0, on_shift_s)


def pct_of_floor(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> int | None:
    """What was earned per hour on shift, in percent of the floor; None before ``KNOWN_AFTER_S``."""
    if on_shift_s < KNOWN_AFTER_S or floor_cents_per_hour <= 0:
        return None
    return round(100 * earned_cents * 3600 / (floor_cents_per_hour * on_shift_s))
