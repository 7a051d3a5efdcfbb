"""The greedy "nearest available courier" baseline.

Each courier's route starts with the stop it is riding to (unless unpinned), then the dropoffs of
the deliveries already on board (earliest window end first). Then every other delivery, in
ready-time order, is appended (pickup, then dropoff) to the route of the allowed courier whose
current route end reaches the pickup soonest, among those that keep capacity, shift end and the
hard time limits. Deterministic: ties go to the courier listed first. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from routing.planning.plans import plan_from_visits
from routing.planning.problem import (
    Courier,
    Delivery,
    Plan,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.planning.reasons import Fleet, candidates, split_assignable, windows_ok
from routing.planning.schedule import Timeline, Visit, ride_s, timeline


def solve_nearest(problem: Problem) -> Plan:
    """Plan ``problem`` greedily, nearest available courier first.

    Parameters
    ----------
    problem : the live (or benchmark) problem.

    Returns
    -------
    Plan : routes with ETAs; deliveries that fit nowhere are unassigned with a reason.
    """
    fleet = Fleet(problem.couriers)
    keep, unassigned = split_assignable(problem, fleet)
    routes = forced_prefixes(problem, keep)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    ends = _RouteEnds(problem, fleet, routes)
    for d in sorted(keep, key=lambda d: (d.ready_s, d.key)):
        if d.key in placed:
            continue
        best = _nearest_courier(problem, d, routes, ends)
        if best is None:
            detail = "no courier's route has room"
            unassigned.append(Unassigned(d.key, UnassignedReason.SOLVER, detail))
        else:
            routes[best[0]].extend([Visit(d, StopKind.PICKUP), Visit(d, StopKind.DROPOFF)])
            ends.update(best[0], best[1])
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


class _RouteEnds:
    """Where and when each courier's current route ends (place, last departure), as arrays
    over ``problem.couriers``, starting from the ``Fleet``'s start and availability: the time a
    courier reaches a new pickup is then one vectorised expression, exactly the arrival its
    timeline would give."""

    def __init__(self, problem: Problem, fleet: Fleet, routes: dict[str, list[Visit]]) -> None:
        self.index = {key: i for i, key in enumerate(fleet.keys)}
        self.pct = fleet.pct
        self.place = fleet.start.copy()  # both move to each route's end
        self.depart = fleet.available.copy()
        for c in fleet.couriers:
            if routes[c.key]:
                self.update(c.key, timeline(problem, c, routes[c.key]))

    def update(self, key: str, line: Timeline) -> None:
        i, last = self.index[key], line.stops[-1]
        self.place[i], self.depart[i] = last.place, last.departure_s

    def reach(self, problem: Problem, which: npt.NDArray[np.int64], pickup: int) -> npt.NDArray[np.int64]:
        return np.asarray(self.depart[which] + ride_s(problem.travel_s[self.place[which], pickup],
                                                      self.pct[which]))


def _nearest_courier(
    problem: Problem, delivery: Delivery, routes: dict[str, list[Visit]], ends: _RouteEnds
) -> tuple[str, Timeline] | None:
    """The allowed courier who reaches the pickup first among those it fits (ties: listed
    first), with its new timeline. Couriers are tried in order of arrival at the pickup, so
    usually one timeline is computed, not one per courier on shift."""
    added = [Visit(delivery, StopKind.PICKUP), Visit(delivery, StopKind.DROPOFF)]
    allowed = candidates(problem, delivery)
    which = np.array([ends.index[c.key] for c in allowed], dtype=np.int64)
    if which.size == 0:
        return None
    reach = ends.reach(problem, which, delivery.pickup)
    for k in np.lexsort((which, reach)):
        c = allowed[int(k)]
        visits = routes[c.key] + added
        line = timeline(problem, c, visits)
        if _fits(problem, c, visits, line):
            return c.key, line
    return None


def _fits(problem: Problem, courier: Courier, visits: list[Visit], line: Timeline) -> bool:
    if line.end_s > courier.shift_end_s:
        return False
    if max(line.load_g, default=0) > courier.capacity_g:
        return False
    if max(line.load_ml, default=0) > courier.capacity_ml:
        return False
    return windows_ok(problem, line, visits)
