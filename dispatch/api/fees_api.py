"""Fair-price endpoints: quotes, receipts, pay statements (JSON or CSV) and rule-set adoption."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from dispatch.api.deps import Caller, Ctx, Dispatcher, Merchant, role_guard
from dispatch.api.problems import problem_responses
from dispatch.api.responses import Quote, Receipt, RuleSet
from dispatch.api.responses_people import CoopStatement, Statement
from dispatch.api.schemas import QuoteIn, RuleSetIn
from dispatch.services import fees as svc
from dispatch.services import statements as pay
from dispatch.services.auth import Principal
from dispatch.services.stop_input import place_from_input

router = APIRouter(prefix="/api/v1", tags=["fair price"])
Admin = Annotated[Principal, Depends(role_guard("admin"))]
Format = Annotated[Literal["json", "csv"] | None, Query(alias="format")]
From = Annotated[str | None, Query(alias="from", max_length=40,
                                   description="YYYY-MM-DD (coop's local day) or ISO datetime")]
To = Annotated[str | None, Query(alias="to", max_length=40,
                                 description="YYYY-MM-DD (included) or ISO datetime (excluded)")]


@router.post("/quotes", status_code=201, summary="Price a trip before creating the delivery",
             operation_id="quotes_create", response_model=Quote,
             responses=problem_responses("outside-area", "invalid-input", "floor-not-met", "not-found"))
def create_quote(body: QuoteIn, ctx: Ctx, who: Merchant) -> dict[str, Any]:
    """Fee, formula lines, three-way split and rule-set version; valid until ``expires_at``.

    Pass the answer's ``id`` as ``quote_id`` when creating the delivery to keep this price.
    A 422 naming ``courier_floor_cents_per_hour`` means the rules cannot pay the courier
    the living-wage floor for this trip.
    """
    req = svc.QuoteRequest(
        dropoff=place_from_input(ctx, who, body.dropoff.lat, body.dropoff.lon, body.dropoff.address, "dropoff"),
        pickup=place_from_input(ctx, who, body.pickup.lat, body.pickup.lon, body.pickup.address, "pickup")
        if body.pickup else None,
        ready_at=body.ready_at, load_g=round(body.load.kg * 1000),
        load_ml=round(body.load.litres * 1000))
    return svc.create_quote(ctx, who, req)


@router.get("/deliveries/{delivery_id}/receipt", summary="A delivery's receipt",
            operation_id="deliveries_receipt", response_model=Receipt, responses=problem_responses("not-found"))
def receipt(delivery_id: str, ctx: Ctx, who: Caller) -> dict[str, Any]:
    """Readable by its merchant, its courier and the coop's dispatchers and admins.

    ``final: false`` before delivery (the quoted price, estimated times).
    """
    return svc.receipt_view(ctx, who, delivery_id)


def _wants_csv(fmt: str | None, accept: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return "text/csv" in (accept or "")


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/couriers/{courier_id}/statement", summary="A courier's pay statement",
            operation_id="statements_courier", response_model=Statement,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
                       **problem_responses("not-found", "invalid-input")})
def courier_statement(courier_id: str, ctx: Ctx, who: Caller, start: From = None, end: To = None,
                      fmt: Format = None, accept: Annotated[str | None, Header()] = None) -> Any:
    """Deliveries, earnings, hours on shift (waiting included) and each hour against the floor.

    That courier, or the coop's dispatchers and admins. ``?format=csv`` or ``Accept: text/csv``.
    """
    st, extra = pay.courier_statement_for(ctx, who, courier_id, start, end)
    if _wants_csv(fmt, accept):
        return _csv(pay.courier_statement_to_csv(st), f"statement-{courier_id}")
    return pay.courier_statement_to_dict(st, extra)


@router.get("/coop/statement", summary="The co-op's books: fees, shares, rebates",
            operation_id="statements_coop", response_model=CoopStatement,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
                       **problem_responses("invalid-input")})
def coop_statement(ctx: Ctx, who: Dispatcher, start: From = None, end: To = None,
                   fmt: Format = None, accept: Annotated[str | None, Header()] = None) -> Any:
    """Fees collected, shares paid and rebates per merchant. ``?format=csv`` for CSV."""
    st, extra = pay.coop_statement_for(ctx, who, start, end)
    if _wants_csv(fmt, accept):
        return _csv(pay.coop_statement_to_csv(st), "coop-statement")
    return pay.coop_statement_to_dict(st, extra)


@router.post("/coop/rule-sets", status_code=201, summary="Adopt a new fee rule-set version",
             operation_id="rule_sets_adopt", response_model=RuleSet,
             responses=problem_responses("invalid-input", "floor-not-met", "conflict"))
def adopt_rule_set(ctx: Ctx, who: Admin, body: RuleSetIn) -> dict[str, Any]:
    """Admins record what the general assembly adopted. The body is a whole rule set as
    ``GET /api/v1/coops/{slug}/rule-sets`` shows it (``version`` is assigned here);
    ``effective_from`` must not be in the past. Receipts already issued never change."""
    return svc.adopt_rule_set(ctx, who, body.model_dump(mode="json", exclude_unset=True))
