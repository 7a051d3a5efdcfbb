"""The living demo: simulated merchant and couriers using the running service like people do.

Started by ``coopdispatch serve --demo-feed`` (``DEMO_FEED=1``) as a background task of the app
(:func:`install_demo_feed`). Everything goes through the real HTTP API, in process (an ASGI
transport, so it works on any port): the demo merchant key places orders at a gentle rate, and
couriers log in, start shifts, read ``GET /api/v1/courier/route``, ride their stops along the
street graph, and report arrived / picked up / delivered with Idempotency-Keys. Positions go
over the courier socket (``/ws/courier``) at ``DEMO_FEED_URL`` (default
``http://127.0.0.1:8000``) when it answers, else to ``POST /api/v1/courier/position``.

Lumi (lumi@demo.coop) is left alone so a person can use the courier phone view; Aino and Eero
ride, with two extra demo riders the feed seeds (``dispatch.seed.FEED_RIDERS``). Set
``DEMO_FEED_RIDERS`` (comma-separated emails) to choose. Any error is logged and retried with
backoff; the feed never raises into the server and stops cleanly on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from dispatch.sim.rider import Rider

log = logging.getLogger(__name__)
DEFAULT_RIDERS = ("aino@demo.coop", "eero@demo.coop", "ilmari@demo.coop", "kaisa@demo.coop")
NAMES = ("Matti", "Liisa", "Juha", "Sanna", "Pekka", "Aino", "Mikko", "Helmi")


@dataclass(frozen=True, slots=True)
class FeedConfig:
    speed: float = 1.0  # > 1 runs the feed's clock faster (tests)
    order_every_s: float = 75.0
    max_open: int = 6
    position_every_s: float = 5.0
    stop_s: float = 45.0  # time spent at a stop
    riders: tuple[str, ...] = DEFAULT_RIDERS
    ws_url: str | None = "http://127.0.0.1:8000"
    seed: int = 0
    base_url: str = "http://demo-feed"

    @classmethod
    def from_env(cls) -> FeedConfig:
        riders = os.environ.get("DEMO_FEED_RIDERS")
        return cls(speed=float(os.environ.get("DEMO_FEED_SPEED", "1")),
                   riders=tuple(r.strip() for r in riders.split(",") if r.strip()) if riders else DEFAULT_RIDERS,
                   ws_url=os.environ.get("DEMO_FEED_URL", "http://127.0.0.1:8000") or None)


@dataclass
class DemoFeed:
    """The merchant and the riders as asyncio tasks; ``start()`` and ``stop()``."""

    app: Any
    config: FeedConfig = field(default_factory=FeedConfig)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    created: int = 0
    client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(transport=transport, base_url=self.config.base_url, timeout=30)
        self.tasks.append(asyncio.create_task(self._main(), name="demo-feed"))

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        if self.client is not None:
            await self.client.aclose()

    async def _main(self) -> None:
        await forever("demo-feed riders", self._seed_riders, once=True)
        net = self.app.state.ctx.network
        rng = random.Random(self.config.seed)
        for email in self.config.riders:
            rider = Rider(self.client, net, email, self.config, random.Random(rng.random()))  # type: ignore[arg-type]
            self.tasks.append(asyncio.create_task(forever(f"rider {email}", rider.run), name=f"demo-{email}"))
        await forever("demo merchant", lambda: self._merchant(net, rng))

    async def _seed_riders(self) -> None:
        from dispatch.seed import FEED_RIDERS, add_demo_couriers

        def seed() -> None:
            with self.app.state.ctx.sessions() as s, s.begin():
                add_demo_couriers(s, FEED_RIDERS)

        await asyncio.to_thread(seed)

    async def _merchant(self, net: Any, rng: random.Random) -> None:
        from dispatch.seed import DEMO_KEY

        assert self.client is not None
        headers = {"Authorization": f"Bearer {DEMO_KEY}"}
        while True:
            r = await self.client.get("/api/v1/deliveries", headers=headers,
                                      params={"status": ["pending", "assigned", "picked_up"], "limit": 50})
            r.raise_for_status()
            if len(r.json()["items"]) < self.config.max_open:
                await self._order(net, rng, headers)
            await asyncio.sleep(self.config.order_every_s * rng.uniform(0.5, 1.5) / self.config.speed)

    async def _order(self, net: Any, rng: random.Random, headers: dict[str, str]) -> None:
        assert self.client is not None
        lat, lon = demo_dropoff(net, rng)
        now = datetime.now(UTC)
        prep = timedelta(minutes=rng.uniform(3, 10) / self.config.speed)
        body = {"dropoff": {"lat": lat, "lon": lon},  # the server labels it with the nearest door
                "recipient": {"name": rng.choice(NAMES), "phone": f"+358 40 {rng.randint(100, 999)} 0{rng.randint(100, 999)}"},
                "ready_at": (now + prep).isoformat(), "load": {"kg": round(rng.uniform(0.5, 5), 1)},
                "notes": "demo feed"}
        key = str(uuid.uuid4())
        r = await self.client.post("/api/v1/deliveries", json=body, headers=headers | {"Idempotency-Key": key})
        if r.status_code == 422:  # e.g. a dropoff the service area refuses: try another next time
            log.info("demo order refused: %s", r.text[:200])
            return
        r.raise_for_status()
        self.created += 1


def demo_dropoff(net: Any, rng: random.Random) -> tuple[float, float]:
    """A street node inside the demo co-op's service area."""
    from dispatch.seed import DEMO_AREA

    lats = [p[0] for p in DEMO_AREA]
    lons = [p[1] for p in DEMO_AREA]
    g = net.graph
    for _ in range(200):
        i = rng.randrange(g.n_nodes)
        lat, lon = float(g.lat[i]), float(g.lon[i])
        if min(lats) + 5e-4 < lat < max(lats) - 5e-4 and min(lons) + 5e-4 < lon < max(lons) - 5e-4:
            return round(lat, 6), round(lon, 6)
    return (sum(lats) / len(lats), sum(lons) / len(lons))


async def forever(name: str, step: Any, once: bool = False) -> None:
    """Run ``step()`` until it returns (if ``once``) or forever, backing off on errors."""
    backoff = 1.0
    while True:
        try:
            await step()
            if once:
                return
            backoff = 1.0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the demo must never take the server down
            log.warning("%s: %s; retrying in %.0f s", name, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(30.0, backoff * 2)


def install_demo_feed(app: Any, config: FeedConfig | None = None) -> None:
    """Start the feed after the app's startup and stop it at shutdown."""

    async def start(app: Any) -> None:
        feed = DemoFeed(app, config or FeedConfig.from_env())
        app.state.demo_feed = feed
        await feed.start()
        log.info("demo feed started: riders %s", ", ".join(feed.config.riders))

    async def stop(app: Any) -> None:
        feed = getattr(app.state, "demo_feed", None)
        if feed is not None:
            with contextlib.suppress(Exception):
                await feed.stop()

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
