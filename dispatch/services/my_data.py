"""A member's own data, for reading and downloading: profile, shifts with the positions kept
(only each shift's last position is stored), the deliveries they carried or ordered, and
their pay statements (couriers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Coop, Courier, Delivery, Shift, User
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.rule_sets import local_day
from dispatch.services.statements import courier_statement_for, courier_statement_to_dict
from dispatch.services.views import iso

MAX_ROWS = 5000


def my_data(ctx: ServiceContext, who: Principal) -> dict[str, Any]:
    with ctx.sessions() as s:
        user = s.get(User, who.user_id) if who.user_id else None
        coop = s.get(Coop, who.coop_id)
        assert coop is not None
        out: dict[str, Any] = {"exported_at": iso(ctx.clock()), "coop": coop.name,
                               "profile": None, "shifts": [], "deliveries": [], "statement": None}
        if user is not None:
            out["profile"] = {"email": user.email, "name": user.name, "role": user.role,
                              "created_at": iso(user.created_at)}
        courier = s.scalar(select(Courier).where(Courier.user_id == who.user_id)) if who.courier_id else None
        if courier is not None:
            out["shifts"] = [{"id": sh.id, "started_at": iso(sh.started_at), "ended_at": iso(sh.ended_at),
                              "vehicle_kind": sh.vehicle_kind, "last_position": {
                                  "lat": sh.last_lat, "lon": sh.last_lon, "at": iso(sh.last_position_at)}}
                             for sh in s.scalars(select(Shift).where(Shift.courier_id == courier.id)
                                                 .order_by(Shift.started_at).limit(MAX_ROWS))]
        mine = (Delivery.courier_id == who.courier_id) if who.courier_id else (
            Delivery.merchant_id == who.merchant_id if who.merchant_id else None)
        if mine is not None:
            out["deliveries"] = [{"id": d.id, "status": d.status, "created_at": iso(d.created_at),
                                  "pickup_address": d.pickup_address, "delivered_at": iso(d.delivered_at),
                                  "distance_m": d.distance_m, "fee_cents": d.fee_cents}
                                 for d in s.scalars(select(Delivery).where(Delivery.coop_id == who.coop_id, mine)
                                                    .order_by(Delivery.created_at).limit(MAX_ROWS))]
        today = local_day(coop, ctx.clock())
    if who.courier_id:
        start = (today - timedelta(days=365)).isoformat()
        st, extra = courier_statement_for(ctx, who, who.courier_id, start, today.isoformat())
        out["statement"] = courier_statement_to_dict(st, extra)
    return out
