"""What a dispatch round reads: a co-op's couriers on shift, its open deliveries, each courier's
next stop, what each is short of the hourly floor this hour, and the outbox watermark the round starts from.

The dispatch loop (``dispatch.dispatcher``) schedules rounds and turns these rows into the
planner's ``LiveState``; the queries live here with the other services so that the loop holds
no SQL of its own (issue 15, Also). Rows are plain tuples, not ORM objects: with a thousand
couriers on shift, building the instances was a good part of a round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from dispatch.db.models import Coop, Delivery, OutboxEvent, Shift, Stop
from dispatch.services.context import ServiceContext
from dispatch.services.pay_so_far import PaySoFar, courier_pay_cents, pay_so_far

OPEN_STATUSES = ("pending", "assigned", "picked_up")
NO_POSITION = 10**6  # a stop the plan has not ordered yet sorts after every ordered one


@dataclass(frozen=True, slots=True)
class LiveRows:
    """One co-op's live rows at ``now``.

    ``shifts``: open shifts (courier_id, last_lat, last_lon, planned_end_at, capacity_g,
    capacity_ml, speed_pct, last_position_at, started_at); ``deliveries``: open deliveries (id,
    status, pickup and dropoff coordinates, ready_at, window, load, version, courier_id,
    pinned, courier_pay_cents); ``heading``: each courier's first undone stop as (delivery id, kind);
    ``pay``: each courier's pay so far (``dispatch.services.pay_so_far.PaySoFar``: what they
    are short of this clock hour's floor, when the hour ends, and their pay per hour over the
    shift in percent of the floor, None while not known yet).
    """

    shifts: Sequence[Any]
    deliveries: Sequence[Any]
    heading: dict[str, tuple[str, str]]
    pay: dict[str, PaySoFar]


def outbox_watermark(ctx: ServiceContext, coop_id: str) -> int:
    """The coop's highest committed outbox seq. Read before ``live_rows``: every change with
    a seq up to it was committed before the state is read, so a round starting with this
    watermark has seen it (per coop, seq order is commit order on both databases; see
    db/outbox.py)."""
    with ctx.sessions() as s:
        return int(s.scalar(select(func.max(OutboxEvent.seq)).where(OutboxEvent.coop_id == coop_id)) or 0)


def live_rows(ctx: ServiceContext, coop_id: str, now: datetime) -> LiveRows:
    """The rows a round plans from, read in one session."""
    with ctx.sessions() as s:
        shifts = s.execute(select(Shift.courier_id, Shift.last_lat, Shift.last_lon, Shift.planned_end_at,
                                  Shift.capacity_g, Shift.capacity_ml, Shift.speed_pct, Shift.last_position_at,
                                  Shift.started_at)
                           .where(Shift.coop_id == coop_id, Shift.ended_at.is_(None))).all()
        ds = s.execute(select(Delivery.id, Delivery.status, Delivery.pickup_lat, Delivery.pickup_lon,
                              Delivery.dropoff_lat, Delivery.dropoff_lon, Delivery.ready_at,
                              Delivery.window_start_at, Delivery.window_end_at, Delivery.load_g,
                              Delivery.load_ml, Delivery.version, Delivery.courier_id, Delivery.pinned,
                              courier_pay_cents().label("courier_pay_cents"))
                       .where(Delivery.coop_id == coop_id, Delivery.status.in_(OPEN_STATUSES))).all()
        stops = s.execute(select(Stop.courier_id, Stop.position, Stop.delivery_id, Stop.kind)
                          .where(Stop.delivery_id.in_([d.id for d in ds]), Stop.done_at.is_(None),
                                 Stop.courier_id.is_not(None))).all()
        pay = pay_so_far(s, coop_id, ((sh.courier_id, sh.started_at, sh.planned_end_at) for sh in shifts), now)
    return LiveRows(shifts=shifts, deliveries=ds, heading=_first_stops(stops), pay=pay)


def _first_stops(stops: Sequence[Any]) -> dict[str, tuple[str, str]]:
    """Each courier's first undone stop by plan position (ties by delivery id, then kind)."""
    first: dict[str, tuple[int, str, str]] = {}
    for st in stops:
        key = (st.position if st.position is not None else NO_POSITION, st.delivery_id, st.kind)
        if st.courier_id and (st.courier_id not in first or key < first[st.courier_id]):
            first[st.courier_id] = key
    return {courier_id: (delivery_id, kind) for courier_id, (_, delivery_id, kind) in first.items()}


def coop_ids(ctx: ServiceContext) -> list[str]:
    """Every co-op; the loop plans each one whose lease it holds."""
    with ctx.sessions() as s:
        return list(s.scalars(select(Coop.id)))
