"""An admin's reading tools: a draft rule set tried on sample trips, and a period's deliveries
as CSV (the pay statements have their own CSV in ``services/statements.py``)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Coop, Courier, Delivery, Merchant
from dispatch.domain.errors import InvalidInput
from dispatch.domain.fee_dicts import rule_set_from_dict
from dispatch.domain.fee_samples import check_adoptable
from dispatch.domain.fees import FeeError, TripEstimate, quote
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.fees import DROPOFF_SERVICE_S, PICKUP_SERVICE_S, TYPICAL_APPROACH_S
from dispatch.services.rule_sets import invalid_from_fee_error
from dispatch.services.statements import period
from dispatch.services.views import iso

# (label, metres, riding seconds, kg): a short, a typical and a long cargo-bike trip at lunch
SAMPLE_TRIPS = (("short, 1.5 km", 1500, 360, 2), ("typical, 3 km", 3000, 720, 5), ("long, 6 km", 6000, 1380, 12))


def preview_rules(ctx: ServiceContext, who: Principal, draft: dict[str, Any]) -> dict[str, Any]:
    """What the draft would charge and pay on the sample trips; a 422 naming the parameter when
    adoption would refuse it (below the legal floor, or unable to pay the floor on one of the
    adoption check's sample trips) or it is otherwise invalid."""
    if not isinstance(draft, dict):
        raise InvalidInput("the draft must be a rule set object", field="rules")
    with ctx.sessions() as s:
        coop = s.get(Coop, who.coop_id)
        assert coop is not None
        currency = coop.currency
    try:
        rules = rule_set_from_dict({"effective_from": date.today().isoformat(), "adopted_by": "draft",
                                    "description_en": "draft", "description_fr": "brouillon",
                                    **draft, "version": 1})
        check_adoptable(rules, ctx.settings.legal_floor_cents_per_hour)  # what adoption would refuse
        trips = []
        for label, metres, ride_s, kg in SAMPLE_TRIPS:
            q = quote(rules, TripEstimate(distance_m=metres, ride_to_pickup_s=TYPICAL_APPROACH_S,
                                          pickup_service_s=PICKUP_SERVICE_S, ride_s=ride_s,
                                          dropoff_service_s=DROPOFF_SERVICE_S, load_g=kg * 1000,
                                          pickup_hour=12, merchant_is_member=True))
            trips.append({"label": label, "distance_km": metres / 1000, "ride_min": round(ride_s / 60, 1),
                          "fee_cents": q.fee_cents, "courier_cents": q.split.courier_cents,
                          "coop_cents": q.split.coop_cents, "merchant_cents": q.split.merchant_cents,
                          "courier_floor_cents": q.courier_floor_cents})
    except FeeError as exc:
        raise invalid_from_fee_error(exc) from exc
    return {"currency": currency, "trips": trips}


DELIVERY_COLUMNS = ("id", "created_at", "status", "merchant", "courier", "pickup_address", "dropoff_address",
                    "distance_m", "fee_cents", "courier_cents", "coop_cents", "merchant_cents", "delivered_at")


def deliveries_csv(ctx: ServiceContext, who: Principal, start: str | None, end: str | None) -> str:
    """The co-op's deliveries created in ``[from, to)`` (local days), one row each, with the split."""
    with ctx.sessions() as s:
        coop = s.get(Coop, who.coop_id)
        assert coop is not None
        lo, hi = period(coop, ctx.clock(), start, end)
        rows = s.execute(select(Delivery, Merchant.name, Courier.first_name)
                         .join(Merchant, Merchant.id == Delivery.merchant_id)
                         .outerjoin(Courier, Courier.id == Delivery.courier_id)
                         .where(Delivery.coop_id == coop.id, Delivery.created_at >= lo, Delivery.created_at < hi)
                         .order_by(Delivery.created_at, Delivery.id)).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(DELIVERY_COLUMNS)
        for d, merchant, courier in rows:
            split = (d.receipt or d.quote or {}).get("split") or {}
            writer.writerow([d.id, iso(d.created_at), d.status, merchant, courier or "", d.pickup_address,
                             d.dropoff_address, d.distance_m, d.fee_cents if d.fee_cents is not None else "",
                             split.get("courier_cents", ""), split.get("coop_cents", ""),
                             split.get("merchant_cents", ""), iso(d.delivered_at) or ""])
        return out.getvalue()
