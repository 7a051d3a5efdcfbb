"""Cheapest insertion in plain Python: explanations, putting carried goods back, benchmark warm starts.

A route's cost here is what the compiled engine (``routing.planning.engine_kernels``, tested
to the unit against this module) minimises for that route: riding time times
``travel_per_s``, lateness times ``lateness_per_s`` and each dropoff's delay after its ideal time
times ``delay_per_s`` (live mode), or distance (benchmark mode), plus churn. A route is
infeasible when it breaks the shift end, a capacity, a hard window or a maximum ride time.
The matrices are turned into Python lists once per ``Evaluator`` so the inner loop stays free of
numpy scalars. Pure.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from routing.planning.fairness import hour_short, surcharges
from routing.planning.plans import ideal_dropoff_s
from routing.planning.problem import Courier, Delivery, IntMatrix, Mode, Problem, StopKind
from routing.planning.schedule import Visit, on_board_load, service_after

_LISTS: dict[int, tuple[weakref.ref[IntMatrix], list[list[int]]]] = {}
_LISTS_KEPT = 4


def as_lists(matrix: IntMatrix) -> list[list[int]]:
    """``matrix.tolist()``, remembered for the last few matrices (a solve builds several
    evaluators on the same problem; a 450-place matrix takes ~10 ms to convert).

    Problems are frozen and their matrices are never written after construction; an entry is
    dropped when its matrix is freed and checked against the very object (weak reference), so
    a new matrix is never confused with a freed one whose id was reused.
    """
    entry = _LISTS.get(id(matrix))
    if entry is not None and entry[0]() is matrix:
        return entry[1]
    lists: list[list[int]] = matrix.tolist()
    if len(_LISTS) >= _LISTS_KEPT:
        _LISTS.pop(next(iter(_LISTS)))
    key = id(matrix)
    _LISTS[key] = (weakref.ref(matrix, lambda _: _LISTS.pop(key, None)), lists)
    return lists


Insertion = tuple[int, str, int, int]  # (extra cost, courier key, pickup pos, dropoff pos)
MAX_TRIALS = 150  # full schedules tried per insertion, cheapest lower bounds first


class Evaluator:
    """Route costs and cheapest insertions for one problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.benchmark = problem.mode is Mode.BENCHMARK
        self.travel = as_lists(problem.travel_s)
        # Live costs are riding times: the distance matrix is only read in benchmark mode.
        self.distance = as_lists(problem.distance_m) if self.benchmark else self.travel
        self.loads = {c.key: on_board_load(problem, c) for c in problem.couriers}
        self.previous = problem.previous_courier()
        self.fixed_prefix = {
            c for c, _, _ in problem.heading_to if c not in problem.unpin_heading
        }
        live_delay = not self.benchmark and problem.weights.delay_per_s > 0
        self.surcharge = surcharges(problem)  # routing.planning.fairness
        self.ideal = {d.key: ideal_dropoff_s(problem, d) for d in problem.deliveries} if live_delay else {}

    def route_cost(self, courier: Courier, visits: Sequence[Visit]) -> int | None:
        """Cost of ``courier`` riding ``visits`` in order, or None when infeasible.

        Parameters
        ----------
        courier : the vehicle.
        visits : the stops in order.

        Returns
        -------
        int | None : weighted riding time, lateness and delay (live) or distance (benchmark).
        """
        w = self.problem.weights
        grams, ml = self.loads[courier.key]
        place, clock, cost, pct = courier.start, courier.available_s, 0, courier.speed_pct
        surcharge = self.surcharge[courier.key]
        got = 0  # pay of the dropoffs done before the courier's clock hour ends
        picked: dict[str, int] = {}
        visit = 0  # schedule.service_after: stops in a row at one place are one visit
        for n, v in enumerate(visits):
            d = v.delivery
            is_pickup = v.kind is StopKind.PICKUP
            to = d.pickup if is_pickup else d.dropoff
            visit = 0 if n == 0 or to != place else visit
            leg = -(-self.travel[place][to] * pct // 100)
            cost += self.distance[place][to] if self.benchmark else w.travel_per_s * leg
            arrival = clock + leg
            earliest = d.ready_s if is_pickup else d.window_start_s
            start = arrival if arrival > earliest else earliest
            if is_pickup:
                grams, ml = grams + d.load_g, ml + d.load_ml
                if grams > courier.capacity_g or ml > courier.capacity_ml:
                    return None
                if d.pickup_window_end_s is not None and start > d.pickup_window_end_s:
                    return None
                picked[d.key] = start
                extra, visit = service_after(d.pickup_service_s, visit, self.benchmark)
                clock = start + extra
            else:
                grams, ml = grams - d.load_g, ml - d.load_ml
                if start > d.window_end_s:
                    if self.benchmark:
                        return None
                    cost += w.lateness_per_s * (start - d.window_end_s)
                ideal = self.ideal.get(d.key)
                if ideal is not None and start > ideal:
                    cost += w.delay_per_s * (start - ideal)
                    if w.delay_tail_per_s and start > ideal + w.delay_tail_s:
                        cost += w.delay_tail_per_s * (start - ideal - w.delay_tail_s)
                ride = start - picked.get(d.key, start)
                if d.max_ride_s is not None and ride > d.max_ride_s:
                    return None
                if d.on_board_of is None:
                    cost += surcharge
                if start + d.dropoff_service_s <= courier.hour_end_s:
                    got += d.pay_cents
                extra, visit = service_after(d.dropoff_service_s, visit, self.benchmark)
                clock = start + extra
            place = to
        if courier.end is not None:
            leg = -(-self.travel[place][courier.end] * pct // 100)
            cost += self.distance[place][courier.end] if self.benchmark else w.travel_per_s * leg
            clock += leg
        if clock > courier.shift_end_s:
            return None
        return cost + hour_short(self.problem, courier, got)

    def churn(self, courier: Courier, delivery: Delivery) -> int:
        """The churn cost of giving ``delivery`` to ``courier``."""
        was = self.previous.get(delivery.key)
        if was is None or was == courier.key or self.benchmark:
            return 0
        if not any(c.key == was for c in self.problem.couriers):
            return 0
        return self.problem.weights.churn_per_move

    def leg(self, courier: Courier, a: int, b: int | None) -> int:
        """Cost of one leg (riding time weighted, or distance); 0 into an open end."""
        if b is None:
            return 0
        if self.benchmark:
            return int(self.distance[a][b])
        ride: int = -(-self.travel[a][b] * courier.speed_pct // 100)
        return self.problem.weights.travel_per_s * ride

    def bounds(
        self, courier: Courier, route: Sequence[Visit], delivery: Delivery
    ) -> list[tuple[int, int, int]]:
        """Every (travel cost added, pickup pos, dropoff pos) for ``delivery`` in ``route``.

        The travel part of an insertion's cost is exact; lateness can only add to it, so
        it is a lower bound on the insertion's cost. A pickup position of -1 means the
        delivery is on board (dropoff only).
        """
        places: list[int | None] = [courier.start, *(v.place for v in route), courier.end]
        first = 1 if courier.key in self.fixed_prefix and route else 0
        p, d = delivery.pickup, delivery.dropoff
        n = len(route)
        # detour[k]: cost of putting place x between stop k-1 and stop k (positions 0..n).
        def detour(x: int, k: int) -> int:
            a, b = places[k], places[k + 1]
            assert a is not None
            return self.leg(courier, a, x) + self.leg(courier, x, b) - self.leg(courier, a, b)

        drop_detour = [detour(d, k) for k in range(n + 1)]
        if delivery.on_board_of is not None:
            return [(drop_detour[j], -1, j) for j in range(first, n + 1)]
        out: list[tuple[int, int, int]] = []
        for i in range(first, n + 1):
            a, b = places[i], places[i + 1]
            assert a is not None
            together = (self.leg(courier, a, p) + self.leg(courier, p, d)
                        + self.leg(courier, d, b) - self.leg(courier, a, b))
            out.append((together, i, i + 1))
            pick = detour(p, i)
            out.extend((pick + drop_detour[j], i, j + 1) for j in range(i + 1, n + 1))
        return out

    def best_insertion(
        self, courier: Courier, route: Sequence[Visit], delivery: Delivery
    ) -> Insertion | None:
        """The cheapest feasible way to add ``delivery`` to ``route``, or None."""
        return self.cheapest({courier.key: route}, [courier], delivery)

    def cheapest(
        self,
        routes: dict[str, list[Visit]] | dict[str, Sequence[Visit]],
        couriers: Sequence[Courier],
        delivery: Delivery,
        limit: int = MAX_TRIALS,
    ) -> Insertion | None:
        """The cheapest feasible insertion of ``delivery`` over ``couriers``' routes.

        Candidates are tried in order of their exact travel cost (a lower bound), so only
        the few cheapest are scheduled in full: the search stops when the next lower bound
        cannot beat the best feasible insertion found, or after ``limit`` full schedules
        (lateness can make the bound weak on overloaded routes; the limit keeps an insertion
        within milliseconds, at the price of sometimes missing the cheapest one).
        """
        queue: list[tuple[int, int, int, int]] = []
        bases: list[int | None] = []
        for n, c in enumerate(couriers):
            route = routes.get(c.key, [])
            base = self.route_cost(c, route)
            bases.append(base)
            if base is None:
                continue
            churn = self.churn(c, delivery)
            queue.extend((lb + churn, n, i, j) for lb, i, j in self.bounds(c, route, delivery))
        queue.sort()
        best: Insertion | None = None
        for lb, n, i, j in queue[:limit]:
            if best is not None and lb >= best[0]:
                break
            c = couriers[n]
            trial = list(routes.get(c.key, []))
            apply_insertion(trial, delivery, i, j)
            cost = self.route_cost(c, trial)
            base = bases[n]
            if cost is None or base is None:
                continue
            total = cost - base + self.churn(c, delivery)
            if best is None or total < best[0]:
                best = (total, c.key, i, j)
        return best


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
        best = evaluator.cheapest(routes, allowed[d.key], d)
        if best is None:
            failed.append(d)
        else:
            apply_insertion(routes[best[1]], d, best[2], best[3])
    return Inserted(routes, failed)
