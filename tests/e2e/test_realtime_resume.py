"""Resume under churn: 200 disconnects at random points while deliveries change."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from dispatch.app import build_context, create_app
from dispatch.settings import Settings
from tests.e2e.conftest import MERCHANT_KEY, auth, create_delivery, free_port, login, prepare_database, start_shift

pytestmark = pytest.mark.anyio
RECONNECTS = 200


@pytest.fixture
def in_process_server(tmp_path: Path) -> Iterator[str]:
    """uvicorn serving the app from a thread of this process (real sockets, fast start)."""
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    prepare_database(url)
    settings = Settings(coopdispatch_env="test", database_url=url, bus_url=f"memory://{uuid.uuid4().hex}",
                        dispatch_policy="nearest", dispatch_tick_s=3600, serve_static=False)
    app = create_app(settings, ctx=build_context(settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "in-process server did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class Mirror:
    """What a merchant's screen knows: each delivery's status and version, from frames only."""

    def __init__(self) -> None:
        self.cursor = 0
        self.state: dict[str, tuple[str, int]] = {}
        self.applied: set[int] = set()
        self.duplicates: list[int] = []
        self.resyncs = 0

    def apply(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "resync":
            self.resyncs += 1
        if frame["seq"] == 0:
            return
        if frame["seq"] in self.applied or frame["seq"] <= self.cursor:
            self.duplicates.append(frame["seq"])
            return
        self.applied.add(frame["seq"])
        self.cursor = frame["seq"]
        data = frame["data"]
        if frame["type"].startswith("delivery."):
            self.state[data["id"]] = (data["status"], data["version"])

    async def visit(self, host: str, stay_s: float) -> None:
        """Connect, resume from the cursor, read for ``stay_s`` and drop the connection."""
        async with connect(f"ws://{host}/ws/merchant") as conn:
            await conn.send(json.dumps({"type": "auth", "token": MERCHANT_KEY}))
            await conn.send(json.dumps({"type": "resume", "after": self.cursor}))
            deadline = time.monotonic() + stay_s
            while (left := deadline - time.monotonic()) > 0:
                try:
                    self.apply(json.loads(await asyncio.wait_for(conn.recv(), left)))
                except TimeoutError:
                    break


async def server_state(http: httpx.AsyncClient) -> dict[str, tuple[str, int]]:
    r = await http.get("/api/v1/deliveries", params={"limit": 200}, headers=auth(MERCHANT_KEY))
    assert r.status_code == 200, r.text
    return {d["id"]: (d["status"], d["version"]) for d in r.json()["items"]}


async def churn(http: httpx.AsyncClient, stop: asyncio.Event) -> None:
    """Create deliveries steadily and cancel some of them (the loop assigns the rest)."""
    rng = random.Random(7)
    while not stop.is_set():
        d = await create_delivery(http)
        if rng.random() < 0.3:
            await http.post(f"/api/v1/deliveries/{d['id']}/cancel", json={"reason": "changed my mind"},
                            headers=auth(MERCHANT_KEY))
        await asyncio.sleep(rng.uniform(0.005, 0.03))


async def test_two_hundred_reconnects_keep_the_client_state_equal_to_the_server(
        in_process_server: str) -> None:
    """Disconnecting at random points while deliveries change, the merchant's mirror catches
    up to the server's state after every batch of reconnects and never applies a frame twice."""
    rng = random.Random(11)
    mirror = Mirror()
    async with httpx.AsyncClient(base_url=f"http://{in_process_server}") as http:
        await start_shift(http, await login(http, "aino@demo.coop"))
        for batch in range(RECONNECTS // 20):
            stop = asyncio.Event()
            writer = asyncio.create_task(churn(http, stop))
            for _ in range(20):
                await mirror.visit(in_process_server, rng.uniform(0.0, 0.05))
            stop.set()
            await writer
            await asyncio.sleep(0.1)  # let the dispatch loop finish its round
            for _ in range(20):
                await mirror.visit(in_process_server, 0.1)
                if mirror.state == await server_state(http):
                    break
            assert mirror.state == await server_state(http), f"batch {batch}"
    assert mirror.duplicates == [] and mirror.resyncs == 0
    assert len(mirror.state) > 20
