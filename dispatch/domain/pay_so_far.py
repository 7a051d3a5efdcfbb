"""How a courier's pay so far compares with the co-op's hourly floor: the one definition the
service's dispatch loop and the simulator both give the planner. Pure.

Two readings:

- **short of the floor this hour** (``this_hour``, then ``short_cents``): the floor's share of
  their time on shift in the current clock hour, counted to the hour's end (or the planned
  shift end, if sooner), less what they earned for deliveries completed in it. It is what
  their pay statement checks, hour by hour (``dispatch.domain.statements``), and what the
  co-op's pay guarantee would owe for the hour if nothing more were delivered in it.
- **earned per hour over the shift so far**, in percent of the floor (``pct_of_floor``).

Times are seconds since the epoch (clock hours are UTC hours, as in the statements).
"""

from __future__ import annotations

from dispatch.domain.fee_split import courier_floor_cents

KNOWN_AFTER_S = 10 * 60  # before this long on shift, a rate says nothing yet


def hour_end(now_s: float) -> float:
    """When the clock hour of ``now_s`` ends."""
    return now_s // 3600 * 3600 + 3600


def this_hour(now_s: float, started_s: float, planned_end_s: float) -> tuple[float, float]:
    """The current clock hour as the statement will count it for a courier: (from when their
    deliveries count in it, seconds on shift in it). It runs from the later of the hour's start
    and the shift's start to the earlier of the hour's end and the planned shift end (``now``
    if the shift runs over)."""
    end = hour_end(now_s)
    lo = max(end - 3600, started_s)
    hi = min(end, max(planned_end_s, now_s))
    return lo, max(0.0, hi - lo)


def short_cents(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> int:
    """What ``earned_cents`` lacks to reach the floor's pay for ``on_shift_s`` seconds (0: none),
    the floor rounded up to the cent as the statement rounds it."""
    return max(0, courier_floor_cents(floor_cents_per_hour, int(max(0.0, on_shift_s))) - earned_cents)


def pct_of_floor(earned_cents: int, on_shift_s: float, floor_cents_per_hour: int) -> int | None:
    """What was earned per hour on shift, in percent of the floor; None before ``KNOWN_AFTER_S``."""
    if on_shift_s < KNOWN_AFTER_S or floor_cents_per_hour <= 0:
        return None
    return round(100 * earned_cents * 3600 / (floor_cents_per_hour * on_shift_s))
