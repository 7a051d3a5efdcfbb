"""Check a plan against its problem and report every violated constraint.

Independent of the search: the timeline is recomputed with ``routing.planning.schedule`` from each route's
stop order, and every constraint is checked on it. Used by the tests, the benchmark and to
explain what a dispatcher's manual override breaks. Pure.

Violation codes
---------------
unknown_courier, duplicate_route, unknown_delivery, wrong_place, missing_delivery,
duplicate_delivery, split_delivery, pickup_after_dropoff, on_board_pickup, on_board_courier,
eta, route_totals, capacity_g, capacity_ml, shift_end, ready_time, window, lateness_mismatch,
pickup_window, max_ride, pin, heading_first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from routing.planning.problem import Courier, Mode, Plan, Problem, Route, StopKind
from routing.planning.schedule import Timeline, Visit, timeline


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken constraint: a code (see the module docstring), who and what it concerns."""

    code: str
    courier: str | None
    delivery: str | None
    detail: str = ""


def check(problem: Problem, plan: Plan) -> list[Violation]:
    """Every constraint of ``problem`` that ``plan`` violates.

    Parameters
    ----------
    problem : the problem the plan claims to solve.
    plan : routes with ETAs, and the unassigned deliveries with reasons.

    Returns
    -------
    list[Violation] : empty when the plan is feasible and its ETAs are consistent.
    """
    out: list[Violation] = []
    couriers = {c.key: c for c in problem.couriers}
    seen: set[str] = set()
    for route in plan.routes:
        courier = couriers.get(route.courier)
        if courier is None:
            out.append(Violation("unknown_courier", route.courier, None))
        elif route.courier in seen:
            out.append(Violation("duplicate_route", route.courier, None))
        else:
            seen.add(route.courier)
            out.extend(_check_route(problem, courier, route))
    out.extend(_check_coverage(problem, plan))
    out.extend(_check_heading(problem, plan))
    return out


def _check_route(problem: Problem, courier: Courier, route: Route) -> list[Violation]:
    by_key = {d.key: d for d in problem.deliveries}
    out: list[Violation] = []
    visits: list[Visit] = []
    for s in route.stops:
        d = by_key.get(s.delivery)
        if d is None:
            out.append(Violation("unknown_delivery", courier.key, s.delivery))
            continue
        visit = Visit(d, s.kind)
        if s.place != visit.place:
            out.append(Violation("wrong_place", courier.key, d.key, f"{s.kind.value}"))
        visits.append(visit)
    if out:
        return out
    line = timeline(problem, courier, visits)
    out.extend(_check_etas(courier, route, line))
    out.extend(_check_loads(courier, line))
    out.extend(_check_times(problem, courier, visits, line))
    return out


def _check_etas(courier: Courier, route: Route, line: Timeline) -> list[Violation]:
    out: list[Violation] = []
    for given, want in zip(route.stops, line.stops, strict=True):
        if (given.arrival_s, given.start_s, given.departure_s) != (
            want.arrival_s, want.start_s, want.departure_s
        ):
            detail = f"{given.kind.value} at {given.start_s}, recomputed {want.start_s}"
            out.append(Violation("eta", courier.key, given.delivery, detail))
        if given.lateness_s != want.lateness_s:
            detail = f"reported {given.lateness_s} s, recomputed {want.lateness_s} s"
            out.append(Violation("lateness_mismatch", courier.key, given.delivery, detail))
    if (route.travel_s, route.distance_m) != (line.travel_s, line.distance_m):
        detail = f"reported {route.travel_s} s {route.distance_m} m"
        out.append(Violation("route_totals", courier.key, None, detail))
    return out


def _check_loads(courier: Courier, line: Timeline) -> list[Violation]:
    out: list[Violation] = []
    grams = (line.start_load_g, *line.load_g)
    ml = (line.start_load_ml, *line.load_ml)
    keys = (None, *(s.delivery for s in line.stops))
    for g, m, key in zip(grams, ml, keys, strict=True):
        if g > courier.capacity_g:
            out.append(Violation("capacity_g", courier.key, key, f"{g} g"))
        if m > courier.capacity_ml:
            out.append(Violation("capacity_ml", courier.key, key, f"{m} ml"))
    return out


def _check_times(
    problem: Problem, courier: Courier, visits: list[Visit], line: Timeline
) -> list[Violation]:
    out: list[Violation] = []
    if line.end_s > courier.shift_end_s:
        detail = f"ends at {line.end_s}, shift ends at {courier.shift_end_s}"
        out.append(Violation("shift_end", courier.key, None, detail))
    picked: dict[str, int] = {}
    for v, s in zip(visits, line.stops, strict=True):
        d, key = v.delivery, courier.key
        if s.start_s < v.earliest_s:
            out.append(Violation("ready_time", key, d.key, f"starts at {s.start_s}"))
        if v.kind is StopKind.PICKUP:
            picked[d.key] = s.start_s
            if d.pickup_window_end_s is not None and s.start_s > d.pickup_window_end_s:
                out.append(Violation("pickup_window", key, d.key, f"starts at {s.start_s}"))
            continue
        if problem.mode is Mode.BENCHMARK and s.start_s > d.window_end_s:
            out.append(Violation("window", key, d.key, f"starts at {s.start_s}"))
        if d.max_ride_s is not None and d.key in picked:
            ride = s.start_s - picked[d.key]
            if ride > d.max_ride_s:
                out.append(Violation("max_ride", key, d.key, f"{ride} s"))
    return out


def _check_coverage(problem: Problem, plan: Plan) -> list[Violation]:
    where: dict[str, list[tuple[str, StopKind, int]]] = defaultdict(list)
    for route in plan.routes:
        for i, s in enumerate(route.stops):
            where[s.delivery].append((route.courier, s.kind, i))
    dropped: dict[str, int] = defaultdict(int)
    for u in plan.unassigned:
        dropped[u.delivery] += 1
    out: list[Violation] = []
    for d in problem.deliveries:
        stops = where.get(d.key, [])
        if dropped[d.key] > 1 or (dropped[d.key] and stops):
            out.append(Violation("duplicate_delivery", None, d.key, "unassigned and planned"))
        elif not stops and not dropped[d.key]:
            out.append(Violation("missing_delivery", None, d.key, "neither planned nor listed"))
        elif stops:
            out.extend(_check_pair(d.key, d.on_board_of, d.pinned_to, stops))
    return out


def _check_pair(
    key: str, on_board_of: str | None, pinned_to: str | None, stops: list[tuple[str, StopKind, int]]
) -> list[Violation]:
    kinds = sorted(k.value for _, k, _ in stops)
    couriers = {c for c, _, _ in stops}
    who = next(iter(couriers))
    if on_board_of is not None:
        if kinds != ["dropoff"]:
            return [Violation("on_board_pickup", who, key, f"stops {kinds}")]
        if who != on_board_of:
            return [Violation("on_board_courier", who, key, f"carried by {on_board_of}")]
        return []
    if kinds != ["dropoff", "pickup"]:
        return [Violation("duplicate_delivery", who, key, f"stops {kinds}")]
    if len(couriers) > 1:
        return [Violation("split_delivery", None, key, f"couriers {sorted(couriers)}")]
    out: list[Violation] = []
    index = {k: i for _, k, i in stops}
    if index[StopKind.PICKUP] > index[StopKind.DROPOFF]:
        out.append(Violation("pickup_after_dropoff", who, key))
    if pinned_to is not None and who != pinned_to:
        out.append(Violation("pin", who, key, f"pinned to {pinned_to}"))
    return out


def _check_heading(problem: Problem, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    for courier, delivery, kind in problem.heading_to:
        if courier in problem.unpin_heading:
            continue
        route = plan.route_of(courier)
        first = route.stops[0] if route and route.stops else None
        if first is None or (first.delivery, first.kind) != (delivery, kind):
            out.append(Violation("heading_first", courier, delivery, f"{kind.value} not first"))
    return out
