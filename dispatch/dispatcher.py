"""The dispatch loop: live state -> ``routing.Problem`` -> policy -> new plan, one per coop.

A coop's loop runs in exactly one process: it holds a lease on the bus (Redis ``SET NX PX``
in production, in-process in embedded mode), renews it while alive, and another process
takes over within a lease period if this one dies. Planning runs in a child process of its
own (``ProcessPlanner``; a worker thread when the context was injected) so the event loop keeps
serving sockets. Triggers: new or cancelled deliveries, shift changes,
status reports (commit hooks and bus events) and a periodic tick.

This module is the loop only: what a round reads is in ``services.live_state``, what it writes
in ``services.dispatching``, and which planner a process gets (and how the planner child is
built) is decided by the composition root, ``dispatch.bootstrap``. It imports nothing above
services, so the app that runs the loop is never imported by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from dispatch.planning import POLICIES, LatLon, LiveCourier, LiveDelivery, LiveState, OffMap, plan_to_write, prepare
from dispatch.realtime.bus import Bus
from dispatch.services.context import ServiceContext
from dispatch.services.dispatching import write_plan
from dispatch.services.live_state import coop_ids, live_rows, outbox_watermark
from dispatch.services.maps import coop_map
from routing.planning.problem import Plan
from routing.streets.snap import SnapError

log = logging.getLogger(__name__)
LEASE_TTL_MS = 5_000
# a takeover waits for the dead holder's lease to expire, then for the next check: with a 5 s
# lease checked every second, another process plans within about 6 s of a crash
LEASE_CHECK_S = 1.0
TRIGGERS = frozenset({"delivery.created", "delivery.cancelled", "delivery.picked_up", "delivery.delivered",
                      "delivery.failed", "delivery.unassigned", "shift.started", "shift.ended"})


def live_state(ctx: ServiceContext, coop_id: str, now: datetime) -> LiveState:
    """The planner's view of one co-op at ``now``, from the rows ``services.live_state`` reads."""
    rows = live_rows(ctx, coop_id, now)
    couriers = tuple(
        LiveCourier(id=sh.courier_id, position=(sh.last_lat, sh.last_lon), shift_end_at=sh.planned_end_at,
                    capacity_g=sh.capacity_g, capacity_ml=sh.capacity_ml, speed_pct=sh.speed_pct,
                    heading=rows.heading.get(sh.courier_id), position_at=sh.last_position_at,
                    earned_pct_of_floor=pay.earned_pct_of_floor if pay else None,
                    hour_end_at=pay.hour_end_at if pay else None, hour_short_cents=pay.hour_short_cents if pay else 0)
        for sh in rows.shifts for pay in (rows.pay.get(sh.courier_id),))
    deliveries = tuple(
        LiveDelivery(id=d.id, status=d.status, pickup=(d.pickup_lat, d.pickup_lon),
                     dropoff=(d.dropoff_lat, d.dropoff_lon), ready_at=d.ready_at,
                     window_start_at=d.window_start_at, window_end_at=d.window_end_at, load_g=d.load_g,
                     load_ml=d.load_ml, version=d.version, courier_id=d.courier_id, pinned=d.pinned,
                     courier_pay_cents=d.courier_pay_cents or 0)
        for d in rows.deliveries)
    return LiveState(coop_id=coop_id, now=now, couriers=couriers, deliveries=deliveries)


def _snap_all(net, points: Sequence[LatLon]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Snap to the street graph in one index query; a point between streets snaps with a wider
    radius, and ``OffMap`` names every point that does not snap even so (off the map, or not
    a coordinate), so the round leaves their couriers or deliveries out and plans the rest."""
    snapped = net.snap_many([p[0] for p in points], [p[1] for p in points])
    out, off = [], {}
    for s, p in zip(snapped, points, strict=True):
        if s is None:
            try:
                s = net.snap(*p, max_distance_m=50_000)
            except SnapError as exc:
                off[p] = str(exc)
        out.append(s)
    if off:
        raise OffMap(off)
    return out


class LiveMatrices:
    """One coop's travel matrix kept between rounds (``routing.LiveMatrix``): a round searches
    only from and to the points that are new since the last one (couriers who moved, new
    deliveries) and drops those that are gone, instead of the whole square at every round
    (with a thousand couriers on shift that was most of a round's time). Couriers' positions
    are origins: a moved courier costs one search out towards the stops, none into it."""

    def __init__(self, ctx: ServiceContext, coop_id: str) -> None:
        self.ctx, self.coop_id = ctx, coop_id
        self._live = None  # created on first use: the network may load lazily
        self._net: Any = None  # the co-op's network the matrix was made on
        self._index: dict[LatLon, int] = {}

    def __call__(self, points: Sequence[LatLon], origins: int = 0) -> tuple[np.ndarray, np.ndarray]:
        net = coop_map(self.ctx, self.coop_id).network
        if self._live is None or net is not self._net:  # first round, or the co-op changed map
            self._live, self._net, self._index = net.live_matrix(), net, {}
        stops = dict.fromkeys(points[origins:])
        wanted = dict.fromkeys(points)
        # a place kept as an origin that is now also a stop needs its column: add it again
        gone = [i for key, i in self._index.items()
                if key not in wanted or (key in stops and self._live.is_origin(i))]
        if gone:
            self._live.remove(gone)
            dropped = set(gone)
            kept = sorted((i, key) for key, i in self._index.items() if i not in dropped)
            self._index = {key: rank for rank, (_, key) in enumerate(kept)}  # as remove() renumbers
        new = {as_origin: [key for key in wanted if key not in self._index and (key not in stops) == as_origin]
               for as_origin in (False, True)}
        snapped = {k: _snap_all(net, v) for k, v in new.items() if v}  # OffMap before any change
        for as_origin, points_ in snapped.items():
            at = self._live.add(points_, origin=as_origin)
            self._index.update(zip(new[as_origin], at, strict=True))
        rows = np.fromiter((self._index[p] for p in points), dtype=np.int64, count=len(points))
        return self._live.take(rows)


class Planner:
    """Plans one coop at a time; remembers each coop's last plan for warm starts."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.previous: dict[str, Plan] = {}
        self.matrices: dict[str, LiveMatrices] = {}

    def plan_coop(self, coop_id: str) -> dict[str, Any]:
        """One round; the counts of what changed, ``seen_seq``: the outbox watermark the round
        started from (changes up to it need no other round), and, when it planned, the plan's
        ``objective`` terms (for the metrics; the plan itself stays in this process)."""
        seen = outbox_watermark(self.ctx, coop_id)
        state = live_state(self.ctx, coop_id, self.ctx.clock())
        if not state.deliveries:
            return {"seen_seq": seen}
        policy = self.ctx.settings.dispatch_policy
        state, problem, left = prepare(state, self.matrices.setdefault(coop_id, LiveMatrices(self.ctx, coop_id)))
        if left.couriers or left.deliveries:
            log.warning("coop %s: round leaves out couriers %s and deliveries %s", coop_id, left.couriers,
                        left.deliveries)
        started = time.perf_counter()
        plan = POLICIES[policy](problem, self.previous.get(coop_id), self.ctx.settings.solver_time_limit_s)
        self.previous[coop_id] = plan
        counts = write_plan(self.ctx, plan_to_write(state, plan, policy, left))
        log.info("planned coop %s with %s in %.0f ms: %s", coop_id, policy,
                 (time.perf_counter() - started) * 1000, counts)
        return {**counts, "seen_seq": seen, "objective": dataclasses.asdict(plan.objective)}


class ProcessPlanner:
    """A ``Planner`` in a child process of its own, behind the same ``plan_coop``.

    Why: planning is CPU-bound Python. In a worker thread it holds the GIL most of the time,
    and the event loop, which gives the GIL up at every socket send, waits a switch interval
    (5 ms) each time it wants it back: with a thousand sockets every frame then leaves late.
    A child process plans on the other core; the parent only waits on a pipe. The child has
    its own engine and street network from the same settings (so this is only used when the
    app built its context itself: an injected clock or test engine stays in a thread). Its
    commits have no hooks there: the parent wakes the relay after each round. The child ends
    with its parent (its pipe closes), and a child that died is started again on next use.

    ``child_main(settings, conn)`` is the child's entry point, given by the composition root
    (``dispatch.bootstrap.planner_child``), which builds the child's parts and then calls
    ``serve_planner``: the loop does not know how a process is wired.
    """

    def __init__(self, ctx: ServiceContext, child_main: Callable[[Any, Any], None]) -> None:
        self.ctx = ctx
        self.child_main = child_main
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Any = None

    def start(self) -> None:
        """Spawn the child now (it imports and loads the network while the app starts)."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._close()
        mp = multiprocessing.get_context("spawn")
        parent, child = mp.Pipe()
        proc = mp.Process(target=self.child_main, args=(self.ctx.settings, child), daemon=True,
                          name="coopdispatch-planner")
        proc.start()
        child.close()  # ours is closed, so a dead child reads as EOF here
        self._proc, self._conn = proc, parent
        try:
            parent.recv()  # "ready": imported, network loaded, first round's imports done
        except (EOFError, OSError) as exc:
            self._close()
            raise RuntimeError("the planner process could not start") from exc

    def plan_coop(self, coop_id: str) -> dict[str, Any]:
        """Blocking (call it from a thread): one round in the child."""
        with self._lock:
            self._ensure()
            try:
                self._conn.send(coop_id)
                ok, result = self._conn.recv()
            except (EOFError, OSError) as exc:
                self._close()
                raise RuntimeError("the planner process died during a round") from exc
        if not ok:
            raise RuntimeError(f"planning in the child failed: {result}")
        return dict(result)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(2)
        self._proc = self._conn = None


def serve_planner(planner: Planner, conn: Any) -> None:
    """The child's loop: say ready, then a coop id in, the round's counts out, until the
    parent goes (its end of the pipe closes)."""
    conn.send("ready")
    while True:
        try:
            coop_id = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, planner.plan_coop(coop_id))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            log.exception("planning coop %s failed", coop_id)
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


class DispatchRunner:
    """The asyncio side: triggers, lease, periodic tick. One per process."""

    def __init__(self, ctx: ServiceContext, bus: Bus, *, planner: Planner | ProcessPlanner | None = None) -> None:
        self.ctx, self.bus = ctx, bus
        # which planner (a worker thread's or a child process's) is the composition root's choice
        self.planner: Planner | ProcessPlanner = planner or Planner(ctx)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake = asyncio.Event()
        self.dirty: set[str] = set()
        # per coop: the outbox watermark the last round started from, and the highest seq of a
        # trigger frame heard on the bus; a frame at or below the watermark needs no round
        self.seen_seq: dict[str, int] = {}
        self.heard_seq: dict[str, int] = {}
        self.leases: set[str] = set()
        self.round_started: dict[str, float] = {}  # per coop, monotonic start of the last round
        self.rounds = 0
        self.idle = False  # waiting for a trigger, no round running (tests wait for this)
        self._task: asyncio.Task[None] | None = None

    def on_commit(self, coop_id: str, event_types: frozenset[str], committed_at: float) -> None:
        """Commit hook (any thread): plan again when something relevant changed."""
        if event_types & TRIGGERS:
            self.kick(coop_id, committed_at)

    def observe(self, topics: list[str], frame: Any) -> None:
        """Hub observer: a change committed by any process (frames come through the bus).

        Our own commits come back this way too, usually while the round they kicked is
        running; a frame that round's watermark covers does not start another one."""
        if frame.seq > 0 and frame.type in TRIGGERS and self.loop is not None:
            for topic in topics:
                if topic.startswith("coop:"):
                    self.loop.call_soon_threadsafe(self._heard, topic[5:], frame.seq)

    def _heard(self, coop_id: str, seq: int) -> None:
        if seq > self.seen_seq.get(coop_id, 0):
            self.heard_seq[coop_id] = max(self.heard_seq.get(coop_id, 0), seq)
            self.wake.set()

    def kick(self, coop_id: str, committed_at: float | None = None) -> None:
        """Plan ``coop_id`` again; ``committed_at`` (``time.monotonic()`` after the change
        committed) lets a round that started later count as having seen it."""
        if self.loop is None:
            return
        self.loop.call_soon_threadsafe(self._mark, coop_id, committed_at)

    def _mark(self, coop_id: str, committed_at: float | None = None) -> None:
        # the hook's call can arrive after the change's own bus frame started a round: that
        # round read the state after the commit, a second one would find nothing new
        if committed_at is not None and committed_at < self.round_started.get(coop_id, -math.inf):
            return
        self.dirty.add(coop_id)
        self.wake.set()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if isinstance(self.planner, ProcessPlanner):
            try:
                await asyncio.to_thread(self.planner.start)
            except RuntimeError:
                log.exception("planning in a worker thread instead")
                self.planner = Planner(self.ctx)
        self._task = asyncio.create_task(self._run(), name="dispatch-runner")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if isinstance(self.planner, ProcessPlanner):
            await asyncio.to_thread(self.planner.close)
        for name in list(self.leases):
            with contextlib.suppress(Exception):  # best effort on shutdown
                await self.bus.release_lease(name, self.holder)

    async def _run(self) -> None:
        tick = self.ctx.settings.dispatch_tick_s
        renew_every = LEASE_CHECK_S
        last_tick = 0.0
        while True:
            # not asyncio.wait_for: on 3.11 it swallows a cancel that lands as the wake is set
            self.idle = not self.wake.is_set()
            try:
                async with asyncio.timeout(renew_every):
                    await self.wake.wait()
            except TimeoutError:
                pass
            self.idle = False
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
            self.heard_seq.pop(coop_id, None)
            return
        if self.heard_seq.get(coop_id, 0) > self.seen_seq.get(coop_id, 0):
            self.dirty.add(coop_id)
        if coop_id not in self.dirty:
            return
        self.dirty.discard(coop_id)
        self.round_started[coop_id] = time.monotonic()
        try:
            counts = await asyncio.to_thread(self.planner.plan_coop, coop_id)
            self.rounds += 1
            seen = counts.get("seen_seq", 0) if isinstance(counts, dict) else 0
            self.seen_seq[coop_id] = max(self.seen_seq.get(coop_id, 0), seen)
        except Exception:
            log.exception("dispatch round failed for coop %s", coop_id)
            # as before the watermark: what was heard is spent, the next trigger or tick retries
            self.seen_seq[coop_id] = max(self.seen_seq.get(coop_id, 0), self.heard_seq.get(coop_id, 0))
        if isinstance(self.planner, ProcessPlanner):
            # the child's commit ran no hooks: wake the relay (plan.updated is no trigger)
            self.ctx.committed(coop_id, frozenset({"plan.updated"}))

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
        return coop_ids(self.ctx)
