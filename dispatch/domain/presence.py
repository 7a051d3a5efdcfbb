"""When a courier's phone counts as quiet: one threshold for the planner and the dispatcher map.

Pure. Phones send a position about every 10 s while on shift. A courier with no position for
longer than ``QUIET_AFTER`` is greyed on the dispatcher's map, and the planner gives them no
new orders (they keep what they carry and what they were given), since nobody can tell
whether they still ride. Two minutes is a dozen missed positions: a tunnel or a lift, not a
flat battery, stays under it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

QUIET_AFTER = timedelta(minutes=2)


def is_quiet(position_at: datetime | None, now: datetime) -> bool:
    """Whether a courier last seen at ``position_at`` is quiet at ``now`` (None: the caller
    does not track it, as the simulator's riders, who always report: not quiet)."""
    return position_at is not None and now - position_at > QUIET_AFTER
