"""Merchant endpoints: create, read, list and cancel deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from dispatch.api.deps import Caller, Ctx, IdempotencyKey, Merchant
from dispatch.api.problems import problem_responses
from dispatch.api.responses import Delivery, DeliveryPage, DeliverySummary
from dispatch.api.schemas import CancelIn, DeliveryIn
from dispatch.domain.errors import Forbidden
from dispatch.services import deliveries as svc
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.stop_input import place_from_input

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])
StatusName = Literal["pending", "assigned", "picked_up", "delivered", "failed", "cancelled"]


def new_delivery_from_body(ctx: ServiceContext, who: Principal, body: DeliveryIn) -> svc.NewDelivery:
    """The delivery asked for, its stops given as addresses resolved on the co-op's map."""
    window = body.dropoff_window
    pickup = None
    if body.pickup:
        pickup = place_from_input(ctx, who, body.pickup.lat, body.pickup.lon, body.pickup.address, "pickup")
    near = (pickup.lat, pickup.lon) if pickup else None
    return svc.NewDelivery(
        dropoff=place_from_input(ctx, who, body.dropoff.lat, body.dropoff.lon, body.dropoff.address,
                                        "dropoff", near),
        pickup=pickup,
        recipient_name=body.recipient.name, recipient_phone=body.recipient.phone,
        ready_at=body.ready_at, window_start_at=window.start if window else None,
        window_end_at=window.end if window else None,
        load_g=round(body.load.kg * 1000), load_ml=round(body.load.litres * 1000),
        notes=body.notes, quote_id=body.quote_id,
    )


@router.post("", status_code=201, summary="Create a delivery (Idempotency-Key required)",
             operation_id="deliveries_create", response_model=Delivery,
             responses=problem_responses("outside-area", "invalid-input", "floor-not-met",
                                         "idempotency-conflict", "not-found", "rate-limited"))
def create_delivery(body: DeliveryIn, ctx: Ctx, who: Merchant, key: IdempotencyKey) -> Response:
    """A retry with the same ``Idempotency-Key`` and body answers the first answer again."""
    checked = idempotency.check_key(key)
    stored = svc.create_delivery(ctx, who, new_delivery_from_body(ctx, who, body), checked,
                                 idempotency.request_hash(body.model_dump(mode="json")))
    return Response(stored.body, status_code=stored.status_code, media_type="application/json")


@router.get("", summary="List deliveries, newest first", operation_id="deliveries_list",
            response_model=DeliveryPage, responses=problem_responses("invalid-input"))
def list_deliveries(
    ctx: Ctx, who: Caller,
    status: Annotated[list[StatusName] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    return svc.list_deliveries(ctx, who, status=list(status) if status else None, cursor=cursor, limit=limit)


@router.get("/{delivery_id}", summary="One delivery", operation_id="deliveries_get",
            response_model=Delivery, responses=problem_responses("not-found"))
def get_delivery(delivery_id: str, ctx: Ctx, who: Caller) -> dict[str, Any]:
    return svc.get_delivery(ctx, who, delivery_id)


@router.post("/{delivery_id}/cancel", summary="Cancel before pickup", operation_id="deliveries_cancel",
             response_model=DeliverySummary,
             responses=problem_responses("not-found", "illegal-transition", "stale-version"))
def cancel_delivery(delivery_id: str, body: CancelIn, ctx: Ctx, who: Caller) -> dict[str, Any]:
    if who.role not in ("merchant", "dispatcher", "admin"):
        raise Forbidden("couriers cannot cancel deliveries; report them failed", field="Authorization")
    return svc.cancel_delivery(ctx, who, delivery_id, body.reason, body.version)
