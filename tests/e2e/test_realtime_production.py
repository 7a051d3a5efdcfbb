"""Production mode: two uvicorn processes on PostgreSQL and Redis, and crashes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select

from dispatch.db.engine import make_engine
from dispatch.db.models import Coop
from tests.conftest import REDIS_URL
from tests.e2e.conftest import Server, Servers, auth, create_delivery, login, start_shift

pytestmark = pytest.mark.anyio


def lease_holder_pid(coop_id: str) -> int | None:
    """The pid in the dispatch lease of ``coop_id`` (holder is host:pid:object)."""
    value = redis.Redis.from_url(REDIS_URL).get(f"coopdispatch:lease:coopdispatch:lease:dispatch:{coop_id}")
    return int(value.decode().split(":")[1]) if value else None


async def wait_status(http: httpx.AsyncClient, delivery_id: str, status: str, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        r = await http.get(f"/api/v1/deliveries/{delivery_id}",
                           headers=auth("cd_demomerchant_try-coopdispatch-locally"))
        if r.json()["status"] == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"delivery {delivery_id} not {status} within {timeout_s} s")


def start_both(a: Server, b: Server) -> None:
    """Start two servers at once (each takes seconds to import and load the map)."""
    import threading

    errors: list[BaseException] = []

    def run(server: Server) -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_processes_share_events_and_the_loop_moves_when_its_holder_dies(
        pg_redis_servers: Servers, open_socket: Callable[..., Any]) -> None:
    """A job created through B reaches a courier on A; SIGKILL of the lease holder moves the
    dispatch loop to the other process within 10 s."""
    a, b = pg_redis_servers.new(), pg_redis_servers.new()
    start_both(a, b)
    async with httpx.AsyncClient(base_url=a.http) as via_a, httpx.AsyncClient(base_url=b.http) as via_b:
        courier = await login(via_a, "aino@demo.coop")
        await start_shift(via_a, courier)
        phone = await open_socket(f"{a.ws}/ws/courier", token=courier, resume_after=0)
        delivery = await create_delivery(via_b)
        await phone.until(lambda f: f["type"] == "delivery.assigned"
                          and f["data"]["id"] == delivery["id"], timeout_s=5)
        coop = (await via_a.get("/api/v1/courier/route", headers=auth(courier))).json()
        assert any(s["delivery"]["id"] == delivery["id"] for s in coop["stops"])
        coop_id = demo_coop_id(pg_redis_servers.database_url)
        holder_pid = lease_holder_pid(coop_id)
        assert holder_pid in (a.pid, b.pid)
        dead, alive, http = (a, b, via_b) if holder_pid == a.pid else (b, a, via_a)
        dead.kill()
        killed_at = time.monotonic()
        later = await create_delivery(http)
        await wait_status(http, later["id"], "assigned", timeout_s=10)
        assert time.monotonic() - killed_at < 10
        assert lease_holder_pid(coop_id) == alive.pid
        assert dead.proc is not None and dead.proc.returncode is not None


def demo_coop_id(database_url: str) -> str:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        coop_id = conn.execute(select(Coop.id).where(Coop.slug == "demo")).scalar_one()
    engine.dispose()
    return str(coop_id)


async def test_a_frame_committed_just_before_a_crash_still_arrives_after_restart(
        sqlite_servers: Servers, open_socket: Callable[..., Any]) -> None:
    """kill -9 between commit and publish (test hook): after restart the relay publishes the
    row and a client resuming from its cursor gets the frame."""
    server = sqlite_servers.new()
    server.start(COOPDISPATCH_TEST_CRASH_AFTER_COMMIT="delivery.created")
    async with httpx.AsyncClient(base_url=server.http) as http:
        merchant = await open_socket(f"{server.ws}/ws/merchant", token="cd_demomerchant_try-coopdispatch-locally",
                                     resume_after=0)
        await asyncio.sleep(0.6)  # past the resume hold
        with pytest.raises(httpx.HTTPError):
            await create_delivery(http)
    assert server.wait_exit() == 137
    assert not [f for f in merchant.frames if f["type"] == "delivery.created"]
    restarted = sqlite_servers.new()
    restarted.start()
    late = await open_socket(f"{restarted.ws}/ws/merchant", token="cd_demomerchant_try-coopdispatch-locally",
                             resume_after=0)
    frame = await late.until(lambda f: f["type"] == "delivery.created", timeout_s=5)
    assert frame["seq"] > 0 and frame["data"]["status"] == "pending"
    assert [f["seq"] for f in late.frames].count(frame["seq"]) == 1
