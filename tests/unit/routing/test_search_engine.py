"""The compiled search engine: its prices equal the Python evaluator's, its plans keep every rule."""

from __future__ import annotations

import dataclasses
import random

import pytest

from routing.bench.synthetic import random_city
from routing.planning.check import check
from routing.planning.engine import Engine
from routing.planning.insertion import Evaluator, apply_insertion
from routing.planning.nearest import forced_prefixes
from routing.planning.problem import Courier, Delivery, Mode, Problem, StopKind, Weights
from routing.planning.reasons import candidates
from routing.planning.schedule import Visit
from routing.planning.search import search
from routing.planning.solver import solve


def live_problem(seed: int, couriers: int = 6, orders: int = 14) -> Problem:
    """A random live problem with everything a live round has: loads on board, a pin, a stop
    a courier is riding to, maximum ride times, two load units, speeds, service times, couriers
    short of this hour's floor and what each order pays, a previous plan, promises that cannot
    all be kept and kitchens with several orders."""
    rng = random.Random(seed)
    p = random_city(couriers, orders, seed)
    cs = [dataclasses.replace(c, speed_pct=rng.choice((100, 115, 130)), capacity_g=rng.choice((6_000, 30_000)),
                              capacity_ml=rng.choice((25_000, 150_000)), hour_end_s=rng.choice((600, 1800)),
                              hour_short_cents=rng.choice((0, 300, 1202)),
                              earned_pct_of_floor=rng.choice((None, 80, 150, 260)),
                              shift_end_s=rng.choice((2 * 3600, 4 * 3600)))
          for c in p.couriers]
    ds = []
    for k, d in enumerate(p.deliveries):
        d = dataclasses.replace(d, pickup_service_s=rng.choice((60, 240)), dropoff_service_s=rng.choice((60, 240)),
                                max_ride_s=rng.choice((None, 1500, 2400)), window_end_s=rng.randint(1200, 5400),
                                load_ml=rng.choice((5_000, 20_000)), pay_cents=rng.randint(400, 900))
        if k % 4 == 1:  # a kitchen with several orders: stops in a row there are one visit
            d = dataclasses.replace(d, pickup=p.deliveries[k - 1].pickup)
        if k < 3:
            d = dataclasses.replace(d, on_board_of=cs[k].key, max_ride_s=None)
        elif k == 3:
            d = dataclasses.replace(d, pinned_to=cs[1].key)
        ds.append(d)
    previous = tuple((d.key, cs[rng.randrange(len(cs))].key) for d in ds[4:9])
    heading = ((cs[4].key, ds[10].key, StopKind.PICKUP),)
    return Problem(tuple(cs), tuple(ds), p.travel_s, p.distance_m, previous=previous, heading_to=heading,
                   weights=dataclasses.replace(Weights(), delay_tail_per_s=12, fairness_grade_per_order=3000))


def _random_route(p: Problem, rng: random.Random, courier: str) -> list[Visit]:
    """Some deliveries in a random order with each pickup before its dropoff."""
    mine = [d for d in p.deliveries if d.on_board_of in (None, courier)]
    chosen = rng.sample(mine, min(len(mine), rng.randint(0, 4)))
    route: list[Visit] = []
    for d in chosen:
        if d.on_board_of is None:
            i = rng.randint(0, len(route))
            route.insert(i, Visit(d, StopKind.PICKUP))
            route.insert(rng.randint(i + 1, len(route)), Visit(d, StopKind.DROPOFF))
        else:
            route.insert(rng.randint(0, len(route)), Visit(d, StopKind.DROPOFF))
    return route


@pytest.mark.parametrize("mode", [Mode.LIVE, Mode.BENCHMARK])
def test_a_compiled_route_price_equals_the_evaluators(mode: Mode) -> None:
    """On 300 random routes of random problems, both modes, the kernel and Python agree (or both refuse)."""
    rng = random.Random(7)
    infeasible = 0
    for seed in range(30):
        p = dataclasses.replace(live_problem(seed), mode=mode)
        ev, engine = Evaluator(p), Engine(p, p.deliveries, p.couriers)
        for _ in range(10):
            c = rng.choice(p.couriers)
            route = _random_route(p, rng, c.key)
            plan = engine.from_visits({c.key: route})
            want = ev.route_cost(c, route)
            got = int(plan.costs[engine.cidx[c.key]])
            assert (None if got == -1 else got) == want
            infeasible += want is None
    assert 0 < infeasible < 300  # both kinds of answer were compared


def test_the_compiled_cheapest_insertion_is_the_cheapest_of_all_positions() -> None:
    """Brute force over every courier and position, priced by Python, finds nothing cheaper."""
    rng = random.Random(3)
    for seed in range(20):
        p = live_problem(seed)
        ev, engine = Evaluator(p), Engine(p, p.deliveries, p.couriers)
        routes = forced_prefixes(p, list(p.deliveries))
        plan = engine.construct(routes)
        visits = engine.to_visits(plan)
        k = rng.choice([k for k in range(engine.m) if plan.where[k] >= 0 and engine.movable[k]])
        d = p.deliveries[k]
        if any(v.delivery.key == d.key for c, _, _ in p.heading_to for v in visits[c][:1]):
            continue
        engine.remove(plan, [k])
        without = engine.to_visits(plan)
        found = engine.cheapest(plan, k)
        brute = None
        for c in (x for x in p.couriers if x.key in {p.couriers[i].key for i in engine.allowed[k]}):
            route = without[c.key]
            base = ev.route_cost(c, route)
            first = 1 if route and any(h == c.key for h, _, _ in p.heading_to) else 0
            picks = [-1] if d.on_board_of else range(first, len(route) + 1)
            for i in picks:
                for j in range(max(i + 1, first), len(route) + 2) if i >= 0 else range(first, len(route) + 1):
                    trial = list(route)
                    apply_insertion(trial, d, i, j)
                    cost = ev.route_cost(c, trial)
                    if cost is not None and base is not None:
                        total = cost - base + ev.churn(c, d)
                        brute = total if brute is None else min(brute, total)
        assert (found[0] if found else None) == brute


@pytest.mark.parametrize("seed", range(8))
def test_searched_live_plans_keep_every_rule(seed: int) -> None:
    """Loads on board stay with their courier, pins and heads hold, capacities, ride times, shifts."""
    p = live_problem(seed, couriers=8, orders=30)
    plan = solve(p, time_limit_s=5.0, seed=seed, solution_limit=200)
    assert check(p, plan) == []
    who = plan.assignment()
    for d in p.deliveries:
        if d.on_board_of:
            assert who[d.key] == d.on_board_of
        if d.pinned_to and d.key in who:
            assert who[d.key] == d.pinned_to
    for courier, key, kind in p.heading_to:
        first = plan.route_of(courier).stops[0]  # type: ignore[union-attr]
        assert (first.delivery, first.kind) == (key, kind)


def test_the_same_seed_and_budget_give_the_same_plan() -> None:
    """Under an iteration budget the search is a function of the problem and the seed."""
    p = live_problem(11, couriers=10, orders=40)
    a, b = (solve(p, time_limit_s=30.0, seed=4, solution_limit=300) for _ in range(2))
    assert [(r.courier, [(s.delivery, s.kind) for s in r.stops]) for r in a.routes] == \
           [(r.courier, [(s.delivery, s.kind) for s in r.stops]) for r in b.routes]


def test_the_search_never_ends_worse_than_its_first_plan() -> None:
    """Ruin and recreate keeps the best plan it saw, so the objective only falls."""
    for seed in range(6):
        p = live_problem(seed, couriers=8, orders=40)
        engine = Engine(p, p.deliveries, p.couriers)
        first = engine.construct(forced_prefixes(p, list(p.deliveries)))
        best = search(engine, first.copy(), seed, until=float("inf"), iterations=300)
        assert engine.total(best) <= engine.total(first)
    assert any(engine.total(search(engine, engine.construct(forced_prefixes(p, list(p.deliveries))), s,
                                   float("inf"), 300)) < engine.total(first) for s in range(3))


def test_the_engine_allows_the_couriers_the_rules_allow() -> None:
    """Carrier, pin, or everyone who takes new work plus the quiet courier who had it before."""
    for seed in range(10):
        p = live_problem(seed)
        quiet = tuple(dataclasses.replace(c, takes_new=i % 3 != 1) for i, c in enumerate(p.couriers))
        p = dataclasses.replace(p, couriers=quiet)
        engine = Engine(p, p.deliveries, p.couriers)
        for k, d in enumerate(p.deliveries):
            assert sorted(p.couriers[int(i)].key for i in engine.allowed[k]) == \
                sorted(c.key for c in candidates(p, d))


def test_of_two_equal_couriers_above_the_floor_the_one_who_earned_less_gets_the_order() -> None:
    """The graded fairness rule: both reach the kitchen together, neither is below the floor;
    the order goes to the one paid less per hour so far, whichever is listed first."""
    from tests.unit.routing.conftest import line_matrices

    travel_s, distance_m = line_matrices((0, 0, 3, 6))
    order = Delivery("d1", pickup=2, dropoff=3, ready_s=0, window_start_s=0, window_end_s=3600)
    for low, high in (("ana", "bo"), ("bo", "ana")):
        pct = {low: 130, high: 190}
        couriers = tuple(Courier(k, start=i, available_s=0, shift_end_s=7200, capacity_g=10_000,
                                 capacity_ml=50_000, earned_pct_of_floor=pct[k])
                         for i, k in enumerate(("ana", "bo")))
        p = Problem(couriers, (order,), travel_s, distance_m,
                    weights=dataclasses.replace(Weights(), fairness_grade_per_order=2400))
        assert solve(p, time_limit_s=0).assignment() == {"d1": low}
        plain = dataclasses.replace(p, weights=dataclasses.replace(Weights(), fairness_grade_per_order=0))
        assert solve(plain, time_limit_s=0).assignment() == {"d1": "ana"}  # a tie: listed first


@pytest.mark.parametrize("time_limit_s", [0.0, 0.3])
def test_of_two_equal_couriers_the_one_short_of_this_hours_floor_gets_the_order(time_limit_s: float) -> None:
    """The floor rule, hour by hour: both reach the kitchen together; the order goes to the one
    still short of this hour's floor, if they can drop it before the hour ends, whichever is
    listed first. Not when the dropoff would land after the hour: it pays nothing toward it."""
    from tests.unit.routing.conftest import line_matrices

    travel_s, distance_m = line_matrices((0, 0, 3, 6))
    order = Delivery("d1", pickup=2, dropoff=3, ready_s=0, window_start_s=0, window_end_s=3600, pay_cents=600)
    for short in ("ana", "bo"):
        for hour_end_s, winner in ((1800, short), (5, "ana")):
            couriers = tuple(Courier(k, start=i, available_s=0, shift_end_s=7200, capacity_g=10_000,
                                     capacity_ml=50_000, hour_end_s=hour_end_s,
                                     hour_short_cents=500 if k == short else 0)
                             for i, k in enumerate(("ana", "bo")))
            p = Problem(couriers, (order,), travel_s, distance_m)
            assert solve(p, time_limit_s=time_limit_s).assignment() == {"d1": winner}, (short, hour_end_s)
            assert Evaluator(p).route_cost(couriers[0], []) == (2000 + 2400 if short == "ana" else 0)
