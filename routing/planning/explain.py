"""Why each courier got each delivery: the extra cost of the best alternative courier.

For a delivery on courier ``c``: the saving of taking it out of ``c``'s route, against the
cheapest feasible insertion into another courier's current route (costs as in
``routing.planning.insertion``, churn included). ``delta_cost`` = alternative - saving, so a positive
value says how much worse the best other choice would be. To stay fast only the
``ALTERNATIVES`` couriers whose route passes nearest the pickup are tried, and at most
``TRIALS`` insertions scheduled in full, so an explanation is an upper bound on the best
alternative's cost. With a deadline (the solver passes its time limit) the explanations not
computed by then say so; new and moved assignments come first. Pure apart from reading the
clock for that deadline.
"""

from __future__ import annotations

import dataclasses
import time

from routing.planning.insertion import Evaluator
from routing.planning.problem import Courier, Delivery, Explanation, Plan, Problem
from routing.planning.reasons import candidates
from routing.planning.schedule import Visit, visits_from_stops

ALTERNATIVES = 5
TRIALS = 40  # full schedules tried per explanation (cheapest travel first)
LATER = "not computed within the time limit"


def explain(problem: Problem, plan: Plan, deadline: float | None = None) -> Plan:
    """``plan`` with one ``Explanation`` per assigned delivery.

    Parameters
    ----------
    problem : the problem the plan solves.
    plan : a plan from any solver.
    deadline : ``time.perf_counter()`` value after which no more are computed: the rest get
        an explanation without alternative, detail ``LATER``. Assignments that are new or
        moved against ``problem.previous`` are explained first. None: explain them all.

    Returns
    -------
    Plan : the same plan, ``explanations`` filled in delivery-key order.
    """
    evaluator = Evaluator(problem)
    routes = {r.courier: visits_from_stops(problem, r.stops) for r in plan.routes}
    by_key = {d.key: d for d in problem.deliveries}
    couriers = {c.key: c for c in problem.couriers}
    previous = problem.previous_courier()
    assigned = plan.assignment()
    order = sorted(assigned, key=lambda k: (previous.get(k) == assigned[k], k))
    out: dict[str, Explanation] = {}
    for key in order:
        courier = couriers[assigned[key]]
        if deadline is not None and time.perf_counter() > deadline:
            out[key] = Explanation(key, courier.key, None, None, LATER)
            continue
        out[key] = _explain_one(problem, evaluator, routes, by_key[key], courier)
    return dataclasses.replace(plan, explanations=tuple(out[k] for k in sorted(out)))


def _explain_one(
    problem: Problem,
    evaluator: Evaluator,
    routes: dict[str, list[Visit]],
    d: Delivery,
    courier: Courier,
) -> Explanation:
    if d.on_board_of is not None:
        return Explanation(d.key, courier.key, None, None, "already on board")
    if d.pinned_to is not None:
        return Explanation(d.key, courier.key, None, None, "pinned by the dispatcher")
    route = routes.get(courier.key, [])
    with_d = evaluator.route_cost(courier, route)
    without = evaluator.route_cost(courier, [v for v in route if v.delivery.key != d.key])
    if with_d is None or without is None:
        return Explanation(d.key, courier.key, None, None, "current route is infeasible")
    saving = with_d - without + evaluator.churn(courier, d)
    others = _nearest_alternatives(problem, evaluator, routes, d, courier)
    best = evaluator.cheapest(routes, others, d, limit=TRIALS)
    if best is None:
        return Explanation(d.key, courier.key, None, None, "no other courier could take it")
    return Explanation(d.key, courier.key, best[1], best[0] - saving, "")


def _nearest_alternatives(
    problem: Problem,
    evaluator: Evaluator,
    routes: dict[str, list[Visit]],
    d: Delivery,
    chosen: Courier,
) -> list[Courier]:
    ranked: list[tuple[int, str, Courier]] = []
    for c in candidates(problem, d):
        if c.key == chosen.key:
            continue
        places = [c.start, *(v.place for v in routes.get(c.key, []))]
        near = min(evaluator.travel[p][d.pickup] for p in places)
        ranked.append((near, c.key, c))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [c for _, _, c in ranked[:ALTERNATIVES]]
