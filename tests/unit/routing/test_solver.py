"""The OR-Tools solver in live mode: feasible, complete, explained, deterministic, warm."""

from __future__ import annotations

import dataclasses

import pytest

from routing.bench.synthetic import random_city
from routing.planning.check import check
from routing.planning.nearest import solve_nearest
from routing.planning.problem import Mode, Plan, Problem, StopKind, UnassignedReason
from routing.planning.solver import solve

LIMIT_S = 0.3


def _routes(plan: Plan) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple((r.courier, tuple((s.delivery, s.kind.value) for s in r.stops))
                 for r in plan.routes)


def test_three_deliveries_are_planned_feasibly(two_couriers_three_orders: Problem) -> None:
    """Every delivery is planned and check finds nothing."""
    plan = solve(two_couriers_three_orders, LIMIT_S)
    assert check(two_couriers_three_orders, plan) == []
    assert set(plan.assignment()) == {"d1", "d2", "d3"}


def test_the_solver_is_no_worse_than_nearest(two_couriers_three_orders: Problem) -> None:
    """The search starts from a feasible plan and only improves the weighted objective."""
    p = two_couriers_three_orders
    assert solve(p, LIMIT_S).objective.total <= solve_nearest(p).objective.total


def test_a_too_heavy_delivery_is_returned_with_its_reason(
    two_couriers_three_orders: Problem,
) -> None:
    """A 50 kg parcel is unassigned as too heavy; the others are planned."""
    p = two_couriers_three_orders
    heavy = dataclasses.replace(p.delivery("d2"), load_g=50_000)
    p = dataclasses.replace(p, deliveries=(p.deliveries[0], heavy, p.deliveries[2]))
    plan = solve(p, LIMIT_S)
    assert [(u.delivery, u.reason) for u in plan.unassigned] == [
        ("d2", UnassignedReason.TOO_HEAVY)
    ]
    assert check(p, plan) == []


def test_hard_windows_force_the_order(two_couriers_three_orders: Problem) -> None:
    """With one courier and hard windows, d3 must be delivered before d1."""
    p = two_couriers_three_orders
    d1 = dataclasses.replace(p.delivery("d1"), window_start_s=2400, window_end_s=3000)
    d3 = dataclasses.replace(p.delivery("d3"), ready_s=0, window_end_s=900)
    p = dataclasses.replace(p, couriers=p.couriers[:1], deliveries=(d1, p.deliveries[1], d3),
                            mode=Mode.BENCHMARK)
    plan = solve(p, LIMIT_S)
    assert check(p, plan) == [] and not plan.unassigned
    order = [s.delivery for s in plan.routes[0].stops if s.kind is StopKind.DROPOFF]
    assert order.index("d3") < order.index("d1")


def test_live_lateness_is_planned_and_reported(two_couriers_three_orders: Problem) -> None:
    """An impossible window in live mode gives a plan whose lateness check confirms."""
    p = two_couriers_three_orders
    d2 = dataclasses.replace(p.delivery("d2"), window_end_s=0)
    p = dataclasses.replace(p, deliveries=(p.deliveries[0], d2, p.deliveries[2]))
    plan = solve(p, LIMIT_S)
    assert check(p, plan) == [] and not plan.unassigned
    assert plan.objective.lateness_s > 0


def test_carried_pinned_and_heading_stops_are_honoured(
    two_couriers_three_orders: Problem,
) -> None:
    """d1 on board bo, d2 pinned to bo, ana riding to d3's pickup: check is clean."""
    p = two_couriers_three_orders
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="bo")
    pinned = dataclasses.replace(p.delivery("d2"), pinned_to="bo")
    p = dataclasses.replace(p, deliveries=(carried, pinned, p.deliveries[2]),
                            heading_to=(("ana", "d3", StopKind.PICKUP),))
    plan = solve(p, LIMIT_S)
    assert check(p, plan) == []
    assert plan.assignment() == {"d1": "bo", "d2": "bo", "d3": "ana"}


def test_each_assignment_is_explained(two_couriers_three_orders: Problem) -> None:
    """Every planned delivery has an explanation naming its courier."""
    plan = solve(two_couriers_three_orders, LIMIT_S)
    assert {(e.delivery, e.courier) for e in plan.explanations} == set(plan.assignment().items())


def test_the_same_seed_gives_the_same_plan(two_couriers_three_orders: Problem) -> None:
    """With a solution limit as stop criterion, two runs are identical."""
    p = two_couriers_three_orders
    runs = [solve(p, 5.0, seed=3, solution_limit=20) for _ in range(2)]
    assert _routes(runs[0]) == _routes(runs[1])
    assert runs[0].objective == runs[1].objective


def test_the_previous_plan_is_kept_when_nothing_changed(
    two_couriers_three_orders: Problem,
) -> None:
    """Warm-started from its own plan with churn priced, no delivery changes courier."""
    p = two_couriers_three_orders
    first = solve(p, LIMIT_S)
    p = dataclasses.replace(p, previous=tuple(first.assignment().items()))
    again = solve(p, LIMIT_S, initial=first)
    assert again.assignment() == first.assignment()
    assert again.objective.churn_moves == 0


@pytest.fixture
def fifty_couriers_two_hundred_orders() -> tuple[Problem, Plan]:
    """A 50-courier 200-delivery plan, and the problem with one delivery more."""
    big = random_city(50, 201, seed=7)
    before = dataclasses.replace(big, deliveries=big.deliveries[:-1])
    return big, solve(before, 0.0)


def test_one_new_delivery_is_inserted_into_the_previous_plan(
    fifty_couriers_two_hundred_orders: tuple[Problem, Plan],
) -> None:
    """The new delivery is planned feasibly and every earlier one keeps its courier.

    Its speed (100 ms target) is measured by ``scripts/bench_insert.py``, not here.
    """
    problem, plan = fifty_couriers_two_hundred_orders
    new = solve(problem, 0.0, initial=plan)
    assert "d200" in new.assignment()
    assert check(problem, new) == []
    kept = {k: c for k, c in new.assignment().items() if k != "d200"}
    assert kept == plan.assignment()


