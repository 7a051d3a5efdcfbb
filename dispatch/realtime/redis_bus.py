"""The ``redis://`` bus (production mode): pub/sub, hashes with expiry, ``SET NX PX`` leases.

Why the timeouts are short: the bus is an accelerator, not the source of truth (the outbox is).
When Redis is away a publisher must learn it within about a second and deliver locally, rather
than hold a request hostage. After one failure, calls fail at once for ``cooldown_s`` (a tiny
circuit breaker) so a dead server costs nothing per request.

Subscriptions use their own connection, with redis-py's silent retry turned off so that we see
every drop: we then reconnect with exponential backoff (``backoff_s`` doubling up to
``backoff_max_s``), resubscribe, and yield ``Message(gap=True)``. An idle subscription pings the
server every ``ping_every_s`` so a half-open TCP connection is noticed too.
"""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dispatch.realtime.bus import Bus, BusUnavailable, Message, Subscription

_DOWN = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)
_PREFIX = "coopdispatch:"

# KEYS[1] lease key, ARGV[1] holder, ARGV[2] ttl in ms
_ACQUIRE = """
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisBus(Bus):
    """Bus on a Redis server; see the module docstring for the failure behaviour."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout_s: float = 0.5,
        socket_timeout_s: float = 1.0,
        cooldown_s: float = 1.0,
        backoff_s: float = 0.05,
        backoff_max_s: float = 2.0,
        ping_every_s: float = 5.0,
        client_name: str | None = None,
    ) -> None:
        self.url = url
        self.client_name = client_name or f"coopdispatch-{uuid.uuid4().hex[:8]}"
        self._options: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": connect_timeout_s,
            "socket_timeout": socket_timeout_s,
            "client_name": self.client_name,
        }
        self._cooldown_s = cooldown_s
        self._backoff = (backoff_s, backoff_max_s)
        self._ping_every_s = ping_every_s
        self._down_until = 0.0
        self._client: aioredis.Redis | None = None

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            # one quick retry: a pooled connection may be dead (server restarted) while a
            # fresh one works; a second failure means the server really is away
            self._client = aioredis.Redis.from_url(
                self.url, retry=Retry(NoBackoff(), 1), **self._options)
        return self._client

    def _subscriber_client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0), **self._options)

    async def _call(self, command: str, *args: Any) -> Any:
        if time.monotonic() < self._down_until:
            raise BusUnavailable(f"redis at {self.url} was unreachable moments ago")
        try:
            return await self._redis().execute_command(command, *args)  # type: ignore[no-untyped-call]
        except _DOWN as exc:
            self._down_until = time.monotonic() + self._cooldown_s
            raise BusUnavailable(f"redis at {self.url} unreachable: {exc}") from exc

    async def connect(self) -> None:
        await self._call("PING")

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, channel: str, message: str) -> None:
        await self._call("PUBLISH", channel, message)

    def subscribe(
        self, *channels: str, patterns: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[Subscription]:
        if not channels and not patterns:
            raise ValueError("subscribe needs at least one channel or pattern")
        return self._subscription(channels, tuple(patterns))

    @asynccontextmanager
    async def _subscription(
        self, channels: tuple[str, ...], patterns: tuple[str, ...]
    ) -> AsyncIterator[Subscription]:
        sub = _RedisSubscription(self, channels, patterns)
        try:
            await sub.open()
        except _DOWN:
            await sub.close()  # iteration will reconnect with backoff, then report the gap
            sub.lost = True
        try:
            yield sub
        finally:
            await sub.close()

    async def set_latest(self, key: str, field: str, value: str, ttl_s: float) -> None:
        await self.set_latest_many(key, {field: value}, ttl_s)

    async def set_latest_many(self, key: str, fields: Mapping[str, str], ttl_s: float) -> None:
        if not fields:
            return
        full = _PREFIX + "latest:" + key
        # a Lua script keeps HSET and PEXPIRE atomic in one round trip
        script = "redis.call('HSET', KEYS[1], unpack(ARGV, 2)) " \
                 "return redis.call('PEXPIRE', KEYS[1], ARGV[1])"
        pairs = [part for item in fields.items() for part in item]
        await self._call("EVAL", script, 1, full, max(1, int(ttl_s * 1000)), *pairs)

    async def get_latest(self, key: str) -> dict[str, str]:
        result: dict[str, str] = await self._call("HGETALL", _PREFIX + "latest:" + key)
        return dict(result)

    async def acquire_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        return bool(await self._call("EVAL", _ACQUIRE, 1, _PREFIX + "lease:" + name,
                                     holder, int(ttl_ms)))

    async def renew_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        return bool(await self._call("EVAL", _RENEW, 1, _PREFIX + "lease:" + name,
                                     holder, int(ttl_ms)))

    async def release_lease(self, name: str, holder: str) -> None:
        await self._call("EVAL", _RELEASE, 1, _PREFIX + "lease:" + name, holder)


class _RedisSubscription(Subscription):
    def __init__(self, bus: RedisBus, channels: tuple[str, ...], patterns: tuple[str, ...]):
        self._bus = bus
        self._channels = channels
        self._patterns = patterns
        self._client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._pending: collections.deque[Message] = collections.deque()
        self._last_heard = 0.0
        self._pinged = False
        self.lost = False

    async def open(self) -> None:
        """Connect, subscribe and wait for the server's confirmations."""
        self._client = self._bus._subscriber_client()
        self._pubsub = self._client.pubsub()
        if self._channels:
            await self._pubsub.subscribe(*self._channels)
        if self._patterns:
            await self._pubsub.psubscribe(*self._patterns)
        expected = len(set(self._channels)) + len(set(self._patterns))
        deadline = time.monotonic() + self._bus._options["socket_timeout"]
        while expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RedisTimeoutError("no subscription confirmation from redis")
            raw = await self._pubsub.get_message(timeout=remaining)
            if raw and raw["type"] in ("subscribe", "psubscribe"):
                expected -= 1
            elif raw:
                self._keep(raw)
        self._last_heard = time.monotonic()
        self._pinged = False

    async def close(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub = self._client = None
        if pubsub is not None:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        if client is not None:
            await client.aclose()

    def _keep(self, raw: dict[str, Any]) -> None:
        if raw["type"] in ("message", "pmessage"):
            self._pending.append(Message(raw["channel"], raw["data"]))

    async def _reconnect(self) -> None:
        delay, cap = self._bus._backoff
        while True:
            try:
                await self.open()
                return
            except _DOWN:
                await self.close()
                await asyncio.sleep(delay)
                delay = min(cap, delay * 2)

    async def __anext__(self) -> Message:
        while not self._pending:
            if self._pubsub is None:
                await self._reconnect()
                if self.lost:
                    self.lost = False
                    return Message("", "", gap=True)
                continue
            try:
                await self._read_once()
            except _DOWN:
                await self.close()
                self.lost = True
        return self._pending.popleft()

    async def _read_once(self) -> None:
        assert self._pubsub is not None
        raw = await self._pubsub.get_message(timeout=self._bus._ping_every_s)
        now = time.monotonic()
        if raw is not None:
            self._last_heard, self._pinged = now, False
            self._keep(raw)
        elif not self._pinged:
            await self._pubsub.ping()
            self._pinged = True
        elif now - self._last_heard > 2 * self._bus._ping_every_s:
            raise RedisTimeoutError("redis did not answer a ping on the subscription")
