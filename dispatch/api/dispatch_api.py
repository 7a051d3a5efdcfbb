"""Dispatcher endpoints: couriers on shift, open deliveries, manual assignment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import Ctx, Dispatcher
from dispatch.api.problems import problem_responses
from dispatch.api.responses import Delivery, DeliverySummary
from dispatch.api.responses_people import CourierOnShift
from dispatch.api.schemas import AssignIn, UnassignIn
from dispatch.services import dispatching as svc

router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])


@router.get("/couriers", summary="Couriers on shift in my coop", operation_id="dispatch_couriers",
            response_model=list[CourierOnShift])
def couriers(ctx: Ctx, who: Dispatcher) -> list[dict[str, Any]]:
    return svc.couriers_on_shift(ctx, who)


@router.get("/deliveries", summary="Open deliveries in my coop", operation_id="dispatch_deliveries",
            response_model=list[Delivery])
def deliveries(ctx: Ctx, who: Dispatcher) -> list[dict[str, Any]]:
    return svc.open_deliveries(ctx, who)


@router.post("/deliveries/{delivery_id}/assign", summary="Assign by hand (a pin the solver keeps)",
             operation_id="dispatch_assign", response_model=DeliverySummary,
             responses=problem_responses("not-found", "illegal-transition", "stale-version", "invalid-input"))
def assign(delivery_id: str, body: AssignIn, ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    return svc.assign(ctx, who, delivery_id, body.courier_id, body.reason, body.version)


@router.post("/deliveries/{delivery_id}/unassign", summary="Take a delivery back to the pool",
             operation_id="dispatch_unassign", response_model=DeliverySummary,
             responses=problem_responses("not-found", "illegal-transition", "stale-version"))
def unassign(delivery_id: str, body: UnassignIn, ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    return svc.unassign(ctx, who, delivery_id, body.reason, body.version)
