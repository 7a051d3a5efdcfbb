"""The range of dates and times the service accepts from anyone, in one place.

Pure. Every date or datetime that arrives from outside (API bodies, query parameters, socket
messages, stored rule sets, list cursors) is checked here before anything converts it: Python's
datetime stops at years 1 and 9999, so ``0001-01-01T00:00:00+14:00`` cannot be turned into UTC
and ``9999-12-31`` has no next day. Both used to escape as 500s. A courier co-op has no use for
dates outside ``[EARLIEST, LATEST)``, so they are refused with the field's name instead.

The check reads the wall-clock fields (year) only, never converts, so it cannot overflow.
"""

from __future__ import annotations

from datetime import date, datetime

EARLIEST_YEAR = 2000
LATEST_YEAR = 2099  # included
RANGE_TEXT = f"between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31"


class OutOfRange(ValueError):
    """A date or datetime outside the accepted range, or a datetime without a time zone."""


def check_day(value: date) -> date:
    """``value`` if its year is in range.

    Raises
    ------
    OutOfRange
        With a message that states the range.
    """
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise OutOfRange(f"must be a date {RANGE_TEXT}, got {value.isoformat()}")
    return value


def check_instant(value: datetime, *, aware: bool = True) -> datetime:
    """``value`` if it is in range and, when ``aware``, carries a time zone.

    Raises
    ------
    OutOfRange
        Naive when a time zone is needed, or outside the range (checked on the local wall
        clock, far inside datetime's own limits, so a UTC conversion that follows cannot
        overflow).
    """
    if aware and value.utcoffset() is None:
        raise OutOfRange("needs a time zone (e.g. 2026-06-01T09:00:00+02:00)")
    check_day(value.date())
    return value
