"""Route removal by ejection pool: fewer routes, every delivery kept, every route feasible."""

from __future__ import annotations

import dataclasses
import time

from routing.bench.ejection import remove_routes
from routing.planning.check import check
from routing.planning.insertion import Evaluator
from routing.planning.plans import plan_from_visits
from routing.planning.problem import Mode, Problem, StopKind
from routing.planning.schedule import Visit


def _one_each(p: Problem) -> dict[str, list[Visit]]:
    d1, d2, d3 = p.deliveries
    pair = [Visit(d, k) for d in (d2, d3) for k in (StopKind.PICKUP, StopKind.DROPOFF)]
    return {"ana": [Visit(d1, StopKind.PICKUP), Visit(d1, StopKind.DROPOFF)], "bo": pair}


def test_a_route_is_removed_when_the_other_can_take_its_deliveries(
    two_couriers_three_orders: Problem,
) -> None:
    """Two routes become one, all three deliveries planned and check is clean."""
    p = dataclasses.replace(two_couriers_three_orders, mode=Mode.BENCHMARK)
    out = remove_routes(Evaluator(p), p.couriers, _one_each(p), time.perf_counter() + 2.0, 0)
    assert sum(1 for v in out.values() if v) == 1
    plan = plan_from_visits(p, out, [])
    assert check(p, plan) == [] and set(plan.assignment()) == {"d1", "d2", "d3"}

