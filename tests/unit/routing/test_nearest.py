"""The greedy nearest-courier baseline: feasible, complete, deterministic."""

from __future__ import annotations

import dataclasses

from routing.planning.check import check
from routing.planning.nearest import solve_nearest
from routing.planning.problem import Problem, StopKind, UnassignedReason


def test_every_delivery_is_planned_without_violation(two_couriers_three_orders: Problem) -> None:
    """Three easy deliveries are all planned and the plan passes check."""
    plan = solve_nearest(two_couriers_three_orders)
    assert check(two_couriers_three_orders, plan) == []
    assert set(plan.assignment()) == {"d1", "d2", "d3"}


def test_the_courier_reaching_the_pickup_first_gets_it(two_couriers_three_orders: Problem) -> None:
    """d1's pickup is 2 units from ana and 8 from bo, so ana takes it."""
    assert solve_nearest(two_couriers_three_orders).assignment()["d1"] == "ana"


def test_a_too_heavy_delivery_comes_back_with_its_reason(
    two_couriers_three_orders: Problem,
) -> None:
    """A 50 kg parcel fits no 20 kg cargo bike and is unassigned as too heavy."""
    p = two_couriers_three_orders
    heavy = dataclasses.replace(p.delivery("d2"), load_g=50_000)
    p = dataclasses.replace(p, deliveries=(p.deliveries[0], heavy, p.deliveries[2]))
    plan = solve_nearest(p)
    assert [(u.delivery, u.reason) for u in plan.unassigned] == [
        ("d2", UnassignedReason.TOO_HEAVY)
    ]
    assert check(p, plan) == []


def test_no_courier_on_shift_leaves_everything_unassigned(
    two_couriers_three_orders: Problem,
) -> None:
    """Without couriers every delivery is unassigned with the no-courier reason."""
    p = dataclasses.replace(two_couriers_three_orders, couriers=())
    plan = solve_nearest(p)
    assert {u.reason for u in plan.unassigned} == {UnassignedReason.NO_COURIER}
    assert len(plan.unassigned) == 3


def test_on_board_and_pinned_deliveries_stay_with_their_courier(
    two_couriers_three_orders: Problem,
) -> None:
    """A delivery carried by bo and one pinned to bo are both on bo's route."""
    p = two_couriers_three_orders
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="bo")
    pinned = dataclasses.replace(p.delivery("d2"), pinned_to="bo")
    p = dataclasses.replace(p, deliveries=(carried, pinned, p.deliveries[2]))
    plan = solve_nearest(p)
    assert plan.assignment()["d1"] == "bo" and plan.assignment()["d2"] == "bo"
    assert check(p, plan) == []


def test_the_stop_a_courier_rides_to_stays_first(two_couriers_three_orders: Problem) -> None:
    """bo riding to d1's pickup keeps it as first stop even though ana is nearer."""
    p = dataclasses.replace(two_couriers_three_orders,
                            heading_to=(("bo", "d1", StopKind.PICKUP),))
    plan = solve_nearest(p)
    route = plan.route_of("bo")
    assert route is not None and route.stops[0].delivery == "d1"
    assert check(p, plan) == []


def test_the_same_problem_gives_the_same_plan(two_couriers_three_orders: Problem) -> None:
    """Nearest is deterministic."""
    assert solve_nearest(two_couriers_three_orders) == solve_nearest(two_couriers_three_orders)


def _brute_force_routes(problem: Problem) -> dict[str, list[tuple[str, str]]]:
    """The rule as the module states it, trying every allowed courier for every delivery."""
    from routing.planning.nearest import _fits, forced_prefixes
    from routing.planning.reasons import candidates, split_assignable
    from routing.planning.schedule import Visit, timeline

    keep, _ = split_assignable(problem)
    routes = forced_prefixes(problem, keep)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    for d in sorted(keep, key=lambda d: (d.ready_s, d.key)):
        if d.key in placed:
            continue
        added = [Visit(d, StopKind.PICKUP), Visit(d, StopKind.DROPOFF)]
        best: tuple[int, str] | None = None
        for c in candidates(problem, d):
            line = timeline(problem, c, routes[c.key] + added)
            if _fits(problem, c, routes[c.key] + added, line) and (best is None or line.stops[-2].arrival_s < best[0]):
                best = (line.stops[-2].arrival_s, c.key)
        if best is not None:
            routes[best[1]].extend(added)
    return {k: [(v.delivery.key, v.kind.value) for v in vs] for k, vs in routes.items() if vs}


def test_ordering_couriers_by_arrival_picks_what_trying_every_courier_picks() -> None:
    """The fast path (couriers tried in order of arrival at the pickup) gives the plan of the
    plain rule on random cities with short shifts, mixed speeds and tied distances."""
    from routing.bench.synthetic import random_city

    for seed in range(12):
        city = random_city(8, 60, seed)
        couriers = tuple(dataclasses.replace(c, capacity_g=4_000 + 2_000 * (i % 3), speed_pct=(100, 115, 90)[i % 3],
                                             shift_end_s=(6000, 2400)[i % 2])
                         for i, c in enumerate(city.couriers))
        travel = (city.travel_s // 60) * 60 if seed % 2 else city.travel_s  # coarse: many ties
        problem = dataclasses.replace(city, couriers=couriers, travel_s=travel)
        plan = solve_nearest(problem)
        got = {r.courier: [(s.delivery, s.kind.value) for s in r.stops] for r in plan.routes if r.stops}
        assert got == _brute_force_routes(problem), seed
        assert plan.unassigned, "short shifts leave some deliveries out: the misfit path is exercised"
