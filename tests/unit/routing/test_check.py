"""check() names every broken constraint of a plan, independently of any solver."""

from __future__ import annotations

import dataclasses

import pytest

from routing.planning.check import check
from routing.planning.nearest import solve_nearest
from routing.planning.plans import plan_from_visits
from routing.planning.problem import Mode, Plan, Problem, StopKind
from routing.planning.schedule import Visit


@pytest.fixture
def ana_takes_all(two_couriers_three_orders: Problem) -> Plan:
    """ana rides d1, d2, d3 one after the other; bo stays idle."""
    p = two_couriers_three_orders
    visits = [Visit(p.delivery(k), kind) for k in ("d1", "d2", "d3")
              for kind in (StopKind.PICKUP, StopKind.DROPOFF)]
    return plan_from_visits(p, {"ana": visits})


def _codes(problem: Problem, plan: Plan) -> set[str]:
    return {v.code for v in check(problem, plan)}


def _with_stops(plan: Plan, courier: str, order: list[int]) -> Plan:
    route = plan.route_of(courier)
    assert route is not None
    stops = tuple(route.stops[i] for i in order)
    return dataclasses.replace(plan, routes=(dataclasses.replace(route, stops=stops),))


def test_a_sequential_plan_is_clean(two_couriers_three_orders: Problem, ana_takes_all: Plan) -> None:
    """A plan built with the schedule and no broken constraint has no violation."""
    assert check(two_couriers_three_orders, ana_takes_all) == []


def test_a_dropoff_before_its_pickup_is_reported(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """Swapping d1's two stops breaks precedence (and the ETAs no longer match)."""
    plan = _with_stops(ana_takes_all, "ana", [1, 0, 2, 3, 4, 5])
    assert "pickup_after_dropoff" in _codes(two_couriers_three_orders, plan)


def test_a_forgotten_delivery_is_reported(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """Dropping d3's stops without listing it as unassigned is a missing delivery."""
    plan = _with_stops(ana_takes_all, "ana", [0, 1, 2, 3])
    assert _codes(two_couriers_three_orders, plan) == {"missing_delivery", "route_totals"}


def test_overloading_a_bike_is_reported(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """A 6 kg bike cannot carry d2's 8 kg."""
    p = two_couriers_three_orders
    small = dataclasses.replace(p.courier("ana"), capacity_g=6_000)
    p = dataclasses.replace(p, couriers=(small, p.couriers[1]))
    assert _codes(p, ana_takes_all) == {"capacity_g"}


def test_an_eta_that_disagrees_with_the_matrix_is_reported(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """Shifting one stop's times by a second is an ETA inconsistency."""
    route = ana_takes_all.routes[0]
    s = route.stops[2]
    moved = dataclasses.replace(s, arrival_s=s.arrival_s + 1, start_s=s.start_s + 1)
    stops = (*route.stops[:2], moved, *route.stops[3:])
    plan = dataclasses.replace(ana_takes_all, routes=(dataclasses.replace(route, stops=stops),))
    assert _codes(two_couriers_three_orders, plan) == {"eta"}


def test_shift_end_windows_and_ride_time_are_hard(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """In benchmark mode a late dropoff, a short shift and a long ride are all reported."""
    p = two_couriers_three_orders
    short = dataclasses.replace(p.courier("ana"), shift_end_s=600)
    d1 = dataclasses.replace(p.delivery("d1"), window_end_s=100)
    d3 = dataclasses.replace(p.delivery("d3"), max_ride_s=60)
    p = dataclasses.replace(p, couriers=(short, p.couriers[1]),
                            deliveries=(d1, p.deliveries[1], d3), mode=Mode.BENCHMARK)
    assert _codes(p, ana_takes_all) == {"shift_end", "window", "max_ride", "lateness_mismatch"}


def test_live_lateness_must_match_the_reported_lateness(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """In live mode lateness is allowed, but the plan must report it truthfully."""
    p = two_couriers_three_orders
    d1 = dataclasses.replace(p.delivery("d1"), window_end_s=100)
    p = dataclasses.replace(p, deliveries=(d1, *p.deliveries[1:]))
    assert _codes(p, ana_takes_all) == {"lateness_mismatch"}


def test_on_board_pins_and_heading_are_enforced(
    two_couriers_three_orders: Problem, ana_takes_all: Plan
) -> None:
    """A carried delivery picked up again, a broken pin and a displaced first stop."""
    p = two_couriers_three_orders
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="ana")
    pinned = dataclasses.replace(p.delivery("d2"), pinned_to="bo")
    p = dataclasses.replace(p, deliveries=(carried, pinned, p.deliveries[2]),
                            heading_to=(("ana", "d3", StopKind.PICKUP),))
    codes = _codes(p, ana_takes_all)
    assert {"on_board_pickup", "pin", "heading_first"} <= codes


def test_the_greedy_plan_of_a_carried_delivery_is_clean(
    two_couriers_three_orders: Problem,
) -> None:
    """A dropoff-only stop on the carrier, without pickup, satisfies check."""
    p = two_couriers_three_orders
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="bo")
    p = dataclasses.replace(p, deliveries=(carried, *p.deliveries[1:]))
    assert check(p, solve_nearest(p)) == []
