"""Rate limits: a token bucket per key, in the process (embedded mode) or in Redis (production).

A bucket holds ``per_minute`` tokens and refills continuously; a request takes one token or is
refused with the seconds until one is back (``Retry-After``). With several API processes the
buckets must be shared, so production keeps them in Redis (one Lua call per request). If Redis
cannot be reached the limiter falls back to the local buckets for a cool-down instead of
refusing work: abuse limits must never turn a Redis outage into an intake outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0


class Limiter(Protocol):
    async def hit(self, key: str, per_minute: int) -> Verdict: ...

    async def close(self) -> None: ...


class LocalLimiter:
    """Token buckets in this process (thread-safe; bounded number of keys)."""

    def __init__(self, max_keys: int = 100_000, clock: Any = time.monotonic) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._clock = clock

    def take(self, key: str, per_minute: int) -> Verdict:
        rate_per_s = per_minute / 60.0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - at) * rate_per_s)
            if tokens >= 1.0:
                self._store(key, (tokens - 1.0, now))
                return Verdict(True)
            self._store(key, (tokens, now))
        return Verdict(False, max(1, math.ceil((1.0 - tokens) / rate_per_s)))

    def _store(self, key: str, value: tuple[float, float]) -> None:
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            self._buckets.clear()  # crude but bounded: an attacker cannot grow memory forever
        self._buckets[key] = value

    async def hit(self, key: str, per_minute: int) -> Verdict:
        return self.take(key, per_minute)

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV: capacity, refill per ms, now ms. Returns {allowed, retry_after_ms}.
_BUCKET = """
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(b[1]) or cap; local at = tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
local ok = 0; local wait = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
return {ok, wait}
"""


class RedisLimiter:
    """Buckets shared by every process through Redis; local buckets while Redis is away."""

    def __init__(self, url: str, *, timeout_s: float = 0.25, cooldown_s: float = 2.0) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(url, socket_timeout=timeout_s,
                                              socket_connect_timeout=timeout_s, retry_on_timeout=False)
        self._script = self._redis.register_script(_BUCKET)
        self._local = LocalLimiter()
        self._cooldown_s = cooldown_s
        self._down_until = 0.0

    async def hit(self, key: str, per_minute: int) -> Verdict:
        if time.monotonic() < self._down_until:
            return self._local.take(key, per_minute)
        try:
            ok, wait_ms = await self._script(
                keys=[f"coopdispatch:rl:{key}"],
                args=[per_minute, per_minute / 60_000.0, int(time.time() * 1000)])
        except Exception:  # noqa: BLE001 - any Redis failure: degrade to local buckets
            log.warning("rate limiter: Redis unavailable, using local buckets for %.0f s", self._cooldown_s)
            self._down_until = time.monotonic() + self._cooldown_s
            return self._local.take(key, per_minute)
        return Verdict(bool(ok), 0 if ok else max(1, math.ceil(int(wait_ms) / 1000)))

    async def close(self) -> None:
        await self._redis.aclose()


def limiter_for(bus_url: str) -> Limiter:
    """Redis buckets when the bus is Redis (several processes), local ones otherwise."""
    if bus_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisLimiter(bus_url)
    return LocalLimiter()
