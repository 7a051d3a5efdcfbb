"""The fast benchmark-mode engine: its insertion checks agree with the plain evaluator, and its
route minimisation and distance search keep every request on a feasible route."""

from __future__ import annotations

import dataclasses
import random
import time

import numpy as np
import pytest

from routing.bench.pdptw import Engine, improve_distance, minimise_routes, plan_cost, supports
from routing.planning.check import check
from routing.planning.insertion import Evaluator, apply_insertion
from routing.planning.plans import plan_from_visits
from routing.planning.problem import Courier, Delivery, Mode, Problem
from routing.planning.schedule import Visit


def _grid_problem(seed: int, n: int = 14, vehicles: int = 6) -> Problem:
    """Benchmark problem on a Manhattan grid (exact triangle inequality), depot at place 0."""
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 30, size=(1 + 2 * n, 2))
    units = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(np.int64)
    couriers = tuple(Courier(f"v{k}", 0, 0, 6000, 30, 0, end=0) for k in range(vehicles))
    deliveries = []
    for k in range(n):
        ready = int(rng.integers(0, 900))
        due = ready + int(rng.integers(900, 3000))
        deliveries.append(Delivery(
            f"r{k}", 1 + 2 * k, 2 + 2 * k, ready_s=ready, window_start_s=int(rng.integers(0, ready + 1)),
            window_end_s=due, load_g=int(rng.integers(1, 15)), pickup_service_s=10,
            dropoff_service_s=10, pickup_window_end_s=ready + int(rng.integers(600, 2000))))
    return Problem(couriers, tuple(deliveries), units * 10, units * 7, mode=Mode.BENCHMARK)


def _brute(evaluator: Evaluator, courier: Courier, route: list[Visit], d: Delivery) -> int | None:
    base = evaluator.route_cost(courier, route)
    assert base is not None
    best = None
    for i in range(len(route) + 1):
        for j in range(i + 1, len(route) + 2):
            trial = list(route)
            apply_insertion(trial, d, i, j)
            cost = evaluator.route_cost(courier, trial)
            if cost is not None and (best is None or cost - base < best):
                best = cost - base
    return best


@pytest.mark.parametrize("seed", range(6))
def test_cheapest_insertion_matches_trying_every_position(seed: int) -> None:
    """For every request and route, the fast check finds exactly the brute-force optimum."""
    p = _grid_problem(seed)
    engine = Engine(p, p.deliveries, p.couriers)
    routes = engine.construct(random.Random(seed))
    assert routes is not None
    evaluator = Evaluator(p)
    compared = 0
    for r in routes:
        for k in Engine.requests(r):
            reduced = engine.without(r, [k])
            visits = engine.to_visits([reduced])[p.couriers[r.courier].key]
            for other in [reduced] + [o for o in routes if o is not r]:
                if other is not reduced:
                    visits = engine.to_visits([other])[p.couriers[other.courier].key]
                fast = engine.best_insertion(other, k)
                slow = _brute(evaluator, p.couriers[other.courier], visits, p.deliveries[k])
                assert (None if fast is None else fast[0]) == slow
                compared += 1
    assert compared > 20


@pytest.mark.parametrize("seed", range(3))
def test_a_remembered_insertion_answers_as_a_fresh_scan_under_any_bound(seed: int) -> None:
    """A route remembers what it was asked under one bound; asked again under another (higher,
    lower, equal to the cost), it answers as a route that never saw the request would."""
    p = _grid_problem(seed)
    engine = Engine(p, p.deliveries, p.couriers)
    routes = engine.construct(random.Random(seed))
    assert routes is not None
    rng = random.Random(seed)
    asked = hit = 0
    for r in routes:
        for k in range(engine.m):
            exact = engine.best_insertion(engine.make(r.courier, r.nodes[1:-1]), k)
            costs = [0, 1] if exact is None else [exact[0] - 1, exact[0], exact[0] + 1, 1]
            bounds = [*costs, 1 << 60]
            for bound in rng.sample(bounds, len(bounds)):
                fresh = engine.make(r.courier, r.nodes[1:-1])
                expected = engine.best_insertion(fresh, k, bound)
                hit += k in r.memo
                assert engine.best_insertion(r, k, bound) == expected, (k, bound)
                asked += 1
    assert asked > 100 and hit > asked // 2


def test_route_minimisation_and_distance_search_keep_the_plan_feasible() -> None:
    """From one route per request: fewer routes, then no longer, every request on a valid route."""
    p = _grid_problem(3, n=12, vehicles=12)
    engine = Engine(p, p.deliveries, p.couriers)
    assert supports(p, p.deliveries, p.couriers)
    alone = [engine.make(k, [2 * k, 2 * k + 1]) for k in range(12)]
    start = [r for r in alone if r is not None]
    assert len(start) == 12
    fewer = minimise_routes(engine, start, time.perf_counter() + 0.5, seed=1)
    shorter = improve_distance(engine, fewer, time.perf_counter() + 0.3, seed=1)
    assert len(shorter) <= len(fewer) < 12
    assert plan_cost(shorter) <= plan_cost(fewer)
    for routes in (fewer, shorter):
        plan = plan_from_visits(p, engine.to_visits(routes), [])
        assert check(p, plan) == [] and len(plan.assignment()) == 12


def test_problems_outside_the_fast_subset_are_refused() -> None:
    """Live mode or a maximum ride time is left to the OR-Tools path."""
    p = _grid_problem(0)
    assert not supports(dataclasses.replace(p, mode=Mode.LIVE), p.deliveries, p.couriers)
    timed = (dataclasses.replace(p.deliveries[0], max_ride_s=60),) + p.deliveries[1:]
    assert not supports(p, timed, p.couriers)


def test_the_kernels_compile_in_memory_when_no_cache_folder_is_writable() -> None:
    """numba finds no folder to cache in (its locators all refuse): the kernels still compile,
    uncached, and give the same insertion as with a cache."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []\n"  # what numba sees when no folder is writable
        "import numpy as np\n"
        "from routing.bench.pdptw_kernels import BIG, scan\n"
        "t = np.array([[0, 5, 5], [5, 0, 1], [5, 1, 0]], dtype=np.int64)\n"
        "z = np.zeros(3, dtype=np.int64)\n"
        "late = np.full(3, 100, dtype=np.int64)\n"
        "nodes = np.array([0, 0], dtype=np.int64)\n"
        "times = np.array([0, 0], dtype=np.int64)\n"
        "lt = np.array([100, 100], dtype=np.int64)\n"
        "print(type(scan._cache).__name__, scan(nodes, times, lt, times, 1, 2, 10, BIG,"
        " t, t, z, late, z))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[3], check=True).stdout.split()
    # depot -> pickup (5) -> dropoff (1) -> depot (5), against depot -> depot (0)
    assert out[0] == "NullCache" and out[1:] == ["(11,", "0,", "0)"]
