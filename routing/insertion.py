"""Fast cheapest insertion in plain Python: the solver's first plan and the explanations.

A route's cost here is what the OR-Tools model minimises for that route: riding time times
``travel_per_s`` plus lateness times ``lateness_per_s`` (live mode), or distance (benchmark
mode), plus churn. A route is infeasible when it breaks the shift end, a capacity, a hard window
or a maximum ride time. The matrices are turned into Python lists once per ``Evaluator`` so the
inner loop stays free of numpy scalars. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.problem import Courier, Delivery, Mode, Problem, StopKind
from routing.schedule import Visit, on_board_load

Insertion = tuple[int, str, int, int]  # (extra cost, courier key, pickup pos, dropoff pos)


class Evaluator:
    """Route costs and cheapest insertions for one problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.travel = problem.travel_s.tolist()
        self.distance = problem.distance_m.tolist()
        self.benchmark = problem.mode is Mode.BENCHMARK
        self.loads = {c.key: on_board_load(problem, c) for c in problem.couriers}
        self.previous = problem.previous_courier()
        self.fixed_prefix = {
            c for c, _, _ in problem.heading_to if c not in problem.unpin_heading
        }

    def route_cost(self, courier: Courier, visits: Sequence[Visit]) -> int | None:
        """Cost of ``courier`` riding ``visits`` in order, or None when infeasible.

        Parameters
        ----------
        courier : the vehicle.
        visits : the stops in order.

        Returns
        -------
        int | None : weighted riding time and lateness (live) or distance (benchmark).
        """
        w = self.problem.weights
        grams, ml = self.loads[courier.key]
        place, clock, cost, pct = courier.start, courier.available_s, 0, courier.speed_pct
        picked: dict[str, int] = {}
        for v in visits:
            d = v.delivery
            leg = -(-self.travel[place][v.place] * pct // 100)
            cost += self.distance[place][v.place] if self.benchmark else w.travel_per_s * leg
            start = max(clock + leg, v.earliest_s)
            if v.kind is StopKind.PICKUP:
                grams, ml = grams + d.load_g, ml + d.load_ml
                if grams > courier.capacity_g or ml > courier.capacity_ml:
                    return None
                if d.pickup_window_end_s is not None and start > d.pickup_window_end_s:
                    return None
                picked[d.key] = start
                clock = start + d.pickup_service_s
            else:
                grams, ml = grams - d.load_g, ml - d.load_ml
                if start > d.window_end_s:
                    if self.benchmark:
                        return None
                    cost += w.lateness_per_s * (start - d.window_end_s)
                ride = start - picked.get(d.key, start)
                if d.max_ride_s is not None and ride > d.max_ride_s:
                    return None
                clock = start + d.dropoff_service_s
            place = v.place
        if courier.end is not None:
            leg = -(-self.travel[place][courier.end] * pct // 100)
            cost += self.distance[place][courier.end] if self.benchmark else w.travel_per_s * leg
            clock += leg
        return None if clock > courier.shift_end_s else cost

    def churn(self, courier: Courier, delivery: Delivery) -> int:
        """The churn cost of giving ``delivery`` to ``courier``."""
        was = self.previous.get(delivery.key)
        if was is None or was == courier.key or self.benchmark:
            return 0
        if not any(c.key == was for c in self.problem.couriers):
            return 0
        return self.problem.weights.churn_per_move

    def best_insertion(
        self, courier: Courier, route: Sequence[Visit], delivery: Delivery
    ) -> Insertion | None:
        """The cheapest feasible way to add ``delivery`` to ``route``, or None."""
        base = self.route_cost(courier, route)
        if base is None:
            return None
        first = 1 if courier.key in self.fixed_prefix and route else 0
        drop = Visit(delivery, StopKind.DROPOFF)
        n = len(route)
        best: Insertion | None = None
        pickups = [None] if delivery.on_board_of else range(first, n + 1)
        for i in pickups:
            if i is None:
                head: list[Visit] = list(route)
                start_j = first
            else:
                head = [*route[:i], Visit(delivery, StopKind.PICKUP), *route[i:]]
                start_j = i + 1
            for j in range(start_j, len(head) + 1):
                cost = self.route_cost(courier, [*head[:j], drop, *head[j:]])
                if cost is not None and (best is None or cost - base < best[0]):
                    best = (cost - base, courier.key, -1 if i is None else i, j)
        if best is None:
            return None
        return (best[0] + self.churn(courier, delivery), best[1], best[2], best[3])


def apply_insertion(route: list[Visit], delivery: Delivery, pick_pos: int, drop_pos: int) -> None:
    """Insert ``delivery`` into ``route`` in place at the positions of an ``Insertion``."""
    if pick_pos >= 0:
        route.insert(pick_pos, Visit(delivery, StopKind.PICKUP))
    route.insert(drop_pos, Visit(delivery, StopKind.DROPOFF))


@dataclass
class Inserted:
    """The routes after insertion and the deliveries that fit nowhere."""

    routes: dict[str, list[Visit]]
    failed: list[Delivery]


def insert_all(
    evaluator: Evaluator,
    routes: dict[str, list[Visit]],
    deliveries: Sequence[Delivery],
    allowed: dict[str, list[Courier]],
) -> Inserted:
    """Insert each delivery, in the given order, where it costs least.

    Parameters
    ----------
    evaluator : costs for the problem.
    routes : courier key -> visits; modified in place.
    deliveries : to insert, in order.
    allowed : delivery key -> couriers allowed to take it.

    Returns
    -------
    Inserted : the routes and the deliveries with no feasible insertion.
    """
    failed: list[Delivery] = []
    for d in deliveries:
        best: Insertion | None = None
        for c in allowed[d.key]:
            found = evaluator.best_insertion(c, routes[c.key], d)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        if best is None:
            failed.append(d)
        else:
            apply_insertion(routes[best[1]], d, best[2], best[3])
    return Inserted(routes, failed)
