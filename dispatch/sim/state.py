"""The simulated world: orders and couriers as they change during a day, and the snapshot the
dispatch policy sees (``dispatch.planning.LiveState``, exactly as the service builds it)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dispatch.domain import pay_so_far as pay
from dispatch.domain.vehicles import VEHICLES
from dispatch.planning import LiveCourier, LiveDelivery, LiveState
from dispatch.sim.scenario import CourierSpec, OrderSpec, Point, Scenario

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)  # the simulated day's midnight (a Monday)
OPEN = ("pending", "assigned", "picked_up")
FINAL = ("delivered", "failed", "cancelled", "unassigned")
Stop = tuple[str, str]  # (order id, "pickup" | "dropoff")
DEFAULT_WINDOW_S = 45 * 60  # as dispatch.services.deliveries.DEFAULT_WINDOW


def at(seconds: int) -> datetime:
    """The datetime of a simulated second of the day."""
    return DAY0 + timedelta(seconds=seconds)


@dataclass
class SimOrder:
    spec: OrderSpec
    window_end_s: int
    direct_s: int  # ride pickup -> dropoff in the matrix (for the fee)
    direct_m: int
    status: str = "unplaced"  # then one of OPEN, then one of FINAL
    courier_id: str | None = None
    version: int = 1
    ever_assigned: bool = False
    reason: str = ""  # why it ended unassigned, failed or cancelled (or the plan's latest reason)
    picked_s: int | None = None
    picked_by: str | None = None
    dropoff_start_s: int | None = None
    done_s: int | None = None
    done_by: str | None = None
    service_pickup_s: int = 120  # what the rider takes at the stop (nominal with luck)
    service_dropoff_s: int = 120
    pay_cents: int = 0  # what it pays its courier, priced when placed (dispatch.sim.pay)
    nominal_pickup_s: int = 120  # what the planner is told (the scenario's)
    nominal_dropoff_s: int = 120

    @property
    def lower_bound_s(self) -> int:
        """The soonest this order's dropoff could be done: ready, served at the pickup, ridden
        straight to the door (at the matrix speed), served there."""
        return self.spec.ready_s + self.service_pickup_s + self.direct_s + self.service_dropoff_s

    @property
    def id(self) -> str:
        return self.spec.order_id

    def change(self, status: str, courier_id: str | None, reason: str = "") -> None:
        self.status, self.courier_id, self.version = status, courier_id, self.version + 1
        if reason:
            self.reason = reason
        if status == "assigned":
            self.ever_assigned = True

    def point(self, kind: str) -> Point:
        return self.spec.pickup if kind == "pickup" else self.spec.dropoff


@dataclass
class Leg:
    start: Point
    end: Point
    start_s: int
    end_s: int
    target: Stop
    distance_m: int


@dataclass
class SimCourier:
    spec: CourierSpec
    position: Point
    on_shift: bool = False
    ended: bool = False
    route: list[Stop] = field(default_factory=list)
    leg: Leg | None = None
    serving: Stop | None = None
    gen: int = 0  # bumps whenever the courier's next event changes; stale events are dropped
    started_s: int | None = None
    ended_s: int | None = None
    busy_s: int = 0
    ridden_m: int = 0
    mark_s: int = 0
    paid: list[tuple[int, int]] = field(default_factory=list)  # (second delivered, cents) each
    # the visit in progress: where the courier parked last and the longest stop there so far
    # (stops in a row at one place are one visit: routing.planning.schedule.service_after)
    visit_at: Point | None = None
    visit_s: int = 0

    @property
    def id(self) -> str:
        return self.spec.courier_id

    @property
    def earned_cents(self) -> int:
        """So far today: the fair-price courier share of what they delivered."""
        return sum(cents for _done, cents in self.paid)

    def account(self, now: int) -> None:
        """Count time with work in hand (riding, waiting or serving) as busy, up to ``now``."""
        if self.on_shift and self.route:
            self.busy_s += now - self.mark_s
        self.mark_s = now

    def where(self, now: int, along: object) -> Point:
        """Position now: part of the way along the current leg, or where the last stop was."""
        if self.leg is None:
            return self.position
        span = max(1, self.leg.end_s - self.leg.start_s)
        return along(self.leg.start, self.leg.end, (now - self.leg.start_s) / span)  # type: ignore[operator]


def hour_short(c: SimCourier, now: int, floor_cents_per_hour: int) -> int:
    """What ``c`` still needs to earn in the current clock hour to reach the floor's share of
    their time on shift in it, in cents (``dispatch.domain.pay_so_far``)."""
    if c.started_s is None:
        return 0
    epoch = at(0).timestamp()
    lo, span = pay.this_hour(epoch + now, epoch + c.started_s, epoch + c.spec.shift_end_s)
    earned = sum(cents for done, cents in c.paid if epoch + done >= lo)
    return pay.short_cents(earned, span, floor_cents_per_hour)


def earned_pct(c: SimCourier, now: int, floor_cents_per_hour: int) -> int | None:
    """What ``c`` earned per hour on shift so far, in percent of the floor (None: not known yet)."""
    return None if c.started_s is None else pay.pct_of_floor(c.earned_cents, now - c.started_s, floor_cents_per_hour)


def live_state(now: int, couriers: list[SimCourier], orders: list[SimOrder], along: object,
               floor_cents_per_hour: int = 0) -> LiveState:
    """The snapshot the service's ``dispatcher.live_state`` would read from the database."""
    on = [c for c in couriers if c.on_shift]
    live_couriers = tuple(
        LiveCourier(id=c.id, position=c.where(now, along), shift_end_at=at(c.spec.shift_end_s),
                    capacity_g=VEHICLES[c.spec.vehicle].capacity_g, capacity_ml=VEHICLES[c.spec.vehicle].capacity_ml,
                    speed_pct=VEHICLES[c.spec.vehicle].speed_pct, heading=c.route[0] if c.route else None,
                    earned_pct_of_floor=earned_pct(c, now, floor_cents_per_hour),
                    hour_end_at=at(int(pay.hour_end(now))),
                    hour_short_cents=hour_short(c, now, floor_cents_per_hour))
        for c in on)
    deliveries = tuple(
        LiveDelivery(id=o.id, status=o.status, pickup=o.spec.pickup, dropoff=o.spec.dropoff,
                     ready_at=at(o.spec.ready_s), window_start_at=at(o.spec.ready_s),
                     window_end_at=at(o.window_end_s), load_g=o.spec.load_g, load_ml=o.spec.load_ml,
                     version=o.version, courier_id=o.courier_id, pickup_service_s=o.nominal_pickup_s,
                     dropoff_service_s=o.nominal_dropoff_s, courier_pay_cents=o.pay_cents)
        for o in orders if o.status in OPEN)
    return LiveState(coop_id="sim", now=at(now), couriers=live_couriers, deliveries=deliveries)


def orders_for(scenario: Scenario, travel: Any, seed: int, sigma: float) -> dict[str, SimOrder]:
    """Each order with its direct ride, its promised window end and its stop times."""
    out: dict[str, SimOrder] = {}
    todo = sorted(scenario.orders, key=lambda o: (o.pickup, o.placed_s))
    for first in range(0, len(todo), 200):  # a few hundred points per matrix at most
        chunk = todo[first:first + 200]
        points = list(dict.fromkeys(p for o in chunk for p in (o.pickup, o.dropoff)))
        index = {p: i for i, p in enumerate(points)}
        seconds, metres = travel.matrix(points)
        for o in chunk:
            i, j = index[o.pickup], index[o.dropoff]
            direct_s, direct_m = int(seconds[i, j]), int(metres[i, j])
            end = o.window_end_s if o.window_end_s is not None else o.ready_s + direct_s + DEFAULT_WINDOW_S
            luck = random.Random(f"{seed}:{o.order_id}:stops")
            pick, drop = scenario.service_s(o)
            out[o.order_id] = SimOrder(o, end, direct_s, direct_m,
                                       service_pickup_s=_service(luck, sigma, pick),
                                       service_dropoff_s=_service(luck, sigma, drop),
                                       nominal_pickup_s=pick, nominal_dropoff_s=drop)
    return {o.order_id: out[o.order_id] for o in scenario.orders}


def _service(luck: random.Random, sigma: float, nominal_s: int = 120) -> int:
    draw = luck.gauss(0.0, sigma)  # drawn even for a zero nominal: the same luck for the rest
    return 0 if nominal_s == 0 else max(20, round(nominal_s * math.exp(draw - sigma * sigma / 2)))


class ConservationError(AssertionError):
    """An order ended the day in no final state, or without a reason."""


def check_conservation(result: Any) -> None:
    """Every order is delivered, failed, cancelled or unassigned; the last three with a reason."""
    ids = {o.order_id for o in result.scenario.orders}
    if set(result.orders) != ids:
        raise ConservationError(f"{len(ids ^ set(result.orders))} orders appeared or vanished")
    for o in result.orders.values():
        if o.status not in FINAL:
            raise ConservationError(f"order {o.id} ended {o.status!r}, not one of {FINAL}")
        if o.status != "delivered" and not o.reason:
            raise ConservationError(f"order {o.id} ended {o.status!r} without a reason")
