"""The dispatch solver: ``solve(problem, time_limit_s, seed, initial)``.

How a solve goes
----------------
1. Deliveries no courier could serve even alone are set aside with a reason
   (``routing.planning.reasons``).
2. Live mode, the engine (``routing.planning.engine``, compiled kernels): each courier's forced
   stops and what ``initial`` still validly gives them (``start_routes``), then every other
   delivery by cheapest insertion (milliseconds: returned as is when the time limit leaves no
   room for a search, then without explanations). Ruin and recreate improves that plan for
   ``SEARCH_SHARE`` of the time left, or for ``solution_limit`` steps. A delivery already on
   board that a route lost is put back on its courier (``keep_carried``): it is never reported
   unassigned. OR-Tools is not in the live path: from the same first plan with the same time
   (40 couriers, 160 orders, 0.5 s and 2 s, four seeds) its guided local search improved the
   objective by 0-2 % where ruin and recreate improved it by 5-18 %.
3. Benchmark mode: ``routing.bench.bench_search`` (fewest vehicles, then distance, on both
   cores): the same engine with the benchmark objective (its route minimisation phase,
   ``routing.planning.fleet``, then ruin and recreate) when its slack tables fit the instance,
   OR-Tools otherwise.
4. The best plan is scheduled with ``routing.planning.schedule``, and each assignment gets an
   explanation (``routing.planning.explain``) until the time limit; new assignments first.

Determinism
-----------
The result is a function of (problem, time limit, seed, initial) when the search stops on
``solution_limit`` (or when ``time_limit_s`` leaves no room for a search). A wall-clock limit
alone makes the search depend on the machine's speed: the plan is then always feasible and
never worse than the first plan, but not bit-for-bit reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from routing.planning.engine import Engine
from routing.planning.explain import explain
from routing.planning.insertion import Evaluator, apply_insertion
from routing.planning.plans import plan_from_visits
from routing.planning.problem import (
    Delivery,
    Mode,
    Plan,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.planning.reasons import split_assignable
from routing.planning.schedule import Visit
from routing.planning.search import search
from routing.planning.start import start_routes

MIN_SEARCH_S = 0.05  # below this a search cannot improve anything: return the first plan
SEARCH_SHARE = 0.7  # live mode: of the time left after the first plan; the rest explains


def solve(
    problem: Problem,
    time_limit_s: float,
    seed: int = 0,
    initial: Plan | None = None,
    *,
    solution_limit: int | None = None,
) -> Plan:
    """Plan ``problem`` within ``time_limit_s`` seconds.

    Parameters
    ----------
    problem : the live snapshot (or a benchmark instance).
    time_limit_s : wall-clock budget for the whole call (the first plan is always returned).
    seed : picks the search strategy mix (0: the default); same seed, same strategy.
    initial : the plan in force, the starting point (warm start).
    solution_limit : stop after this many improving solutions (deterministic stop).

    Returns
    -------
    Plan : routes with ETAs, the objective's terms, every unassigned delivery with its reason,
        an explanation per assignment, and meta (solver, seed, wall time, first-plan time).
    """
    started = time.perf_counter()
    keep, unassigned = split_assignable(problem)
    if problem.mode is Mode.LIVE:  # goods on a bike are delivered by that bike, whatever it takes
        carried = {d.key for d in problem.deliveries if d.on_board_of is not None}
        keep += [problem.delivery(u.delivery) for u in unassigned if u.delivery in carried]
        unassigned = [u for u in unassigned if u.delivery not in carried]
    couriers = [c for c in problem.couriers if c.available_s <= c.shift_end_s]
    name = "insertion"
    routes: dict[str, list[Visit]]
    if problem.mode is Mode.LIVE:
        engine = Engine(problem, keep, problem.couriers)
        current = engine.construct(start_routes(problem, keep, initial))
        first_s = time.perf_counter() - started
        remaining = time_limit_s - first_s
        if keep and couriers and (remaining >= MIN_SEARCH_S or solution_limit):
            until = started + first_s + max(remaining, 0) * SEARCH_SHARE
            current = search(engine, current, seed, until, solution_limit)
            name = "ruin-recreate"
        routes = engine.to_visits(current)
    elif initial is None:
        # Long benchmark routes make Python insertion slow; OR-Tools constructs instead.
        routes = {c.key: [] for c in problem.couriers}
    else:
        from routing.bench.bench_search import first_routes

        routes, _ = first_routes(problem, keep, initial)
    first_s = time.perf_counter() - started
    remaining = time_limit_s - first_s
    if problem.mode is Mode.BENCHMARK and keep and couriers:
        from routing.bench.bench_search import solve_benchmark

        routes = solve_benchmark(problem, keep, couriers, remaining, seed, routes if initial else None)
        name = "ortools-benchmark"
    if problem.mode is Mode.LIVE:
        keep_carried(problem, routes, keep)
    planned = {v.delivery.key for visits in routes.values() for v in visits}
    unassigned += [_solver_reason(d) for d in keep if d.key not in planned]
    meta = (("solver", name), ("seed", seed), ("first_plan_s", round(first_s, 4)),
            ("wall_s", round(time.perf_counter() - started, 3)))
    plan = plan_from_visits(problem, routes, unassigned, meta)
    if problem.mode is Mode.LIVE and time_limit_s >= MIN_SEARCH_S:
        plan = explain(problem, plan, deadline=started + time_limit_s)
    return plan


def keep_carried(
    problem: Problem, routes: dict[str, list[Visit]], keep: Sequence[Delivery]
) -> None:
    """Put back the dropoff of every planned-for delivery on board that a route lost.

    A delivery already picked up is never unassigned: its dropoff goes where it costs least
    on its courier's route, or at the route's end when no position keeps the route feasible
    (the plan then shows the overrun, which ``check`` reports, instead of stranded goods).
    """
    planned = {v.delivery.key for visits in routes.values() for v in visits}
    lost = [d for d in keep if d.on_board_of is not None and d.key not in planned]
    if not lost:
        return
    evaluator = Evaluator(problem)
    for d in sorted(lost, key=lambda d: (d.window_end_s, d.key)):
        courier = problem.courier(str(d.on_board_of))
        route = routes.setdefault(courier.key, [])
        best = evaluator.best_insertion(courier, route, d)
        if best is None:
            route.append(Visit(d, StopKind.DROPOFF))
        else:
            apply_insertion(route, d, best[2], best[3])


def _solver_reason(delivery: Delivery) -> Unassigned:
    return Unassigned(delivery.key, UnassignedReason.SOLVER, "no route had room for it")
