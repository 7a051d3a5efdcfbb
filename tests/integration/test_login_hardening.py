"""Login tells nothing and locks no one out: an unknown email costs what a known one costs,
failures slow the next attempts down (growing delays per account and per address, never a
lock-out), and X-Forwarded-For is believed only from a configured proxy."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.app import build_context, create_app
from dispatch.services import auth
from dispatch.services.login_throttle import TooManyAttempts


def _ctx(settings: Any, db: Any, **update: Any) -> Any:
    return build_context(settings.model_copy(update=update), engine=db[1])


def _seconds(call: Any) -> float:
    started = time.perf_counter()
    with pytest.raises(auth.Unauthorized):
        call()
    return time.perf_counter() - started


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_unknown_email_takes_as_long_as_a_wrong_password(settings, db, world):
    """Both verify one argon2 hash: the medians are within a factor of two (they were 3 ms
    against 320 ms)."""
    ctx = _ctx(settings, db, login_free_failures=1000)
    known = [_seconds(lambda: auth.login(ctx, world.dispatcher_email, "wrong", f"10.0.0.{i}"))
             for i in range(5)]
    unknown = [_seconds(lambda: auth.login(ctx, f"{uuid.uuid4().hex}@nowhere.coop", "wrong", f"10.0.1.{i}"))
               for i in range(5)]
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)


def test_failed_logins_make_the_next_attempt_wait_longer_and_longer_but_never_lock_out(settings, db, world):
    """After the free failures each one doubles the wait (1 s, 2 s); an attempt during the wait
    is a 429 naming the seconds left; once it is over the right password gets in."""
    ctx = _ctx(settings, db, login_free_failures=2)
    now = [ctx.clock()]
    ctx.clock = lambda: now[0]
    for _ in range(3):  # two free failures, the third costs a second
        with pytest.raises(auth.Unauthorized):
            auth.login(ctx, world.dispatcher_email, "guess", "10.1.0.1")
    with pytest.raises(TooManyAttempts) as wait:
        auth.login(ctx, world.dispatcher_email, world.password, "10.1.0.2")
    assert wait.value.retry_after_s == 1
    now[0] += timedelta(seconds=1)
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, world.dispatcher_email, "guess again", "10.1.0.3")
    with pytest.raises(TooManyAttempts) as wait:
        auth.login(ctx, world.dispatcher_email, world.password, "10.1.0.4")
    assert wait.value.retry_after_s == 2
    now[0] += timedelta(seconds=2)
    token, who = auth.login(ctx, world.dispatcher_email, world.password, "10.1.0.5")
    assert token and who.role == "dispatcher"
    auth.login(ctx, world.dispatcher_email, world.password, "10.1.0.5")  # the account starts over


def test_a_login_that_must_wait_is_a_429_problem_with_retry_after(settings, db, world):
    """Over HTTP the wait is a 429 problem with Retry-After, naming the email field."""
    ctx = _ctx(settings, db, login_free_failures=1)
    with TestClient(create_app(ctx.settings, ctx=ctx)) as client:
        wrong = {"email": world.courier_emails[0], "password": "guess"}
        assert [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(2)] == [401, 401]
        r = client.post("/api/v1/auth/login", json=wrong)
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "1" and r.json()["field"] == "email"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("proxies", "last"), [("", 429), ("testclient", 401)])
def test_x_forwarded_for_counts_only_from_a_configured_proxy(settings, db, world, proxies, last):
    """Each attempt forges another X-Forwarded-For: from an unconfigured peer they all count
    against the peer's one address (the 7th waits); from a configured proxy each is its own."""
    ctx = _ctx(settings, db, login_free_failures=1, forwarded_allow_ips=proxies)
    with TestClient(create_app(ctx.settings, ctx=ctx)) as client:
        codes = [client.post("/api/v1/auth/login", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                             json={"email": f"{uuid.uuid4().hex}@nowhere.coop", "password": "x"}).status_code
                 for i in range(7)]
    assert codes == [401] * 6 + [last]
