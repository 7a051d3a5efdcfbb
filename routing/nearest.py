"""The greedy "nearest available courier" baseline.

Each courier's route starts with the stop it is riding to (unless unpinned), then the dropoffs of
the deliveries already on board (earliest window end first). Then every other delivery, in
ready-time order, is appended (pickup, then dropoff) to the route of the allowed courier whose
current route end reaches the pickup soonest, among those that keep capacity, shift end and the
hard time limits. Deterministic: ties go to the courier listed first. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.plans import plan_from_visits
from routing.problem import (
    Courier,
    Delivery,
    Plan,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.reasons import candidates, split_assignable, windows_ok
from routing.schedule import Timeline, Visit, timeline


def solve_nearest(problem: Problem) -> Plan:
    """Plan ``problem`` greedily, nearest available courier first.

    Parameters
    ----------
    problem : the live (or benchmark) problem.

    Returns
    -------
    Plan : routes with ETAs; deliveries that fit nowhere are unassigned with a reason.
    """
    keep, unassigned = split_assignable(problem)
    routes = forced_prefixes(problem, keep)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    for d in sorted(keep, key=lambda d: (d.ready_s, d.key)):
        if d.key in placed:
            continue
        best = _nearest_courier(problem, d, routes)
        if best is None:
            detail = "no courier's route has room"
            unassigned.append(Unassigned(d.key, UnassignedReason.SOLVER, detail))
        else:
            routes[best].extend([Visit(d, StopKind.PICKUP), Visit(d, StopKind.DROPOFF)])
    return plan_from_visits(problem, routes, unassigned, (("solver", "nearest"),))


def forced_prefixes(problem: Problem, keep: Sequence[Delivery]) -> dict[str, list[Visit]]:
    """Each courier's forced start: the stop it rides to, then its on-board dropoffs.

    A heading-to pickup is followed by its dropoff so the delivery stays whole.
    """
    by_key = {d.key: d for d in keep}
    routes: dict[str, list[Visit]] = {c.key: [] for c in problem.couriers}
    done: set[str] = set()
    for courier, key, kind in problem.heading_to:
        d = by_key.get(key)
        if d is None or courier in problem.unpin_heading or courier not in routes:
            continue
        routes[courier].append(Visit(d, kind))
        if kind is StopKind.PICKUP:
            routes[courier].append(Visit(d, StopKind.DROPOFF))
        done.add(key)
    carried = [d for d in keep if d.on_board_of is not None and d.key not in done]
    for d in sorted(carried, key=lambda d: (d.window_end_s, d.key)):
        routes[str(d.on_board_of)].append(Visit(d, StopKind.DROPOFF))
    return routes


def _nearest_courier(
    problem: Problem, delivery: Delivery, routes: dict[str, list[Visit]]
) -> str | None:
    best: tuple[int, str] | None = None
    added = [Visit(delivery, StopKind.PICKUP), Visit(delivery, StopKind.DROPOFF)]
    for c in candidates(problem, delivery):
        visits = routes[c.key] + added
        line = timeline(problem, c, visits)
        if not _fits(problem, c, visits, line):
            continue
        reach_s = line.stops[-2].arrival_s
        if best is None or reach_s < best[0]:
            best = (reach_s, c.key)
    return None if best is None else best[1]


def _fits(problem: Problem, courier: Courier, visits: list[Visit], line: Timeline) -> bool:
    if line.end_s > courier.shift_end_s:
        return False
    if max(line.load_g, default=0) > courier.capacity_g:
        return False
    if max(line.load_ml, default=0) > courier.capacity_ml:
        return False
    return windows_ok(problem, line, visits)
