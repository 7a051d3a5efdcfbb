"""Races over SQLite and PostgreSQL: two dispatchers assigning one delivery at once (exactly one
wins, the other gets 409), and two identical POSTs with one Idempotency-Key (one row)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatch.app import build_context, create_app
from dispatch.db.models import AuditEntry, Delivery
from tests.integration.api_client import bearer, create_delivery, login, start_shift

ROUNDS = 200


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released by one barrier; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def quiet_client(settings: Any, db: Any) -> Any:
    """No dispatch loop: only the two dispatchers touch the deliveries."""
    quiet = settings.model_copy(update={"run_dispatch_loop": False, "rate_limit_per_minute": 100_000})
    with TestClient(create_app(quiet, ctx=build_context(quiet, engine=db[1]))) as c:
        yield c


def test_two_dispatchers_assigning_one_delivery_at_once_200_times_exactly_one_wins(quiet_client, world, ctx):
    """Each round: one 200 and one 409 (stale version), and one assign audit row."""
    c = quiet_client
    dispatcher = login(c, world.dispatcher_email, world.password)
    admin = login(c, "admin@demo.coop", world.password)
    couriers = [login(c, email, world.password) for email in world.courier_emails[:2]]
    ids = [c.get("/api/v1/auth/me", headers=h).json()["courier_id"] for h in couriers]
    for h in couriers:
        start_shift(c, h)
    outcomes = []
    for _ in range(ROUNDS):
        d = create_delivery(c, world.merchant_key).json()
        url = f"/api/v1/dispatch/deliveries/{d['id']}/assign"
        answers = at_once(
            lambda: c.post(url, json={"courier_id": ids[0], "reason": "a", "version": d["version"]}, headers=dispatcher),
            lambda: c.post(url, json={"courier_id": ids[1], "reason": "b", "version": d["version"]}, headers=admin))
        outcomes.append(sorted(r.status_code for r in answers))
        loser = next(r for r in answers if r.status_code != 200)
        assert loser.headers["content-type"] == "application/problem+json" and loser.json()["field"] == "version"
    assert outcomes == [[200, 409]] * ROUNDS
    with ctx.sessions() as s:
        rows = list(s.scalars(select(Delivery)))
        assert {(d.status, d.pinned) for d in rows} == {("assigned", True)}
        assert {d.courier_id for d in rows} <= set(ids)
        assigns = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "assign"))
    assert assigns == ROUNDS


def test_two_identical_posts_with_one_idempotency_key_in_parallel_make_one_row(quiet_client, world, ctx):
    """Twenty pairs of simultaneous retries: twenty rows, and each pair got the same answer."""
    c = quiet_client
    for _ in range(20):
        key = uuid.uuid4().hex
        a, b = at_once(lambda k=key: create_delivery(c, world.merchant_key, idempotency_key=k),
                       lambda k=key: create_delivery(c, world.merchant_key, idempotency_key=k))
        assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
        assert a.json()["id"] == b.json()["id"]
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 20
    listed = c.get("/api/v1/deliveries?limit=200", headers=bearer(world.merchant_key)).json()["items"]
    assert len(listed) == 20


def test_requests_arriving_together_with_an_uncached_api_key_verify_it_once(world, ctx, monkeypatch):
    """A merchant's key is hashed with argon2: 16 requests arriving with it while it is not
    cached (first use, or its entry went stale) run one verification and share its answer."""
    from dispatch.services import auth

    verified: list[str] = []
    real = auth._verify_api_key

    def counted(c: Any, key: str) -> Any:
        verified.append(key)
        return real(c, key)

    monkeypatch.setattr(auth, "_verify_api_key", counted)
    ctx.key_cache.clear()
    principals = at_once(*[lambda: auth.principal_from_api_key(ctx, world.merchant_key)] * 16)
    assert verified == [world.merchant_key]
    assert {(p.role, p.merchant_id) for p in principals} == {("merchant", world.merchant_id)}
