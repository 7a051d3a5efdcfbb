"""Benchmark-mode search: fewest vehicles first, then distance, on two cores.

When the engine's slack tables fit the problem (``routing.planning.slack.fits``: benchmark
instances such as Li & Lim, with no maximum ride time, nothing on board or pinned, one load
unit), each worker runs the planner's engine (``routing.planning.engine``) with the benchmark
objective, the same search as live planning:

1. construction: cheapest insertion, opening a vehicle when nothing fits;
2. route minimisation by ejection search (``routing.planning.fleet``, ``minimise_share`` of
   the time);
3. distance: ruin and recreate (``routing.planning.search``) until the time limit.

Otherwise each worker runs three phases on the OR-Tools model (``routing.bench.ortools_model``):

1. construction: a first solution with a large fixed cost per used vehicle, briefly improved;
2. route elimination: take the shortest route away (its deliveries become unplanned, priced
   at ``BENCH_PENALTY`` each) and let the search re-insert them into the remaining routes; on
   success the fleet shrinks by one and the next shortest route goes, on failure the next
   candidate route is tried, until the phase's time is spent;
3. distance: guided local search on the smallest fleet found, until the time limit.

Workers differ by strategy (chosen by ``seed``: time shares, thresholds, OR-Tools settings)
and by random seed; the best valid result (vehicles, then distance) wins. Pure: workers are
forked processes that return routes, no I/O.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from routing.bench.ortools_model import (
    BENCH_PENALTY,
    build_model,
    routes_to_indices,
    sequences_from,
)
from routing.planning import slack
from routing.planning.engine import Engine
from routing.planning.fleet import minimise_routes
from routing.planning.insertion import Evaluator, insert_all
from routing.planning.problem import Courier, Delivery, Plan, Problem, StopKind
from routing.planning.reasons import candidates
from routing.planning.schedule import Visit
from routing.planning.search import BENCH, search
from routing.planning.start import start_routes

RETURN_S = 0.04  # kept back from the time limit for forking and returning the result
RETURN_SHARE = 0.02  # and this share of it
VEHICLE_COST = 10**8  # per used vehicle: more than any distance saving (scaled units)
Encoded = list[tuple[str, list[tuple[str, str]]]]


@dataclass(frozen=True, slots=True)
class Strategy:
    """One worker's search settings."""

    first: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    construct_share: float = 0.1
    eliminate_share: float = 0.6
    penalty_factor: int = 4
    ils: bool = False
    extra_operators: bool = False  # iterated local search with SISR ruin-and-recreate instead of GLS
    ejection: bool = False  # route removal by ejection pool (``routing.bench.ejection``), not OR-Tools
    minimise_share: float = 0.5  # the engine's route minimisation (``routing.planning.fleet``)
    threshold: float = 4.0  # its ruin and recreate's starting threshold (``search.Settings``)


STRATEGIES = (
    Strategy(minimise_share=0.6, threshold=2.0),
    Strategy(first="LOCAL_CHEAPEST_INSERTION", gls_lambda=0.2, extra_operators=True,
             ejection=True, minimise_share=0.4, threshold=8.0),
)


def solve_benchmark(
    problem: Problem,
    keep: Sequence[Delivery],
    couriers: Sequence[Courier],
    time_limit_s: float,
    seed: int,
    first: dict[str, list[Visit]] | None = None,
    workers: int = 2,
) -> dict[str, list[Visit]]:
    """Fewest vehicles, then least distance, within ``time_limit_s`` on ``workers`` cores.

    Parameters
    ----------
    problem : a benchmark-mode problem (hard windows).
    keep : the deliveries to plan.
    couriers : the vehicles on offer.
    time_limit_s : wall-clock budget.
    seed : the first worker uses strategy ``seed``, the next ``seed + 1``...
    first : a feasible starting plan (the insertion plan), used when OR-Tools finds none.
    workers : processes to run (1: in this process).

    Returns
    -------
    dict : courier key -> visits of the best solution found.
    """
    # Forking, returning the routes and checking them take a little of the budget.
    budget = max(0.05, time_limit_s * (1 - RETURN_SHARE) - RETURN_S)
    jobs = [
        (problem, list(keep), list(couriers), budget,
         STRATEGIES[(seed + i) % len(STRATEGIES)], dict(first or {}), seed + i)
        for i in range(workers)
    ]
    if workers == 1:
        results = [_run(*jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.starmap(_run, jobs)
    decoded = [(r[0], r[1], _decode(keep, r[2])) for r in results]
    valid = [r for r in decoded if _valid(problem, keep, r[2])] or decoded
    return min(valid, key=lambda r: (r[0], r[1]))[2]


def _valid(problem: Problem, keep: Sequence[Delivery], routes: dict[str, list[Visit]]) -> bool:
    """Every route feasible and every delivery's visits present exactly once."""
    from routing.planning.insertion import Evaluator

    evaluator = Evaluator(problem)
    couriers = {c.key: c for c in problem.couriers}
    if any(vs and evaluator.route_cost(couriers[k], vs) is None for k, vs in routes.items()):
        return False
    seen = [(v.delivery.key, v.kind) for vs in routes.values() for v in vs]
    wanted = [(d.key, StopKind.DROPOFF) for d in keep]
    wanted += [(d.key, StopKind.PICKUP) for d in keep if d.on_board_of is None]
    return sorted(seen) == sorted(wanted)


def _run(
    problem: Problem,
    keep: list[Delivery],
    couriers: list[Courier],
    time_limit_s: float,
    strategy: Strategy,
    first: dict[str, list[Visit]],
    seed: int = 0,
) -> tuple[int, int, Encoded]:
    started = time.perf_counter()
    deadline = started + time_limit_s
    if slack.fits(problem, keep, couriers):
        fast = _fast(problem, keep, couriers, started + strategy.minimise_share * time_limit_s,
                     deadline, first, seed, strategy.threshold)
        if fast is not None:
            return _score(problem, fast, len(keep)) + (_encode(fast),)
    first_s = max(0.2, strategy.construct_share * time_limit_s)
    routes, _ = _search(problem, keep, couriers, {}, first_s, strategy, complete_stop=False)
    if not routes and first:
        routes = first
    elif not routes:  # on a slow (shared) machine the construction may need longer
        routes, _ = _search(problem, keep, couriers, {}, first_s, strategy, False)
    if not routes:  # still nothing: cheapest insertion in Python always gives a plan

        routes, _ = first_routes(problem, keep, None)
    eliminate_until = started + (strategy.construct_share + strategy.eliminate_share) * time_limit_s
    if strategy.ejection and _served(routes) == 2 * len(keep) - _carried(keep):
        from routing.bench.ejection import remove_routes
        from routing.planning.insertion import Evaluator

        halfway = (time.perf_counter() + eliminate_until) / 2
        routes = remove_routes(Evaluator(problem), couriers, routes, halfway, seed)
    routes = _eliminate(problem, keep, couriers, routes, eliminate_until, strategy)
    return _distance(problem, keep, couriers, routes, deadline, strategy)


def _fast(
    problem: Problem,
    keep: list[Delivery],
    couriers: list[Courier],
    minimise_until: float,
    deadline: float,
    first: dict[str, list[Visit]],
    seed: int,
    threshold: float,
) -> dict[str, list[Visit]] | None:
    """The engine in benchmark mode: construction, fewest routes by ejection search, then ruin and
    recreate. None when no starting plan places everyone (every vehicle full).
    """
    engine = Engine(problem, keep, couriers)
    start = engine.construct(first)
    if (start.where < 0).any():
        return None
    fewest = minimise_routes(engine, start, seed, minimise_until)
    settings = dataclasses.replace(BENCH, threshold=threshold)
    return engine.to_visits(search(engine, fewest, seed, deadline, settings=settings))


def _distance(
    problem: Problem,
    keep: list[Delivery],
    couriers: list[Courier],
    routes: dict[str, list[Visit]],
    deadline: float,
    strategy: Strategy,
) -> tuple[int, int, Encoded]:
    """Guided local search on the vehicles ``routes`` use, until ``deadline``; then its score."""
    used = [c for c in couriers if routes.get(c.key)]
    left = deadline - time.perf_counter()
    if left > 0.05 and used:
        better, cost = _search(problem, keep, used, routes, left, strategy, complete_stop=False)
        if _served(better) >= _served(routes):
            routes = better
    return _score(problem, routes, len(keep)) + (_encode(routes),)


def _eliminate(
    problem: Problem,
    keep: list[Delivery],
    couriers: list[Courier],
    routes: dict[str, list[Visit]],
    until: float,
    strategy: Strategy,
) -> dict[str, list[Visit]]:
    """Remove routes one at a time while the rest can absorb their deliveries."""
    total = len(keep)
    while time.perf_counter() < until and _served(routes) == 2 * total - _carried(keep):
        used = sorted((c for c in couriers if routes.get(c.key)), key=lambda c: len(routes[c.key]))
        if len(used) <= 2:
            break
        for victim in used[:2]:
            budget = until - time.perf_counter()
            if budget < 0.05:
                return routes
            slice_s = min(budget, max(0.3, budget / 3))
            rest = [c for c in used if c.key != victim.key]
            hint = {c.key: routes[c.key] for c in rest}
            found, _ = _search(problem, keep, rest, hint, slice_s, strategy, complete_stop=True)
            if _served(found) == 2 * total - _carried(keep):
                routes = found
                break
        else:
            break
    return routes


def _carried(keep: Sequence[Delivery]) -> int:
    return sum(1 for d in keep if d.on_board_of is not None)


def _served(routes: dict[str, list[Visit]]) -> int:
    return sum(len(v) for v in routes.values())


def _search(
    problem: Problem,
    keep: list[Delivery],
    couriers: list[Courier],
    hint: dict[str, list[Visit]],
    limit_s: float,
    strategy: Strategy,
    complete_stop: bool,
) -> tuple[dict[str, list[Visit]], int]:
    if complete_stop:
        # Route elimination: the fleet is fixed, so no vehicle cost; a moderate penalty keeps
        # guided local search's arc penalties on the scale of distances.
        penalty = int(problem.distance_m.max()) * strategy.penalty_factor
        model = build_model(problem, keep, couriers, penalty=penalty)
    else:
        penalty = BENCH_PENALTY
        model = build_model(problem, keep, couriers, vehicle_cost=VEHICLE_COST)
    params = _parameters(strategy, limit_s)
    routing = model.routing
    routing.CloseModelWithParameters(params)
    if complete_stop:
        # Stop as soon as nothing is left unplanned: the fleet is then one route smaller.
        def stop_if_complete() -> None:
            if routing.CostVar().Value() < penalty:
                routing.solver().FinishCurrentSearch()

        routing.AddAtSolutionCallback(stop_if_complete)
    start = None
    if hint:
        start = routing.ReadAssignmentFromRoutes(routes_to_indices(model, hint), True)
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return dict(hint), 0
    return sequences_from(model, solution), solution.ObjectiveValue()


def _parameters(strategy: Strategy, limit_s: float) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, strategy.first
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, strategy.metaheuristic
    )
    params.guided_local_search_lambda_coefficient = strategy.gls_lambda
    params.time_limit.FromMilliseconds(max(1, int(limit_s * 1000)))
    if strategy.ils:
        _use_ils(params)
    if strategy.extra_operators:
        ops = params.local_search_operators
        on = optional_boolean_pb2.BOOL_TRUE
        for name in ("use_relocate_and_make_active", "use_exchange_and_make_active",
                     "use_inactive_lns", "use_path_lns", "use_extended_swap_active",
                     "use_node_pair_swap_active", "use_cross_exchange",
                     "use_global_cheapest_insertion_close_nodes_lns",
                     "use_local_cheapest_insertion_close_nodes_lns",
                     "use_global_cheapest_insertion_expensive_chain_lns"):
            setattr(ops, name, on)
    return params


def _use_ils(params: pywrapcp.DefaultRoutingSearchParameters) -> None:
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    rr = ils.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10
    sisr.avg_num_removed_visits = 10
    sisr.bypass_factor = 0.01


def _score(problem: Problem, routes: dict[str, list[Visit]], total: int) -> tuple[int, int]:
    """(vehicles, distance), with unplanned deliveries counted as very costly vehicles."""
    from routing.planning.insertion import Evaluator

    evaluator = Evaluator(problem)
    couriers = {c.key: c for c in problem.couriers}
    distance = 0
    for key, visits in routes.items():
        if visits:
            distance += evaluator.route_cost(couriers[key], visits) or BENCH_PENALTY
    missing = total - len({v.delivery.key for vs in routes.values() for v in vs})
    vehicles = sum(1 for v in routes.values() if v)
    return vehicles + 1000 * missing, distance


def _encode(routes: dict[str, list[Visit]]) -> Encoded:
    return [(k, [(v.delivery.key, v.kind.value) for v in vs]) for k, vs in routes.items()]


def _decode(keep: Sequence[Delivery], encoded: Encoded) -> dict[str, list[Visit]]:
    by_key = {d.key: d for d in keep}
    return {k: [Visit(by_key[d], StopKind(kind)) for d, kind in vs] for k, vs in encoded}


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
    routes = start_routes(problem, keep, initial)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    evaluator = Evaluator(problem)
    rest = [d for d in keep if d.key not in placed]
    rest.sort(key=lambda d: (d.on_board_of is None, d.ready_s, d.key))
    allowed = {d.key: candidates(problem, d) for d in rest}
    done = insert_all(evaluator, routes, rest, allowed)
    return done.routes, done.failed
