"""The co-op's deliveries as rows for a CSV file (the dispatcher's export)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from dispatch.db.models import Delivery, Merchant
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.views import iso

HEADER = ("id", "created_at", "status", "merchant", "pickup_address", "dropoff_address", "recipient_name",
          "ready_at", "window_end", "delivered_at", "distance_m", "fee_cents", "courier_id", "reason")


def delivery_rows(ctx: ServiceContext, who: Principal, days: int) -> Iterator[tuple[object, ...]]:
    """Header, then the co-op's deliveries created in the last ``days`` days, oldest first."""
    since = ctx.clock() - timedelta(days=days)
    q = (select(Delivery, Merchant.name).join(Merchant, Merchant.id == Delivery.merchant_id)
         .where(Delivery.coop_id == who.coop_id, Delivery.created_at >= since)
         .order_by(Delivery.created_at, Delivery.id))
    yield HEADER
    with ctx.sessions() as s:
        for d, merchant in s.execute(q):
            yield (d.id, iso(d.created_at), d.status, merchant, d.pickup_address, d.dropoff_address,
                   d.recipient_name, iso(d.ready_at), iso(d.window_end_at), iso(d.delivered_at),
                   d.distance_m, d.fee_cents, d.courier_id or "", d.reason or "")
