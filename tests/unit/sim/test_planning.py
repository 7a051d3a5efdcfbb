"""The solver policy of ``dispatch.planning``: every order not yet picked up is planned again."""

from __future__ import annotations

import numpy as np

from dispatch.planning import policy_solver
from routing.planning.nearest import solve_nearest
from routing.planning.problem import Courier, Delivery, Problem, Weights


def _problem(near_s: int, far_s: int, couriers: tuple[str, ...], previous: tuple[tuple[str, str], ...] = ()) -> Problem:
    """Courier "near" at place 0 and "far" at place 1; the order's pickup at 2, dropoff at 3."""
    seconds = np.array([[0, 900, near_s, 600],
                        [900, 0, far_s, 900],
                        [near_s, far_s, 0, 300],
                        [600, 900, 300, 0]], dtype=np.int64)
    everyone = {"near": Courier("near", 0, 0, 4 * 3600, 10_000, 50_000),
                "far": Courier("far", 1, 0, 4 * 3600, 10_000, 50_000)}
    order = Delivery("d", pickup=2, dropoff=3, ready_s=0, window_start_s=0, window_end_s=3600, load_g=2000)
    return Problem(couriers=tuple(everyone[c] for c in couriers), deliveries=(order,), travel_s=seconds,
                   distance_m=seconds * 4, previous=previous)


def test_an_order_not_picked_up_moves_to_a_courier_who_reaches_it_much_sooner():
    """The previous plan gave the order to a courier 20 min away; a free one 1 min away takes it."""
    before = solve_nearest(_problem(60, 1200, ("far",)))
    assert before.assignment() == {"d": "far"}
    now = _problem(60, 1200, ("near", "far"), previous=(("d", "far"),))
    assert policy_solver(now, before, 0.0).assignment() == {"d": "near"}


def test_an_order_stays_with_its_courier_when_moving_it_saves_less_than_the_churn_price():
    """Twenty seconds sooner at the pickup is not worth changing the job on a rider's phone."""
    before = solve_nearest(_problem(60, 80, ("far",)))
    now = _problem(60, 80, ("near", "far"), previous=(("d", "far"),))
    w = Weights()
    saving = (w.travel_per_s + w.delay_per_s) * (80 - 60)  # riding plus delay, per second sooner
    assert saving < w.churn_per_move
    assert policy_solver(now, before, 0.0).assignment() == {"d": "far"}
