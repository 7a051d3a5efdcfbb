"""Writing events to the outbox in the caller's transaction.

On PostgreSQL a transaction-scoped advisory lock per coop makes commit order equal ``seq``
order within a coop, so a client resuming "after N" can never miss a row that committed late
with a smaller number. SQLite has a single writer, which gives the same guarantee.
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.db.models import OutboxEvent


def lock_coop_outbox(session: Session, coop_id: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(coop_id)})


def add_event(
    session: Session, coop_id: str, type_: str, topics: list[str], data: dict[str, Any]
) -> OutboxEvent:
    row = OutboxEvent(coop_id=coop_id, type=type_, topics=sorted(set(topics)), data=data)
    session.add(row)
    return row


def _lock_key(coop_id: str) -> int:
    # A stable 31-bit key in the "outbox" namespace (advisory keys are bigint).
    return 0x0D15_0000_0000 + zlib.crc32(coop_id.encode())
