"""Fast benchmark-mode PDPTW moves: insertion checks, route minimisation, distance search.

Each route keeps, per position, its service start time, the load after the stop and the
*latest* start that keeps the rest of the route feasible (forward time slack, computed
backwards once per route change). Inserting a pickup after position ``i`` and its dropoff
after ``j`` is then checked by walking the shifted start times from ``i`` to ``j`` only, and
the rest of the route in constant time: every position pair of a route costs O(1) amortised.
These two loops (a route's tables and the insertion scan) are compiled
(``routing.bench.pdptw_kernels``); the search around them is Python. A route never changes once
built, so it remembers the insertions it was asked about: a search step leaves most routes
alone and asks them about the same requests again.

On top of it, ``minimise_routes`` removes routes with an ejection pool, after Nagata & Bräysy
(2009): the requests of a removed route go into a pool and are put back one at a time; one
that fits nowhere is forced in by ejecting the one or two requests of a single route whose
penalty counters (how often each request was hard to place) add up least; random feasible
relocations shake the plan between steps. A route is gone when the pool is empty.

Supported problems (``supports``): benchmark mode, speed 100 %, no maximum ride time, nothing
on board, pinned or heading-to, one load unit (grams). Pure and deterministic for a seed
(apart from the time limit).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from routing.bench.pdptw_kernels import BIG, route_tables, scan
from routing.planning.problem import Courier, Delivery, Mode, Problem, StopKind
from routing.planning.schedule import Visit

PAIR_TRIALS = 300  # two-request ejections tried per stuck request (cheapest penalties first)
PERTURB_MOVES = 8  # random feasible relocations after each ejection


def supports(problem: Problem, keep: Sequence[Delivery], couriers: Sequence[Courier]) -> bool:
    """Whether ``problem`` is in the subset this module handles (see the module docstring)."""
    return (
        problem.mode is Mode.BENCHMARK
        and not problem.heading_to
        and all(c.speed_pct == 100 for c in couriers)
        and all(d.max_ride_s is None and d.on_board_of is None and d.pinned_to is None
                and d.load_ml == 0 for d in keep)
    )


@dataclass(slots=True)
class Route:
    """One vehicle's route: node ids from its start to its end node, with time/load tables."""

    courier: int
    nodes: list[int]
    arr: np.ndarray  # the nodes again, as int64 for the compiled scan
    st: np.ndarray  # service start (arrival at the end node)
    lt: np.ndarray  # latest service start keeping the rest feasible
    ld: np.ndarray  # load after the stop
    cost: int
    # request -> (best insertion or None, the bound it was sought under): a route never
    # changes, and one left alone by a search step is asked about the same requests again
    memo: dict[int, tuple[tuple[int, int, int] | None, int]] = field(default_factory=dict)


class Engine:
    """Node tables for one problem: request ``k`` has pickup node ``2k``, dropoff ``2k + 1``."""

    def __init__(self, problem: Problem, keep: Sequence[Delivery],
                 couriers: Sequence[Courier]) -> None:
        self.keep = list(keep)
        self.couriers = list(couriers)
        m = len(keep)
        places: list[int] = []
        e: list[int] = []
        lat: list[int] = []
        s: list[int] = []
        q: list[int] = []
        for d in keep:
            places += [d.pickup, d.dropoff]
            pick_end = d.pickup_window_end_s
            e += [d.ready_s, d.window_start_s]
            lat += [BIG if pick_end is None else pick_end, d.window_end_s]
            s += [d.pickup_service_s, d.dropoff_service_s]
            q += [d.load_g, -d.load_g]
        depot: dict[int | None, int] = {}
        for c in couriers:
            for place in (c.start, c.end):
                if place not in depot:
                    depot[place] = len(places)
                    places.append(0 if place is None else place)
                    e.append(0)
                    lat.append(BIG)
                    s.append(0)
                    q.append(0)
        index = np.array(places, dtype=np.int64)
        travel = problem.travel_s[np.ix_(index, index)].copy()
        dist = problem.distance_m[np.ix_(index, index)].copy()
        if None in depot:  # an open route ends anywhere for free
            travel[:, depot[None]] = 0
            dist[:, depot[None]] = 0
        self.dist: list[list[int]] = dist.tolist()  # for the Python side (neighbours)
        self.e, self.l, self.q = e, lat, q  # windows for sorting, loads for the capacity check
        # the same tables as int64 arrays, for the compiled kernels
        self.tables = (np.ascontiguousarray(travel, dtype=np.int64),
                       np.ascontiguousarray(dist, dtype=np.int64),
                       *(np.array(v, dtype=np.int64) for v in (e, lat, s, q)))
        self.m = m
        self.start = [depot[c.start] for c in couriers]
        self.end = [depot[c.end] for c in couriers]
        self.avail = [c.available_s for c in couriers]
        self.shift_end = [c.shift_end_s for c in couriers]
        self.cap = [c.capacity_g for c in couriers]

    # -- routes ---------------------------------------------------------------------------

    def make(self, courier: int, inner: Sequence[int]) -> Route | None:
        """The route of ``courier`` through ``inner`` nodes, or None when infeasible."""
        nodes = [self.start[courier], *inner, self.end[courier]]
        arr = np.array(nodes, dtype=np.int64)
        ok, cost, st, lt, ld = route_tables(arr, self.avail[courier], self.shift_end[courier],
                                            self.cap[courier], *self.tables)
        return Route(courier, nodes, arr, st, lt, ld, cost) if ok else None

    def best_insertion(self, r: Route, k: int, bound: int = BIG) -> tuple[int, int, int] | None:
        """Cheapest feasible (added distance, i, j) for request ``k`` in ``r``, below ``bound``.

        The pickup goes after position ``i`` and the dropoff after position ``j`` of the
        route's nodes (``j == i``: right after the pickup).
        """
        known = r.memo.get(k)
        if known is not None:
            found, under = known
            if found is not None:  # the cheapest there is: anything cheaper was below the bound
                return found if found[0] < bound else None
            if under >= bound:  # nothing below a bound at least as high
                return None
        found = self._scan(r, k, bound)
        r.memo[k] = (found, bound)
        return found

    def _scan(self, r: Route, k: int, bound: int) -> tuple[int, int, int] | None:
        t, dist, e, lat, s, q = self.tables
        found = scan(r.arr, r.st, r.lt, r.ld, 2 * k, 2 * k + 1, self.cap[r.courier] - self.q[2 * k],
                     bound, t, dist, e, lat, s)
        return None if found[0] < 0 else found

    def inserted(self, r: Route, k: int, i: int, j: int) -> Route:
        """``r`` with request ``k`` inserted at an insertion's positions (feasible)."""
        inner = r.nodes[1:-1]
        inner.insert(j, 2 * k + 1)
        inner.insert(i, 2 * k)
        out = self.make(r.courier, inner)
        assert out is not None
        return out

    def without(self, r: Route, ks: Sequence[int]) -> Route:
        """``r`` without requests ``ks`` (removing never breaks feasibility)."""
        gone = {2 * k for k in ks} | {2 * k + 1 for k in ks}
        out = self.make(r.courier, [x for x in r.nodes[1:-1] if x not in gone])
        assert out is not None
        return out

    # -- plans ----------------------------------------------------------------------------

    def construct(self, rng: random.Random) -> list[Route] | None:
        """Cheapest insertion, opening a vehicle when a request fits in no open route."""
        order = sorted(range(self.m), key=lambda k: (self.l[2 * k + 1], rng.random()))
        routes: list[Route] = []
        free = list(range(len(self.couriers)))
        for k in order:
            best: tuple[int, int, int, int] | None = None
            for n, r in enumerate(routes):
                ins = self.best_insertion(r, k, BIG if best is None else best[0])
                if ins is not None:
                    best = (ins[0], n, ins[1], ins[2])
            if best is not None:
                routes[best[1]] = self.inserted(routes[best[1]], k, best[2], best[3])
                continue
            opened = None
            while free and opened is None:
                empty = self.make(free.pop(0), [])
                if empty is not None:
                    ins = self.best_insertion(empty, k)
                    if ins is not None:
                        opened = self.inserted(empty, k, ins[1], ins[2])
            if opened is None:
                return None
            routes.append(opened)
        return routes

    def from_visits(self, plan: dict[str, list[Visit]]) -> list[Route] | None:
        """Routes of a feasible plan given as visits (None if it does not fit the tables)."""
        node = {}
        for k, d in enumerate(self.keep):
            node[(d.key, StopKind.PICKUP)] = 2 * k
            node[(d.key, StopKind.DROPOFF)] = 2 * k + 1
        routes = []
        for n, c in enumerate(self.couriers):
            visits = plan.get(c.key, [])
            if visits:
                r = self.make(n, [node[(v.delivery.key, v.kind)] for v in visits])
                if r is None:
                    return None
                routes.append(r)
        served = sorted(x for r in routes for x in r.nodes[1:-1])
        return routes if served == list(range(2 * self.m)) else None

    def to_visits(self, routes: Sequence[Route]) -> dict[str, list[Visit]]:
        """Courier key -> visits; unused couriers get an empty list."""
        out: dict[str, list[Visit]] = {c.key: [] for c in self.couriers}
        for r in routes:
            out[self.couriers[r.courier].key] = [
                Visit(self.keep[x // 2], StopKind.DROPOFF if x % 2 else StopKind.PICKUP)
                for x in r.nodes[1:-1]
            ]
        return out

    def neighbours(self) -> list[list[int]]:
        """Per request, every request by closeness (pickup and dropoff distances summed)."""
        dist = self.dist
        out = []
        for k in range(self.m):
            p, d = 2 * k, 2 * k + 1
            out.append(sorted(range(self.m), key=lambda o: dist[p][2 * o] + dist[d][2 * o + 1]))
        return out

    @staticmethod
    def requests(r: Route) -> list[int]:
        """The requests served by ``r`` (pickup order)."""
        return [x // 2 for x in r.nodes[1:-1] if x % 2 == 0]


def minimise_routes(
    engine: Engine, routes: list[Route], until: float, seed: int, floor: int = 1
) -> list[Route]:
    """Remove routes by ejection search until ``until`` (``time.perf_counter()``).

    Parameters
    ----------
    engine : the problem's tables.
    routes : a feasible plan (not modified).
    until : deadline.
    seed : random choices.
    floor : stop at this many routes (a lower bound).

    Returns
    -------
    list[Route] : the plan with the fewest routes found, feasible, every request served.
    """
    rng = random.Random(seed)
    best = list(routes)
    while len(best) > floor and time.perf_counter() < until:
        victim = min(range(len(best)), key=lambda n: (len(best[n].nodes), rng.random()))
        found = _empty_route(engine, best, victim, until, rng)
        if found is None:
            break
        best = found
    return best


def _empty_route(
    engine: Engine, routes: list[Route], victim: int, until: float, rng: random.Random
) -> list[Route] | None:
    plan = [r for n, r in enumerate(routes) if n != victim]
    pool = Engine.requests(routes[victim])
    rng.shuffle(pool)
    penalty = [1] * engine.m
    steps = 0
    while pool:
        steps += 1
        if steps % 16 == 0 and time.perf_counter() >= until:
            return None
        k = pool.pop()
        if _insert_best(engine, plan, k):
            continue
        penalty[k] += 1
        ejected = _eject_insert(engine, plan, k, penalty, rng)
        if ejected is None:
            pool.insert(0, k)
        else:
            pool.extend(ejected)
        _perturb(engine, plan, rng, PERTURB_MOVES)
    return plan


def _insert_best(engine: Engine, plan: list[Route], k: int) -> bool:
    best: tuple[int, int, int, int] | None = None
    for n, r in enumerate(plan):
        ins = engine.best_insertion(r, k, BIG if best is None else best[0])
        if ins is not None:
            best = (ins[0], n, ins[1], ins[2])
    if best is None:
        return False
    plan[best[1]] = engine.inserted(plan[best[1]], k, best[2], best[3])
    return True


def _eject_insert(
    engine: Engine, plan: list[Route], k: int, penalty: list[int], rng: random.Random
) -> list[int] | None:
    """Insert ``k`` by ejecting one or two requests of one route, least penalised first."""
    singles: list[tuple[int, float, int, tuple[int, ...]]] = []
    pairs: list[tuple[int, float, int, tuple[int, ...]]] = []
    for n, r in enumerate(plan):
        reqs = Engine.requests(r)
        for x, a in enumerate(reqs):
            singles.append((penalty[a], rng.random(), n, (a,)))
            pa = penalty[a]
            for b in reqs[x + 1:]:
                pairs.append((pa + penalty[b], rng.random(), n, (a, b)))
    singles.sort()
    pairs.sort()
    for cand in singles:
        if _try_eject(engine, plan, k, cand[2], cand[3]):
            return list(cand[3])
    for cand in pairs[:PAIR_TRIALS]:
        if _try_eject(engine, plan, k, cand[2], cand[3]):
            return list(cand[3])
    return None


def _try_eject(engine: Engine, plan: list[Route], k: int, n: int, out: tuple[int, ...]) -> bool:
    reduced = engine.without(plan[n], out)
    ins = engine.best_insertion(reduced, k)
    if ins is None:
        return False
    plan[n] = engine.inserted(reduced, k, ins[1], ins[2])
    return True


def _perturb(engine: Engine, plan: list[Route], rng: random.Random, moves: int) -> None:
    """Relocate a few random requests to another route where they fit."""
    if len(plan) < 2:
        return
    for _ in range(moves):
        a = rng.randrange(len(plan))
        reqs = Engine.requests(plan[a])
        if not reqs:
            continue
        k = rng.choice(reqs)
        b = rng.randrange(len(plan) - 1)
        b += b >= a
        ins = engine.best_insertion(plan[b], k)
        if ins is not None:
            plan[b] = engine.inserted(plan[b], k, ins[1], ins[2])
            plan[a] = engine.without(plan[a], (k,))
    plan[:] = [r for r in plan if len(r.nodes) > 2]


def plan_cost(plan: Sequence[Route]) -> int:
    """Total distance of ``plan``."""
    return sum(r.cost for r in plan)


def improve_distance(
    engine: Engine, routes: list[Route], until: float, seed: int, threshold: float = 4.0
) -> list[Route]:
    """Shorten ``routes`` (never more of them) by ruin and recreate until ``until``.

    Each step removes a few related requests (near a random one, or strings of stops around
    them) and puts them back by cheapest insertion (random or tightest-window order), after
    the requests left over from earlier steps. A request that fits nowhere waits in a bank at
    a price per request, so a tight plan can pass through states with a request missing. The
    price rises while the bank stays full and falls while the plan is complete; after
    ``BANK_PATIENCE`` steps with a bank the search goes back to the best plan. A state is
    accepted when its cost is below the current one plus a threshold that falls linearly to
    zero (record-to-record travel), and kept when it is complete and the shortest.

    Parameters
    ----------
    threshold : the starting threshold, in mean distances per request.

    Returns
    -------
    list[Route] : the shortest complete plan found, feasible, every request served.
    """
    rng = random.Random(seed)
    best = current = list(routes)
    best_cost = current_distance = plan_cost(current)
    mean = best_cost / max(1, engine.m)
    price = BANK_PRICE * mean
    bank: list[int] = []
    started = time.perf_counter()
    span = max(until - started, 1e-3)
    near = engine.neighbours()
    banked_for = 0
    while True:
        now = time.perf_counter()
        if now >= until:
            break
        banked_for = banked_for + 1 if bank else 0
        if banked_for > BANK_PATIENCE:  # lost in plans that cannot take everyone back
            current, current_distance, bank, banked_for = best, best_cost, [], 0
        above = threshold * (1 - (now - started) / span) * mean
        trial = list(current)
        removed = _ruin(engine, trial, rng, near)
        left = _recreate(engine, trial, removed, rng, bank)
        distance = plan_cost(trial)
        if distance + price * len(left) < current_distance + price * len(bank) + above:
            current, current_distance, bank = trial, distance, left
            if not left and (distance < best_cost or len(trial) < len(best)):
                best, best_cost = trial, distance
        # A bank that stays means its price is too low to be worth the room it takes;
        # a plan that stays complete may take a little more risk (strategic oscillation).
        price = min(price * BANK_STEP, BANK_PRICE_MAX * mean) if bank else \
            max(price / BANK_STEP, BANK_PRICE_MIN * mean)
    return best


BANK_PRICE = 3  # a request left out costs this many times the mean distance per request
BANK_PRICE_MIN, BANK_PRICE_MAX = 1, 30  # the range its price moves in
BANK_PATIENCE = 100  # steps with a request left out before going back to the best plan
BANK_STEP = 1.03  # the price's factor per step with (without) a request left out
RUIN_MAX = 12  # requests removed per step, at most


def _ruin(engine: Engine, plan: list[Route], rng: random.Random,
          near: list[list[int]]) -> list[int]:
    """Remove requests near a random one: themselves, or strings of stops around them."""
    size = rng.randint(2, min(RUIN_MAX, max(2, engine.m // 4)))
    seed_k = rng.randrange(engine.m)
    if rng.random() < 0.5:
        gone = set(near[seed_k][:size])
    else:
        route_of = {x // 2: n for n, r in enumerate(plan) for x in r.nodes[1:-1]}
        gone, hit = set(), set()
        for o in near[seed_k]:
            n = route_of.get(o, -1)  # -1: in the bank
            if n in hit or n < 0:
                continue
            hit.add(n)
            nodes = plan[n].nodes
            at = nodes.index(2 * o)
            length = rng.randint(1, size)
            lo = max(1, at - rng.randint(0, length - 1))
            gone |= {x // 2 for x in nodes[lo:min(len(nodes) - 1, lo + length)]}
            if len(gone) >= size or len(hit) >= 3:
                break
    where: dict[int, list[int]] = {}
    for n, r in enumerate(plan):
        ks = [k for k in Engine.requests(r) if k in gone]
        if ks:
            where[n] = ks
    for n, ks in where.items():
        plan[n] = engine.without(plan[n], ks)
    return [k for ks in where.values() for k in ks]


def _recreate(engine: Engine, plan: list[Route], removed: list[int],
              rng: random.Random, bank: Sequence[int] = ()) -> list[int]:
    """Insert ``bank``, then ``removed``, where each costs least; return what fits nowhere.

    The bank goes first: its requests already failed once, and every request inserted
    before them takes away room they may need.
    """
    rng.shuffle(removed)
    if rng.random() < 0.5:  # tightest dropoff window first
        lat = engine.l
        removed.sort(key=lambda k: lat[2 * k + 1] - engine.e[2 * k + 1])
    left = [k for k in [*bank, *removed] if not _insert_best(engine, plan, k)]
    plan[:] = [r for r in plan if len(r.nodes) > 2]
    return left
