"""Writing events to the outbox in the caller's transaction.

Within a coop, commit order must equal ``seq`` order, so that a client resuming "after N" (and
the webhook sender's cursor) can never miss a row that committed late with a smaller number.

On PostgreSQL a deferred constraint trigger (migration 0003) does it while the transaction
commits: it takes a transaction-scoped advisory lock per coop and gives the row its number from
the sequence (replacing a negative provisional one), so the number is drawn under the lock,
and the lock is released when the commit is durable. The lock is held for the commit alone.
It used to be taken by the application at the first event of a transaction and held through
the remaining statements, each a client round trip (and, with many threads in a process, a
wait for the GIL) while every other intake of the coop queued behind it. SQLite has a single
writer, which gives the same guarantee.

Cost and limit: commits of one coop are serial through their WAL flush (about 3 ms on this
machine's disk), so one coop tops out near 1 / flush time commits per second; other coops
commit in parallel.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.db.models import OutboxEvent

# the per-coop lock keys: 0x0D15_0000_0000 + hashtext(coop_id) + 2**31 (see migration 0003)
COOP_LOCK_BASE = 0x0D15_0000_0000


def add_event(
    session: Session, coop_id: str, type_: str, topics: list[str], data: dict[str, Any]
) -> OutboxEvent:
    """Add an event to the session's transaction. Its ``seq`` on PostgreSQL is provisional (and
    negative) until the commit numbers it: read numbers only from committed rows."""
    row = OutboxEvent(coop_id=coop_id, type=type_, topics=sorted(set(topics)), data=data)
    session.add(row)
    return row
