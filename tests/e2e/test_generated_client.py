"""A merchant's developer's day, with a client generated from the live OpenAPI document by
openapi-python-client (a standard generator) against a real uvicorn server: quote, create with
an Idempotency-Key, replay, list page by page, read, receipt, cancel (twice: the second is a
typed problem), register and list webhooks. Everything is asserted on typed attributes."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import MERCHANT_KEY

PACKAGE = "coopdispatch_client"
CONFIG = (f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n"
          "content_type_overrides:\n"  # the map's binary answers: bytes in the generated client
          "  application/vnd.mapbox-vector-tile: application/octet-stream\n"
          "  application/x-protobuf: application/octet-stream\n")


def generate_client(server_url: str, tmp: Path) -> Any:
    """Run the generator on ``<server>/openapi.json``; import the package it wrote."""
    (tmp / "config.yml").write_text(CONFIG)
    out = tmp / "generated"
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--url", f"{server_url}/openapi.json",
         "--meta", "none", "--config", str(tmp / "config.yml"), "--output-path", str(out / PACKAGE)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # parts it could not understand would be missing from the client: none may be
    assert "Unable to" not in done.stdout and "Failure to process" not in done.stdout, done.stdout
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))


@pytest.fixture
def generated(sqlite_servers: Any, tmp_path: Path) -> Any:
    """(the generated package, an authenticated client for the demo merchant)."""
    server = sqlite_servers.new(WEBHOOK_ALLOW_HOSTS="hooks.example.org,shop.example.org",
                                BACKGROUND_JOBS="false").start(timeout_s=120)
    package = generate_client(server.http, tmp_path)
    with package.AuthenticatedClient(base_url=server.http, token=MERCHANT_KEY,
                                     raise_on_unexpected_status=True) as client:
        yield package, client
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def api(name: str) -> Any:
    tag, op = name.split(".")
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{op}")


def test_a_generated_client_runs_a_merchants_whole_flow(generated):
    """Typed models in and out; Idempotency-Key is a required argument; no authorization= argument."""
    package, client = generated
    m = importlib.import_module(f"{PACKAGE}.models")
    create, listing, read = api("deliveries.deliveries_create"), api("deliveries.deliveries_list"), api(
        "deliveries.deliveries_get")
    signature = inspect.signature(create.sync_detailed).parameters
    assert "authorization" not in signature
    assert signature["idempotency_key"].default is inspect.Parameter.empty

    dropoff = m.PlaceIn(lat=60.1740, lon=24.9480, address="Kaisaniemenkatu 1")
    quote = api("fair_price.quotes_create").sync(client=client, body=m.QuoteIn(dropoff=dropoff))
    assert isinstance(quote, m.Quote)
    assert quote.fee_cents == sum(line.amount_cents for line in quote.lines)
    assert quote.split.courier_cents + quote.split.coop_cents + quote.split.merchant_cents == quote.fee_cents
    assert quote.expires_at > quote.created_at

    body = m.DeliveryIn(dropoff=dropoff, recipient=m.RecipientIn(name="Matti", phone="+358 40 123 4567"),
                        quote_id=quote.id)
    key = str(uuid.uuid4())
    first = create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert first.status_code == 201 and isinstance(first.parsed, m.Delivery)
    delivery = first.parsed
    assert delivery.fee_cents == quote.fee_cents and delivery.version == 1
    assert [s.kind.value for s in delivery.stops] == ["pickup", "dropoff"]
    replay = create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert replay.status_code == 201 and replay.parsed.id == delivery.id and replay.content == first.content
    other = create.sync(client=client, body=m.DeliveryIn(dropoff=dropoff, recipient=body.recipient),
                        idempotency_key=str(uuid.uuid4()))

    page = listing.sync(client=client, limit=1)
    assert isinstance(page, m.DeliveryPage) and [d.id for d in page.items] == [other.id]
    assert isinstance(page.next_cursor, str)
    second = listing.sync(client=client, limit=1, cursor=page.next_cursor)
    assert [d.id for d in second.items] == [delivery.id]

    read_back = read.sync(client=client, delivery_id=delivery.id)
    assert isinstance(read_back, m.Delivery) and read_back.status.value == "pending"
    assert read_back.dropoff.address == "Kaisaniemenkatu 1"
    receipt = api("fair_price.deliveries_receipt").sync(client=client, delivery_id=delivery.id)
    assert isinstance(receipt, m.Receipt) and receipt.final is False and receipt.fee_cents == quote.fee_cents

    cancel = api("deliveries.deliveries_cancel")
    cancelled = cancel.sync(client=client, delivery_id=delivery.id, body=m.CancelIn(reason="customer left"))
    assert isinstance(cancelled, m.DeliverySummary) and cancelled.status.value == "cancelled"
    again = cancel.sync_detailed(client=client, delivery_id=delivery.id, body=m.CancelIn())
    assert again.status_code == 409 and isinstance(again.parsed, m.Problem)
    assert again.parsed.type_ == "/problems/illegal-transition" and again.parsed.current_status == "cancelled"

    hooks = "webhooks"
    created_hook = api(f"{hooks}.webhooks_create").sync(client=client, body=m.WebhookIn(
        url="https://hooks.example.org/coopdispatch",
        event_types=[m.EventType("delivery.delivered")]))
    assert isinstance(created_hook, m.WebhookCreated) and created_hook.secret.startswith("whsec_")
    listed = api(f"{hooks}.webhooks_list").sync(client=client)
    assert [h.id for h in listed] == [created_hook.id] and all(isinstance(h, m.Webhook) for h in listed)
    detail = api(f"{hooks}.webhooks_get").sync(client=client, webhook_id=created_hook.id)
    assert isinstance(detail, m.WebhookDetail) and detail.attempts == []
    assert package.Client is not None  # the unauthenticated client exists for public operations
