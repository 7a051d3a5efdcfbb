"""What fairness costs in a plan: the one place that says it, for both the Python evaluator
and the compiled engine. Pure.

Two rules (weights in ``routing.planning.problem.Weights``):

- the floor, hour by hour: each courier's route costs ``floor_short_per_cent`` per cent they
  would still be short of this clock hour's floor (``Courier.hour_short_cents``) once the
  dropoffs it plans before the hour ends (``Courier.hour_end_s``) have paid them
  (``Delivery.pay_cents``), and ``floor_missed_per_hour`` more if that leaves them short at
  all. The first is the pay guarantee the co-op would owe for the hour, as their pay
  statement checks it, so work goes to the couriers it would otherwise pay for waiting, in
  the hour it would pay them; the second is the hour flagged below the floor on the
  statement, so when there is not work enough for everyone to reach it this hour, the next
  order goes to a courier it brings up to the floor rather than to one it leaves short. Priced in a route's cost
  (``routing.planning.insertion.Evaluator.route_cost`` and
  ``routing.planning.engine_kernels.route_cost``), with ``hour_short`` below;
- the grade (``surcharges``): an order given to a courier costs ``fairness_grade_per_order``
  for each floor's worth per hour that courier earned beyond the least-paid courier who takes
  new work (at most one floor's worth), so among couriers who reach the kitchen about as
  soon, the one who has earned least gets it. Couriers whose earnings are not known yet count
  as the least paid.
"""

from __future__ import annotations

from routing.planning.problem import Courier, Mode, Problem


def hour_short(problem: Problem, courier: Courier, paid_before_hour_end: int) -> int:
    """The floor rule's cost of a route whose dropoffs before ``courier.hour_end_s`` pay
    ``paid_before_hour_end`` cents (0 in benchmark mode)."""
    if problem.mode is Mode.BENCHMARK or courier.hour_short_cents <= paid_before_hour_end:
        return 0
    w = problem.weights
    return w.floor_short_per_cent * (courier.hour_short_cents - paid_before_hour_end) + w.floor_missed_per_hour


def surcharges(problem: Problem) -> dict[str, int]:
    """Courier key -> the grade's cost of one more new order for them (0 in benchmark mode)."""
    w = problem.weights
    if problem.mode is Mode.BENCHMARK or not w.fairness_grade_per_order:
        return {c.key: 0 for c in problem.couriers}
    known = [c.earned_pct_of_floor for c in problem.couriers if c.takes_new]
    least = min((0 if pct is None else pct for pct in known), default=0)
    return {c.key: 0 if c.earned_pct_of_floor is None
            else w.fairness_grade_per_order * min(100, max(0, c.earned_pct_of_floor - least)) // 100
            for c in problem.couriers}
