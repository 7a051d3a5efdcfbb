"""The webhook events a merchant can subscribe to, with their payload schema, published in the
OpenAPI document's ``webhooks`` section (``document(app)``).

Every event is POSTed as a :class:`~dispatch.api.responses_people.WebhookEvent` whose ``type``
is one of ``EVENTS`` and whose ``data`` is the delivery after the event (no personal data).

Order: the events of one delivery reach an endpoint in the order they happened. A later event
of a delivery is not sent before the earlier one was delivered or given up (after
``WEBHOOK_GIVE_UP_AFTER_S``); events of different deliveries do not wait for each other.
``sequence`` grows with every event of the co-op, so a receiver that stores it can also drop an
event older than one it already applied (e.g. after restoring a backup).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI
from pydantic import Field, create_model

from dispatch.api.responses_people import WebhookEvent

EVENTS: dict[str, str] = {
    "delivery.created": "A merchant created a delivery (its first event).",
    "delivery.assigned": "A courier was assigned, by the dispatch or by hand; sent again when "
                         "another courier takes it over.",
    "delivery.unassigned": "The delivery went back to the pool (re-plan, shift ended, dispatcher).",
    "delivery.picked_up": "The courier picked the goods up.",
    "delivery.delivered": "Delivered; the receipt is final from now on.",
    "delivery.failed": "The dropoff was impossible; `data.reason` says why.",
    "delivery.cancelled": "Cancelled by the merchant or a dispatcher before pickup.",
}


def _model_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace(".", "_").split("_")) + "Event"


PAYLOADS: dict[str, type[WebhookEvent]] = {
    t: create_model(_model_name(t), __base__=WebhookEvent, __doc__=doc,
                    type=(Literal[t], Field(description="the event type")))  # type: ignore[arg-type]
    for t, doc in EVENTS.items()
}


def document(app: FastAPI) -> None:
    """Declare every event in ``app.webhooks`` (the OpenAPI document's ``webhooks``)."""
    for event_type, model in PAYLOADS.items():
        def receive(event: Any) -> None:  # documentation only, never called
            return None

        receive.__annotations__["event"] = Annotated[model, Body()]
        app.webhooks.add_api_route(
            event_type, receive, methods=["POST"], operation_id=f"webhook_{event_type.replace('.', '_')}",
            summary=EVENTS[event_type], status_code=204,
            description=f"{EVENTS[event_type]}\n\n{__doc__.split('Order:', 1)[1].strip()}\n\n"
                        "Headers (Standard Webhooks): `webhook-id` (= `id`, stable across retries), "
                        "`webhook-timestamp`, `webhook-signature`; `User-Agent: coopdispatch/<version>`. "
                        "Answer any 2xx to acknowledge; anything else is retried with backoff.",
        )
