"""The recipient's public tracking link: ``GET /api/v1/track/{token}``.

No personal data: no addresses, no names or phones of the recipient. The courier's first name
and position are shown only while the parcel is on its way (picked up, not yet delivered):
before that the courier may be riding another job or be replaced by the next plan, and after
it who they are and where they ride are nobody's business.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select

from dispatch.api.deps import Ctx
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import Tracking
from dispatch.db.models import Coop, Courier, Delivery, Merchant, Shift, Stop
from dispatch.domain.errors import NotFound
from dispatch.services.views import iso

router = APIRouter(prefix="/api/v1/track", tags=["tracking"])
Token = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def tracking_view(d: Delivery, coop: Coop, merchant: Merchant | None, courier: Courier | None,
                  shift: Shift | None, dropoff: Stop | None) -> dict[str, Any]:
    on_its_way = d.status == "picked_up" and shift is not None
    active = d.status in ("assigned", "picked_up")
    return {
        "status": d.status,
        "merchant": merchant.name if merchant else None,
        "courier_first_name": courier.first_name if courier and d.status == "picked_up" else None,
        "eta": iso(dropoff.eta_at) if dropoff is not None and active else None,
        "dropoff_window": {"start": iso(d.window_start_at), "end": iso(d.window_end_at)},
        "picked_up_at": iso(d.picked_up_at),
        "delivered_at": iso(d.delivered_at),
        "position": ({"lat": shift.last_lat, "lon": shift.last_lon, "at": iso(shift.last_position_at)}
                     if on_its_way and shift is not None else None),
        "coop": {"name": coop.name, "locale": coop.locale, "currency": coop.currency,
                 "timezone": coop.timezone},
    }


@router.get("/{token}", summary="Public tracking: status, ETA, courier position while on its way",
            operation_id="tracking_get", response_model=Tracking, responses=problem_responses("not-found"))
def track(token: Token, ctx: Ctx) -> dict[str, Any]:
    with ctx.sessions() as s:
        d = s.scalar(select(Delivery).where(Delivery.tracking_token == token))
        if d is None:
            raise NotFound("no delivery with this tracking link", field="token")
        coop = s.get(Coop, d.coop_id)
        assert coop is not None
        courier = s.get(Courier, d.courier_id) if d.courier_id else None
        shift = None
        if courier is not None:
            shift = s.scalar(select(Shift).where(Shift.courier_id == courier.id, Shift.ended_at.is_(None)))
        dropoff = s.scalar(select(Stop).where(Stop.delivery_id == d.id, Stop.kind == "dropoff"))
        return tracking_view(d, coop, s.get(Merchant, d.merchant_id), courier, shift, dropoff)
