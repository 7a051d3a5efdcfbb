"""The dispatch loop: live state -> ``routing.Problem`` -> policy -> new plan, one per coop.

A coop's loop runs in exactly one process: it holds a lease on the bus (Redis ``SET NX PX``
in production, in-process in embedded mode), renews it while alive, and another process
takes over within a lease period if this one dies. Planning runs in a worker thread so the
event loop keeps serving sockets. Triggers: new or cancelled deliveries, shift changes,
status reports (commit hooks and bus events) and a periodic tick.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from dispatch.db.models import Coop, Delivery, Shift, Stop
from dispatch.planning import POLICIES, LatLon, LiveCourier, LiveDelivery, LiveState, plan_to_write, problem_from_state
from dispatch.realtime.bus import Bus
from dispatch.services.context import ServiceContext
from dispatch.services.dispatching import write_plan
from routing.problem import Plan

log = logging.getLogger(__name__)
LEASE_TTL_MS = 5_000
# a takeover waits for the dead holder's lease to expire, then for the next check: with a 5 s
# lease checked every second, another process plans within about 6 s of a crash
LEASE_CHECK_S = 1.0
TRIGGERS = frozenset({"delivery.created", "delivery.cancelled", "delivery.picked_up", "delivery.delivered",
                      "delivery.failed", "delivery.unassigned", "shift.started", "shift.ended"})


def live_state(ctx: ServiceContext, coop_id: str, now: datetime) -> LiveState:
    with ctx.sessions() as s:
        shifts = list(s.scalars(select(Shift).where(Shift.coop_id == coop_id, Shift.ended_at.is_(None))))
        ds = list(s.scalars(select(Delivery).where(Delivery.coop_id == coop_id,
                                                   Delivery.status.in_(("pending", "assigned", "picked_up")))))
        stops = list(s.scalars(select(Stop).where(Stop.delivery_id.in_([d.id for d in ds]), Stop.done_at.is_(None),
                                                  Stop.courier_id.is_not(None))))
    heading: dict[str, tuple[int, str, str]] = {}
    for st in stops:
        key = (st.position if st.position is not None else 10**6, st.delivery_id, st.kind)
        if st.courier_id and (st.courier_id not in heading or key < heading[st.courier_id]):
            heading[st.courier_id] = key
    couriers = tuple(
        LiveCourier(id=sh.courier_id, position=(sh.last_lat, sh.last_lon), shift_end_at=sh.planned_end_at,
                    capacity_g=sh.capacity_g, capacity_ml=sh.capacity_ml, speed_pct=sh.speed_pct,
                    heading=heading[sh.courier_id][1:] if sh.courier_id in heading else None)
        for sh in shifts)
    deliveries = tuple(
        LiveDelivery(id=d.id, status=d.status, pickup=(d.pickup_lat, d.pickup_lon),
                     dropoff=(d.dropoff_lat, d.dropoff_lon), ready_at=d.ready_at,
                     window_start_at=d.window_start_at, window_end_at=d.window_end_at, load_g=d.load_g,
                     load_ml=d.load_ml, version=d.version, courier_id=d.courier_id, pinned=d.pinned)
        for d in ds)
    return LiveState(coop_id=coop_id, now=now, couriers=couriers, deliveries=deliveries)


def _snap(net, lat: float, lon: float):  # type: ignore[no-untyped-def]
    """Snap to the street graph; a point off the map snaps with a wider radius."""
    from routing.network import SnapError

    try:
        return net.snap(lat, lon)
    except SnapError:
        return net.snap(lat, lon, max_distance_m=50_000)


def network_matrix(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    """Travel times on the street graph, computed from scratch for the given points."""
    net = ctx.network

    def matrix(points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        return net.matrix([_snap(net, lat, lon) for lat, lon in points])

    return matrix


class LiveMatrices:
    """One coop's travel matrix kept between rounds (``routing.LiveMatrix``): a round searches
    only from and to the points that are new since the last one (couriers who moved, new
    deliveries) and drops those that are gone, instead of the whole square at every round
    (with a thousand couriers on shift that was most of a round's time)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._live = None  # created on first use: the network may load lazily
        self._index: dict[LatLon, int] = {}

    def __call__(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        net = self.ctx.network
        if self._live is None:
            self._live = net.live_matrix()
        wanted = dict.fromkeys(points)
        gone = [i for key, i in self._index.items() if key not in wanted]
        if gone:
            self._live.remove(gone)
            kept = sorted((i, key) for key, i in self._index.items() if key in wanted)
            self._index = {key: rank for rank, (_, key) in enumerate(kept)}  # as remove() renumbers
        new = [key for key in wanted if key not in self._index]
        if new:
            at = self._live.add([_snap(net, lat, lon) for lat, lon in new])
            self._index.update(zip(new, at, strict=True))
        rows = np.fromiter((self._index[p] for p in points), dtype=np.int64, count=len(points))
        cut = np.ix_(rows, rows)
        return self._live.seconds[cut], self._live.metres[cut]


class Planner:
    """Plans one coop at a time; remembers each coop's last plan for warm starts."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.previous: dict[str, Plan] = {}
        self.matrices: dict[str, LiveMatrices] = {}

    def plan_coop(self, coop_id: str) -> dict[str, int]:
        state = live_state(self.ctx, coop_id, self.ctx.clock())
        if not state.deliveries:
            return {}
        policy = self.ctx.settings.dispatch_policy
        problem = problem_from_state(state, self.matrices.setdefault(coop_id, LiveMatrices(self.ctx)))
        started = time.perf_counter()
        plan = POLICIES[policy](problem, self.previous.get(coop_id), self.ctx.settings.solver_time_limit_s)
        self.previous[coop_id] = plan
        counts = write_plan(self.ctx, plan_to_write(state, plan, policy))
        log.info("planned coop %s with %s in %.0f ms: %s", coop_id, policy,
                 (time.perf_counter() - started) * 1000, counts)
        return counts


class DispatchRunner:
    """The asyncio side: triggers, lease, periodic tick. One per process."""

    def __init__(self, ctx: ServiceContext, bus: Bus) -> None:
        self.ctx, self.bus = ctx, bus
        self.planner = Planner(ctx)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake = asyncio.Event()
        self.dirty: set[str] = set()
        self.leases: set[str] = set()
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None

    def on_commit(self, coop_id: str, event_types: frozenset[str]) -> None:
        """Commit hook (any thread): plan again when something relevant changed."""
        if event_types & TRIGGERS:
            self.kick(coop_id)

    def observe(self, topics: list[str], frame: Any) -> None:
        """Hub observer: a change committed by any process (frames come through the bus)."""
        if frame.seq > 0 and frame.type in TRIGGERS:
            for topic in topics:
                if topic.startswith("coop:"):
                    self.kick(topic[5:])

    def kick(self, coop_id: str) -> None:
        if self.loop is None:
            return
        self.loop.call_soon_threadsafe(self._mark, coop_id)

    def _mark(self, coop_id: str) -> None:
        self.dirty.add(coop_id)
        self.wake.set()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="dispatch-runner")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for name in list(self.leases):
            try:
                await self.bus.release_lease(name, self.holder)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass

    async def _run(self) -> None:
        tick = self.ctx.settings.dispatch_tick_s
        renew_every = LEASE_CHECK_S
        last_tick = 0.0
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=renew_every)
            except TimeoutError:
                pass
            self.wake.clear()
            coops = await asyncio.to_thread(self._coop_ids)
            if time.monotonic() - last_tick >= tick:
                self.dirty |= set(coops)
                last_tick = time.monotonic()
            for coop_id in coops:
                await self._round(coop_id)

    async def _round(self, coop_id: str) -> None:
        if not await self._hold(coop_id):
            self.dirty.discard(coop_id)
            return
        if coop_id not in self.dirty:
            return
        self.dirty.discard(coop_id)
        try:
            await asyncio.to_thread(self.planner.plan_coop, coop_id)
            self.rounds += 1
        except Exception:
            log.exception("dispatch round failed for coop %s", coop_id)

    async def _hold(self, coop_id: str) -> bool:
        name = f"coopdispatch:lease:dispatch:{coop_id}"
        try:
            if name in self.leases and await self.bus.renew_lease(name, self.holder, LEASE_TTL_MS):
                return True
            self.leases.discard(name)
            if await self.bus.acquire_lease(name, self.holder, LEASE_TTL_MS):
                self.leases.add(name)
                self.dirty.add(coop_id)  # a new holder plans at once
                log.info("took the dispatch lease of coop %s", coop_id)
                return True
        except Exception:  # noqa: BLE001 - the bus may be down; keep the lease we think we have
            log.warning("lease check failed for coop %s", coop_id, exc_info=True)
            return name in self.leases
        return False

    def holds(self, coop_id: str) -> bool:
        return f"coopdispatch:lease:dispatch:{coop_id}" in self.leases

    def _coop_ids(self) -> list[str]:
        with self.ctx.sessions() as s:
            return list(s.scalars(select(Coop.id)))
