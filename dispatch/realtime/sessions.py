"""Sockets opened with a person's token or a merchant's API key end with it: when it expires,
and when it is revoked (a key is named ``key:<prefix>`` here, a token by its digest).

A socket authenticates once, at connect; without this it would keep receiving events for as
long as it stays open. Each process keeps its own sockets by token digest (SHA-256, the name
revocations use) and:

- closes a socket with 4401 when its token's ``expires_at`` passes (a timer per socket);
- on every ``auth.revoked`` frame the hub routes (logout, password change, deactivation,
  committed by any process and carried by the bus like any outbox event), forgets the tokens
  in this process's auth cache and closes their sockets with 4401;
- every ``sweep_s`` asks the database which of its sockets' tokens are revoked (one query), in
  case a revocation's frame was lost while the bus was down (a bus gap replays frames to the
  sockets, not to observers like this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from dispatch.realtime.hub import CLOSE_UNAUTHORIZED, Client, Hub
from dispatch.realtime.messages import Frame
from dispatch.services.auth import forget_tokens, revoked_among
from dispatch.services.context import ServiceContext
from dispatch.services.merchant_admin import KEY_REVOKED, forget_api_keys

log = logging.getLogger(__name__)


class SocketSessions:
    """Which socket came in with which token, and the timers that end them."""

    def __init__(self, ctx: ServiceContext, hub: Hub, sweep_s: float = 60.0) -> None:
        self.ctx, self.hub, self.sweep_s = ctx, hub, sweep_s
        self._sweeper: asyncio.Task[None] | None = None
        self._by_token: dict[str, set[Client]] = {}
        self._timers: dict[Client, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def sweep(self) -> int:
        """Close the sockets whose token the database says is revoked; how many."""
        revoked = await asyncio.to_thread(revoked_among, self.ctx, list(self._by_token))
        forget_tokens(self.ctx, list(revoked))
        if any(d.startswith("key:") for d in revoked):
            forget_api_keys(self.ctx)
        closing = [c for d in revoked for c in self._by_token.get(d, ())]
        for client in closing:
            self._end(client, "token revoked: log in again")
        return len(closing)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_s)
            try:
                await self.sweep()
            except Exception:  # a database hiccup: the next sweep tries again
                log.exception("socket session sweep failed")

    def track(self, client: Client, digest: str, expires_at: datetime | None) -> None:
        """Remember ``client``'s token or key; close it when ``expires_at`` passes (None: never)."""
        self._by_token.setdefault(digest, set()).add(client)
        if expires_at is not None:
            delay_s = max(0.0, (expires_at - self.ctx.clock()).total_seconds())
            self._timers[client] = asyncio.get_running_loop().call_later(
                delay_s, self._end, client, "token expired: log in again")

    async def confirm(self, client: Client, name: str) -> None:
        """Close ``client`` if its API key was revoked while the socket was verifying it (argon2
        takes a moment, and a revocation frame heard before :meth:`track` names no socket).
        Keys only: merchants' sockets are few, people's tokens need no slow hash."""
        if name.startswith("key:") and await asyncio.to_thread(revoked_among, self.ctx, [name]):
            forget_api_keys(self.ctx)
            self._end(client, "token revoked: log in again")

    def untrack(self, client: Client, digest: str) -> None:
        """The socket is gone (call it from the endpoint's ``finally``)."""
        clients = self._by_token.get(digest)
        if clients is not None:
            clients.discard(client)
            if not clients:
                del self._by_token[digest]
        timer = self._timers.pop(client, None)
        if timer is not None:
            timer.cancel()

    def observe(self, topics: list[str], frame: Frame) -> None:
        """Hub observer (on the event loop): a revocation ends the tokens' sockets here."""
        if frame.type != "auth.revoked":
            return
        digests = [str(d) for d in frame.data.get("tokens", [])]
        forget_tokens(self.ctx, digests)
        if frame.data.get("reason") == KEY_REVOKED:  # an admin revoked an API key (issue 17)
            forget_api_keys(self.ctx)
        digests += ["key:" + str(p) for p in frame.data.get("keys", [])]
        for digest in digests:
            for client in list(self._by_token.get(digest, ())):
                self._end(client, "token revoked: log in again")

    def _end(self, client: Client, reason: str) -> None:
        self._timers.pop(client, None)
        task = asyncio.get_running_loop().create_task(self.hub.detach(client, CLOSE_UNAUTHORIZED, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
