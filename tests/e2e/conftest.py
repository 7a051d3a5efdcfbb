"""End-to-end fixtures: real uvicorn processes on free ports, real WebSocket clients.

``servers`` starts ``uvicorn dispatch.asgi:app`` in subprocesses against a database and bus
URL (migrated and seeded with the demo co-op first), waits for ``/healthz`` and kills every
process it started at the end of the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.asyncio.client import ClientConnection, connect

from dispatch.db.engine import make_engine, make_session_factory, normalise_url
from dispatch.db.migrate import upgrade
from dispatch.seed import seed_demo
from tests.conftest import POSTGRES_URL, REDIS_URL, REPO, service_missing

MERCHANT_KEY = "cd_demomerchant_try-coopdispatch-locally"
PASSWORD = "demo-password"
METRICS_TOKEN = "e2e-metrics-token"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(url: str, schema: str | None = None) -> None:
    """Migrate and seed the demo co-op (idempotent)."""
    engine = make_engine(url, schema=schema)
    upgrade(engine)
    with make_session_factory(engine)() as s, s.begin():
        seed_demo(s)
    engine.dispose()


@dataclass
class Server:
    """One uvicorn process."""

    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    access_log: bool = False  # uvicorn's info lines (socket URLs) and access lines into ``log``

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout_s: float = 90.0, **extra_env: str) -> Server:
        # 90 s: importing the app takes 8 s on a busy 2-core machine, several servers start at once
        env = os.environ | self.env | extra_env
        cmd = [sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--no-proxy-headers",
               *(["--log-level", "info"] if self.access_log else ["--log-level", "warning", "--no-access-log"])]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not healthy in {timeout_s} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (the crash case)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def wait_exit(self, timeout_s: float = 10.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout_s)


@dataclass
class Servers:
    """Starts servers on one database and bus; kills them all at the end."""

    database_url: str
    bus_url: str
    tmp: Path
    started: list[Server] = field(default_factory=list)

    def new(self, **env: str) -> Server:
        base = {"DATABASE_URL": self.database_url, "BUS_URL": self.bus_url,
                "COOPDISPATCH_ENV": "test", "DISPATCH_POLICY": "nearest",
                "DISPATCH_TICK_S": "3600", "SERVE_STATIC": "false", "DEMO_FEED": "false",
                "METRICS_TOKEN": METRICS_TOKEN}
        server = Server(free_port(), base | env, self.tmp / f"server-{len(self.started)}.log")
        self.started.append(server)
        return server

    def close(self) -> None:
        for server in self.started:
            server.kill()


@pytest.fixture
def sqlite_servers(tmp_path: Path) -> Iterator[Servers]:
    """Servers on a fresh SQLite file with the in-process bus (embedded mode)."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    prepare_database(url)
    servers = Servers(url, "memory://", tmp_path)
    yield servers
    servers.close()


@pytest.fixture
def pg_redis_servers(tmp_path: Path) -> Iterator[Servers]:
    """Servers on a fresh PostgreSQL schema and the real Redis (production mode)."""
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to connect means the server is absent
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}")
    _require_redis()
    schema = f"cd_e2e_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    prepare_database(POSTGRES_URL, schema)
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    servers = Servers(url, REDIS_URL, tmp_path)
    yield servers
    servers.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        service_missing(f"Redis at {REDIS_URL}")


# -- speaking to a server ---------------------------------------------------------------------


async def login(http: httpx.AsyncClient, email: str) -> str:
    r = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_delivery(http: httpx.AsyncClient) -> dict[str, Any]:
    body = {"dropoff": {"lat": 60.1740, "lon": 24.9480, "address": "Kaisaniemenkatu 1"},
            "recipient": {"name": "Matti Meikäläinen", "phone": "+358 40 123 4567"},
            "load": {"kg": 3, "litres": 10}}
    r = await http.post("/api/v1/deliveries", json=body,
                        headers=auth(MERCHANT_KEY) | {"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def start_shift(http: httpx.AsyncClient, token: str) -> None:
    r = await http.post("/api/v1/courier/shift/start", json={"lat": 60.17162, "lon": 24.94430},
                        headers=auth(token))
    assert r.status_code == 201, r.text


class FrameReader:
    """A WebSocket client that keeps every frame and waits for the ones a test expects."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.frames: list[dict[str, Any]] = []

    async def until(self, match: Callable[[dict[str, Any]], bool], timeout_s: float = 5.0) -> dict[str, Any]:
        for frame in self.frames:
            if match(frame):
                return frame
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame in {timeout_s} s; got {self.frames}")
            try:
                raw = await asyncio.wait_for(self.conn.recv(), remaining)
            except TimeoutError:
                continue
            frame = json.loads(raw)
            self.frames.append(frame)
            if match(frame):
                return frame


@pytest.fixture
async def open_socket() -> AsyncIterator[Callable[..., Any]]:
    """``await open_socket(url, token=...)`` -> FrameReader; every socket is closed at the end."""
    opened: list[ClientConnection] = []

    async def _open(url: str, resume_after: int | None = None, token: str | None = None) -> FrameReader:
        conn = await connect(url, open_timeout=5)
        opened.append(conn)
        if token is not None:  # the first message, never the URL (no secret in access logs)
            await conn.send(json.dumps({"type": "auth", "token": token}))
        if resume_after is not None:
            await conn.send(json.dumps({"type": "resume", "after": resume_after}))
        return FrameReader(conn)

    yield _open
    for conn in opened:
        await conn.close()


__all__ = ["REDIS_URL"]
