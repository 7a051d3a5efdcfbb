"""Small reads the web views need and the core API does not offer (yet).

- ``GET /api/v1/web/profile``: who am I in words: the coop's name, locale, currency and time
  zone (for dates and money), the merchant's pickup address (the form's default), the
  courier's first name.
- ``GET /api/v1/dispatch/plan``: the latest plan of the dispatcher's coop: objective,
  why each delivery went where it did (the solver's explanations), what stayed unassigned.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from dispatch.api.deps import Caller, Ctx, Dispatcher
from dispatch.api.responses_people import LatestPlan, Profile
from dispatch.db.models import Coop, Courier, Merchant, PlanRow
from dispatch.services.views import iso

router = APIRouter(tags=["web views"])


@router.get("/api/v1/web/profile", summary="Coop formats and the caller's own details", operation_id="web_profile",
            response_model=Profile)
def profile(ctx: Ctx, who: Caller) -> dict[str, Any]:
    with ctx.sessions() as s:
        coop = s.get(Coop, who.coop_id)
        assert coop is not None
        out: dict[str, Any] = {
            "role": who.role,
            "coop": {"name": coop.name, "slug": coop.slug, "locale": coop.locale, "currency": coop.currency,
                     "timezone": coop.timezone},
            "merchant": None, "courier": None,
        }
        merchant = s.get(Merchant, who.merchant_id) if who.merchant_id else None
        if merchant is not None:
            out["merchant"] = {"id": merchant.id, "name": merchant.name, "address": merchant.address,
                               "lat": merchant.lat, "lon": merchant.lon}
        courier = s.get(Courier, who.courier_id) if who.courier_id else None
        if courier is not None:
            out["courier"] = {"id": courier.id, "first_name": courier.first_name,
                              "vehicle_kind": courier.vehicle_kind}
        return out


@router.get("/api/v1/dispatch/plan", tags=["dispatch"], summary="The latest plan and its explanations",
            operation_id="dispatch_plan", response_model=LatestPlan)
def latest_plan(ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    with ctx.sessions() as s:
        row = s.scalar(select(PlanRow).where(PlanRow.coop_id == who.coop_id)
                       .order_by(PlanRow.id.desc()).limit(1))
        names = dict(s.execute(select(Courier.id, Courier.first_name)
                               .where(Courier.coop_id == who.coop_id)).all())
        if row is None:
            return {"plan": None, "courier_names": names}
        return {"plan": {"id": row.id, "policy": row.policy, "objective": row.objective,
                         "explanations": row.explanations, "unassigned": row.unassigned,
                         "created_at": iso(row.created_at)},
                "courier_names": names}
