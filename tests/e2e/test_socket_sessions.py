"""A socket lives no longer than its token, and no secret reaches a log line (real uvicorn, real
websockets clients): logout, a password change on another process, and expiry each close the
socket with 4401; tokens sent the old way (in the URL) and API keys are redacted in the logs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from dispatch.db.engine import make_engine, make_session_factory
from dispatch.db.models import User
from dispatch.services.auth import issue_token
from tests.e2e.conftest import MERCHANT_KEY, PASSWORD, Server, Servers, auth, login, prepare_database

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One embedded-mode server with uvicorn's info and access lines, as JSON logs."""
    tmp = tmp_path_factory.mktemp("sessions")
    url = f"sqlite:///{tmp / 'e2e.db'}"
    prepare_database(url)
    servers = Servers(url, "memory://", tmp)
    server = servers.new(LOG_FORMAT="json")
    server.access_log = True
    yield server.start()
    servers.close()


async def closed_code(conn: Any, timeout_s: float = 5.0) -> int | None:
    """Read until the server closes the socket: its close code (None if it stays open)."""
    deadline = time.monotonic() + timeout_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            await _recv(conn, left)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        pass
    return None


async def _recv(conn: Any, timeout_s: float) -> Any:
    return await asyncio.wait_for(conn.recv(), timeout_s)


async def test_logout_closes_the_sockets_opened_with_that_token(
        logged_server: Server, open_socket: Callable[..., Any]) -> None:
    """The dispatcher logs out on the laptop: the map's socket closes with 4401 at once."""
    async with httpx.AsyncClient(base_url=logged_server.http) as http:
        token = await login(http, "dispatcher@demo.coop")
        board = await open_socket(f"{logged_server.ws}/ws/dispatcher", token=token)
        r = await http.post("/api/v1/auth/logout", headers=auth(token))
        assert r.status_code == 204
        assert await closed_code(board.conn) == 4401


async def test_a_socket_is_closed_when_its_token_expires(
        logged_server: Server, open_socket: Callable[..., Any]) -> None:
    """A token that lives two seconds: its socket is closed with 4401 when they are over."""
    engine = make_engine(logged_server.env["DATABASE_URL"])
    with make_session_factory(engine)() as s, s.begin():
        user_id = s.scalar(select(User.id).where(User.email == "dispatcher@demo.coop"))
        token = issue_token(s, user_id, 2, datetime.now(UTC))
    engine.dispose()
    board = await open_socket(f"{logged_server.ws}/ws/dispatcher", token=token)
    assert await closed_code(board.conn, timeout_s=6) == 4401


async def test_no_secret_reaches_the_logs_from_http_or_socket_connects(logged_server: Server) -> None:
    """Tokens and API keys sent in URLs (old clients), headers and first messages never appear
    in a log line; the lines that carried them are there, redacted."""
    async with httpx.AsyncClient(base_url=logged_server.http) as http:
        token = await login(http, "aino@demo.coop")
        await http.get("/api/v1/auth/me", headers=auth(token))
        await http.get(f"/api/v1/auth/me?token={token}&key={MERCHANT_KEY}")
        for path in (f"/ws/courier?token={token}", f"/ws/merchant?token={MERCHANT_KEY}"):
            async with connect(logged_server.ws + path) as conn:
                assert await closed_code(conn) == 4401
        async with connect(f"{logged_server.ws}/ws/courier") as conn:
            await conn.send(json.dumps({"type": "auth", "token": token}))
            await conn.send(json.dumps({"type": "ping"}))
            await _recv(conn, 5)
    text = logged_server.log.read_text()
    secrets = (token, MERCHANT_KEY, MERCHANT_KEY.split("_", 2)[2])
    leaked = [line for line in text.splitlines() if any(s in line for s in secrets)]
    assert not leaked, leaked
    assert "token=[redacted]" in text and "/ws/courier" in text


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_password_change_or_a_key_revoked_on_one_process_closes_the_sockets_on_another(
        pg_redis_servers: Servers, open_socket: Callable[..., Any]) -> None:
    """Two API processes: the courier's socket is on A, the password changes through B; A
    closes the socket and refuses the (cached) old token over HTTP at once. The same for a
    merchant's socket on A whose API key an admin revokes through B."""
    a, b = pg_redis_servers.new().start(), pg_redis_servers.new().start()
    async with httpx.AsyncClient(base_url=a.http) as http_a, httpx.AsyncClient(base_url=b.http) as http_b:
        old = await login(http_a, "aino@demo.coop")
        assert (await http_a.get("/api/v1/auth/me", headers=auth(old))).status_code == 200  # cached on A
        phone = await open_socket(f"{a.ws}/ws/courier", token=old)
        r = await http_b.post("/api/v1/auth/password", headers=auth(await login(http_b, "aino@demo.coop")),
                              json={"current_password": PASSWORD, "new_password": "another long password"})
        assert r.status_code == 200, r.text
        assert await closed_code(phone.conn) == 4401
        assert (await http_a.get("/api/v1/auth/me", headers=auth(old))).status_code == 401
        assert (await http_a.get("/api/v1/auth/me", headers=auth(r.json()["token"]))).status_code == 200
        admin = await login(http_b, "admin@demo.coop")
        till = await _new_key(http_b, admin, "till")
        assert (await http_a.get("/api/v1/deliveries", headers=auth(till["key"]))).status_code == 200  # cached on A
        shop = await open_socket(f"{a.ws}/ws/merchant", token=till["key"])
        r = await http_b.post(f"/api/v1/admin/keys/{till['id']}/revoke", headers=auth(admin))
        assert r.status_code == 200, r.text
        assert await closed_code(shop.conn) == 4401
        assert (await http_a.get("/api/v1/deliveries", headers=auth(till["key"]))).status_code == 401


async def _new_key(http: httpx.AsyncClient, admin: str, label: str) -> dict[str, Any]:
    merchant = (await http.get("/api/v1/admin/merchants", headers=auth(admin))).json()[0]
    r = await http.post(f"/api/v1/admin/merchants/{merchant['id']}/keys", json={"label": label}, headers=auth(admin))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_revoking_an_api_key_closes_the_merchant_sockets_opened_with_it_and_no_other(
        logged_server: Server, open_socket: Callable[..., Any]) -> None:
    """The admin revokes the till's key: the till's merchant socket closes with 4401 at once, the
    web shop's socket (another key of the same merchant) stays open; a socket opened with a key
    in a three-second rotation overlap closes when the overlap ends, and a rotation without
    overlap closes the sockets of the key it replaces at once."""
    async with httpx.AsyncClient(base_url=logged_server.http) as http:
        admin = await login(http, "admin@demo.coop")
        till, shop = await _new_key(http, admin, "till"), await _new_key(http, admin, "shop")
        till_socket = await open_socket(f"{logged_server.ws}/ws/merchant", token=till["key"])
        shop_socket = await open_socket(f"{logged_server.ws}/ws/merchant", token=shop["key"])
        r = await http.post(f"/api/v1/admin/keys/{till['id']}/revoke", headers=auth(admin))
        assert r.status_code == 200, r.text
        assert await closed_code(till_socket.conn) == 4401
        assert await closed_code(shop_socket.conn, timeout_s=1) is None
        r = await http.post(f"/api/v1/admin/keys/{shop['id']}/rotate", json={"overlap_h": 3 / 3600},
                            headers=auth(admin))
        assert r.status_code == 201, r.text
        in_overlap = await open_socket(f"{logged_server.ws}/ws/merchant", token=shop["key"])
        assert await closed_code(in_overlap.conn, timeout_s=8) == 4401
        successor = r.json()
        successor_socket = await open_socket(f"{logged_server.ws}/ws/merchant", token=successor["key"])
        r = await http.post(f"/api/v1/admin/keys/{successor['id']}/rotate", json={"overlap_h": 0},
                            headers=auth(admin))
        assert r.status_code == 201, r.text
        assert await closed_code(successor_socket.conn) == 4401

