"""One demo courier of the live feed: log in, start a shift, ride the route the service plans.

Positions go over the courier socket when it answers (``/ws/courier``, token in the first
message), else over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)
WS_RETRY_S = 60.0


def point_along(coords: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point ``fraction`` of the way along a (lat, lon) polyline, by length."""
    if len(coords) < 2:
        return coords[0]
    scale = math.cos(math.radians(coords[0][0]))
    legs = [math.hypot(b[0] - a[0], (b[1] - a[1]) * scale) for a, b in zip(coords, coords[1:], strict=False)]
    goal = sum(legs) * min(1.0, max(0.0, fraction))
    for (a, b), length in zip(zip(coords, coords[1:], strict=False), legs, strict=True):
        if goal <= length and length > 0:
            f = goal / length
            return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
        goal -= length
    return coords[-1]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Rider:
    """A courier account driven by the feed. ``run()`` returns only on errors (retried outside)."""

    def __init__(self, client: Any, net: Any, email: str, config: Any, rng: Any) -> None:
        self.client, self.net, self.email, self.config, self.rng = client, net, email, config, rng
        self.headers: dict[str, str] = {}
        self.token = ""
        self.position: tuple[float, float] | None = None
        self.speed_pct = 100
        self.ws: Any = None
        self.ws_failed_at = -WS_RETRY_S
        self.delivered = 0

    async def run(self) -> None:
        try:
            await self._login()
            while True:
                route = await self._json("GET", "/api/v1/courier/route")
                if route["shift"] is None:
                    await self._start_shift()
                    continue
                if self.position is None:
                    from dispatch.domain.vehicles import VEHICLES

                    kind = VEHICLES.get(route["shift"].get("vehicle_kind", ""))
                    self.speed_pct = kind.speed_pct if kind else 100
                    p = route["shift"]["position"]
                    self.position = (p["lat"], p["lon"])
                if route["stops"]:
                    await self._serve(route["stops"][0])
                else:
                    await self._send_position()
                    await self._sleep(self.config.position_every_s)
        finally:
            await self._close_ws()

    async def _login(self) -> None:
        from dispatch.seed import DEMO_PASSWORD

        r = await self.client.post("/api/v1/auth/login", json={"email": self.email, "password": DEMO_PASSWORD})
        r.raise_for_status()
        self.token = r.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    async def _start_shift(self) -> None:
        from dispatch.seed import FEED_RIDERS, courier_start

        riders = {f"{n.lower()}@demo.coop": (lat, lon) for n, _k, lat, lon in FEED_RIDERS}
        lat, lon = riders.get(self.email) or courier_start(self.email)
        r = await self.client.post("/api/v1/courier/shift/start", json={"lat": lat, "lon": lon}, headers=self.headers)
        if r.status_code not in (201, 409):  # 409: a shift is already open, which is fine
            r.raise_for_status()
        self.position = None

    async def _json(self, method: str, path: str, **kw: Any) -> Any:
        r = await self.client.request(method, path, headers=self.headers, **kw)
        r.raise_for_status()
        return r.json()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.01, seconds / self.config.speed))

    async def _serve(self, stop: dict[str, Any]) -> None:
        d, kind = stop["delivery"], stop["kind"]
        if stop["arrived_at"] is None:
            await self._ride((d[kind]["lat"], d[kind]["lon"]))
            if not await self._report(stop["id"], "arrived"):
                return
        await self._sleep(self.config.stop_s * self.rng.uniform(0.6, 1.4))
        if kind == "pickup" and d.get("ready_at"):
            ready = datetime.fromisoformat(d["ready_at"].replace("Z", "+00:00"))
            await asyncio.sleep(min(600.0, max(0.0, (ready - datetime.now(UTC)).total_seconds())))
        if await self._report(stop["id"], "picked_up" if kind == "pickup" else "delivered"):
            self.delivered += kind == "dropoff"

    async def _report(self, stop_id: str, action: str) -> bool:
        """Report once, retrying with the same Idempotency-Key; False if the stop is not ours now."""
        key = str(uuid.uuid4())
        body = {"action": action, "happened_at": _now()}
        for attempt in range(3):
            try:
                r = await self.client.post(f"/api/v1/courier/stops/{stop_id}/reports", json=body,
                                           headers=self.headers | {"Idempotency-Key": key})
            except httpx_errors() as exc:
                log.info("report %s failed (%s), retrying", action, exc)
                await asyncio.sleep(2**attempt)
                continue
            if r.status_code in (404, 409, 422):  # re-planned away, or already done
                log.info("%s: %s %s refused: %s", self.email, action, stop_id, r.text[:160])
                return False
            r.raise_for_status()
            return True
        return False

    async def _ride(self, target: tuple[float, float]) -> None:
        assert self.position is not None
        a = self.net.snap(*self.position, max_distance_m=50_000)
        b = self.net.snap(*target, max_distance_m=50_000)
        path = self.net.route(a, b)
        duration = max(5.0, path.duration_s * self.speed_pct / 100)
        steps = max(1, math.ceil(duration / self.config.position_every_s))
        for k in range(1, steps + 1):
            await self._sleep(duration / steps)
            self.position = point_along(path.coords, k / steps)
            await self._send_position()
        self.position = target

    async def _send_position(self) -> None:
        assert self.position is not None
        lat, lon = self.position
        message = {"type": "position", "lat": round(lat, 6), "lon": round(lon, 6), "at": _now()}
        if await self._ws_send(message):
            return
        r = await self.client.post("/api/v1/courier/position", headers=self.headers,
                                   json={"lat": message["lat"], "lon": message["lon"], "at": message["at"]})
        if r.status_code != 409:  # off shift between two calls: the next round starts one
            r.raise_for_status()

    async def _ws_send(self, message: dict[str, Any]) -> bool:
        if not self.config.ws_url or time.monotonic() - self.ws_failed_at < WS_RETRY_S:
            return False
        try:
            if self.ws is None:
                import websockets

                url = self.config.ws_url.replace("http", "ws", 1).rstrip("/") + "/ws/courier"
                self.ws = await websockets.connect(url, open_timeout=3)
                await self.ws.send(json.dumps({"type": "auth", "token": self.token}))  # never in the URL
                self._drain = asyncio.create_task(self._drain_frames(self.ws))
            await self.ws.send(json.dumps(message))
            return True
        except Exception as exc:  # noqa: BLE001 - fall back to HTTP for a while
            log.info("%s: courier socket unavailable (%s); using HTTP positions", self.email, exc)
            self.ws_failed_at = time.monotonic()
            await self._close_ws()
            return False

    async def _drain_frames(self, ws: Any) -> None:
        """Read (and drop) server frames so the server never sees a slow reader."""
        with contextlib.suppress(Exception):
            async for _frame in ws:
                pass

    async def _close_ws(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
            self._drain.cancel()


def httpx_errors() -> tuple[type[Exception], ...]:
    import httpx

    return (httpx.TransportError,)
