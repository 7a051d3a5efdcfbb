"""Courier endpoints: shifts, my route, stop reports, positions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from dispatch.api.deps import CourierCaller, Ctx, IdempotencyKey
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import PositionAck, Route, Shift, StopReport
from dispatch.api.schemas import PositionIn, ReportIn, ShiftIn
from dispatch.services import couriers as svc
from dispatch.services import idempotency

router = APIRouter(prefix="/api/v1/courier", tags=["courier"])


@router.post("/shift/start", status_code=201, summary="Start a shift", operation_id="courier_shift_start",
             response_model=Shift, responses=problem_responses("conflict", "outside-area", "not-found"))
def start_shift(body: ShiftIn, ctx: Ctx, who: CourierCaller) -> dict[str, Any]:
    return svc.start_shift(ctx, who, lat=body.lat, lon=body.lon, vehicle_kind=body.vehicle_kind,
                           planned_end_at=body.planned_end_at)


@router.post("/shift/end", summary="End the shift", operation_id="courier_shift_end", response_model=Shift,
             responses=problem_responses("conflict", "not-found"))
def end_shift(ctx: Ctx, who: CourierCaller) -> dict[str, Any]:
    return svc.end_shift(ctx, who)


@router.get("/route", summary="My open stops in order", operation_id="courier_route", response_model=Route,
            responses=problem_responses("not-found"))
def my_route(ctx: Ctx, who: CourierCaller) -> dict[str, Any]:
    return svc.my_route(ctx, who)


@router.post("/stops/{stop_id}/reports", summary="Report arrived / picked up / delivered / failed",
             operation_id="courier_stop_report", response_model=StopReport,
             responses=problem_responses("not-found", "illegal-transition", "invalid-input",
                                         "idempotency-conflict"))
def report(stop_id: str, body: ReportIn, ctx: Ctx, who: CourierCaller, key: IdempotencyKey) -> Response:
    checked = idempotency.check_key(key)
    stored = svc.report_stop(
        ctx, who, stop_id, svc.StopReport(body.action, body.happened_at, body.reason), checked,
        idempotency.request_hash({"stop": stop_id, **body.model_dump(mode="json")}),
    )
    return Response(stored.body, status_code=stored.status_code, media_type="application/json")


@router.post("/position", summary="Share my position (on shift only)", operation_id="courier_position",
             response_model=PositionAck, responses=problem_responses("conflict", "not-found"))
def position(body: PositionIn, ctx: Ctx, who: CourierCaller) -> dict[str, Any]:
    at = body.at or ctx.clock()
    result = svc.record_position(ctx, who, body.lat, body.lon, min(at, ctx.clock()))
    for hook in getattr(ctx, "position_hooks", []):
        hook(result)
    return result
