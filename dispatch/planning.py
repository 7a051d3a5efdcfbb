"""From live state to a ``routing.Problem`` and from a ``routing.Plan`` back to service terms.

This is the one translation used by the service's dispatch loop and by the simulator, so the
simulator measures exactly the policy the riders get. It is pure: the caller supplies the
travel-time function (street graph in the service, street graph or straight lines in a
simulation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from dispatch.commitment import hold
from dispatch.domain.presence import is_quiet
from dispatch.services.dispatching import PlannedStop, PlanToWrite
from routing.planning.problem import Courier, Delivery, Plan, Problem, StopKind, Weights, courier_fault, delivery_fault

LatLon = tuple[float, float]
# (points, origins) -> (seconds, metres). The first ``origins`` points are couriers' positions,
# only ever left: a matrix function may leave travel into them undefined (a large value).
MatrixFn = Callable[[Sequence[LatLon], int], tuple[np.ndarray, np.ndarray]]


class PolicyFn(Protocol):
    """A dispatch policy: the plan for ``problem`` within a time limit (and, for a search, an
    optional solution count that stops it deterministically)."""

    def __call__(self, problem: Problem, previous: Plan | None, time_limit_s: float,
                 solution_limit: int | None = None, /) -> Plan: ...

MAX_RIDE_S = 60 * 60  # food stays warm: at most an hour from pickup to dropoff
# The live objective and the policy's rules (routing.planning.problem.Weights, the one documented place)
WEIGHTS = Weights()
OVERTIME_S = 30 * 60  # a courier past shift end with work on board may still finish it
HOLDING_POLICIES = frozenset({"solver"})  # commit orders when a courier must set off (dispatch.commitment)


@dataclass(frozen=True, slots=True)
class LiveCourier:
    id: str
    position: LatLon
    shift_end_at: datetime
    capacity_g: int
    capacity_ml: int
    speed_pct: int
    heading: tuple[str, str] | None = None  # (delivery id, "pickup" | "dropoff")
    position_at: datetime | None = None  # when the position was sent (None: always fresh)
    earned_pct_of_floor: int | None = None  # earned per hour on shift so far, % of the floor
    hour_end_at: datetime | None = None  # when the current clock hour ends
    hour_short_cents: int = 0  # what they still need to earn in it to reach its floor


@dataclass(frozen=True, slots=True)
class LiveDelivery:
    id: str
    status: str
    pickup: LatLon
    dropoff: LatLon
    ready_at: datetime
    window_start_at: datetime
    window_end_at: datetime
    load_g: int
    load_ml: int
    version: int = 1
    courier_id: str | None = None
    pinned: bool = False
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    courier_pay_cents: int = 0  # what it pays its courier (its quote's courier share)


@dataclass(frozen=True, slots=True)
class LiveState:
    coop_id: str
    now: datetime
    couriers: tuple[LiveCourier, ...]
    deliveries: tuple[LiveDelivery, ...]


class OffMap(ValueError):
    """A matrix function's answer for points it cannot place on the map (a phone without a
    fix sends 0, 0): ``reasons`` maps each such point to why. Raised before the function
    changes anything, so the caller can leave those points out and ask again."""

    def __init__(self, reasons: dict[LatLon, str]) -> None:
        super().__init__(f"{len(reasons)} point(s) off the map")
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class LeftOut:
    """What a round did not plan, and why, for the dispatcher: one courier or delivery that
    cannot be planned never stops the round for the others.

    ``couriers``: courier id -> reason; the courier and the work they carry or were given stay
    as they are. ``deliveries``: delivery id -> reason. ``quiet``: couriers whose phone went
    quiet (``dispatch.domain.presence``), planned but given nothing new.
    """

    couriers: dict[str, str] = field(default_factory=dict)
    deliveries: dict[str, str] = field(default_factory=dict)
    quiet: tuple[str, ...] = ()


def seconds_after(now: datetime, t: datetime) -> int:
    return max(0, int((t - now).total_seconds()))


def problem_from_state(state: LiveState, matrix: MatrixFn) -> Problem:
    """Build the problem: places are couriers' positions, then pickups, then dropoffs."""
    on_shift = {c.id for c in state.couriers}
    deliveries = [d for d in state.deliveries if d.status != "picked_up" or d.courier_id in on_shift]
    points: list[LatLon] = [c.position for c in state.couriers]
    points += [d.pickup for d in deliveries] + [d.dropoff for d in deliveries]
    nc, nd = len(state.couriers), len(deliveries)
    seconds, metres = matrix(points, nc)
    couriers = tuple(_courier(state, c, i) for i, c in enumerate(state.couriers))
    slowest = max((c.speed_pct for c in state.couriers), default=100)
    routed = tuple(_delivery(state.now, d, nc + i, nc + nd + i, on_shift,
                             ride_bound_s(d, int(seconds[nc + i, nc + nd + i]), slowest, WEIGHTS.bundle_detour_s))
                   for i, d in enumerate(deliveries))
    previous = tuple((d.id, d.courier_id) for d in deliveries
                     if d.courier_id in on_shift and d.status in ("assigned", "picked_up"))
    heading = tuple((c.id, c.heading[0], StopKind(c.heading[1])) for c in state.couriers
                    if c.heading and any(d.id == c.heading[0] for d in deliveries))
    return Problem(couriers=couriers, deliveries=routed, travel_s=np.asarray(seconds, dtype=np.int64),
                   distance_m=np.asarray(metres, dtype=np.int64), previous=previous,  # type: ignore[arg-type]
                   heading_to=heading, weights=WEIGHTS)


def prepare(state: LiveState, matrix: MatrixFn) -> tuple[LiveState, Problem, LeftOut]:
    """The round's problem, leaving out each courier or delivery that cannot be planned.

    A courier whose position is off the map, or whose fields are malformed, is left out with
    the deliveries they carry or were given (those stay as they are); a delivery with a stop
    off the map or malformed fields is left out alone. Returns the state actually planned
    (``plan_to_write`` of it touches nothing left out), the problem and what was left out.
    """
    left = LeftOut(quiet=tuple(c.id for c in state.couriers if is_quiet(c.position_at, state.now)))
    for c in state.couriers:
        fault = courier_fault(1, _courier(state, c, 0))
        if fault:
            left.couriers[c.id] = fault
    ids = {c.id for c in state.couriers}
    for d in state.deliveries:
        fault = delivery_fault(1, _delivery(state.now, d, 0, 0, ids), ids)
        if fault:
            left.deliveries[d.id] = fault
    while True:
        state = _without(state, left)
        try:
            return state, problem_from_state(state, matrix), left
        except OffMap as exc:
            if not _blame(state, exc.reasons, left):
                raise


def _blame(state: LiveState, reasons: dict[LatLon, str], left: LeftOut) -> bool:
    """Record who has a point in ``reasons``; False when no one does (nothing to leave out)."""
    found = False
    for c in state.couriers:
        if c.position in reasons:
            lat, lon = c.position
            # for the dispatcher: what the phone says and what follows (the log has the detail)
            left.couriers[c.id] = (f"their phone reports ({lat:.5f}, {lon:.5f}), off the map: no new orders "
                                   "and their route unchanged until it sends a position on the map")
            found = True
    for d in state.deliveries:
        for what, point in (("pickup", d.pickup), ("dropoff", d.dropoff)):
            if point in reasons and d.id not in left.deliveries:
                left.deliveries[d.id] = f"{what} is off the map: {reasons[point]}"
                found = True
    return found


def _without(state: LiveState, left: LeftOut) -> LiveState:
    if not left.couriers and not left.deliveries:
        return state
    couriers = tuple(c for c in state.couriers if c.id not in left.couriers)
    deliveries = tuple(d for d in state.deliveries if d.id not in left.deliveries
                       and not (d.courier_id in left.couriers and d.status in ("assigned", "picked_up")))
    return LiveState(coop_id=state.coop_id, now=state.now, couriers=couriers, deliveries=deliveries)


def _courier(state: LiveState, c: LiveCourier, place: int) -> Courier:
    end_s = int((c.shift_end_at - state.now).total_seconds())
    return Courier(key=c.id, start=place, available_s=0, shift_end_s=max(end_s, OVERTIME_S),
                   capacity_g=c.capacity_g, capacity_ml=c.capacity_ml, speed_pct=c.speed_pct,
                   takes_new=not is_quiet(c.position_at, state.now), earned_pct_of_floor=c.earned_pct_of_floor,
                   hour_end_s=seconds_after(state.now, c.hour_end_at) if c.hour_end_at else 0,
                   hour_short_cents=c.hour_short_cents)


def ride_bound_s(d: LiveDelivery, direct_s: int, slowest_pct: int, detour_s: int) -> int:
    """The most time from the start of ``d``'s pickup to the start of its dropoff: what riding
    it alone takes (its pickup service, the direct ride at the slowest speed on shift) plus
    ``detour_s`` (``Weights.bundle_detour_s``), so bundling never makes one customer's food
    much later than riding it alone would; an hour at most (food stays warm)."""
    alone = d.pickup_service_s + -(-direct_s * max(100, slowest_pct) // 100)
    return min(MAX_RIDE_S, alone + detour_s)


def _delivery(now: datetime, d: LiveDelivery, pickup: int, dropoff: int, on_shift: set[str],
              max_ride_s: int = MAX_RIDE_S) -> Delivery:
    on_board = d.courier_id if d.status == "picked_up" else None
    pinned = d.courier_id if d.pinned and d.status == "assigned" and d.courier_id in on_shift else None
    end_s = seconds_after(now, d.window_end_at)
    # a promise before the window's start (a replayed day whose kitchen was late) stays a
    # promise: the order is priced late, never refused
    return Delivery(
        key=d.id, pickup=pickup, dropoff=dropoff, ready_s=seconds_after(now, d.ready_at),
        window_start_s=min(seconds_after(now, d.window_start_at), end_s), window_end_s=end_s,
        load_g=d.load_g, load_ml=d.load_ml, pickup_service_s=d.pickup_service_s,
        dropoff_service_s=d.dropoff_service_s, max_ride_s=max_ride_s, on_board_of=on_board, pinned_to=pinned,
        pay_cents=d.courier_pay_cents,
    )


def plan_to_write(state: LiveState, plan: Plan, policy: str, left: LeftOut | None = None) -> PlanToWrite:
    """Convert solver output (seconds from now, keys) to ids and datetimes; what ``prepare``
    left out is listed with its reason (deliveries with the unassigned, couriers in the
    objective's ``couriers_left_out``, quiet ones in ``couriers_quiet``). A holding policy
    gives only what couriers must set off for now (``dispatch.commitment``)."""
    held: dict[str, str] = {}
    if policy in HOLDING_POLICIES:
        plan, held = hold(plan, state.deliveries, WEIGHTS.commit_ahead_stops, WEIGHTS.commit_wait_s)
    routes = {
        r.courier: [PlannedStop(s.delivery, s.kind.value, state.now + timedelta(seconds=s.arrival_s))
                    for s in r.stops]
        for r in plan.routes
    }
    o = plan.objective
    objective: dict[str, Any] = {"lateness_s": o.lateness_s, "travel_s": o.travel_s,
                                 "churn_moves": o.churn_moves, "unassigned": o.unassigned, "total": o.total}
    explanations = {e.delivery: {"courier_id": e.courier, "alternative": e.alternative,
                                 "delta_cost": e.delta_cost, "delta_min": delta_minutes(e.delta_cost),
                                 "detail": e.detail} for e in plan.explanations}
    unassigned = {u.delivery: f"{u.reason.value}: {u.detail}".rstrip(": ") for u in plan.unassigned}
    unassigned |= held
    if left is not None:
        unassigned |= {k: f"left_out: {why}" for k, why in left.deliveries.items()}
        if left.couriers:
            objective["couriers_left_out"] = dict(left.couriers)
        if left.quiet:
            objective["couriers_quiet"] = list(left.quiet)
    return PlanToWrite(
        coop_id=state.coop_id, policy=policy, routes=routes,
        unassigned=unassigned,
        objective=objective, explanations=explanations,
        versions={d.id: d.version for d in state.deliveries},
    )


def delta_minutes(delta_cost: int | None) -> float | None:
    """A cost difference in minutes of a customer's wait: a minute later at the door costs
    ``delay_per_s`` for the wait and ``travel_per_s`` for the riding, per second (cost points
    are not seconds: customers' delay weighs far more than riding)."""
    if delta_cost is None:
        return None
    return round(delta_cost / (60 * max(1, WEIGHTS.delay_per_s + WEIGHTS.travel_per_s)), 1)


def policy_nearest(problem: Problem, previous: Plan | None, time_limit_s: float,
                   solution_limit: int | None = None) -> Plan:
    from routing.planning.nearest import solve_nearest

    return solve_nearest(problem)


def policy_solver(problem: Problem, previous: Plan | None, time_limit_s: float,
                  solution_limit: int | None = None) -> Plan:
    """The planner's search (``routing.planning.solver``: the compiled engine's cheapest
    insertion, then ruin and recreate while time is left), re-planning every order not yet
    picked up each round.

    The previous plan is not the starting point: its routes were cut when fewer orders were
    known, and cheapest insertion into them puts each new order where the summed delay grows
    least, often before older orders, which then wait round after round (ready-to-pickup p90
    16-20 min on the simulated lunch day, click-to-door p90 35-38 min against nearest's 30).
    Re-inserting all open orders in ready-time order gives the oldest ones the first pick of
    the couriers (p90 28.5 min). What the riders already have is kept by ``problem.previous``
    (the churn price, ``Weights.churn_per_move``), by the stop each courier is riding to and by
    what is on board (``routing.planning.nearest.forced_prefixes``).
    """
    from routing.planning.solver import solve

    return solve(problem, time_limit_s=time_limit_s, seed=0, initial=None, solution_limit=solution_limit)


POLICIES: dict[str, PolicyFn] = {"nearest": policy_nearest, "solver": policy_solver}
