"""Abuse limits: per-key intake and per-account login limits (429 + Retry-After), shared through
Redis between processes, and secrets stored hashed."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.app import build_context, create_app
from dispatch.db.models import ApiKey, AuthToken, User
from dispatch.ratelimit import LocalLimiter, RedisLimiter
from dispatch.settings import Settings
from tests.conftest import REDIS_URL, service_missing
from tests.integration.api_client import bearer, create_delivery, delivery_body


@pytest.fixture
def strict_client(settings: Settings, db: Any, world: Any) -> Any:
    """An app whose limits are tiny: 3 intake requests and 3 logins per minute."""
    strict = settings.model_copy(update={"rate_limit_per_minute": 3, "login_attempts_per_minute": 3})
    app = create_app(strict, ctx=build_context(strict, engine=db[1]))
    with TestClient(app) as c:
        yield c


def test_intake_past_the_per_key_limit_is_a_429_problem_with_retry_after(strict_client, world):
    """The fourth creation in a minute is refused; another merchant's key is not affected."""
    codes = [create_delivery(strict_client, world.merchant_key).status_code for _ in range(4)]
    assert codes[:3] == [201, 201, 201]
    refused = create_delivery(strict_client, world.merchant_key)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert create_delivery(strict_client, world.second_merchant_key).status_code == 201


def test_every_spelling_of_the_authorization_header_draws_from_the_merchants_one_bucket(strict_client, world):
    """Bearer, bearer, BEARER and a double space name the same caller: the fourth is a 429."""
    codes = []
    for spelling in ("Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}"):
        r = strict_client.post("/api/v1/deliveries", json=delivery_body(), headers={
            "Authorization": spelling.format(world.merchant_key), "Idempotency-Key": str(uuid.uuid4())})
        codes.append(r.status_code)
    assert codes == [201, 201, 201, 429]


def test_wrong_passwords_do_not_lock_the_owner_out(strict_client, world):
    """Three wrong passwords (a stranger's guesses), then the owner's right one gets in: failures
    slow an account down (test_login_hardening.py) but never lock it."""
    wrong = {"email": world.dispatcher_email, "password": "guess"}
    codes = [strict_client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    right = {"email": world.dispatcher_email, "password": world.password}
    assert strict_client.post("/api/v1/auth/login", json=right).status_code == 200


def test_the_local_bucket_refills_with_time():
    """A drained bucket gives a token back after 60/limit seconds."""
    now = [0.0]
    limiter = LocalLimiter(clock=lambda: now[0])
    assert [limiter.take("k", 2).allowed for _ in range(3)] == [True, True, False]
    assert limiter.take("k", 2).retry_after_s == 30
    now[0] = 30.0
    assert limiter.take("k", 2).allowed


@pytest.mark.redis
def test_two_processes_share_one_bucket_through_redis():
    """Two limiters on one Redis (two API processes) draw from the same bucket."""
    async def run() -> list[bool]:
        a, b = RedisLimiter(REDIS_URL), RedisLimiter(REDIS_URL)
        key = f"test:{uuid.uuid4().hex}"
        try:
            out = []
            for limiter in (a, b, a, b):
                out.append((await limiter.hit(key, 3)).allowed)
            return out
        finally:
            await a.close()
            await b.close()

    try:
        result = anyio.run(run)
    except OSError:
        service_missing(f"Redis at {REDIS_URL}")
        return
    if result == [True] * 4:
        service_missing(f"Redis at {REDIS_URL} (limiter fell back to local buckets)")
    assert result == [True, True, True, False]


def test_a_dead_redis_degrades_to_local_buckets_instead_of_failing():
    """Nothing listens on the port: the limiter still answers, from its local buckets."""
    async def run() -> list[bool]:
        limiter = RedisLimiter("redis://127.0.0.1:9/0", timeout_s=0.1)
        try:
            return [(await limiter.hit("k", 2)).allowed for _ in range(3)]
        finally:
            await limiter.close()

    assert anyio.run(run) == [True, True, False]


def test_api_keys_and_passwords_are_argon2_hashes_and_tokens_are_not_stored_in_clear(client, world, ctx):
    """No secret is readable from the database."""
    token = client.post("/api/v1/auth/login", json={"email": world.dispatcher_email,
                                                    "password": world.password}).json()["token"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    with ctx.sessions() as s:
        assert all(h.startswith("$argon2") for h in s.scalars(select(ApiKey.secret_hash)))
        assert all(h.startswith("$argon2") for h in s.scalars(select(User.password_hash)))
        stored = list(s.scalars(select(AuthToken.token_hash)))
    assert token not in stored and all(len(h) == 64 for h in stored)
    assert world.merchant_key.split("_", 2)[2] not in str(stored)
