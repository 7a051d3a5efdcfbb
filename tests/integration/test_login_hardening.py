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


@pytest.fixture
def light_hashes(ctx: Any, world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords and the dummy hash with argon2's light parameters: the tests about delays
    verify real hashes, a few dozen of them, without a second each on a busy machine."""
    from sqlalchemy import update

    from dispatch.db.models import User

    with ctx.sessions() as s, s.begin():
        s.execute(update(User).values(password_hash=auth.KEYS.hash(world.password)))
    dummy = auth.KEYS.hash("not anyone's password")
    monkeypatch.setattr(auth, "_dummy_hash", lambda: dummy)


def _seconds(ctx: Any, email: str, address: str) -> float:
    """How long a failed login of ``email`` takes."""
    started = time.perf_counter()
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, email, "wrong", address)
    return time.perf_counter() - started


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_unknown_email_takes_as_long_as_a_wrong_password(settings, db, world):
    """Both verify one argon2 hash: the medians are within a factor of two (they were 3 ms
    against 320 ms)."""
    ctx = _ctx(settings, db, login_free_failures=1000)
    known: list[float] = []
    unknown: list[float] = []
    for i in range(4):  # interleaved, so that a busy moment of the machine hits both
        known.append(_seconds(ctx, world.dispatcher_email, f"10.0.0.{i}"))
        unknown.append(_seconds(ctx, f"{uuid.uuid4().hex}@nowhere.coop", f"10.0.1.{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)


def test_old_throttle_rows_are_pruned_by_later_failures(settings, db, world, monkeypatch, light_hashes):
    """Random emails cannot grow the table forever: a failure now and then deletes the rows no
    one failed for an hour (a recent row stays)."""
    from sqlalchemy import select

    from dispatch.db.models import LoginThrottle
    from dispatch.services import login_throttle

    ctx = _ctx(settings, db)
    now = [ctx.clock()]
    ctx.clock = lambda: now[0]
    monkeypatch.setattr(login_throttle, "PRUNE_ONE_IN", 1)
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, "old@nowhere.coop", "x", "10.2.0.1")
    now[0] += timedelta(hours=2)
    with pytest.raises(auth.Unauthorized):
        auth.login(ctx, "new@nowhere.coop", "x", "10.2.0.2")
    with ctx.sessions() as s:
        keys = set(s.scalars(select(LoginThrottle.key)))
    assert keys == {login_throttle.keys_for("new@nowhere.coop", "10.2.0.2").account, "address:10.2.0.2"}


def test_failed_logins_make_the_next_attempt_wait_longer_and_longer_but_never_lock_out(settings, db, world,
                                                                                         light_hashes):
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


def test_a_login_that_must_wait_is_a_429_problem_with_retry_after(settings, db, world, light_hashes):
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
def test_x_forwarded_for_counts_only_from_a_configured_proxy(settings, db, world, proxies, last, light_hashes):
    """Each attempt forges another X-Forwarded-For: from an unconfigured peer they all count
    against the peer's one address (the 7th waits); from a configured proxy each is its own."""
    ctx = _ctx(settings, db, login_free_failures=1, forwarded_allow_ips=proxies)
    with TestClient(create_app(ctx.settings, ctx=ctx)) as client:
        codes = [client.post("/api/v1/auth/login", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                             json={"email": f"{uuid.uuid4().hex}@nowhere.coop", "password": "x"}).status_code
                 for i in range(7)]
    assert codes == [401] * 6 + [last]
