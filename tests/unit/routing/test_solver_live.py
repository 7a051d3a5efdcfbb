"""Live-mode solver: carried deliveries never unassigned, delay spreads work, explanations in time."""

from __future__ import annotations

import dataclasses

from routing.planning.check import check
from routing.planning.explain import LATER, explain
from routing.planning.plans import delay_of, ideal_dropoff_s
from routing.planning.problem import Courier, Delivery, Plan, Problem, StopKind, Weights
from routing.planning.schedule import timeline, visits_from_stops
from routing.planning.solver import solve
from tests.unit.routing.conftest import line_matrices

LIMIT_S = 0.3


def _stops_of(plan: Plan, key: str) -> list[tuple[str, StopKind]]:
    return [(r.courier, s.kind) for r in plan.routes for s in r.stops if s.delivery == key]


def _carried_by_bo(p: Problem, shift_end_s: int = 7200) -> Problem:
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="bo")
    bo = dataclasses.replace(p.courier("bo"), shift_end_s=shift_end_s)
    return dataclasses.replace(p, couriers=(p.couriers[0], bo),
                               deliveries=(carried, *p.deliveries[1:]))


def test_a_warm_started_delivery_on_board_stays_dropoff_only_on_its_carrier(
    two_couriers_three_orders: Problem,
) -> None:
    """The previous plan gave d1 to ana, bo picked it up: d1 is bo's dropoff, never unassigned."""
    p = two_couriers_three_orders
    before = solve(p, LIMIT_S)
    who = before.assignment()["d1"]
    other = "bo" if who == "ana" else "ana"
    carried = dataclasses.replace(p.delivery("d1"), on_board_of=other)
    now = dataclasses.replace(p, deliveries=(carried, *p.deliveries[1:]))
    plan = solve(now, LIMIT_S, initial=before)
    assert _stops_of(plan, "d1") == [(other, StopKind.DROPOFF)]
    assert not plan.unassigned and check(now, plan) == []


def test_a_delivery_on_board_is_kept_even_when_its_carrier_cannot_finish_in_shift(
    two_couriers_three_orders: Problem,
) -> None:
    """bo's shift is too short for its dropoff: d1 still rides with bo, not 'no room'."""
    p = _carried_by_bo(two_couriers_three_orders, shift_end_s=60)
    warm = solve(two_couriers_three_orders, LIMIT_S)
    for initial in (None, warm):
        plan = solve(p, LIMIT_S, initial=initial)
        assert "d1" not in {u.delivery for u in plan.unassigned}
        assert _stops_of(plan, "d1") == [("bo", StopKind.DROPOFF)]


def _one_merchant_day(weights: Weights) -> Problem:
    """Four orders ready together at one merchant, doors in a row east; ana waits there."""
    travel_s, distance_m = line_matrices((0, 0, 3, -3, 2, 10, 11, 12, 13))
    couriers = tuple(
        Courier(k, start=place, available_s=0, shift_end_s=4 * 3600, capacity_g=40_000,
                capacity_ml=200_000)
        for k, place in (("ana", 0), ("bo", 2), ("cy", 3), ("di", 4))
    )
    deliveries = tuple(
        Delivery(f"d{n}", pickup=1, dropoff=drop, ready_s=0, window_start_s=0,
                 window_end_s=3600, load_g=1_000, load_ml=2_000)
        for n, drop in enumerate((5, 6, 7, 8))
    )
    return Problem(couriers, deliveries, travel_s, distance_m, weights=weights)


def _delay_s(p: Problem, plan: Plan) -> int:
    lines = {r.courier: timeline(p, p.courier(r.courier), visits_from_stops(p, r.stops))
             for r in plan.routes}
    return delay_of(p, lines)


def test_the_delay_term_hands_orders_to_idle_couriers_instead_of_chaining_them() -> None:
    """With delay priced the orders spread over couriers and reach doors sooner than without."""
    chained_p = _one_merchant_day(Weights(delay_per_s=0))
    spread_p = _one_merchant_day(Weights())
    chained, spread = solve(chained_p, LIMIT_S), solve(spread_p, LIMIT_S)
    assert check(spread_p, spread) == [] and not spread.unassigned
    assert len(spread.routes) > len(chained.routes)
    assert _delay_s(spread_p, spread) < _delay_s(chained_p, chained)


def test_the_ideal_dropoff_is_ready_plus_service_plus_the_direct_ride(
    two_couriers_three_orders: Problem,
) -> None:
    """d2 is ready at 300 s, 120 s service, 2 units (120 s) to its door: ideal 540 s."""
    p = two_couriers_three_orders
    assert ideal_dropoff_s(p, p.delivery("d2")) == 540


def test_explanations_past_the_deadline_say_they_were_not_computed(
    two_couriers_three_orders: Problem,
) -> None:
    """A deadline already passed leaves every explanation marked; no deadline computes them."""
    p = two_couriers_three_orders
    plan = solve(p, LIMIT_S)
    late = explain(p, plan, deadline=0.0)
    full = explain(p, plan)
    assert {e.detail for e in late.explanations} == {LATER}
    assert [e.delivery for e in late.explanations] == sorted(plan.assignment())
    assert all(e.detail != LATER for e in full.explanations)
