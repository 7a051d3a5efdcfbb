"""How a courier's pay so far compares with the co-op's hourly floor: the one definition the
service's dispatch loop and the simulator both give the planner. Pure.

Two readings:

- **below the floor this hour** (``this_hour``, then ``below_floor``): what the courier earned
  for deliveries completed in the current clock hour is less than the floor's share of their
  time on shift in that hour, counted to the hour's end (or the planned shift end, if sooner).
  It is what their pay statement checks, hour by hour (``dispatch.domain.statements``): a
  courier who has not earned this hour's floor yet is the one an order helps most.
- **earned per hour over the shift so far**, in percent of the floor (``pct_of_floor``).

Times are seconds since the epoch (clock hours are UTC hours, as in the statements).
"""

from __future__ import annotations

KNOWN_AFTER_S = 10 * 60  # before this long on shift, a rate says nothing yet


def this_hour(now_s: float, started_s: float, planned_end_s: float) -> tuple[float, float]:
    """The current clock hour as the statement will count it for a courier: (from when their
    deliveries count in it, seconds on shift in it). It runs from the later of the hour's start
    and the shift's start to the earlier of the hour's end and the planned shift end (``now``
    if the shift runs over)."""
    hour = now_s // 3600 * 3600
    lo = max(hour, started_s)
    hi = min(hour + 3600, max(planned_end_s, now_s))
    return lo, max(0.0, hi - lo)


def below_floor(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> bool:
    """Whether ``earned_cents`` over ``on_shift_s`` seconds is less than the floor's pay for them."""
    return earned_cents * 3600 < floor_cents_per_hour * max(0.0, on_shift_s)


def pct_of_floor(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> int | None:
    """What was earned per hour on shift, in percent of the floor; None before ``KNOWN_AFTER_S``."""
    if on_shift_s < KNOWN_AFTER_S or floor_cents_per_hour <= 0:
        return None
    return round(100 * earned_cents * 3600 / (floor_cents_per_hour * on_shift_s))
