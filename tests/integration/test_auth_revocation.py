"""Tokens end when their owner says so: logout revokes the token it is sent with, a password
change (and deactivation, through ``revoke_all_tokens``) revokes every token of the person, and
the per-process token cache never lets a revoked token through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.db.models import AuthToken, OutboxEvent, User
from dispatch.services.auth import revoke_all_tokens, token_digest
from dispatch.services.context import unit_of_work
from tests.integration.api_client import bearer


def _login(client: Any, email: str, password: str) -> str:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def test_logout_revokes_the_token_it_is_sent_with_and_no_other(client, world):
    """After logout the token is refused (even though it was cached); a second device stays in."""
    phone, laptop = (_login(client, world.dispatcher_email, world.password) for _ in range(2))
    assert client.get("/api/v1/auth/me", headers=bearer(phone)).status_code == 200  # now cached
    assert client.post("/api/v1/auth/logout", headers=bearer(phone)).status_code == 204
    refused = client.get("/api/v1/auth/me", headers=bearer(phone))
    assert refused.status_code == 401 and refused.json()["field"] == "Authorization"
    assert client.get("/api/v1/auth/me", headers=bearer(laptop)).status_code == 200


def test_a_password_change_revokes_every_token_of_the_person_and_gives_a_fresh_one(client, world):
    """The thief's token dies with the change; the new password and the returned token work."""
    thief = _login(client, world.courier_emails[0], world.password)
    mine = _login(client, world.courier_emails[0], world.password)
    r = client.post("/api/v1/auth/password", headers=bearer(mine),
                    json={"current_password": world.password, "new_password": "a much longer secret"})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/auth/me", headers=bearer(thief)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(mine)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(r.json()["token"])).status_code == 200
    assert _login(client, world.courier_emails[0], "a much longer secret")


def test_a_password_change_needs_the_current_password(client, world):
    """A stolen token alone cannot change the password (401 naming current_password)."""
    token = _login(client, world.dispatcher_email, world.password)
    r = client.post("/api/v1/auth/password", headers=bearer(token),
                    json={"current_password": "guess", "new_password": "a much longer secret"})
    assert r.status_code == 401 and r.json()["field"] == "current_password"


def test_revoke_all_tokens_marks_every_live_token_and_announces_it_by_digest(client, ctx, world):
    """The service that deactivation calls: rows get revoked_at and reason, one auth.revoked event
    names the tokens by SHA-256 only (never the token itself)."""
    tokens = [_login(client, world.dispatcher_email, world.password) for _ in range(2)]
    with ctx.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.email == world.dispatcher_email))
    with unit_of_work(ctx) as uow:
        revoked = revoke_all_tokens(uow, user_id, "deactivated")
    assert sorted(revoked) == sorted(token_digest(t) for t in tokens)
    with ctx.sessions() as s:
        rows = s.scalars(select(AuthToken).where(AuthToken.user_id == user_id)).all()
        assert all(r.revoked_at is not None and r.revoked_reason == "deactivated" for r in rows)
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "auth.revoked")).one()
    assert event.topics == [f"user:{user_id}"]
    assert sorted(event.data["tokens"]) == sorted(revoked)
    assert not any(t in str(event.data) for t in tokens)
    for token in tokens:
        assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
