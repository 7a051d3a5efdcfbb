"""The discrete-event simulation of a day, deciding with the service's own dispatch code.

Every decision goes through ``dispatch.planning``: the simulated world becomes a ``LiveState``
(``dispatch.sim.state.live_state``), then ``problem_from_state`` -> ``POLICIES[policy]`` ->
``plan_to_write``, and the plan is applied as ``dispatch.services.dispatching.write_plan`` does:
an order that changed since the snapshot is left alone, a picked-up order never changes courier,
and each courier's route becomes the plan's stop order. Decisions are batched like the service's
loop batches triggers: a new order, a pickup, a dropoff or a shift change asks for a decision,
taken at once unless one was taken less than ``replan_every_s`` ago.

Couriers ride their routes with random variation around the planned times (a log-normal factor
per leg and per stop, drawn from the seed and the courier/order ids, so two policies meet the
same luck for the same job). A courier past shift end finishes what is on board, then ends its
shift; what it had not picked up goes back to the pool (``services.couriers.end_shift``). An
order nobody took within ``abandon_after_s`` of its promised window end ends ``unassigned`` with
the planner's last reason. Conservation is checked at the end: every order is delivered, failed,
cancelled or unassigned, each one that is not delivered with a reason.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dispatch.domain.fees import DEFAULT_RULE_SET
from dispatch.domain.vehicles import VEHICLES
from dispatch.planning import POLICIES, plan_to_write, prepare
from dispatch.services.dispatching import PlanToWrite
from dispatch.sim.pay import earned_cents
from dispatch.sim.plan_rules import needed_stops, pickups_first
from dispatch.sim.scenario import Scenario
from dispatch.sim.state import (
    ConservationError,  # noqa: F401 - re-exported
    Leg,
    SimCourier,
    SimOrder,
    Stop,
    check_conservation,
    live_state,
    orders_for,
)
from dispatch.sim.travel import Travel
from routing.planning.problem import Plan
from routing.planning.schedule import ride_s, service_after

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SimConfig:
    policy: str = "nearest"
    seed: int = 0
    solver_time_limit_s: float = 0.3
    solver_solution_limit: int | None = None  # stop the search after N solutions (not the clock)
    replan_every_s: int = 60
    travel_sigma: float = 0.12  # log-normal spread of a leg's time around the plan
    service_sigma: float = 0.3  # and of a stop's service time around 120 s
    dropoff_fail_share: float = 0.01  # nobody answers the door
    abandon_after_s: int = 30 * 60
    sample_every_s: int = 300


@dataclass
class SimResult:
    scenario: Scenario
    config: SimConfig
    orders: dict[str, SimOrder]
    couriers: dict[str, SimCourier]
    samples: list[tuple[int, int, int, int]] = field(default_factory=list)  # t, on shift, busy, open
    decisions: int = 0
    policy_wall_s: float = 0.0
    wall_s: float = 0.0


class Simulation:
    """One policy on one scenario and seed. ``run()`` returns a :class:`SimResult`."""

    def __init__(self, scenario: Scenario, travel: Travel, config: SimConfig) -> None:
        if config.policy not in POLICIES:
            raise ValueError(f"unknown policy {config.policy!r}; choose from {', '.join(POLICIES)}")
        self.scenario, self.travel, self.config = scenario, travel, config
        self.orders = orders_for(scenario, travel, config.seed, config.service_sigma)
        for o in self.orders.values():  # what the service's quote would say when it is placed
            o.pay_cents = earned_cents(o)
        self.couriers = {c.courier_id: SimCourier(c, c.start) for c in scenario.couriers}
        self.result = SimResult(scenario, config, self.orders, self.couriers)
        self.heap: list[tuple[int, int, str, str, int]] = []
        self.seq, self.now = 0, 0
        self.dirty, self.decide_pending, self.last_decide_s = False, False, -10**9
        self.previous: Plan | None = None
        self.floor_cents = DEFAULT_RULE_SET.courier_floor_cents_per_hour
        self.handlers: dict[str, Callable[[str, int], None]] = {
            "shift_start": self._shift_start, "shift_end": self._shift_end, "order": self._order,
            "cancel": self._cancel, "abandon": self._abandon, "arrive": self._arrive, "done": self._done,
            "decide": self._decide, "sample": self._sample,
        }

    @property
    def end_s(self) -> int:
        """The last moment worth simulating: every shift over and every promise long past."""
        shifts = max((c.shift_end_s for c in self.scenario.couriers), default=0)
        windows = max((o.window_end_s for o in self.orders.values()), default=0)
        return max(shifts, windows) + self.config.abandon_after_s + 3 * 3600

    def run(self, progress: Progress | None = None) -> SimResult:
        started = time.perf_counter()
        for c in self.scenario.couriers:
            self._push(c.shift_start_s, "shift_start", c.courier_id)
            self._push(c.shift_end_s, "shift_end", c.courier_id)
        for o in self.scenario.orders:
            self._push(o.placed_s, "order", o.order_id)
            if o.cancel_s is not None:
                self._push(o.cancel_s, "cancel", o.order_id)
        first = min((t for t, *_ in self.heap), default=0)
        self._push(first, "sample", "")
        end = self.end_s
        while self.heap:
            t, _, kind, key, gen = heapq.heappop(self.heap)
            if t > end:
                break
            self.now = t
            self.handlers[kind](key, gen)
            if progress is not None and kind in ("sample", "decide"):
                progress(t)
        self._finish()
        check_conservation(self.result)
        self.result.wall_s = time.perf_counter() - started
        return self.result

    # -- scheduling ---------------------------------------------------------------------
    def _push(self, t: int, kind: str, key: str, gen: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (int(t), self.seq, kind, key, gen))

    def _kick(self) -> None:
        """Something the service's loop triggers on happened: decide soon."""
        self.dirty = True
        if not self.decide_pending:
            self.decide_pending = True
            self._push(max(self.now, self.last_decide_s + self.config.replan_every_s), "decide", "")

    # -- the dispatch decision: the service's code path -----------------------------------
    def _decide(self, _key: str, _gen: int) -> None:
        self.decide_pending = False
        if not self.dirty:
            return
        self.dirty, self.last_decide_s = False, self.now
        couriers = list(self.couriers.values())
        state = live_state(self.now, couriers, list(self.orders.values()), self.travel.along, self.floor_cents)
        if not state.deliveries:
            return
        state, problem, left = prepare(state, self.travel.matrix)
        started = time.perf_counter()
        plan = POLICIES[self.config.policy](problem, self.previous, self.config.solver_time_limit_s,
                                            self.config.solver_solution_limit)
        self.result.policy_wall_s += time.perf_counter() - started
        self.result.decisions += 1
        self.previous = plan
        written = plan_to_write(state, plan, self.config.policy, left)
        self._apply(written)
        if any(why.startswith("held:") for why in written.unassigned.values()):
            self._kick()  # the service's periodic tick: a held order is looked at again

    def _apply(self, plan: PlanToWrite) -> None:
        """Apply the plan the way ``services.dispatching.write_plan`` writes it."""
        target = {p.delivery_id: cid for cid, stops in plan.routes.items() for p in stops}
        for did, version in plan.versions.items():
            o = self.orders[did]
            if o.version != version or o.status not in ("pending", "assigned"):
                continue  # changed since the snapshot, or on board: never moved by a plan
            courier = target.get(did)
            if courier is None:
                o.reason = plan.unassigned.get(did, o.reason or "plan")
            if courier and courier != o.courier_id:
                old = o.courier_id
                o.change("assigned", courier)
                if old:
                    self._reroute(self.couriers[old])
            elif courier is None and o.status == "assigned":
                old = o.courier_id
                o.change("pending", None)
                self._reroute(self.couriers[str(old)])
        for c in self.couriers.values():
            if c.on_shift:
                self._reroute(c, [(p.delivery_id, p.kind) for p in plan.routes.get(c.id, [])])
                self._maybe_end(c)

    def _reroute(self, c: SimCourier, planned: list[Stop] | None = None) -> None:
        """Give ``c`` the planned order of its own stops; keep any stop the plan left out."""
        needed = needed_stops(c, self.orders)
        route = list(dict.fromkeys(s for s in (planned or []) if s in needed))
        route += [s for s in c.route if s in needed and s not in route]
        route += sorted(needed - set(route), key=lambda s: (s[0], s[1] != "pickup"))
        route = pickups_first(route)
        c.account(self.now)
        current = c.leg.target if c.leg else c.serving
        if current in route and route[0] != current:  # the stop being ridden to stays first
            route.remove(current)
            route.insert(0, current)
        c.route = route
        if current is not None and current not in route:
            self._stop_where_you_are(c)
        self._advance(c)

    def _stop_where_you_are(self, c: SimCourier) -> None:
        if c.leg is not None:
            span = max(1, c.leg.end_s - c.leg.start_s)
            c.ridden_m += round(c.leg.distance_m * min(1.0, (self.now - c.leg.start_s) / span))
            c.position = c.where(self.now, self.travel.along)
        c.leg, c.serving = None, None
        c.gen += 1

    # -- couriers riding -----------------------------------------------------------------
    def _advance(self, c: SimCourier) -> None:
        if not c.on_shift or c.leg is not None or c.serving is not None or not c.route:
            return
        target = c.route[0]
        o = self.orders[target[0]]
        end = o.point(target[1])
        seconds, metres = self.travel.leg(c.position, end)
        planned = ride_s(seconds, VEHICLES[c.spec.vehicle].speed_pct)
        luck = random.Random(f"{self.config.seed}:{c.id}:{o.id}:{target[1]}")
        actual = max(1, round(planned * luck.lognormvariate(0.0, self.config.travel_sigma))) if planned else 0
        c.gen += 1
        c.leg = Leg(c.position, end, self.now, self.now + actual, target, metres)
        self._push(self.now + actual, "arrive", c.id, c.gen)

    def _arrive(self, cid: str, gen: int) -> None:
        c = self.couriers[cid]
        if gen != c.gen or c.leg is None:
            return
        leg, o = c.leg, self.orders[c.leg.target[0]]
        c.position, c.ridden_m, c.leg, c.serving = leg.end, c.ridden_m + leg.distance_m, None, leg.target
        if c.visit_at != leg.end or leg.start != leg.end:  # parked somewhere else: a new visit
            c.visit_at, c.visit_s = leg.end, 0
        pickup = leg.target[1] == "pickup"
        extra, c.visit_s = service_after(o.service_pickup_s if pickup else o.service_dropoff_s, c.visit_s)
        if pickup:
            start = max(self.now, o.spec.ready_s)
            self._push(start + extra, "done", cid, gen)
        else:
            o.dropoff_start_s = self.now
            self._push(self.now + extra, "done", cid, gen)

    def _done(self, cid: str, gen: int) -> None:
        c = self.couriers[cid]
        if gen != c.gen or c.serving is None:
            return
        stop, o = c.serving, self.orders[c.serving[0]]
        c.account(self.now)
        c.serving = None
        c.route.remove(stop)
        if stop[1] == "pickup":
            o.change("picked_up", cid)
            o.picked_s, o.picked_by = self.now, cid
        else:
            failed = random.Random(f"{self.config.seed}:{o.id}:door").random() < self.config.dropoff_fail_share
            o.change("failed" if failed else "delivered", cid, "nobody at the door (simulated)" if failed else "")
            o.done_s, o.done_by = self.now, cid
            if not failed:
                c.paid.append((self.now, o.pay_cents))
        self._kick()
        self._maybe_end(c)
        self._advance(c)

    # -- shifts and orders ---------------------------------------------------------------
    def _shift_start(self, cid: str, _gen: int) -> None:
        c = self.couriers[cid]
        c.on_shift, c.started_s, c.mark_s = True, self.now, self.now
        self._kick()

    def _shift_end(self, cid: str, _gen: int) -> None:
        self._maybe_end(self.couriers[cid])

    def _maybe_end(self, c: SimCourier) -> None:
        """Past shift end and nothing on board: end the shift, returning the rest to the pool."""
        if not c.on_shift or self.now < c.spec.shift_end_s:
            return
        mine = [o for o in self.orders.values() if o.courier_id == c.id and o.status in ("assigned", "picked_up")]
        if any(o.status == "picked_up" for o in mine):
            return
        c.account(self.now)
        for o in mine:
            o.change("pending", None, "courier ended shift")
        c.route = []
        self._stop_where_you_are(c)
        c.on_shift, c.ended, c.ended_s = False, True, self.now
        self._kick()

    def _order(self, oid: str, _gen: int) -> None:
        o = self.orders[oid]
        o.status = "pending"
        self._push(o.window_end_s + self.config.abandon_after_s, "abandon", oid)
        self._kick()

    def _cancel(self, oid: str, _gen: int) -> None:
        o = self.orders[oid]
        if o.status not in ("pending", "assigned"):
            return
        old = o.courier_id
        o.change("cancelled", None, "customer cancelled before pickup")
        if old:
            self._reroute(self.couriers[old])
        self._kick()

    def _abandon(self, oid: str, _gen: int) -> None:
        o = self.orders[oid]
        if o.status == "pending":
            o.change("unassigned", None, o.reason or "no courier took it")

    def _sample(self, _key: str, _gen: int) -> None:
        on = [c for c in self.couriers.values() if c.on_shift]
        busy = sum(1 for c in on if c.route)
        still_open = sum(1 for o in self.orders.values() if o.status in ("pending", "assigned", "picked_up"))
        self.result.samples.append((self.now, len(on), busy, still_open))
        if self.heap:
            self._push(self.now + self.config.sample_every_s, "sample", "")

    def _finish(self) -> None:
        for o in self.orders.values():
            if o.status in ("unplaced", "pending", "assigned"):
                o.change("unassigned", None, f"still waiting when the day ended ({o.reason or 'no plan'})")
            elif o.status == "picked_up":
                o.change("failed", o.courier_id, "still on board when the simulation stopped")
        for c in self.couriers.values():
            c.account(self.now)
            if c.on_shift or (c.started_s is not None and c.ended_s is None):
                c.on_shift, c.ended_s = False, max(self.now, c.spec.shift_end_s)
