"""The greedy nearest-courier baseline: feasible, complete, deterministic."""

from __future__ import annotations

import dataclasses

from routing.check import check
from routing.nearest import solve_nearest
from routing.problem import Problem, StopKind, UnassignedReason


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
