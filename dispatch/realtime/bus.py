"""The bus: pub/sub between processes, latest-value store and leases, picked from a URL.

``bus_from_url(url)`` returns a ``Bus``:

- ``memory://[name]`` — in-process (embedded mode). Every ``Bus`` built from the same URL in
  one process shares one broker, the way several processes share one Redis server, so the
  same tests run against both backends. A different ``name`` gives an independent broker.
- ``redis://host:port/db`` — Redis pub/sub, hashes and ``SET NX PX`` leases (production mode),
  in ``dispatch.realtime.redis_bus``.

Interface (all async)::

    await bus.connect(); await bus.disconnect()          # or: async with bus: ...
    await bus.publish(channel, message)                   # raises BusUnavailable when down
    async with bus.subscribe("a", "b", patterns=["coop.*"]) as sub:
        async for msg in sub:                             # Message(channel, data, gap)
            ...
    await bus.set_latest(key, field, value, ttl_s); await bus.get_latest(key) -> dict
    await bus.set_latest_many(key, {field: value, ...}, ttl_s)
    await bus.acquire_lease(name, holder, ttl_ms) -> bool
    await bus.renew_lease(name, holder, ttl_ms) -> bool
    await bus.release_lease(name, holder)

Degradation: when the server cannot be reached ``publish`` (and the key/lease calls) raise
``BusUnavailable`` within about a second, so a caller can deliver locally instead. A
subscription never raises for that: it reconnects with backoff and then yields one message with
``gap=True`` (messages may have been lost meanwhile; the hub turns it into replay or resync).
``async with bus.subscribe(...)`` returns once the server confirmed the subscription, so a
message published after that is received.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit


class BusUnavailable(ConnectionError):
    """The bus server cannot be reached right now; deliver locally and carry on."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message from a subscription; ``gap`` means messages may have been lost before it."""

    channel: str
    data: str
    gap: bool = False


class Subscription(ABC):
    """An async iterator of ``Message``; ends only when its ``subscribe`` block exits."""

    def __aiter__(self) -> Self:
        return self

    @abstractmethod
    async def __anext__(self) -> Message: ...


class Bus(ABC):
    """Common interface of the memory and Redis backends (see the module docstring)."""

    async def connect(self) -> None:  # noqa: B027 - optional hook
        """Get ready; the Redis backend raises ``BusUnavailable`` if the server is down now."""

    async def disconnect(self) -> None:  # noqa: B027 - optional hook
        """Release connections; subscriptions must have been exited first."""

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    @abstractmethod
    async def publish(self, channel: str, message: str) -> None: ...

    @abstractmethod
    def subscribe(
        self, *channels: str, patterns: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to exact channels and/or glob patterns (``coopdispatch.*``)."""

    @abstractmethod
    async def set_latest(self, key: str, field: str, value: str, ttl_s: float) -> None:
        """Set one field of ``key``; the whole key expires ``ttl_s`` after its last write."""

    async def set_latest_many(self, key: str, fields: Mapping[str, str], ttl_s: float) -> None:
        """Set several fields of ``key`` at once (one round trip on Redis)."""
        for name, value in fields.items():
            await self.set_latest(key, name, value, ttl_s)

    @abstractmethod
    async def get_latest(self, key: str) -> dict[str, str]:
        """All live fields of ``key`` (empty when absent or expired)."""

    @abstractmethod
    async def acquire_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        """Take the lease if free or expired (or already ours: then extend it)."""

    @abstractmethod
    async def renew_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        """Extend the lease only if ``holder`` still holds it; False means it was lost."""

    @abstractmethod
    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up if ``holder`` holds it; otherwise do nothing."""


def bus_from_url(url: str, **options: Any) -> Bus:
    """Build the bus a URL names; options go to the backend (e.g. Redis timeouts)."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryBus(url, **options)
    if scheme in ("redis", "rediss", "unix"):
        from dispatch.realtime.redis_bus import RedisBus

        return RedisBus(url, **options)
    raise ValueError(f"bus URL must start with memory:// or redis://, got {url!r}")


# -- memory:// --------------------------------------------------------------------------------


@dataclass
class _Broker:
    """What a Redis server would hold, for one process."""

    queues: list[tuple[frozenset[str], tuple[str, ...], asyncio.Queue[Message]]] = field(
        default_factory=list)
    latest: dict[str, tuple[dict[str, str], float]] = field(default_factory=dict)
    leases: dict[str, tuple[str, float]] = field(default_factory=dict)


_BROKERS: dict[str, _Broker] = {}


class _QueueSubscription(Subscription):
    def __init__(self, queue: asyncio.Queue[Message]) -> None:
        self._queue = queue

    async def __anext__(self) -> Message:
        return await self._queue.get()


class MemoryBus(Bus):
    """In-process bus; ordering is publish order, delivery never blocks the publisher."""

    def __init__(self, url: str = "memory://") -> None:
        parts = urlsplit(url)
        self._broker = _BROKERS.setdefault(parts.netloc + parts.path, _Broker())

    async def publish(self, channel: str, message: str) -> None:
        for channels, patterns, queue in self._broker.queues:
            if channel in channels or any(fnmatch.fnmatchcase(channel, p) for p in patterns):
                queue.put_nowait(Message(channel, message))

    @asynccontextmanager
    async def _subscription(
        self, channels: tuple[str, ...], patterns: tuple[str, ...]
    ) -> AsyncIterator[Subscription]:
        entry = (frozenset(channels), patterns, asyncio.Queue[Message]())
        self._broker.queues.append(entry)
        try:
            yield _QueueSubscription(entry[2])
        finally:
            self._broker.queues.remove(entry)

    def subscribe(
        self, *channels: str, patterns: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[Subscription]:
        if not channels and not patterns:
            raise ValueError("subscribe needs at least one channel or pattern")
        return self._subscription(channels, tuple(patterns))

    async def set_latest(self, key: str, field: str, value: str, ttl_s: float) -> None:
        await self.set_latest_many(key, {field: value}, ttl_s)

    async def set_latest_many(self, key: str, fields: Mapping[str, str], ttl_s: float) -> None:
        kept, expires = self._broker.latest.get(key, ({}, 0.0))
        if expires <= time.monotonic():
            kept = {}
        self._broker.latest[key] = ({**kept, **fields}, time.monotonic() + ttl_s)

    async def get_latest(self, key: str) -> dict[str, str]:
        fields, expires = self._broker.latest.get(key, ({}, 0.0))
        if expires <= time.monotonic():
            self._broker.latest.pop(key, None)
            return {}
        return dict(fields)

    def _holder(self, name: str) -> str | None:
        holder, expires = self._broker.leases.get(name, ("", 0.0))
        return holder if expires > time.monotonic() else None

    async def acquire_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        if self._holder(name) not in (None, holder):
            return False
        self._broker.leases[name] = (holder, time.monotonic() + ttl_ms / 1000)
        return True

    async def renew_lease(self, name: str, holder: str, ttl_ms: int) -> bool:
        if self._holder(name) != holder:
            return False
        self._broker.leases[name] = (holder, time.monotonic() + ttl_ms / 1000)
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        if self._holder(name) == holder:
            del self._broker.leases[name]
