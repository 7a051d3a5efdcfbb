"""The outbox as the realtime side reads it: claim rows to publish, replay, prune (sync, run
in a worker thread).

Ordering: within a coop, ``seq`` order is commit order (``db/outbox.py`` takes a per-coop
advisory lock before numbering). Publishing keeps that order across processes because one
relay at a time publishes: on PostgreSQL it holds a transaction-scoped advisory lock (others
try it, skip, and come back moments later), and the rows it reads are also locked ``FOR
UPDATE SKIP LOCKED`` so that no other writer marks them meanwhile; SQLite has one writer
(``BEGIN IMMEDIATE``). Two relays publishing interleaved batches could otherwise send seq 12
before 11 to the same client, which would then ignore 11.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from dispatch.db.models import Delivery, OutboxEvent
from dispatch.realtime.messages import Frame, tracking_data
from dispatch.services.context import ServiceContext

RELAY_LOCK_KEY = 0x0D15_0000_0001_0000  # outside db/outbox.py's per-coop key range


@dataclass(frozen=True, slots=True)
class Row:
    seq: int
    coop_id: str
    type: str
    topics: tuple[str, ...]
    data: dict[str, Any]


class Gap(Exception):
    """Rows the client asks for were pruned (or the cursor is from another database)."""


def _row(e: OutboxEvent) -> Row:
    return Row(e.seq, e.coop_id, e.type, tuple(e.topics), e.data)


# What a courier who no longer holds a delivery (reassigned, unassigned) may read of its frame:
# that it moved on, not where to or for whom (services/views.py's personal data rule).
FORMER_COURIER_FIELDS = ("id", "status", "version", "courier_id", "updated_at")
FORMER_COURIER_EVENT_FIELDS = ("delivery_id", "from_status", "status", "courier_id", "at")


def former_courier_data(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a delivery frame a courier who no longer has the job may get."""
    out = {k: data[k] for k in FORMER_COURIER_FIELDS if k in data}
    event = data.get("event")
    if isinstance(event, dict):
        out["event"] = {k: event[k] for k in FORMER_COURIER_EVENT_FIELDS if k in event}
    return out


def _former_courier(row: Row, topic: str) -> bool:
    return (row.type.startswith("delivery.") and topic.startswith("courier:")
            and topic != f"courier:{row.data.get('courier_id')}")


def frames_for(row: Row, only: Iterable[str] | None = None) -> list[tuple[list[str], Frame]]:
    """The (topics, frame) pairs one outbox row becomes: tracking topics get a reduced copy, and
    so does a courier's topic when the delivery is no longer theirs (moved to someone else).

    ``only`` restricts the result to those topics (a replay for one connection).
    """
    wanted = set(row.topics) if only is None else set(row.topics) & set(only)
    track = sorted(t for t in wanted if t.startswith("track:"))
    former = sorted(t for t in wanted if _former_courier(row, t))
    rest = sorted(wanted.difference(track, former))
    out: list[tuple[list[str], Frame]] = []
    if rest:
        out.append((rest, Frame(seq=row.seq, type=row.type, data=row.data)))  # type: ignore[arg-type]
    if former:
        out.append((former, Frame(seq=row.seq, type=row.type,  # type: ignore[arg-type]
                                  data=former_courier_data(row.data))))
    if track:
        out.append((track, Frame(seq=row.seq, type=row.type,  # type: ignore[arg-type]
                                 data=tracking_data(row.type, row.data))))
    return out


def publish_pending(ctx: ServiceContext, publish: Callable[[list[Row]], None],
                    limit: int = 500, min_age_s: float = 0.0) -> int | None:
    """Publish unpublished rows in seq order and mark them; None if another relay is at it.

    ``publish`` runs inside the transaction: a crash after it and before the commit means the
    rows are published again by the next relay (clients drop seq they already applied).
    """
    with ctx.sessions() as s, s.begin():
        postgres = s.get_bind().dialect.name == "postgresql"
        if postgres and not s.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                     {"k": RELAY_LOCK_KEY}):
            return None
        query = select(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        if min_age_s > 0:
            query = query.where(OutboxEvent.created_at <= ctx.clock() - timedelta(seconds=min_age_s))
        query = query.order_by(OutboxEvent.seq).limit(limit)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows = [_row(e) for e in s.scalars(query)]
        if not rows:
            return 0
        publish(rows)
        s.execute(update(OutboxEvent).where(OutboxEvent.seq.in_([r.seq for r in rows]))
                  .values(published_at=ctx.clock()))
        return len(rows)


def rows_after(ctx: ServiceContext, coop_id: str, after: int, limit: int,
               topic: str | None = None) -> list[Row]:
    """Committed rows of ``coop_id`` with seq > ``after`` in order; raises ``Gap`` if some were
    pruned, the cursor is ahead of the table, or more than ``limit`` rows are missing.

    With ``topic``, only the rows addressed to it are returned (the limit still counts every
    row of the coop): the others' payloads (a plan with every delivery's explanation) are
    never read, which made each socket's resume cost as much as the coop's whole backlog."""
    with ctx.sessions() as s:
        lowest, highest = s.execute(select(func.min(OutboxEvent.seq),
                                           func.max(OutboxEvent.seq))).one()
        if after > 0 and (lowest is None or after < lowest - 1 or after > highest):
            raise Gap(f"resume after {after} is outside the kept outbox {lowest}..{highest}")
        heads = s.execute(select(OutboxEvent.seq, OutboxEvent.topics).where(
            OutboxEvent.coop_id == coop_id, OutboxEvent.seq > after)
            .order_by(OutboxEvent.seq).limit(limit + 1)).all()
        if len(heads) > limit:
            raise Gap(f"more than {limit} frames missed")
        wanted = [h.seq for h in heads if topic is None or topic in h.topics]
        if not wanted:
            return []
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.seq.in_(wanted)).order_by(OutboxEvent.seq))
        return [_row(e) for e in events]


def rows_since(ctx: ServiceContext, after: int, limit: int) -> list[Row]:
    """Committed rows of every coop with seq > ``after`` in order (a hub's replay after a bus
    gap); raises ``Gap`` if some were pruned or more than ``limit`` are missing."""
    with ctx.sessions() as s:
        lowest = s.scalar(select(func.min(OutboxEvent.seq)))
        if after > 0 and lowest is not None and after < lowest - 1:
            raise Gap(f"replay after {after} is older than the kept outbox (from {lowest})")
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.seq > after)
                                .order_by(OutboxEvent.seq).limit(limit + 1)))
        if len(events) > limit:
            raise Gap(f"more than {limit} frames missed")
        return [_row(e) for e in events]


def latest_seq(ctx: ServiceContext) -> int:
    with ctx.sessions() as s:
        return int(s.scalar(select(func.max(OutboxEvent.seq))) or 0)


def prune(ctx: ServiceContext, keep_rows: int) -> int:
    """Delete published rows older than the newest ``keep_rows``, never past an unpublished
    one (so "everything below the oldest kept seq is gone" stays true for resume)."""
    with ctx.sessions() as s, s.begin():
        highest = s.scalar(select(func.max(OutboxEvent.seq))) or 0
        cutoff = highest - keep_rows
        unpublished = s.scalar(select(func.min(OutboxEvent.seq))
                               .where(OutboxEvent.published_at.is_(None)))
        if unpublished is not None:
            cutoff = min(cutoff, unpublished - 1)
        if cutoff <= 0:
            return 0
        result = s.execute(delete(OutboxEvent).where(OutboxEvent.seq <= cutoff,
                                                     OutboxEvent.published_at.is_not(None)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def tracked_coop(s: Session, tracking_token: str) -> str | None:
    """The coop of the delivery behind a public tracking link (None if unknown)."""
    return s.scalar(select(Delivery.coop_id).where(Delivery.tracking_token == tracking_token))
