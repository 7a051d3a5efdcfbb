"""``/api/v1/webhooks``: merchants register, list, read and delete their webhook URLs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.deps import Ctx, Merchant
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import EventType, Webhook, WebhookCreated, WebhookDetail
from dispatch.webhooks import service

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"url": "https://shop.example.org/hooks/coopdispatch",
                      "event_types": ["delivery.assigned", "delivery.delivered"]}]})
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL on a public address")
    event_types: list[EventType] | None = Field(default=None, max_length=20,
                                                description="default: every delivery event")


@router.post("", status_code=201, summary="Register a webhook URL (the answer shows its secret once)",
             operation_id="webhooks_create", response_model=WebhookCreated,
             responses=problem_responses("webhook-target-refused", "invalid-input", "not-found"))
def register(body: WebhookIn, ctx: Ctx, who: Merchant) -> dict[str, Any]:
    types = [t.value for t in body.event_types] if body.event_types else None
    return service.register(ctx, who, body.url, types)


@router.get("", summary="My webhooks", operation_id="webhooks_list", response_model=list[Webhook])
def list_webhooks(ctx: Ctx, who: Merchant) -> list[dict[str, Any]]:
    return service.list_endpoints(ctx, who)


@router.get("/{webhook_id}", summary="One webhook with its latest delivery attempts",
            operation_id="webhooks_get", response_model=WebhookDetail, responses=problem_responses("not-found"))
def get_webhook(webhook_id: str, ctx: Ctx, who: Merchant) -> dict[str, Any]:
    return service.get_endpoint(ctx, who, webhook_id)


@router.delete("/{webhook_id}", status_code=204, summary="Stop sending to this webhook",
               operation_id="webhooks_delete", responses=problem_responses("not-found"))
def delete_webhook(webhook_id: str, ctx: Ctx, who: Merchant) -> Response:
    service.delete_endpoint(ctx, who, webhook_id)
    return Response(status_code=204)
