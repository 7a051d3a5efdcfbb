"""The merchant API over SQLite and PostgreSQL: creation, idempotency, validation, listing, cancel."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.db.models import AuditEntry, Delivery, IdempotencyRecord, OutboxEvent
from tests.integration.api_client import bearer, create_delivery, delivery_body, login, start_shift, wait_assigned


def count(ctx: Any, model: Any) -> int:
    with ctx.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def test_a_new_delivery_is_stored_with_its_outbox_event_and_answered_201(client, world, ctx):
    """A valid POST answers 201 and leaves the row, its two stops, an audit row and an outbox event."""
    r = create_delivery(client, world.merchant_key)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and body["distance_m"] > 0 and body["ride_s"] > 0
    assert {s["kind"] for s in body["stops"]} == {"pickup", "dropoff"}
    with ctx.sessions() as s:
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.type == "delivery.created")))
        assert [e.data["id"] for e in events] == [body["id"]]
        assert f"merchant:{world.merchant_id}" in events[0].topics
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_retried_idempotency_key_returns_the_first_answer_byte_for_byte(client, world, ctx):
    """The same key and body twice: one row, identical responses."""
    first = create_delivery(client, world.merchant_key, idempotency_key="order-42")
    second = create_delivery(client, world.merchant_key, idempotency_key="order-42")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.content == second.content
    assert count(ctx, Delivery) == 1


def test_a_retry_answers_as_the_first_time_even_when_the_request_would_now_fail(client, world, ctx):
    """The key is looked up only when something fails: a retry whose quote has expired since
    still gets the first answer, not a 422 on quote_id, and makes no second delivery."""
    from dispatch.db.models import Quote
    from tests.integration.test_fees_api import quote_body

    q = client.post("/api/v1/quotes", json=quote_body(), headers=bearer(world.merchant_key)).json()
    first = create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"]), idempotency_key="q-1")
    assert first.status_code == 201, first.text
    with ctx.sessions() as s, s.begin():
        s.get(Quote, q["id"]).expires_at = datetime.now(UTC) - timedelta(minutes=1)
    fresh = create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"]), idempotency_key="q-2")
    assert (fresh.status_code, fresh.json()["field"]) == (422, "quote_id")
    again = create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"]), idempotency_key="q-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert count(ctx, Delivery) == 1


def test_the_same_key_with_another_body_is_refused_with_422(client, world, ctx):
    """Reusing a key for a different order is a client bug, reported on the header."""
    create_delivery(client, world.merchant_key, idempotency_key="k1")
    r = create_delivery(client, world.merchant_key, delivery_body(notes="other"), idempotency_key="k1")
    assert r.status_code == 422
    assert r.json()["field"] == "Idempotency-Key"
    assert count(ctx, Delivery) == 1


def test_a_missing_idempotency_key_is_a_422_naming_the_header(client, world):
    """Creation without a key is refused before anything is written."""
    r = client.post("/api/v1/deliveries", json=delivery_body(), headers=bearer(world.merchant_key))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "Idempotency-Key"


def test_concurrent_duplicates_with_one_key_never_make_two_rows(client, world, ctx):
    """Eight parallel POSTs with one key: one row; every answer is that row or a 409."""
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: create_delivery(client, world.merchant_key, idempotency_key="race"),
                                range(8)))
    assert count(ctx, Delivery) == 1
    assert count(ctx, IdempotencyRecord) == 1
    ok = {a.content for a in answers if a.status_code == 201}
    assert len(ok) == 1
    assert all(a.status_code in (201, 409) for a in answers)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dropoff": {"lat": 61.5, "lon": 24.94}}, "dropoff"),
        ({"recipient": {"name": "A", "phone": "call me"}}, "recipient.phone"),
        ({"load": {"kg": 900}}, "load.kg"),
        ({"dropoff": {"lat": 100, "lon": 24.94}}, "dropoff.lat"),
        ({"ready_at": "2031-01-01T12:00:00+00:00"}, "ready_at"),
        ({"ready_at": "2026-01-01T12:00:00"}, "ready_at"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field_and_writes_nothing(client, world, ctx, overrides, field):
    """Each kind of bad input is reported on its field and leaves no row behind."""
    r = create_delivery(client, world.merchant_key, delivery_body(**overrides))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    assert count(ctx, Delivery) == 0 and count(ctx, OutboxEvent) == 0


def test_a_window_ending_before_the_ready_time_is_refused(client, world):
    """The dropoff window must end after the goods are ready plus the ride."""
    ready = datetime.now(UTC) + timedelta(hours=1)
    body = delivery_body(ready_at=ready.isoformat(),
                         dropoff_window={"end": (ready - timedelta(minutes=5)).isoformat()})
    r = create_delivery(client, world.merchant_key, body)
    assert r.status_code == 422
    assert r.json()["field"] == "dropoff_window.end"


def test_a_window_too_short_for_the_ride_is_refused(client, world):
    """A window that closes before the street ride can end is refused with the ride time."""
    ready = datetime.now(UTC) + timedelta(minutes=10)
    body = delivery_body(ready_at=ready.isoformat(),
                         dropoff_window={"end": (ready + timedelta(seconds=30)).isoformat()})
    r = create_delivery(client, world.merchant_key, body)
    assert r.status_code == 422
    assert "ride" in r.json()["detail"]


def test_list_is_newest_first_paginated_and_filtered_by_status(client, world):
    """Cursor pagination walks every delivery once; the status filter narrows it."""
    ids = [create_delivery(client, world.merchant_key).json()["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/deliveries", params=params, headers=bearer(world.merchant_key)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    client.post(f"/api/v1/deliveries/{ids[0]}/cancel", json={}, headers=bearer(world.merchant_key))
    cancelled = client.get("/api/v1/deliveries", params={"status": "cancelled"},
                           headers=bearer(world.merchant_key)).json()
    assert [d["id"] for d in cancelled["items"]] == [ids[0]]


def test_cancel_before_pickup_works_and_after_pickup_is_a_409_naming_the_status(client, world):
    """Merchants cancel pending deliveries; a picked-up one answers 409 with its status."""
    key = world.merchant_key
    d = create_delivery(client, key).json()
    r = client.post(f"/api/v1/deliveries/{d['id']}/cancel", json={"reason": "closed"}, headers=bearer(key))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    d2 = create_delivery(client, key).json()
    wait_assigned(client, key, d2["id"])
    pickup = next(s for s in client.get("/api/v1/courier/route", headers=courier).json()["stops"]
                  if s["kind"] == "pickup")
    from tests.integration.api_client import report

    assert report(client, courier, pickup["id"], "picked_up").status_code == 200
    r = client.post(f"/api/v1/deliveries/{d2['id']}/cancel", json={}, headers=bearer(key))
    assert r.status_code == 409
    assert r.json()["current_status"] == "picked_up" and r.json()["action"] == "cancel"


def test_a_stale_version_is_a_409(client, world):
    """Cancelling against an old version is refused: someone changed the delivery meanwhile."""
    d = create_delivery(client, world.merchant_key).json()
    r = client.post(f"/api/v1/deliveries/{d['id']}/cancel", json={"version": d["version"] + 5},
                    headers=bearer(world.merchant_key))
    assert r.status_code == 409
    assert r.json()["field"] == "version"


def test_a_new_delivery_gets_a_courier_on_shift(client, world):
    """With a courier on shift, the dispatch loop assigns a new delivery within seconds."""
    courier = login(client, world.courier_emails[1], world.password)
    shift = start_shift(client, courier)
    d = create_delivery(client, world.merchant_key).json()
    assigned = wait_assigned(client, world.merchant_key, d["id"])
    assert assigned["courier_id"] == shift["courier_id"]
    assert all(s["eta"] for s in assigned["stops"])


def test_unknown_ids_and_unauthenticated_calls_are_problems(client, world):
    """404 for an unknown delivery, 401 without credentials, both as problem+json."""
    r = client.get(f"/api/v1/deliveries/{uuid.uuid4().hex}", headers=bearer(world.merchant_key))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/deliveries")
    assert r.status_code == 401 and r.json()["field"] == "Authorization"
    r = client.get("/api/v1/deliveries", headers=bearer("cd_nope_nope"))
    assert r.status_code == 401
