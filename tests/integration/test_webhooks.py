"""Merchant webhooks: registration refuses private targets, events are signed (Standard Webhooks),
retried with backoff from the outbox and delivered at least once with a stable id, to a real
local receiver (allowed only through the tests-only ``webhook_allow_hosts`` setting)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.app import build_context, create_app
from dispatch.db.models import OutboxEvent, WebhookAttempt, WebhookEndpoint
from dispatch.webhooks import service, signing, targets
from tests.integration.api_client import bearer, create_delivery, wait_for


class Receiver:
    """An HTTP server on a free loopback port that fails the first ``fail_first`` posts."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[float, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.calls.append((time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(503 if len(outer.calls) <= outer.fail_first else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/coop"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def app_client(settings: Any, db: Any, **overrides: Any) -> TestClient:
    tuned = settings.model_copy(update={"webhook_poll_s": 0.05, "webhook_retry_base_s": 0.2,
                                        "webhook_retry_max_s": 1.0, **overrides})
    return TestClient(create_app(tuned, ctx=build_context(tuned, engine=db[1])))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(fail_first=3) as r:
        yield r


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                                 "https://192.168.0.10/x", "ftp://example.org/x", "http://u:p@8.8.8.8/x"])
def test_registration_refuses_private_loopback_link_local_and_odd_urls(client, world, url):
    """Every such URL is a 422 naming the url field; nothing is stored."""
    r = client.post("/api/v1/webhooks", json={"url": url}, headers=bearer(world.merchant_key))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["field"] == "url"
    assert client.get("/api/v1/webhooks", headers=bearer(world.merchant_key)).json() == []


def test_a_failing_receiver_gets_the_event_again_with_backoff_until_it_answers(settings, db, world, receiver):
    """Three 503s, then 2xx: four signed posts of one event id, growing gaps, marked delivered."""
    with app_client(settings, db, webhook_allow_hosts=["127.0.0.1"]) as c:
        reg = c.post("/api/v1/webhooks", json={"url": receiver.url, "event_types": ["delivery.created"]},
                     headers=bearer(world.merchant_key))
        assert reg.status_code == 201, reg.text
        secret = reg.json()["secret"]
        assert "secret" not in c.get("/api/v1/webhooks", headers=bearer(world.merchant_key)).json()[0]
        created = create_delivery(c, world.merchant_key).json()
        wait_for(lambda: len(receiver.calls) >= 4, timeout_s=20)
        detail = wait_for(lambda: (lambda d: d if d["attempts"] and d["attempts"][0]["state"] == "delivered"
                                   else None)(c.get(f"/api/v1/webhooks/{reg.json()['id']}",
                                                    headers=bearer(world.merchant_key)).json()))
    ids = {h["webhook-id"] for _, h, _ in receiver.calls}
    assert len(ids) == 1 and len(receiver.calls) == 4
    for _, headers, body in receiver.calls:
        assert signing.verify(secret, headers, body, int(time.time()))
        assert not signing.verify(secret, headers, body + b" ", int(time.time()))
    event = json.loads(receiver.calls[0][2])
    assert event["type"] == "delivery.created" and event["data"]["id"] == created["id"]
    assert event["data"]["recipient"]["phone"] is None  # no personal data leaves by webhook
    gaps = [b[0] - a[0] for a, b in zip(receiver.calls, receiver.calls[1:], strict=False)]
    # wall-clock gaps only have a reliable lower bound (a loaded machine adds delay, never
    # removes it): each retry waits at least half its exponentially growing backoff
    assert all(gap >= 0.5 * min(1.0, 0.2 * 2**i) for i, gap in enumerate(gaps)), gaps
    assert detail["attempts"][0]["attempts"] == 4


def test_a_name_resolving_to_loopback_is_refused_again_at_send_time(settings, db, world, ctx, receiver):
    """An endpoint row that points at loopback (e.g. DNS re-pointed later) is never posted to."""
    with app_client(settings, db, webhook_allow_ports=[receiver.server.server_address[1]]) as c:
        create_delivery(c, world.merchant_key)  # the cursor starts after existing events
        with ctx.sessions() as s, s.begin():
            e = WebhookEndpoint(coop_id=world.coop_id, merchant_id=world.merchant_id,
                                url=receiver.url.replace("127.0.0.1", "localhost"),
                                secret=signing.new_secret(), event_types=list(service.EVENT_TYPES))
            s.add(e)
            s.flush()
            service._start_cursor(s, world.coop_id)
        create_delivery(c, world.merchant_key)

        def refused() -> Any:
            with ctx.sessions() as s:
                a = s.scalar(select(WebhookAttempt))
                return a if a is not None and a.attempts >= 1 else None

        attempt = wait_for(refused, timeout_s=10)
    assert "loopback" in attempt.last_error and attempt.state == "pending"
    assert receiver.calls == []


def test_failed_attempts_are_retried_for_more_than_24_hours_then_given_up(ctx, world, client):
    """With the production backoff, a dead receiver is retried past 24 h, then marked failed."""
    with ctx.sessions() as s, s.begin():
        e = WebhookEndpoint(coop_id=world.coop_id, merchant_id=world.merchant_id, url="https://example.org/h",
                            secret=signing.new_secret(), event_types=list(service.EVENT_TYPES))
        s.add(e)
        s.flush()
        service._start_cursor(s, world.coop_id)
    create_delivery(client, world.merchant_key)
    start = ctx.clock()
    now = [start]
    fake = dataclasses.replace(ctx, clock=lambda: now[0], commit_hooks=[])
    assert service.fan_out(fake) == 1
    states, times = [], []
    for _ in range(200):
        due = service.claim_due(fake)
        assert len(due) == 1
        states.append(service.record_result(fake, due[0].attempt_id, 500, "HTTP 500"))
        times.append(now[0])
        if states[-1] != "pending":
            break
        with ctx.sessions() as s:
            now[0] = s.scalar(select(WebhookAttempt.next_attempt_at))
    assert states[-1] == "failed"
    assert times[-2] - start >= timedelta(hours=24)
    assert len(states) < 60  # exponential, capped at an hour: not a hot loop
    with ctx.sessions() as s:
        assert s.scalar(select(OutboxEvent.seq)) is not None


def test_the_send_time_check_resolves_names():
    """localhost resolves to loopback and is refused; a public literal passes."""
    with pytest.raises(targets.RefusedTarget):
        anyio.run(targets.check_async, "http://localhost:8080/x", [])
    anyio.run(targets.check_async, "https://8.8.8.8/x", [])
    assert service.backoff_s(1, 10, 3600) <= 10 and service.backoff_s(30, 10, 3600) <= 3600
