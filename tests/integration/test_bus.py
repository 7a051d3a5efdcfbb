"""The bus, the same tests against ``memory://`` and the real Redis server (db 15)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from dispatch.realtime.bus import Bus, BusUnavailable, Message, Subscription, bus_from_url
from dispatch.realtime.hub import Hub
from dispatch.realtime.messages import Frame

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def redis_up() -> None:
    """The shared Redis answers; otherwise skip locally, fail in CI (like tests/conftest.py)."""
    try:
        async with bus_from_url(REDIS_URL):
            pass
    except BusUnavailable:
        if os.environ.get("COOPDISPATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is required in CI but unreachable")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable")


@pytest.fixture(params=["memory://", pytest.param(REDIS_URL, marks=pytest.mark.redis)],
                ids=["memory", "redis"])
def url(request: pytest.FixtureRequest) -> str:
    if str(request.param).startswith("redis"):
        request.getfixturevalue("redis_up")
    return str(request.param)


@pytest.fixture
def uid() -> str:
    """A unique suffix for this test's channels, keys and leases."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
async def bus(url: str, uid: str) -> AsyncIterator[Bus]:
    async with bus_from_url(url) as the_bus:
        yield the_bus
    if url.startswith("redis://"):
        raw = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in raw.scan_iter(match=f"*{uid}*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()


@pytest.fixture
async def other_bus(url: str) -> AsyncIterator[Bus]:
    """A second Bus on the same URL: another process, as far as the bus can tell."""
    async with bus_from_url(url) as the_bus:
        yield the_bus


async def take(sub: Subscription, n: int, timeout_s: float = 3.0) -> list[Message]:
    async def collect() -> list[Message]:
        return [await anext(sub) for _ in range(n)]

    return await asyncio.wait_for(collect(), timeout_s)


async def test_messages_arrive_in_publish_order(bus: Bus, other_bus: Bus, uid: str) -> None:
    """A subscriber sees every message of its channel in the order it was published."""
    async with bus.subscribe(f"ch.{uid}") as sub:
        for i in range(50):
            await other_bus.publish(f"ch.{uid}", str(i))
        got = await take(sub, 50)
    assert [m.data for m in got] == [str(i) for i in range(50)]
    assert {m.channel for m in got} == {f"ch.{uid}"}


async def test_two_subscribers_each_get_every_message(bus: Bus, other_bus: Bus, uid: str) -> None:
    """Two subscriptions on two buses both receive all messages of the channel."""
    async with bus.subscribe(f"ch.{uid}") as a, other_bus.subscribe(f"ch.{uid}") as b:
        for i in range(5):
            await bus.publish(f"ch.{uid}", str(i))
        assert [m.data for m in await take(a, 5)] == ["0", "1", "2", "3", "4"]
        assert [m.data for m in await take(b, 5)] == ["0", "1", "2", "3", "4"]


async def test_pattern_subscription_names_the_channel_and_skips_others(bus: Bus, uid: str) -> None:
    """A glob pattern matches its channels only, and each message says which channel it came on."""
    async with bus.subscribe(f"exact.{uid}", patterns=[f"coop.{uid}.*"]) as sub:
        await bus.publish(f"elsewhere.{uid}", "no")
        await bus.publish(f"coop.{uid}.7", "a")
        await bus.publish(f"exact.{uid}", "b")
        got = await take(sub, 2)
        assert [(m.channel, m.data) for m in got] == [(f"coop.{uid}.7", "a"), (f"exact.{uid}", "b")]
        with pytest.raises(TimeoutError):
            await take(sub, 1, timeout_s=0.1)


async def test_only_one_of_two_buses_holds_a_lease(bus: Bus, other_bus: Bus, uid: str) -> None:
    """A lease held by one process cannot be acquired or renewed by another."""
    assert await bus.acquire_lease(f"loop.{uid}", "a", 5000)
    assert not await other_bus.acquire_lease(f"loop.{uid}", "b", 5000)
    assert not await other_bus.renew_lease(f"loop.{uid}", "b", 5000)
    assert await bus.acquire_lease(f"loop.{uid}", "a", 5000), "re-acquiring our own lease is ok"
    await other_bus.release_lease(f"loop.{uid}", "b")
    assert not await other_bus.acquire_lease(f"loop.{uid}", "b", 5000), "b's release is a no-op"
    await bus.release_lease(f"loop.{uid}", "a")
    assert await other_bus.acquire_lease(f"loop.{uid}", "b", 5000)


async def test_concurrent_acquirers_get_exactly_one_lease(bus: Bus, other_bus: Bus,
                                                          uid: str) -> None:
    """Twenty holders racing for one lease on two buses: exactly one wins."""
    results = await asyncio.gather(*(
        (bus if i % 2 else other_bus).acquire_lease(f"race.{uid}", f"h{i}", 5000)
        for i in range(20)))
    assert sum(results) == 1


async def test_an_expired_lease_is_taken_over(bus: Bus, other_bus: Bus, uid: str) -> None:
    """A lease not renewed within its ttl goes to the next process; the old holder lost it."""
    assert await bus.acquire_lease(f"loop.{uid}", "a", 100)
    await asyncio.sleep(0.15)
    assert await other_bus.acquire_lease(f"loop.{uid}", "b", 5000)
    assert not await bus.renew_lease(f"loop.{uid}", "a", 100)


async def test_a_renewed_lease_outlives_its_first_ttl(bus: Bus, other_bus: Bus, uid: str) -> None:
    """Renewing before expiry keeps the lease beyond the first ttl."""
    assert await bus.acquire_lease(f"loop.{uid}", "a", 150)
    for _ in range(3):
        await asyncio.sleep(0.08)
        assert await bus.renew_lease(f"loop.{uid}", "a", 150)
    assert not await other_bus.acquire_lease(f"loop.{uid}", "b", 150)


async def test_latest_values_are_shared_and_expire(bus: Bus, other_bus: Bus, uid: str) -> None:
    """Fields set on one bus are read on another, kept by each write, gone after the ttl."""
    key = f"position:{uid}"
    assert await bus.get_latest(key) == {}
    await bus.set_latest(key, "lat", "45.76", ttl_s=0.3)
    await bus.set_latest(key, "lon", "4.83", ttl_s=0.3)
    await bus.set_latest(key, "lat", "45.77", ttl_s=0.3)
    assert await other_bus.get_latest(key) == {"lat": "45.77", "lon": "4.83"}
    await asyncio.sleep(0.4)
    assert await other_bus.get_latest(key) == {}


def test_an_unknown_bus_url_is_refused() -> None:
    """A URL scheme other than memory:// or redis:// fails fast, naming the URL."""
    with pytest.raises(ValueError, match="kafka://x"):
        bus_from_url("kafka://x")


class RecordingConnection:
    """A connection that keeps what it was sent."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    async def send_text(self, data: str) -> None:
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)

    async def wait_for(self, n: int, timeout_s: float = 3.0) -> None:
        async def poll() -> None:
            while len(self.sent) < n:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(poll(), timeout_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_publish_raises_bus_unavailable_fast_without_a_server() -> None:
    """Against a port where nothing listens, connect and publish raise BusUnavailable within 1 s."""
    the_bus = bus_from_url(f"redis://127.0.0.1:{free_port()}/15")
    started = time.monotonic()
    with pytest.raises(BusUnavailable):
        await the_bus.connect()
    with pytest.raises(BusUnavailable):
        await the_bus.publish("anything", "x")
    with pytest.raises(BusUnavailable):
        await the_bus.acquire_lease("anything", "a", 100)
    assert time.monotonic() - started < 1.0
    await the_bus.disconnect()


async def test_hub_delivers_locally_when_the_bus_is_down() -> None:
    """With Redis unreachable the hub still reaches this process's own connections."""
    hub = Hub(bus_from_url(f"redis://127.0.0.1:{free_port()}/15"))
    await hub.start(heartbeats=False)
    conn = RecordingConnection()
    hub.attach(conn, ["coop:1"])
    await hub.publish(["coop:1"], Frame(seq=3, type="heartbeat", data={}))
    await conn.wait_for(1)
    assert Frame.model_validate_json(conn.sent[0]).seq == 3
    await hub.stop()


async def kill_client(name: str) -> None:
    raw = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    clients = await raw.client_list(_type="pubsub")
    ids = [c["id"] for c in clients if c.get("name") == name]
    assert ids, f"no pubsub connection named {name}"
    for client_id in ids:
        await raw.client_kill_filter(_id=client_id)
    await raw.aclose()


@pytest.mark.redis
@pytest.mark.usefixtures("redis_up")
async def test_subscription_reconnects_after_its_connection_is_killed(uid: str) -> None:
    """CLIENT KILL on the subscriber: it reconnects, reports a gap, then receives again."""
    name = f"test-sub-{uid}"
    async with bus_from_url(REDIS_URL, client_name=name, backoff_s=0.01) as sub_bus, \
            bus_from_url(REDIS_URL) as pub_bus, sub_bus.subscribe(f"ch.{uid}") as sub:
        await pub_bus.publish(f"ch.{uid}", "before")
        assert (await take(sub, 1))[0].data == "before"
        await kill_client(name)
        assert (await take(sub, 1))[0].gap
        await pub_bus.publish(f"ch.{uid}", "after")
        assert (await take(sub, 1))[0].data == "after"


@pytest.mark.redis
@pytest.mark.usefixtures("redis_up")
async def test_hub_resyncs_its_connections_after_a_bus_gap(uid: str) -> None:
    """When the hub's subscription comes back after a drop, every connection gets resync."""
    name = f"test-hub-{uid}"
    hub = Hub(bus_from_url(REDIS_URL, client_name=name, backoff_s=0.01), channel=f"ev.{uid}")
    await hub.start(heartbeats=False)
    conn = RecordingConnection()
    hub.attach(conn, ["coop:1"])
    await kill_client(name)
    await conn.wait_for(1)
    assert Frame.model_validate_json(conn.sent[0]).type == "resync"
    await hub.stop()


@pytest.fixture
def private_redis() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A redis-server of our own on a free port, so the test may stop and restart it."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    procs = [spawn_redis(port)]
    yield port, procs
    for proc in procs:
        proc.terminate()
        proc.wait(5)


async def wait_for_server(port: int) -> None:
    raw = aioredis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    for _ in range(100):
        try:
            await raw.ping()
            break
        except redis.exceptions.ConnectionError:
            await asyncio.sleep(0.02)
    await raw.aclose()


def spawn_redis(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.redis
async def test_outage_fails_publish_fast_and_subscription_comes_back(
        private_redis: tuple[int, list[subprocess.Popen[bytes]]]) -> None:
    """Server stopped: publish raises BusUnavailable fast; restarted: the subscriber resumes."""
    port, procs = private_redis
    url = f"redis://127.0.0.1:{port}/0"
    await wait_for_server(port)
    async with bus_from_url(url, backoff_s=0.01, cooldown_s=0) as sub_bus, \
            bus_from_url(url, cooldown_s=0) as pub_bus, sub_bus.subscribe("events") as sub:
        procs[0].terminate()
        procs[0].wait(5)
        started = time.monotonic()
        with pytest.raises(BusUnavailable):
            await pub_bus.publish("events", "lost")
        assert time.monotonic() - started < 1.0
        reading = asyncio.ensure_future(take(sub, 1, timeout_s=5))
        await asyncio.sleep(0.2)
        procs.append(spawn_redis(port))
        assert (await reading)[0].gap
        await pub_bus.publish("events", "back")
        assert (await take(sub, 1))[0].data == "back"


@pytest.mark.redis
async def test_a_subscription_opened_while_the_server_is_down_catches_up_later() -> None:
    """Subscribing with no server does not fail; once it starts, a gap then messages arrive."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    sub_bus = bus_from_url(url, backoff_s=0.01, backoff_max_s=0.05)  # not connect(): it is down
    proc: subprocess.Popen[bytes] | None = None
    try:
        async with sub_bus.subscribe("events") as sub:
            reading = asyncio.ensure_future(take(sub, 1, timeout_s=5))
            await asyncio.sleep(0.1)
            proc = spawn_redis(port)
            assert (await reading)[0].gap
            async with bus_from_url(url) as pub_bus:
                await pub_bus.publish("events", "hello")
            assert (await take(sub, 1))[0].data == "hello"
    finally:
        await sub_bus.disconnect()
        if proc is not None:
            proc.terminate()
            proc.wait(5)
