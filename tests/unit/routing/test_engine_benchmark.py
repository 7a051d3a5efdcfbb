"""The engine in benchmark mode: its slack-table insertion agrees with the plain evaluator, its
route minimisation and its search (the live search, with the benchmark objective) keep every
delivery on a feasible route, and a seed with a step budget gives one plan."""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path

import numpy as np
import pytest

from routing.planning.check import check
from routing.planning.engine import Engine, Plan
from routing.planning.fleet import minimise_routes
from routing.planning.insertion import Evaluator, apply_insertion
from routing.planning.plans import plan_from_visits
from routing.planning.problem import Courier, Delivery, Mode, Problem, StopKind
from routing.planning.schedule import Visit
from routing.planning.search import search
from routing.planning.slack import fits


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


def _routes(plan: Plan) -> int:
    return int(np.count_nonzero(plan.lengths))


def _valid(p: Problem, engine: Engine, plan: Plan) -> bool:
    """Every delivery placed, and ``routing.planning.check`` finds nothing wrong."""
    checked = plan_from_visits(p, engine.to_visits(plan), [])
    return check(p, checked) == [] and len(checked.assignment()) == len(p.deliveries)


@pytest.mark.parametrize("seed", range(6))
def test_the_slack_insertion_finds_the_cheapest_of_all_positions(seed: int) -> None:
    """For every delivery and route in use, the slack scan's cheapest insertion is the
    brute-force optimum of the Python evaluator, and applying it prices as it said."""
    p = _grid_problem(seed)
    engine = Engine(p, p.deliveries, p.couriers)
    assert engine.slack is not None
    evaluator = Evaluator(p)
    compared = 0
    for k in range(engine.m):
        plan = engine.construct({})
        engine.remove(plan, [k])
        visits = engine.to_visits(plan)
        for c in np.flatnonzero(plan.lengths).tolist():
            courier = p.couriers[c]
            found = engine.slack.best(plan.slack[c], c, k)  # type: ignore[index]
            assert (None if found is None else found[0]) == _brute(evaluator, courier, visits[courier.key],
                                                                   p.deliveries[k])
            compared += 1
        at = engine.cheapest(plan, k)
        if at is not None:
            before = engine.routed(plan)
            engine.insert(plan, k, at)
            assert engine.routed(plan) - before == at[0]
            assert evaluator.route_cost(p.couriers[at[1]], engine.to_visits(plan)[p.couriers[at[1]].key]) \
                == plan.costs[at[1]]
    assert compared > 20


@pytest.mark.parametrize("seed", range(3))
def test_a_remembered_insertion_answers_as_a_fresh_scan_under_any_bound(seed: int) -> None:
    """A route remembers what it was asked under one bound; asked again under another (higher,
    lower, equal to the cost), it answers as a route that never saw the delivery would."""
    p = _grid_problem(seed)
    engine = Engine(p, p.deliveries, p.couriers)
    tables = engine.slack
    assert tables is not None
    plan = engine.construct({})
    rng = random.Random(seed)
    asked = hit = 0
    for c in np.flatnonzero(plan.lengths).tolist():
        stops = plan.rows[c, :plan.lengths[c]]
        r = plan.slack[c]  # type: ignore[index]
        for k in range(engine.m):
            exact = tables.best(tables.route(c, stops), c, k)  # type: ignore[arg-type]
            costs = [0, 1] if exact is None else [exact[0] - 1, exact[0], exact[0] + 1, 1]
            bounds = [*costs, 1 << 60]
            for bound in rng.sample(bounds, len(bounds)):
                expected = tables.best(tables.route(c, stops), c, k, bound)  # type: ignore[arg-type]
                hit += k in r.memo
                assert tables.best(r, c, k, bound) == expected, (k, bound)
                asked += 1
    assert asked > 100 and hit > asked // 2


def _one_route_each(p: Problem, engine: Engine) -> Plan:
    """Delivery ``k`` alone on vehicle ``k``."""
    return engine.from_visits({p.couriers[k].key: [Visit(d, StopKind.PICKUP), Visit(d, StopKind.DROPOFF)]
                               for k, d in enumerate(p.deliveries)})


def test_route_minimisation_then_the_search_keep_the_plan_feasible() -> None:
    """From one route per delivery: fewer routes, then no more routes and no longer, every
    delivery on a route ``check`` accepts."""
    p = _grid_problem(3, n=12, vehicles=12)
    engine = Engine(p, p.deliveries, p.couriers)
    start = _one_route_each(p, engine)
    assert _routes(start) == 12 and _valid(p, engine, start)
    fewer = minimise_routes(engine, start, seed=1, until=time.perf_counter() + 0.5)
    shorter = search(engine, fewer, seed=1, until=time.perf_counter() + 0.3)
    assert _routes(shorter) <= _routes(fewer) < 12
    assert engine.routed(shorter) <= engine.routed(fewer)
    assert _valid(p, engine, fewer) and _valid(p, engine, shorter)


def test_the_same_seed_and_step_budgets_give_the_same_benchmark_plan() -> None:
    """Route minimisation and the search, each under a step budget, are functions of the seed."""
    p = _grid_problem(5, n=14, vehicles=14)

    def run(seed: int) -> list[list[int]]:
        engine = Engine(p, p.deliveries, p.couriers)
        plan = minimise_routes(engine, _one_route_each(p, engine), seed, float("inf"), iterations=400)
        plan = search(engine, plan, seed, float("inf"), iterations=300)
        return [plan.rows[c, :plan.lengths[c]].tolist() for c in range(len(p.couriers))]

    assert run(2) == run(2)


def test_benchmark_relatedness_weighs_time_beside_place() -> None:
    """Of two deliveries between the same places, the one whose windows open nearer in time is
    the more related (hard windows make a partner close in place but not in time a poor one)."""
    p = _grid_problem(1, n=6)
    ds = list(p.deliveries)
    for k, opens in ((1, ds[0].ready_s + 1000), (2, ds[0].ready_s + 10)):
        ds[k] = dataclasses.replace(ds[k], pickup=ds[0].pickup, dropoff=ds[0].dropoff, ready_s=opens,
                                    window_start_s=0, pickup_window_end_s=opens + 2000,
                                    window_end_s=opens + 3000)
    ds[0] = dataclasses.replace(ds[0], window_start_s=0)
    q = dataclasses.replace(p, deliveries=tuple(ds))
    order = Engine(q, q.deliveries, q.couriers).near()[0].tolist()
    assert order[0] == 0 and order.index(2) < order.index(1)


def test_problems_outside_the_slack_tables_are_priced_by_walking_routes() -> None:
    """Live mode, a maximum ride time or a second load unit: no slack tables (the full route
    walk prices them, and benchmark search falls back to OR-Tools)."""
    p = _grid_problem(0)
    assert fits(p, p.deliveries, p.couriers)
    timed = (dataclasses.replace(p.deliveries[0], max_ride_s=60),) + p.deliveries[1:]
    for other in (dataclasses.replace(p, mode=Mode.LIVE), dataclasses.replace(p, deliveries=timed)):
        assert not fits(other, other.deliveries, other.couriers)
        assert Engine(other, other.deliveries, other.couriers).slack is None


@pytest.mark.shared_data
def test_the_engine_plans_a_li_and_lim_instance_within_its_rules(shared_data: Path) -> None:
    """lc101 (53 deliveries): construction, route minimisation and search give a plan that
    ``check`` and the float windows accept, at the best-known fleet of 10."""
    from routing.bench.lilim import float_feasible, parse_instance, problem_from_instance

    instance = parse_instance((shared_data / "lilim/pdp_100/lc101.txt").read_text(), "lc101")
    p = problem_from_instance(instance)
    engine = Engine(p, p.deliveries, p.couriers)
    plan = minimise_routes(engine, engine.construct({}), seed=0, until=time.perf_counter() + 1.0)
    plan = search(engine, plan, seed=0, until=float("inf"), iterations=200)
    checked = plan_from_visits(p, engine.to_visits(plan), [])
    assert _valid(p, engine, plan) and _routes(plan) == 10
    assert float_feasible(instance, [r for r in checked.routes if r.stops])


def test_the_slack_kernels_compile_in_memory_when_no_cache_folder_is_writable() -> None:
    """numba finds no folder to cache in (its locators all refuse): the kernels still compile,
    uncached, and give the same insertion as with a cache."""
    import subprocess
    import sys

    probe = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []\n"  # what numba sees when no folder is writable
        "import numpy as np\n"
        "from routing.planning.slack_kernels import BIG, scan\n"
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
