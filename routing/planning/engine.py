"""The search engine of the live planner: compiled cheapest insertion, then ruin and recreate.

A plan is one row of stop nodes per courier (``Plan.rows``, ``Plan.lengths``) with each row's
cost; delivery ``k`` of ``keep`` has pickup node ``2k`` and dropoff node ``2k + 1``. Pricing a
route and finding the cheapest insertion over many routes are compiled
(``routing.planning.engine_kernels``); everything else here is bookkeeping around them.

How a search goes (``Engine.search``):

1. ``construct``: the forced start of each route (the stop a courier is riding to, what is on
   board), then every other delivery by cheapest insertion over the couriers allowed to take
   it, in ready-time order (the oldest order gets the first pick of the couriers).
2. Ruin and recreate until an iteration budget or a deadline: remove a few related deliveries
   (near one another in place and ready time, or a run of stops of one route), put them back by
   cheapest insertion (random, or ready-time order), keep the result when it costs less than
   the current plan plus a threshold that falls to zero (record-to-record travel), and remember
   the best. A delivery on board or at the head of a route is never removed.

The objective is the live one (``Problem.weights``: riding, lateness, delay beyond each
order's ideal time, fairness (``routing.planning.fairness``), churn; an unplaced delivery costs
``unassigned_penalty``) or, in benchmark mode, distance with hard windows: one engine, two
objectives. Deterministic for a seed under an iteration budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.planning import engine_kernels as kern
from routing.planning.fairness import surcharges
from routing.planning.plans import ideal_dropoff_s
from routing.planning.problem import Courier, Delivery, Mode, Problem, StopKind
from routing.planning.schedule import Visit

RUIN_MAX = 10  # deliveries removed per step, at most
NEAR = 24  # related deliveries remembered per delivery
THRESHOLD = 0.02  # record-to-record: starting threshold, share of the mean cost per delivery


@dataclass(slots=True)
class Plan:
    """Routes as node rows, their costs, and where each delivery is (-1: not placed)."""

    rows: np.ndarray
    lengths: np.ndarray
    costs: np.ndarray
    where: np.ndarray

    def copy(self) -> Plan:
        return Plan(self.rows.copy(), self.lengths.copy(), self.costs.copy(), self.where.copy())


class Engine:
    """Tables of one problem for the compiled kernels, and the search over them.

    Parameters
    ----------
    problem : the snapshot (live or benchmark mode).
    keep : the deliveries to plan (others are ignored).
    couriers : the vehicles (usually ``problem.couriers``).
    """

    def __init__(self, problem: Problem, keep: Sequence[Delivery], couriers: Sequence[Courier]) -> None:
        self.problem, self.keep, self.couriers = problem, list(keep), list(couriers)
        self.m = len(self.keep)
        w = problem.weights
        bench = problem.mode is Mode.BENCHMARK
        self.bench = 1 if bench else 0
        self.cidx = {c.key: i for i, c in enumerate(self.couriers)}
        self.nodes = self._node_tables()
        self.vehicles = self._vehicle_tables()
        self.w = np.array([w.travel_per_s, w.lateness_per_s, w.delay_per_s, w.delay_tail_s, w.delay_tail_per_s,
                           0 if bench else w.churn_per_move, 0 if bench else w.floor_short_per_cent], np.int64)
        # the floor rule (routing.planning.fairness): per courier, when the clock hour ends and
        # the cents they are short of its floor; per delivery, what it pays its courier
        self.hour = np.array([[c.hour_end_s, 0 if bench else c.hour_short_cents] for c in self.couriers],
                             np.int64).reshape(len(self.couriers), 2)
        self.pay = np.array([d.pay_cents for d in self.keep] or [0], np.int64)
        self.travel = np.ascontiguousarray(problem.travel_s, dtype=np.int64)
        self.dist = np.ascontiguousarray(problem.distance_m, dtype=np.int64)
        self.picked = np.full(max(1, self.m), -1, np.int64)
        self.penalty = w.unassigned_penalty
        self.allowed = self._allowed()
        self.movable = np.array([not d.on_board_of for d in self.keep], dtype=bool)
        self.ready = np.array([d.ready_s for d in self.keep], np.int64)
        self._near: np.ndarray | None = None
        self._trial = np.empty(0, np.int64)

    def _node_tables(self) -> tuple[np.ndarray, ...]:
        """Per node (pickup ``2k``, dropoff ``2k + 1``) and per delivery, as the kernels read them."""
        problem, m, big = self.problem, self.m, kern.BIG
        place = np.zeros(2 * m, np.int64)
        early, due, latest, svc = (np.zeros(2 * m, np.int64) for _ in range(4))
        qg, qml = np.zeros(2 * m, np.int64), np.zeros(2 * m, np.int64)
        ideal, maxride = np.full(m, -1, np.int64), np.full(m, -1, np.int64)
        onboard, prev = np.zeros(m, np.int64), np.full(m, -1, np.int64)
        previous = problem.previous_courier()
        delay = not self.bench and problem.weights.delay_per_s > 0
        for k, d in enumerate(self.keep):
            p, q = 2 * k, 2 * k + 1
            place[p], place[q] = d.pickup, d.dropoff
            early[p], early[q] = d.ready_s, d.window_start_s
            due[p], due[q] = big, d.window_end_s
            latest[p] = big if d.pickup_window_end_s is None else d.pickup_window_end_s
            latest[q] = big
            svc[p], svc[q] = d.pickup_service_s, d.dropoff_service_s
            qg[p], qg[q], qml[p], qml[q] = d.load_g, -d.load_g, d.load_ml, -d.load_ml
            if delay:
                ideal[k] = ideal_dropoff_s(problem, d)
            if d.max_ride_s is not None:
                maxride[k] = d.max_ride_s
            onboard[k] = d.on_board_of is not None
            was = previous.get(d.key)
            if not self.bench and was in self.cidx:
                prev[k] = self.cidx[was]
        return place, early, due, latest, svc, qg, qml, ideal, maxride, onboard, prev

    def _vehicle_tables(self) -> tuple[np.ndarray, ...]:
        """Per courier: start, end, availability, shift end, capacities, speed, loads on board,
        fairness surcharge (``routing.planning.fairness``), whether the route's head is fixed."""
        problem, cs = self.problem, self.couriers
        fair = surcharges(problem)
        carried: dict[str, list[int]] = {}
        for d in problem.deliveries:  # one pass (on_board_load per courier would be C x D)
            if d.on_board_of is not None:
                g_ml = carried.setdefault(d.on_board_of, [0, 0])
                g_ml[0] += d.load_g
                g_ml[1] += d.load_ml
        loads = [carried.get(c.key, [0, 0]) for c in cs]
        fixed = {c for c, _, _ in problem.heading_to if c not in problem.unpin_heading}
        columns = ([c.start for c in cs], [-1 if c.end is None else c.end for c in cs], [c.available_s for c in cs],
                   [c.shift_end_s for c in cs], [c.capacity_g for c in cs], [c.capacity_ml for c in cs],
                   [c.speed_pct for c in cs], [g for g, _ in loads], [ml for _, ml in loads],
                   [fair[c.key] for c in cs], [1 if c.key in fixed else 0 for c in cs])
        return tuple(np.array(col, np.int64) for col in columns)

    def _allowed(self) -> list[np.ndarray]:
        """Per delivery, the couriers allowed to take it (``routing.planning.reasons.candidates``,
        without its couriers x deliveries cost)."""
        nc, prev = len(self.couriers), self.nodes[10]
        everyone = np.arange(nc, dtype=np.int64)
        takers = np.array([i for i, c in enumerate(self.couriers) if c.takes_new], np.int64)
        out: list[np.ndarray] = []
        for k, d in enumerate(self.keep):
            who = d.on_board_of or d.pinned_to
            if who is not None:
                out.append(np.array([self.cidx[who]] if who in self.cidx else [], np.int64))
            elif takers.size == nc:
                out.append(everyone)
            elif prev[k] >= 0 and not self.couriers[prev[k]].takes_new:
                out.append(np.sort(np.append(takers, prev[k])))
            else:
                out.append(takers)
        return out

    # -- kernels ----------------------------------------------------------------------------

    def _args(self) -> tuple:  # type: ignore[type-arg]
        place, early, due, latest, svc, qg, qml, ideal, maxride, onboard, _prev = self.nodes
        cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0, surch, _first = self.vehicles
        return (self.bench, self.travel, self.dist, place, early, due, latest, svc, qg, qml, ideal, maxride,
                onboard, cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0, surch, self.hour, self.pay, self.w,
                self.picked)

    def route_cost(self, c: int, nodes: np.ndarray, n: int) -> int:
        """Cost of courier ``c`` riding ``nodes[:n]`` (``INFEASIBLE``: -1)."""
        return int(kern.route_cost(nodes, n, c, *self._args()))

    def cheapest(self, plan: Plan, k: int, cands: np.ndarray | None = None,
                 bound: int = kern.BIG) -> tuple[int, int, int, int] | None:
        """(added cost, courier, i, j) of the cheapest insertion of ``k``, or None."""
        place, early, due, latest, svc, qg, qml, ideal, maxride, onboard, prev = self.nodes
        cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0, surch, first = self.vehicles
        who = self.allowed[k] if cands is None else cands
        if who.size == 0:
            return None
        self._room(plan, 2)
        out = kern.best_over(plan.rows, plan.lengths, plan.costs, who, k, bound, self.bench, self.travel,
                             self.dist, place, early, due, latest, svc, qg, qml, ideal, maxride, onboard, prev,
                             cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0, surch, first, self.hour,
                             self.pay, self.w, self.picked, self._trial)
        return None if out[1] < 0 else (int(out[0]), int(out[1]), int(out[2]), int(out[3]))

    # -- plans ------------------------------------------------------------------------------

    def _empty(self, width: int) -> Plan:
        """Every route empty, not priced yet."""
        nc = len(self.couriers)
        return Plan(np.zeros((nc, width), np.int64), np.zeros(nc, np.int64), np.zeros(nc, np.int64),
                    np.full(self.m, -1, np.int64))

    def _room(self, plan: Plan, extra: int) -> None:
        need = int(plan.lengths.max(initial=0)) + extra + 2
        if need > plan.rows.shape[1]:
            wider = np.zeros((plan.rows.shape[0], max(need, 2 * plan.rows.shape[1])), np.int64)
            wider[:, :plan.rows.shape[1]] = plan.rows
            plan.rows = wider
        if self._trial.size < plan.rows.shape[1]:  # the insertion scan's scratch row
            self._trial = np.empty(plan.rows.shape[1], np.int64)


    def from_visits(self, routes: dict[str, list[Visit]]) -> Plan:
        """A plan of the given stops (courier key -> visits); deliveries not in ``keep`` are skipped."""
        index = {d.key: k for k, d in enumerate(self.keep)}
        longest = max((len(v) for v in routes.values()), default=0)
        plan = self._empty(max(16, 2 * longest + 8))
        for key, visits in routes.items():
            c = self.cidx.get(key)
            if c is None:
                continue
            nodes = [2 * index[v.delivery.key] + (v.kind is StopKind.DROPOFF) for v in visits
                     if v.delivery.key in index]
            plan.rows[c, :len(nodes)] = nodes
            plan.lengths[c] = len(nodes)
            for x in nodes:
                plan.where[x // 2] = c
        plan.costs = kern.costs_of(plan.rows, plan.lengths, *self._args())
        self._room(plan, 2)
        return plan

    def to_visits(self, plan: Plan) -> dict[str, list[Visit]]:
        out: dict[str, list[Visit]] = {}
        for c, courier in enumerate(self.couriers):
            out[courier.key] = [Visit(self.keep[int(x) // 2], StopKind.DROPOFF if x % 2 else StopKind.PICKUP)
                                for x in plan.rows[c, :plan.lengths[c]]]
        return out

    def insert(self, plan: Plan, k: int, at: tuple[int, int, int, int]) -> None:
        """Apply an insertion found by ``cheapest``."""
        _, c, i, j = at
        self._room(plan, 2)
        n = int(plan.lengths[c])
        row = list(plan.rows[c, :n])
        if i >= 0:
            row.insert(i, 2 * k)
        row.insert(j, 2 * k + 1)
        plan.rows[c, :len(row)] = row
        plan.lengths[c] = len(row)
        plan.where[k] = c
        plan.costs[c] = self.route_cost(c, plan.rows[c], len(row))

    def remove(self, plan: Plan, ks: Sequence[int]) -> list[int]:
        """Take deliveries ``ks`` out of their routes; return those taken out.

        Removing a stop can break a route: a pickup reached earlier, before a stop that waits
        for its ready time, makes the ride of that delivery longer (maximum ride time). Such a
        route keeps all its stops, and its deliveries stay in it.
        """
        gone = {2 * k for k in ks} | {2 * k + 1 for k in ks}
        touched = {int(plan.where[k]) for k in ks if plan.where[k] >= 0}
        kept: set[int] = set()
        for c in touched:
            n = int(plan.lengths[c])
            old = plan.rows[c, :n].copy()
            row = [x for x in old if x not in gone]
            plan.rows[c, :len(row)] = row
            plan.lengths[c] = len(row)
            cost = self.route_cost(c, plan.rows[c], len(row))
            if cost == kern.INFEASIBLE and plan.costs[c] != kern.INFEASIBLE:
                plan.rows[c, :n] = old
                plan.lengths[c] = n
                kept |= {int(x) // 2 for x in old}
            else:
                plan.costs[c] = cost
        out = [k for k in ks if k not in kept]
        for k in out:
            plan.where[k] = -1
        return out

    def place_all(self, plan: Plan, ks: Sequence[int]) -> list[int]:
        """Insert each of ``ks`` in order where it costs least; return those that fit nowhere."""
        left = []
        for k in ks:
            at = self.cheapest(plan, k)
            if at is None:
                left.append(k)
            else:
                self.insert(plan, k, at)
        return left

    def total(self, plan: Plan) -> int:
        """The objective: route costs, churn of every placed delivery, unplaced ones' penalty."""
        prev = self.nodes[10]
        placed = plan.where >= 0
        churn = int(np.count_nonzero(placed & (prev >= 0) & (prev != plan.where))) * int(self.w[5])
        broken = plan.costs == kern.INFEASIBLE  # forced stops a courier cannot finish in time
        routes = int(plan.costs[~broken].sum()) + self.penalty * int(np.count_nonzero(broken))
        return routes + churn + self.penalty * int(np.count_nonzero(~placed))

    def construct(self, start: dict[str, list[Visit]]) -> Plan:
        """``start`` (forced prefixes, kept stops), then the rest in ready-time order."""
        plan = self.from_visits(start)
        rest = [k for k in range(self.m) if plan.where[k] < 0]
        rest.sort(key=lambda k: (not self.keep[k].on_board_of, self.keep[k].ready_s, self.keep[k].key))
        self.place_all(plan, rest)
        return plan

    # -- ruin and recreate ------------------------------------------------------------------

    def near(self) -> np.ndarray:
        """Per delivery, the ``NEAR`` most related others: close pickups, dropoffs, ready times."""
        if self._near is None:
            place = self.nodes[0]
            pick, drop = place[0::2], place[1::2]
            rel = (self.travel[np.ix_(pick, pick)] + self.travel[np.ix_(drop, drop)]
                   + np.abs(self.ready[:, None] - self.ready[None, :]))
            rel[~self.movable[None, :].repeat(self.m, 0)] = kern.BIG
            width = min(NEAR, self.m)
            part = np.argpartition(rel, width - 1, axis=1)[:, :width]
            order = np.take_along_axis(rel, part, 1).argsort(axis=1, kind="stable")
            self._near = np.take_along_axis(part, order, 1)
        return self._near

    def _ruin(self, plan: Plan, rng: random.Random) -> list[int]:
        movable = np.flatnonzero(self.movable & (plan.where >= 0))
        if movable.size == 0:
            return []
        size = rng.randint(1, min(RUIN_MAX, max(1, movable.size // 3)))
        seed_k = int(movable[rng.randrange(movable.size)])
        if rng.random() < 0.6:
            gone = [int(k) for k in self.near()[seed_k] if self.movable[k] and plan.where[k] >= 0][:size]
        else:  # a run of stops around the seed on its route
            c = int(plan.where[seed_k])
            row = plan.rows[c, :plan.lengths[c]]
            at = int(np.flatnonzero(row == 2 * seed_k)[0])
            lo = max(int(self.vehicles[10][c]), at - rng.randrange(size))
            gone = sorted({int(x) // 2 for x in row[lo:lo + size] if self.movable[int(x) // 2]})
        return self.remove(plan, [k for k in gone if not self._heads(plan, k)])

    def _heads(self, plan: Plan, k: int) -> bool:
        """Whether ``k``'s pickup is the fixed head of its route (the stop the courier rides to)."""
        c = int(plan.where[k])
        return bool(c >= 0 and self.vehicles[10][c] and plan.lengths[c] and plan.rows[c, 0] == 2 * k)

    def search(self, plan: Plan, seed: int, until: float, iterations: int | None = None) -> Plan:
        """Ruin and recreate from ``plan`` until ``until`` or ``iterations`` steps; the best plan."""
        rng = random.Random(seed)
        best, best_cost = plan, self.total(plan)
        current, current_cost = plan, best_cost
        mean = best_cost / max(1, self.m)
        budget = iterations if iterations is not None else 1 << 62
        started = time.perf_counter()
        span = max(until - started, 1e-3)
        step = 0
        while step < budget and self.movable.any():
            now = time.perf_counter()
            if now >= until:
                break
            progress = step / budget if iterations is not None else (now - started) / span
            trial = current.copy()
            removed = self._ruin(trial, rng)
            step += 1
            if not removed:  # every removal would have broken a route: try another
                continue
            if rng.random() < 0.5:
                rng.shuffle(removed)
            else:
                removed.sort(key=lambda k: (self.ready[k], k))
            lost = [int(k) for k in np.flatnonzero(trial.where < 0) if k not in removed]
            self.place_all(trial, removed + lost)
            cost = self.total(trial)
            if cost < current_cost + THRESHOLD * mean * (1 - progress):
                current, current_cost = trial, cost
                if cost < best_cost:
                    best, best_cost = trial, cost
        return best
