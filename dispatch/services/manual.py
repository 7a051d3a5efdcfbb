"""What a dispatcher's manual assignment shows at once: the decision with its reason, and ETAs.

A manual assignment is no plan: the dispatch loop re-plans on its next round and keeps the
pin, but until then the stops had no ETA (the views showed "–") and the dispatcher read the
last plan's explanation ("The planner chose ..."), which the human decision had overruled.
So the assignment puts the delivery at the end of the courier's open stops with estimated
times from the street graph (straight line at riding speed if a point does not snap), and
every dispatcher view of a pinned delivery carries the human decision from the audit row.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Delivery, Shift, Stop, User
from dispatch.domain.errors import DomainError
from dispatch.services.context import ServiceContext
from dispatch.services.delivery_input import Place, street_trip
from dispatch.services.views import iso

SERVICE_S = 120  # at each stop, as the planner assumes (dispatch.planning.LiveDelivery)
STRAIGHT_LINE_M_PER_S = 4.0  # about 14 km/h, when the street graph cannot route a point
PEOPLE = ("dispatcher", "admin")


def _ride_s(ctx: ServiceContext, coop_id: str, start: tuple[float, float], end: tuple[float, float]) -> int:
    try:
        return street_trip(ctx, Place(*start, ""), Place(*end, ""), coop_id).ride_s
    except DomainError:  # a point off the map: an estimate is better than no ETA
        dy = (end[0] - start[0]) * 111_320
        dx = (end[1] - start[1]) * 111_320 * math.cos(math.radians(start[0]))
        return int(math.hypot(dx, dy) * 1.3 / STRAIGHT_LINE_M_PER_S)


def provisional_etas(ctx: ServiceContext, s: Session, d: Delivery, shift: Shift, now: datetime) -> None:
    """Give ``d``'s open stops ETAs at the end of the courier's route (the next plan refines)."""
    mine = [st for st in s.scalars(select(Stop).where(Stop.delivery_id == d.id, Stop.done_at.is_(None)))]
    others = list(s.execute(
        select(Stop, Delivery).join(Delivery, Stop.delivery_id == Delivery.id)
        .where(Stop.courier_id == shift.courier_id, Stop.done_at.is_(None), Stop.delivery_id != d.id,
               Delivery.status.in_(("assigned", "picked_up")))).all())
    last_at, place = max(now, shift.last_position_at or now), (shift.last_lat, shift.last_lon)
    position = -1
    for st, other in others:
        if st.eta_at is not None and st.eta_at >= last_at:
            last_at = st.eta_at
            place = ((other.pickup_lat, other.pickup_lon) if st.kind == "pickup"
                     else (other.dropoff_lat, other.dropoff_lon))
        position = max(position, st.position if st.position is not None else -1)
    last_at = max(now, last_at + (timedelta(seconds=SERVICE_S) if others else timedelta()))
    for st in sorted(mine, key=lambda x: x.kind != "pickup"):
        if st.kind == "pickup":
            at = last_at + timedelta(seconds=_ride_s(ctx, d.coop_id, place, (d.pickup_lat, d.pickup_lon)))
            last_at = max(at, d.ready_at) + timedelta(seconds=SERVICE_S)
            st.eta_at = max(at, d.ready_at)
        else:
            st.eta_at = last_at + timedelta(seconds=d.ride_s)
        position += 1
        st.courier_id, st.position = shift.courier_id, position


def manual_decisions(s: Session, deliveries: list[Delivery]) -> dict[str, dict[str, Any]]:
    """For each pinned delivery: who assigned it by hand, when, to whom, and why."""
    pinned = [d.id for d in deliveries if d.pinned and d.courier_id]
    if not pinned:
        return {}
    rows = s.execute(select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.actor_id)
                     .where(AuditEntry.delivery_id.in_(pinned), AuditEntry.action == "assign",
                            AuditEntry.actor_kind.in_(PEOPLE))
                     .order_by(AuditEntry.id)).all()
    out: dict[str, dict[str, Any]] = {}
    for entry, name in rows:  # the latest one wins
        out[str(entry.delivery_id)] = {"by": name, "role": entry.actor_kind, "reason": entry.reason,
                                       "at": iso(entry.happened_at)}
    return out
