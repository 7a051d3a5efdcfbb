"""The four WebSocket endpoints: courier, dispatcher, merchant and public tracking.

Authentication happens at connect, from the socket's first message
``{"type": "auth", "token": "<token or API key>"}``, never from the URL (browsers cannot set
headers on a WebSocket, and a URL ends up in access logs, proxy logs and history; a ``token``
query parameter is refused). The socket is accepted, then closed with 4401 (no auth message
within ``AUTH_TIMEOUT_S``, a bad, expired or revoked token) or 4403 (a token of the wrong role,
or an unknown tracking link), so that the client can read the reason. An accepted socket is
attached to the process's hub on its one topic, and closed with 4401 when its token expires or
is revoked (``realtime/sessions.py``). The public tracking socket needs no auth message: its
link is in its path.

Resume: live frames are held from the connect until the client's ``resume`` (or for
``RESUME_GRACE_S`` if it sends none), so that the replay from the outbox table and the live
frames join in seq order, each exactly once. A cursor older than what the outbox keeps gets
``resync`` (refetch over HTTP).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from dispatch.domain.errors import Conflict
from dispatch.realtime import outbox_io
from dispatch.realtime.hub import (
    CLOSE_BAD_MESSAGE,
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHORIZED,
    Client,
    Hub,
    heartbeat_frame,
)
from dispatch.realtime.messages import (
    BadMessage,
    Error,
    Ping,
    Position,
    Resume,
    Resync,
    frame_from_payload,
    parse_auth_message,
    parse_client_message,
)
from dispatch.services.auth import Principal, Unauthorized, api_key_name, api_key_session, token_digest, token_session
from dispatch.services.context import ServiceContext

router = APIRouter()
RESUME_GRACE_S = 0.5
MAX_BAD_MESSAGES = 3
REPLAY_LIMIT = 5_000
AUTH_TIMEOUT_S = 10.0


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass(frozen=True, slots=True)
class Scope:
    """What one socket may see: its coop and topic, and who it is (None: the public)."""

    coop_id: str
    topic: str
    who: Principal | None = None
    token_digest: str | None = None  # the person's token, or the merchant's key by name (revocations)
    expires_at: datetime | None = None  # a token or a rotated key expires; the socket closes then


class _Socket:
    """Starlette's WebSocket as the hub's ``Connection``."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send_text(self, data: str) -> None:
        await self.ws.send_text(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)


def _person(ctx: ServiceContext, token: str, roles: tuple[str, ...],
            merchant_keys: bool = False) -> tuple[Principal, datetime | None]:
    expires_at = None
    try:
        if token.startswith("cd_"):
            if not merchant_keys:
                raise Refused(CLOSE_FORBIDDEN, "API keys are for merchants")
            who, expires_at = api_key_session(ctx, token)
        else:
            who, expires_at = token_session(ctx, token)
    except Unauthorized as exc:
        raise Refused(CLOSE_UNAUTHORIZED, str(exc)) from None
    if who.role not in roles:
        raise Refused(CLOSE_FORBIDDEN, f"this socket needs one of the roles: {', '.join(roles)}")
    return who, expires_at


def courier_scope(ctx: ServiceContext, token: str) -> Scope:
    who, expires_at = _person(ctx, token, ("courier",))
    if not who.courier_id:
        raise Refused(CLOSE_FORBIDDEN, "this account is not a courier")
    return Scope(who.coop_id, f"courier:{who.courier_id}", who, token_digest(token), expires_at)


def dispatcher_scope(ctx: ServiceContext, token: str) -> Scope:
    who, expires_at = _person(ctx, token, ("dispatcher", "admin"))
    return Scope(who.coop_id, f"coop:{who.coop_id}", who, token_digest(token), expires_at)


def merchant_scope(ctx: ServiceContext, token: str) -> Scope:
    who, expires_at = _person(ctx, token, ("merchant",), merchant_keys=True)
    if not who.merchant_id:
        raise Refused(CLOSE_FORBIDDEN, "this account is not a merchant's")
    name = api_key_name(token) if token.startswith("cd_") else token_digest(token)
    return Scope(who.coop_id, f"merchant:{who.merchant_id}", who, name, expires_at)


def tracking_scope(ctx: ServiceContext, tracking_token: str) -> Scope:
    with ctx.sessions() as s:
        coop_id = outbox_io.tracked_coop(s, tracking_token) if tracking_token else None
    if coop_id is None:
        raise Refused(CLOSE_FORBIDDEN, "unknown tracking link")
    return Scope(coop_id, f"track:{tracking_token}")


@router.websocket("/ws/courier")
async def courier_socket(ws: WebSocket) -> None:
    await serve_socket(ws, courier_scope)


@router.websocket("/ws/dispatcher")
async def dispatcher_socket(ws: WebSocket) -> None:
    await serve_socket(ws, dispatcher_scope)


@router.websocket("/ws/merchant")
async def merchant_socket(ws: WebSocket) -> None:
    await serve_socket(ws, merchant_scope)


@router.websocket("/ws/track/{tracking_token}")
async def tracking_socket(ws: WebSocket, tracking_token: str) -> None:
    await serve_socket(ws, lambda ctx, _: tracking_scope(ctx, tracking_token), needs_auth=False)


async def _auth_token(ws: WebSocket) -> str:
    """The token of the socket's first message (never one from the URL)."""
    if "token" in ws.query_params:
        raise Refused(CLOSE_UNAUTHORIZED, 'no token in the URL: send {"type": "auth", "token": ...} first')
    try:
        message = await asyncio.wait_for(ws.receive(), AUTH_TIMEOUT_S)
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        return parse_auth_message(message.get("text") or message.get("bytes") or "")
    except TimeoutError:
        raise Refused(CLOSE_UNAUTHORIZED, f"no auth message within {AUTH_TIMEOUT_S:.0f} s") from None
    except BadMessage as exc:
        raise Refused(CLOSE_UNAUTHORIZED, exc.message) from None


async def serve_socket(ws: WebSocket, authorize: Callable[[ServiceContext, str], Scope], *,
                       needs_auth: bool = True) -> None:
    """Accept, authorize, attach to the hub, then handle client messages until it goes."""
    ctx: ServiceContext = ws.app.state.ctx
    hub: Hub = ws.app.state.hub
    await ws.accept()
    try:
        token = await _auth_token(ws) if needs_auth else ""
        scope = await asyncio.to_thread(authorize, ctx, token)
    except Refused as exc:
        await ws.close(exc.code, exc.reason[:120])
        return
    except WebSocketDisconnect:
        return
    client = hub.attach(_Socket(ws), [scope.topic])
    # hold live frames from the attach on, before any await: a frame let through before the
    # client's resume (it knows nothing of the cursor yet) arrives ahead of the ones it missed
    client.begin_replay()
    sessions: Any = getattr(ws.app.state, "socket_sessions", None)
    if sessions is not None and scope.token_digest:
        sessions.track(client, scope.token_digest, scope.expires_at)
        await sessions.confirm(client, scope.token_digest)
    grace = asyncio.get_running_loop().call_later(RESUME_GRACE_S, _end_hold, client)
    try:
        await _read_messages(ws, ctx, client, scope)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away (RuntimeError: the hub closed the socket under us)
    finally:
        grace.cancel()
        if sessions is not None and scope.token_digest:
            sessions.untrack(client, scope.token_digest)
        await hub.detach(client)


def _end_hold(client: Client) -> None:
    if client.replaying and not client.resuming:
        client.end_replay()


async def _read_messages(ws: WebSocket, ctx: ServiceContext, client: Client, scope: Scope) -> None:
    bad = 0
    handlers: dict[type, Callable[..., Awaitable[None]]] = {
        Resume: _resume, Position: _position, Ping: _ping}
    while True:
        text = await ws.receive_text()
        try:
            message = parse_client_message(text)
        except BadMessage as exc:
            bad += 1
            client.send_frame(exc.to_frame())
            if bad >= MAX_BAD_MESSAGES:
                await ws.close(CLOSE_BAD_MESSAGE, "too many bad messages")
                return
            continue
        await handlers[type(message)](ws, ctx, client, scope, message)


async def _ping(ws: WebSocket, ctx: ServiceContext, client: Client, scope: Scope, message: Ping) -> None:
    client.send_frame(heartbeat_frame())


async def _position(ws: WebSocket, ctx: ServiceContext, client: Client, scope: Scope,
                    message: Position) -> None:
    who = scope.who
    if who is None or who.role != "courier" or not who.courier_id:
        client.send_frame(_error("forbidden", "only couriers send positions", "type"))
        return
    at = min(message.at, datetime.now(UTC))
    try:
        await ws.app.state.positions.accept(who.courier_id, message.lat, message.lon, at,
                                            message.heading)
    except Conflict as exc:
        client.send_frame(_error("off_shift", str(exc), "shift"))


async def _resume(ws: WebSocket, ctx: ServiceContext, client: Client, scope: Scope,
                  message: Resume) -> None:
    """Replay the outbox rows after the cursor for this socket's topic, then go live."""
    client.begin_replay()
    client.resuming = True
    # the client has everything up to ``after``: a live frame <= after (a row replayed on an
    # earlier connection before the relay got to it) must not reach it again
    client.last_seq = max(client.last_seq, message.after)
    try:
        rows = await asyncio.to_thread(outbox_io.rows_after, ctx, scope.coop_id, message.after,
                                       REPLAY_LIMIT, scope.topic)
        frames = [f for row in rows for _, f in outbox_io.frames_for(row, [scope.topic])]
        if client.first_seq and any(message.after < f.seq < client.first_seq for f in frames):
            # live frames went out before this resume: the missed ones cannot come before them
            raise outbox_io.Gap("resume arrived after live frames")
        for frame in frames:
            if frame.seq > client.last_seq:
                await _wait_for_room(client)
                client.send_frame(frame)
    except outbox_io.Gap as exc:
        client.send_frame(frame_from_payload(Resync(reason=str(exc))))
    finally:
        client.resuming = False
        client.end_replay()


async def _wait_for_room(client: Client) -> None:
    # a long replay must not overflow the socket's queue: let the sender drain (bounded)
    for _ in range(500):
        if client.room() > 1 or client.closing:
            return
        await asyncio.sleep(0.01)


def _error(code: str, message: str, field: str | None = None):  # type: ignore[no-untyped-def]
    return frame_from_payload(Error(code=code, message=message, field=field))

