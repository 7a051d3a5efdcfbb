"""What giving one more order to each courier costs for fairness: the one place both the
Python evaluator and the compiled engine read it from. Pure.

Two rules (weights in ``routing.planning.problem.Weights``):

- the floor: while some courier on shift is below the co-op's hourly floor this clock hour
  (``Courier.below_floor``: earned less in it than the floor's share of their time on shift in
  it, the hour their pay statement checks), an order given to a courier who is not costs
  ``fairness_per_order`` more, so the co-op's pay guarantee is not spent on members left waiting;
- the grade: an order given to a courier costs ``fairness_grade_per_order`` for each floor's
  worth per hour that courier earned beyond the least-paid courier who takes new work (at most
  one floor's worth), so among couriers who reach the kitchen about as soon, the one who has
  earned least gets it. Couriers whose earnings are not known yet count as the least paid.
"""

from __future__ import annotations

from routing.planning.problem import Mode, Problem


def surcharges(problem: Problem) -> dict[str, int]:
    """Courier key -> the fairness cost of one more new order for them (0 in benchmark mode)."""
    w = problem.weights
    if problem.mode is Mode.BENCHMARK:
        return {c.key: 0 for c in problem.couriers}
    floor = w.fairness_per_order > 0 and any(c.below_floor for c in problem.couriers)
    known = [c.earned_pct_of_floor for c in problem.couriers if c.takes_new]
    least = min((0 if pct is None else pct for pct in known), default=0)
    out = {}
    for c in problem.couriers:
        cost = w.fairness_per_order if floor and not c.below_floor else 0
        if w.fairness_grade_per_order and c.earned_pct_of_floor is not None:
            cost += w.fairness_grade_per_order * min(100, max(0, c.earned_pct_of_floor - least)) // 100
        out[c.key] = cost
    return out
