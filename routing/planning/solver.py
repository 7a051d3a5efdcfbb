"""The dispatch solver: ``solve(problem, time_limit_s, seed, initial)`` with OR-Tools.

How a solve goes
----------------
1. Deliveries no courier could serve even alone are set aside with a reason
   (``routing.planning.reasons``).
2. A first feasible plan is built in plain Python (``routing.planning.insertion``): the previous plan's
   routes (``initial``) are kept, cleaned of what no longer applies, and every new delivery is
   inserted where it costs least. This is fast (milliseconds) and is returned as is when the time
   limit leaves no room for a search (then without explanations: call
   ``routing.planning.explain.explain`` when they are needed).
3. Live mode: OR-Tools improves that plan (guided local search) for ``SEARCH_SHARE`` of the
   time left (building the model included), starting from it as a hint; its result is kept
   only if it is no worse than the first plan. A delivery already on board that a route lost
   is put back on its courier (``keep_carried``): it is never reported unassigned.
   Benchmark mode: ``routing.planning.bench_search`` (fewest vehicles, then distance, on both cores;
   ejection search and ruin and recreate in ``routing.planning.pdptw`` when the instance fits it).
4. The best plan is scheduled with ``routing.planning.schedule``, and each assignment gets an explanation
   (``routing.planning.explain``) until the time limit; new assignments are explained first.

Determinism
-----------
The result is a function of (problem, time limit, seed, initial) when the search stops on
``solution_limit`` (or when ``time_limit_s`` leaves no room for a search). A wall-clock limit
alone makes the OR-Tools part depend on the machine's speed: the plan is then always feasible
and never worse than the first plan, but not bit-for-bit reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.planning.explain import explain
from routing.planning.insertion import Evaluator, apply_insertion, insert_all
from routing.planning.nearest import forced_prefixes
from routing.planning.ortools_model import build_model, routes_to_indices, sequences_from
from routing.planning.plans import plan_from_visits
from routing.planning.problem import (
    Courier,
    Delivery,
    Mode,
    Plan,
    Problem,
    Stop,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.planning.reasons import candidates, split_assignable
from routing.planning.schedule import Visit

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
    if problem.mode is Mode.BENCHMARK and initial is None:
        # Long benchmark routes make Python insertion slow; OR-Tools constructs instead.
        routes: dict[str, list[Visit]] = {c.key: [] for c in problem.couriers}
    else:
        routes, _ = first_routes(problem, keep, initial)
    first_s = time.perf_counter() - started
    remaining = time_limit_s - first_s
    name = "insertion"
    if problem.mode is Mode.BENCHMARK and keep and couriers:
        from routing.planning.bench_search import solve_benchmark

        routes = solve_benchmark(problem, keep, couriers, remaining, seed, routes if initial else None)
        name = "ortools-benchmark"
    elif remaining >= MIN_SEARCH_S and keep and couriers:
        search_s = remaining * SEARCH_SHARE
        found = live_search(problem, keep, couriers, routes, search_s, seed, solution_limit)
        evaluator = Evaluator(problem)
        if found is not None and _live_cost(evaluator, found) <= _live_cost(evaluator, routes):
            routes, name = found, "ortools"
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


def _live_cost(evaluator: Evaluator, routes: dict[str, list[Visit]]) -> float:
    """The live objective of ``routes`` as the insertion evaluator prices it (inf if infeasible)."""
    problem = evaluator.problem
    total = 0
    for c in problem.couriers:
        visits = routes.get(c.key, [])
        if visits:
            cost = evaluator.route_cost(c, visits)
            if cost is None:
                return float("inf")
            total += cost + sum(evaluator.churn(c, v.delivery) for v in visits
                                if v.kind is StopKind.DROPOFF)
    planned = {v.delivery.key for visits in routes.values() for v in visits}
    missing = sum(1 for d in problem.deliveries if d.key not in planned)
    return total + problem.weights.unassigned_penalty * missing


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


def first_routes(
    problem: Problem, keep: Sequence[Delivery], initial: Plan | None
) -> tuple[dict[str, list[Visit]], list[Delivery]]:
    """The first feasible plan: ``initial`` cleaned, then cheapest insertion of the rest.

    Parameters
    ----------
    problem : the snapshot.
    keep : the deliveries worth planning.
    initial : the previous plan, or None.

    Returns
    -------
    tuple : courier key -> visits, and the deliveries that fit nowhere.
    """
    routes = forced_prefixes(problem, keep)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    by_key = {d.key: d for d in keep}
    if initial is not None:
        for route in initial.routes:
            if route.courier in routes:
                kept = _kept_stops(by_key, placed, route.courier, route.stops)
                routes[route.courier].extend(kept)
                placed |= {v.delivery.key for v in kept}
    evaluator = Evaluator(problem)
    rest = [d for d in keep if d.key not in placed]
    rest.sort(key=lambda d: (d.on_board_of is None, d.ready_s, d.key))
    allowed = {d.key: candidates(problem, d) for d in rest}
    done = insert_all(evaluator, routes, rest, allowed)
    return done.routes, done.failed


def _kept_stops(
    by_key: dict[str, Delivery], placed: set[str], courier: str, stops: Sequence[Stop]
) -> list[Visit]:
    """The stops of a previous route still valid for ``courier``, in their order.

    A carried delivery keeps only its dropoff; a loose one is kept from its pickup; a delivery
    now pinned or carried elsewhere, or already placed, is left for insertion.
    """
    kept: list[Visit] = []
    picked: set[str] = set()
    for s in stops:
        d = by_key.get(s.delivery)
        if d is None or d.key in placed or (d.on_board_of or d.pinned_to or courier) != courier:
            continue
        if s.kind is StopKind.PICKUP and d.on_board_of is None:
            picked.add(d.key)
            kept.append(Visit(d, s.kind))
        elif s.kind is StopKind.DROPOFF and (d.on_board_of or d.key in picked):
            kept.append(Visit(d, s.kind))
    return kept


def search_parameters(
    time_limit_s: float, solution_limit: int | None = None
) -> pywrapcp.DefaultRoutingSearchParameters:
    """Live-mode search: parallel cheapest insertion if no hint, guided local search."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    params.first_solution_strategy = strategy.PARALLEL_CHEAPEST_INSERTION
    meta = routing_enums_pb2.LocalSearchMetaheuristic
    params.local_search_metaheuristic = meta.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    return params


def live_search(
    problem: Problem,
    keep: Sequence[Delivery],
    couriers: Sequence[Courier],
    hint: dict[str, list[Visit]],
    time_limit_s: float,
    seed: int,
    solution_limit: int | None,
) -> dict[str, list[Visit]] | None:
    """Improve ``hint`` with OR-Tools; None when the search finds nothing."""
    started = time.perf_counter()
    model = build_model(problem, keep, couriers)
    params = search_parameters(time_limit_s, solution_limit)
    if seed % 2:
        meta = routing_enums_pb2.LocalSearchMetaheuristic
        params.local_search_metaheuristic = meta.SIMULATED_ANNEALING
    model.routing.CloseModelWithParameters(params)
    start = model.routing.ReadAssignmentFromRoutes(routes_to_indices(model, hint), True)
    left_s = time_limit_s - (time.perf_counter() - started)  # building the model counts too
    if left_s < MIN_SEARCH_S / 2:
        return None
    params.time_limit.FromMilliseconds(max(1, int(left_s * 1000)))
    if start is not None:
        solution = model.routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = model.routing.SolveWithParameters(params)
    if solution is None:
        return None
    return sequences_from(model, solution)
