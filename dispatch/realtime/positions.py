"""Courier positions: accepted on shift only, stored in batches, fanned out throttled.

A position from the courier socket (or the HTTP endpoint, through ``ctx.position_hooks``)
goes to three places:

- the shift row (``services.couriers.record_positions``), batched every ``flush_s``: at 200
  positions a second one transaction per batch is far cheaper than one per position;
- batched every ``batch_s`` (0.1 s), keeping the latest position of each courier: the bus's
  latest-value store (``positions:<coop_id>``, Redis in production, one call per batch) for
  the dispatcher map of any process; ``coop:<id>`` sockets as one ``courier.positions`` frame
  (seq 0) per coop and batch, serialized once for all of them (at 200 positions a second and
  50 dispatcher sockets that is 500 frames a second instead of 10,000); and ``track:<token>``
  sockets of the deliveries that courier has on board as ``courier.position`` (only then: the
  public link shows the courier on the way, not before pickup or after). The first position
  after a quiet spell leaves at once; a courier's later ones are never silently dropped, the
  latest of each window is sent.

Whether a courier is on shift, and which tracking links they carry, is cached per courier
and forgotten as soon as a shift or delivery frame about them passes through the hub (any
process's change reaches every hub), or after ``cache_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Delivery
from dispatch.domain.errors import Conflict
from dispatch.realtime.bus import Bus, BusUnavailable
from dispatch.realtime.hub import Hub
from dispatch.realtime.messages import CourierPosition, CourierPositions, Frame, frame_from_payload, tracking_data
from dispatch.services import couriers as svc
from dispatch.services.context import ServiceContext

log = logging.getLogger(__name__)
LATEST_TTL_S = 15 * 60


@dataclass(frozen=True, slots=True)
class OnShift:
    coop_id: str
    tracking_tokens: tuple[str, ...]
    checked_at: float


def on_shift(ctx: ServiceContext, courier_id: str) -> OnShift | None:
    """The courier's coop and on-board deliveries' tracking tokens; None when off shift."""
    with ctx.sessions() as s:
        shift = svc.open_shift(s, courier_id)
        if shift is None:
            return None
        tokens = s.scalars(select(Delivery.tracking_token).where(
            Delivery.courier_id == courier_id, Delivery.status == "picked_up"))
        return OnShift(shift.coop_id, tuple(t for t in tokens if t), time.monotonic())


class PositionService:
    """One per process; see the module docstring."""

    def __init__(self, ctx: ServiceContext, hub: Hub, bus: Bus | None, *, batch_s: float = 0.1,
                 flush_s: float = 0.25, cache_s: float = 30.0) -> None:
        self.ctx, self.hub, self.bus = ctx, hub, bus
        self.batch_s, self.flush_s, self.cache_s = batch_s, flush_s, cache_s
        self._cache: dict[str, OnShift] = {}
        self._pending: dict[str, tuple[float, float, datetime]] = {}
        self._batch: dict[str, dict[str, CourierPosition]] = {}  # coop -> courier -> latest
        self._track: dict[str, tuple[tuple[str, ...], CourierPosition]] = {}
        self._more = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._batch_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.hub.observers.append(self.observe)
        self.ctx.position_hooks = [*getattr(self.ctx, "position_hooks", []), self.from_http]  # type: ignore[attr-defined]
        self._task = asyncio.create_task(self._flusher(), name="position-flusher")
        self._batch_task = asyncio.create_task(self._batcher(), name="position-batcher")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.hub.observers.remove(self.observe)
        with contextlib.suppress(AttributeError, ValueError):
            self.ctx.position_hooks.remove(self.from_http)  # type: ignore[attr-defined]
        for task in (self._task, self._batch_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            await self.flush()

    async def accept(self, courier_id: str, lat: float, lon: float, at: datetime,
                     heading: float | None = None) -> None:
        """A position from the courier socket; raises ``Conflict`` off shift."""
        info = await self._info(courier_id)
        if info is None:
            raise Conflict("positions are only taken during a shift", field="shift")
        self._pending[courier_id] = (lat, lon, at)
        await self._share(courier_id, info, CourierPosition(
            courier_id=courier_id, lat=lat, lon=lon, at=at, heading=heading))

    def from_http(self, result: dict[str, Any]) -> None:
        """``ctx.position_hooks`` entry (a worker thread): the row is written already."""
        if self._loop is None:
            return
        payload = CourierPosition(courier_id=result["courier_id"], lat=result["lat"],
                                  lon=result["lon"], at=result["at"])
        self._loop.call_soon_threadsafe(self._spawn, payload)

    def _spawn(self, payload: CourierPosition) -> None:
        task = asyncio.get_running_loop().create_task(self._share_checked(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _share_checked(self, payload: CourierPosition) -> None:
        info = await self._info(str(payload.courier_id))
        if info is not None:
            await self._share(str(payload.courier_id), info, payload)

    async def _info(self, courier_id: str) -> OnShift | None:
        info = self._cache.get(courier_id)
        if info is None or time.monotonic() - info.checked_at > self.cache_s:
            info = await asyncio.to_thread(on_shift, self.ctx, courier_id)
            if info is None:
                self._cache.pop(courier_id, None)
            else:
                self._cache[courier_id] = info
        return info

    async def _share(self, courier_id: str, info: OnShift, payload: CourierPosition) -> None:
        """Keep the latest position of the courier for the next batch (never awaits a socket)."""
        self._batch.setdefault(info.coop_id, {})[courier_id] = payload
        if info.tracking_tokens:
            self._track[courier_id] = (info.tracking_tokens, payload)
        self._more.set()

    async def _batcher(self) -> None:
        # leading edge: the first position after a quiet spell leaves at once; then at most
        # one batch per ``batch_s``, which coalesces a courier's positions to the latest one
        while True:
            await self._more.wait()
            self._more.clear()
            try:
                await self.send_batch()
            except Exception:  # a bus hiccup must not stop the fan-out for good
                log.exception("sending courier positions failed")
            await asyncio.sleep(self.batch_s)

    async def send_batch(self) -> None:
        """One ``courier.positions`` frame per coop (serialized once for all its dispatcher
        sockets), the latest-value store in one call per coop, and the tracking links."""
        batch, self._batch = self._batch, {}
        track, self._track = self._track, {}
        for coop_id, latest in batch.items():
            if self.bus is not None:
                with contextlib.suppress(BusUnavailable):
                    await self.bus.set_latest_many(
                        f"positions:{coop_id}", {k: p.model_dump_json() for k, p in latest.items()},
                        LATEST_TTL_S)
            frame = frame_from_payload(CourierPositions(positions=list(latest.values())))
            await self.hub.publish([f"coop:{coop_id}"], frame)
        for tokens, payload in track.values():
            public = Frame(seq=0, type=payload.TYPE,
                           data=tracking_data(payload.TYPE, payload.model_dump(mode="json")))
            await self.hub.publish([f"track:{t}" for t in tokens], public)

    async def latest(self, coop_id: str) -> dict[str, dict[str, Any]]:
        """The latest position of each courier of the coop (for a dispatcher's first view)."""
        if self.bus is None:
            return {}
        raw = await self.bus.get_latest(f"positions:{coop_id}")
        return {k: json.loads(v) for k, v in raw.items()}

    def observe(self, topics: list[str], frame: Frame) -> None:
        """Hub observer: forget what we knew about a courier whose shift or load changed."""
        if frame.type.startswith(("shift.", "delivery.")):
            for key in ("courier_id",):
                self._cache.pop(str(frame.data.get(key)), None)
            event = frame.data.get("event")
            if isinstance(event, dict):
                self._cache.pop(str(event.get("courier_id")), None)

    async def flush(self) -> None:
        """Write the pending positions in one transaction."""
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        refused = await asyncio.to_thread(svc.record_positions, self.ctx, batch)
        for courier_id in refused:  # the shift ended meanwhile
            self._cache.pop(courier_id, None)

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(self.flush_s)
            try:
                await self.flush()
            except Exception:  # the database may be briefly away; positions are perishable
                log.exception("writing courier positions failed")
