"""Tokens end when their owner says so: logout revokes the token it is sent with, a password
change (and deactivation, through ``revoke_all_tokens``) revokes every token of the person, and
the per-process token cache never lets a revoked token through."""

from __future__ import annotations

from typing import Any

import pytest
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


def test_a_socket_whose_token_was_revoked_without_an_event_is_closed_by_the_sweep(client, ctx, world):
    """A revocation whose frame was lost (bus down): the periodic sweep asks the database and
    closes the socket with 4401; a socket with a live token stays open."""
    from sqlalchemy import update
    from starlette.websockets import WebSocketDisconnect

    stolen, kept = (_login(client, world.dispatcher_email, world.password) for _ in range(2))
    with client.websocket_connect("/ws/dispatcher") as doomed, client.websocket_connect("/ws/dispatcher") as alive:
        doomed.send_json({"type": "auth", "token": stolen})
        alive.send_json({"type": "auth", "token": kept})
        for ws in (doomed, alive):
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "heartbeat"
        with ctx.sessions() as s, s.begin():
            s.execute(update(AuthToken).where(AuthToken.token_hash == token_digest(stolen))
                      .values(revoked_at=ctx.clock(), revoked_reason="test"))
        assert client.portal.call(client.app.state.socket_sessions.sweep) == 1
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                doomed.receive_json()
        assert closed.value.code == 4401
        alive.send_json({"type": "ping"})
        assert alive.receive_json()["type"] == "heartbeat"
