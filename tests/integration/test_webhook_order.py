"""Webhooks a receiver can rely on: the events of one delivery arrive in order even when an early
one fails first, other deliveries do not wait for it, a delivered attempt has no next attempt,
and every post names coopdispatch and its version and matches its documented payload schema."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dispatch.webhooks.events import PAYLOADS
from tests.integration.api_client import bearer, create_delivery, wait_for
from tests.integration.test_webhooks import app_client


class FirstTryFails:
    """A receiver on a free loopback port that answers 503 to the very first post of an event
    whose type is in ``fail_types`` (one post in all), 204 to everything else; it records every post."""

    def __init__(self, fail_types: set[str]) -> None:
        self.fail_types = fail_types
        self.posts: list[dict[str, Any]] = []  # {at, status, headers, event}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                event = json.loads(body)
                failed_once = any(p["status"] == 503 for p in outer.posts)
                status = 503 if event["type"] in outer.fail_types and not failed_once else 204
                outer.posts.append({"at": time.monotonic(), "status": status, "event": event,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def delivered(self, delivery_id: str) -> list[dict[str, Any]]:
        """The successful posts about one delivery, in arrival order."""
        return [p for p in self.posts if p["status"] == 204 and p["event"]["data"]["id"] == delivery_id]


@pytest.fixture
def receiver() -> Iterator[FirstTryFails]:
    r = FirstTryFails({"delivery.created"})
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_a_later_event_of_a_delivery_waits_until_the_earlier_one_got_through(settings, db, world, receiver):
    """created fails once, cancelled happens meanwhile: the receiver still gets created, then
    cancelled; another delivery's events do not wait; attempts done have no next_attempt_at."""
    merchant = bearer(world.merchant_key)
    with app_client(settings, db, webhook_allow_hosts=["127.0.0.1"], webhook_retry_base_s=2.0,
                    webhook_retry_max_s=2.0) as c:
        hook = c.post("/api/v1/webhooks", json={"url": receiver.url}, headers=merchant).json()
        first = create_delivery(c, world.merchant_key).json()
        wait_for(lambda: receiver.posts, timeout_s=10)  # created, answered 503: a retry is due later
        assert c.post(f"/api/v1/deliveries/{first['id']}/cancel", json={}, headers=merchant).status_code == 200
        second = create_delivery(c, world.merchant_key).json()
        wait_for(lambda: len(receiver.delivered(first["id"])) == 2, timeout_s=20)
        wait_for(lambda: len(receiver.delivered(second["id"])) == 1, timeout_s=10)
        detail = wait_for(lambda: (lambda d: d if all(a["state"] == "delivered" for a in d["attempts"])
                                   else None)(c.get(f"/api/v1/webhooks/{hook['id']}", headers=merchant).json()))

    ours = [p for p in receiver.posts if p["event"]["data"]["id"] == first["id"]]
    assert [(p["event"]["type"], p["status"]) for p in ours] == [
        ("delivery.created", 503), ("delivery.created", 204), ("delivery.cancelled", 204)]
    assert ours[1]["event"]["sequence"] < ours[2]["event"]["sequence"]
    other = receiver.delivered(second["id"])[0]
    assert other["at"] < ours[1]["at"], "another delivery's event waited for this one's retry"
    assert len(detail["attempts"]) == 3 and all(a["next_attempt_at"] is None for a in detail["attempts"])
    for post in receiver.posts:
        assert post["headers"]["user-agent"].startswith("coopdispatch/0.")
        model = PAYLOADS[post["event"]["type"]]
        assert model.model_validate(post["event"]).data.id == post["event"]["data"]["id"]
