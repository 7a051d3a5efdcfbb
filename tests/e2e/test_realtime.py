"""A real server and real WebSocket clients: jobs reach phones, maps and tracking links."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import (
    MERCHANT_KEY,
    METRICS_TOKEN,
    Server,
    Servers,
    auth,
    create_delivery,
    login,
    prepare_database,
    start_shift,
)

pytestmark = pytest.mark.anyio
PERSONAL = ("Matti", "+358 40 123 4567", "Kaisaniemenkatu")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One embedded-mode server (SQLite, memory bus) shared by this module's tests."""
    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'e2e.db'}"
    prepare_database(url)
    servers = Servers(url, "memory://", tmp)
    yield servers.new().start()
    servers.close()


async def test_a_courier_gets_its_job_within_a_second_and_the_map_and_link_see_it(
        server: Server, open_socket: Callable[..., Any]) -> None:
    """After a merchant's POST the courier's socket gets the assignment in under 1 s, the
    dispatcher's socket sees it, and the tracking socket sees the status without personal data."""
    async with httpx.AsyncClient(base_url=server.http) as http:
        courier = await login(http, "aino@demo.coop")
        dispatcher = await login(http, "dispatcher@demo.coop")
        await start_shift(http, courier)
        phone = await open_socket(f"{server.ws}/ws/courier", token=courier, resume_after=0)
        board = await open_socket(f"{server.ws}/ws/dispatcher", token=dispatcher, resume_after=0)
        await board.until(lambda f: f["type"] == "shift.started")
        posted = time.monotonic()
        delivery = await create_delivery(http)
        job = await phone.until(lambda f: f["type"] in ("delivery.assigned", "route.updated")
                                and delivery["id"] in json.dumps(f["data"]), timeout_s=3)
        assert time.monotonic() - posted < 1.0, job
        await board.until(lambda f: f["type"] == "delivery.assigned"
                          and f["data"]["id"] == delivery["id"], timeout_s=2)
        link = await open_socket(f"{server.ws}/ws/track/{delivery['tracking_token']}", resume_after=0)
        seen = await link.until(lambda f: f["type"] == "delivery.assigned", timeout_s=2)
        assert seen["data"]["status"] == "assigned" and seen["seq"] > 0
        assert not any(p in json.dumps(link.frames, ensure_ascii=False) for p in PERSONAL)
        assert "courier_id" not in json.dumps(link.frames)


@pytest.mark.parametrize(("path", "first", "who", "code"), [
    ("/ws/courier", {"type": "auth", "token": "not-a-token"}, None, 4401),
    ("/ws/dispatcher", {"type": "auth", "token": "{token}"}, "aino@demo.coop", 4403),
    ("/ws/courier", {"type": "auth", "token": "{token}"}, "dispatcher@demo.coop", 4403),
    ("/ws/merchant", {"type": "auth", "token": "cd_nope_nope"}, None, 4401),
    ("/ws/courier", {"type": "resume", "after": 0}, None, 4401),
    ("/ws/courier?token={token}", None, "aino@demo.coop", 4401),
    ("/ws/track/unknown-link", None, None, 4403),
])
async def test_a_socket_with_a_bad_token_or_role_is_closed_with_a_clear_code(
        server: Server, path: str, first: dict[str, Any] | None, who: str | None, code: int) -> None:
    """A wrong token, a first message that is not ``auth`` or a token in the URL (even a good
    one) close with 4401, a wrong role or unknown link with 4403."""
    token = ""
    if who:
        async with httpx.AsyncClient(base_url=server.http) as http:
            token = await login(http, who)
    async with connect(server.ws + path.format(token=token)) as conn:
        if first is not None:
            await conn.send(json.dumps(first).replace("{token}", token))
        with pytest.raises(ConnectionClosed) as closed:
            await conn.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


async def test_positions_reach_the_dispatcher_map_and_are_refused_off_shift(
        server: Server, open_socket: Callable[..., Any]) -> None:
    """A courier on shift shares positions with the coop's map; off shift they are refused."""
    async with httpx.AsyncClient(base_url=server.http) as http:
        eero, lumi = await login(http, "eero@demo.coop"), await login(http, "lumi@demo.coop")
        dispatcher = await login(http, "dispatcher@demo.coop")
        await start_shift(http, eero)
        board = await open_socket(f"{server.ws}/ws/dispatcher", token=dispatcher)
        phone = await open_socket(f"{server.ws}/ws/courier", token=eero)
        off = await open_socket(f"{server.ws}/ws/courier", token=lumi)
        at = datetime.now(UTC).isoformat()
        await phone.conn.send(json.dumps({"type": "position", "lat": 60.1701, "lon": 24.9402, "at": at}))
        await off.conn.send(json.dumps({"type": "position", "lat": 60.1702, "lon": 24.9403, "at": at}))
        batch = await board.until(lambda f: f["type"] == "courier.positions")
        assert batch["seq"] == 0 and all(p["lat"] != 60.1702 for p in batch["data"]["positions"])
        seen = {"data": batch["data"]["positions"][0]}
        assert (seen["data"]["lat"], seen["data"]["lon"]) == (60.1701, 24.9402)
        refused = await off.until(lambda f: f["type"] == "error")
        assert refused["data"]["code"] == "off_shift"
        await off.conn.send("not json")
        bad = await off.until(lambda f: f["type"] == "error" and f["data"]["code"] == "bad_message")
        assert "JSON" in bad["data"]["message"]
        for _ in range(50):  # positions are written in batches every 0.25 s
            r = await http.get("/api/v1/dispatch/couriers", headers=auth(dispatcher))
            stored = [c["position"] for c in r.json() if c["courier_id"] == seen["data"]["courier_id"]]
            if stored and stored[0]["lat"] == 60.1701:
                break
            await asyncio.sleep(0.1)
        assert stored and (stored[0]["lat"], stored[0]["lon"]) == (60.1701, 24.9402)


async def test_rounds_planned_in_the_child_process_feed_the_objective_metrics(server: Server) -> None:
    """The served app plans in a child process; /metrics still shows each round's objective."""
    from prometheus_client.parser import text_string_to_metric_families

    async with httpx.AsyncClient(base_url=server.http) as http:
        await start_shift(http, await login(http, "lumi@demo.coop"))  # the module's other tests use Aino and Eero
        await create_delivery(http)
        deadline, terms = time.monotonic() + 10, set()
        while time.monotonic() < deadline and "total" not in terms:
            text = (await http.get("/metrics", headers=auth(METRICS_TOKEN))).text
            terms = {s.labels["term"] for fam in text_string_to_metric_families(text) for s in fam.samples
                     if s.name == "coopdispatch_solver_objective"}
            await asyncio.sleep(0.1)
        assert {"total", "travel_s", "lateness_s"} <= terms


async def _on_shift(http: httpx.AsyncClient, token: str) -> None:
    r = await http.post("/api/v1/courier/shift/start", json={"lat": 60.17162, "lon": 24.94430}, headers=auth(token))
    assert r.status_code in (201, 409), r.text  # 409: the module's other tests started it


async def _by_hand(http: httpx.AsyncClient, dispatcher: str, delivery_id: str, action: str,
                   courier_id: str | None = None) -> None:
    """Assign or unassign by hand, again if the planner moved the delivery meanwhile."""
    for _ in range(5):
        d = (await http.get(f"/api/v1/deliveries/{delivery_id}", headers=auth(MERCHANT_KEY))).json()
        body = {"reason": "test", "version": d["version"]} | ({"courier_id": courier_id} if courier_id else {})
        r = await http.post(f"/api/v1/dispatch/deliveries/{delivery_id}/{action}", json=body, headers=auth(dispatcher))
        if r.status_code != 409:
            assert r.status_code == 200, r.text
            return
    raise AssertionError(r.text)


async def test_a_courier_the_job_moved_away_from_gets_no_dropoff_or_person_in_its_frames(
        server: Server, open_socket: Callable[..., Any]) -> None:
    """Reassigned from Aino to Eero, then unassigned: the frames each of them gets once the job is
    no longer theirs say that it moved, never its dropoff point, address or recipient (live and
    on resume)."""
    async with httpx.AsyncClient(base_url=server.http) as http:
        aino, eero = await login(http, "aino@demo.coop"), await login(http, "eero@demo.coop")
        dispatcher = await login(http, "dispatcher@demo.coop")
        await _on_shift(http, aino)
        await _on_shift(http, eero)
        ids = {c["first_name"]: c["courier_id"] for c in
               (await http.get("/api/v1/dispatch/couriers", headers=auth(dispatcher))).json()}
        aino_phone = await open_socket(f"{server.ws}/ws/courier", token=aino)
        eero_phone = await open_socket(f"{server.ws}/ws/courier", token=eero)
        await asyncio.sleep(0.3)  # both sockets authenticated and subscribed
        d = await create_delivery(http)
        await _by_hand(http, dispatcher, d["id"], "assign", ids["Aino"])
        mine = await aino_phone.until(lambda f: f["type"] == "delivery.assigned" and f["data"]["id"] == d["id"]
                                      and f["data"]["courier_id"] == ids["Aino"])
        assert mine["data"]["dropoff"]["lat"] is not None  # the holder is told where to go
        await _by_hand(http, dispatcher, d["id"], "assign", ids["Eero"])
        await eero_phone.until(lambda f: f["data"].get("id") == d["id"] and f["data"].get("courier_id") == ids["Eero"])
        await _by_hand(http, dispatcher, d["id"], "unassign")
        moved = await aino_phone.until(lambda f: f["data"].get("id") == d["id"]
                                       and f["data"]["courier_id"] == ids["Eero"])
        gone = await eero_phone.until(lambda f: f["type"] == "delivery.unassigned" and f["data"].get("id") == d["id"])
        late = await open_socket(f"{server.ws}/ws/courier", token=aino, resume_after=mine["seq"])
        replayed = await late.until(lambda f: f["seq"] == moved["seq"])
        for frame in (moved, gone, replayed):
            assert frame["seq"] > 0 and frame["data"]["status"] in ("assigned", "pending"), frame
            assert not {"dropoff", "pickup", "recipient", "notes"} & set(frame["data"]), frame
            text = json.dumps(frame, ensure_ascii=False)
            assert "60.174" not in text and not any(p in text for p in PERSONAL), frame
