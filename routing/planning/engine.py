"""The planner's search engine: one engine, two objectives (live dispatch, benchmark).

A plan is one row of stop nodes per courier (``Plan.rows``, ``Plan.lengths``) with each row's
cost; delivery ``k`` of ``keep`` has pickup node ``2k`` and dropoff node ``2k + 1``. Pricing a
route and finding the cheapest insertion over many routes are compiled; everything else here
is bookkeeping around them.

The objective is the live one (``Problem.weights``: riding, lateness, delay beyond each
order's ideal time, fairness (``routing.planning.fairness``), churn; an unplaced delivery costs
``unassigned_penalty``), priced by walking a route (``routing.planning.engine_kernels``), or,
in benchmark mode, distance with hard windows. A benchmark problem the slack tables fit
(``routing.planning.slack``: Li & Lim and the like) keeps them per route, and an insertion is
checked in constant time per position pair and remembered by the route until it changes.

How a search goes:

1. ``Engine.construct``: the forced start of each route (the stop a courier is riding to, what
   is on board), then every other delivery by cheapest insertion over the couriers allowed to
   take it, in ready-time order (the oldest order gets the first pick of the couriers); in
   benchmark mode by dropoff deadline, opening a vehicle only when no route in use has room.
2. Benchmark mode: fewer routes by an ejection pool (``routing.planning.fleet``).
3. Ruin and recreate (``routing.planning.search``) until an iteration budget or a deadline,
   with each objective's settings. A delivery on board or at the head of a route is never
   removed.

Deterministic for a seed under an iteration budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.planning import engine_kernels as kern
from routing.planning.fairness import surcharges
from routing.planning.plans import ideal_dropoff_s
from routing.planning.problem import Courier, Delivery, Mode, Problem, StopKind
from routing.planning.schedule import Visit
from routing.planning.slack import Slack, SlackTables, fits

NEAR = 24  # related deliveries remembered per delivery (live)
BENCH_TIME_WEIGHT = 2  # benchmark relatedness: a second apart in time weighs as two of riding


@dataclass(slots=True)
class Plan:
    """Routes as node rows, their costs, and where each delivery is (-1: not placed); in
    benchmark mode, each route's slack tables too (``routing.planning.slack``)."""

    rows: np.ndarray
    lengths: np.ndarray
    costs: np.ndarray
    where: np.ndarray
    slack: list[Slack] | None = None

    def copy(self) -> Plan:
        # a route's slack tables never change (a changed route gets new ones): shared, not copied
        return Plan(self.rows.copy(), self.lengths.copy(), self.costs.copy(), self.where.copy(),
                    None if self.slack is None else list(self.slack))


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
                           0 if bench else w.churn_per_move, 0 if bench else w.floor_short_per_cent,
                           0 if bench else w.floor_missed_per_hour], np.int64)
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
        # benchmark mode keeps slack tables per route when the problem fits them
        self.slack = SlackTables(problem, self.keep, self.couriers) if fits(problem, self.keep, self.couriers) \
            else None
        # the recreate order's key besides random: ready time (live), the dropoff window's width
        # (benchmark: the tightest first)
        self.urgency = self.ready if not bench else \
            np.array([d.window_end_s - d.window_start_s for d in self.keep], np.int64)
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
        if plan.slack is not None:
            return self._cheapest_slack(plan, k, bound)
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

    def _cheapest_slack(self, plan: Plan, k: int, bound: int) -> tuple[int, int, int, int] | None:
        """``cheapest`` in benchmark mode: over the routes in use (a search never opens one),
        each asked through its slack tables and memo."""
        assert self.slack is not None and plan.slack is not None
        best = None
        for c in plan.lengths.nonzero()[0].tolist():
            found = self.slack.best(plan.slack[c], c, k, bound)
            if found is not None:  # framed positions: the dropoff index after the pickup's insertion
                bound, best = found[0], (found[0], c, found[1], found[2] + 1)
        return best

    def _open(self, plan: Plan, k: int) -> tuple[int, int, int, int] | None:
        """Benchmark mode: the first unused vehicle that can take ``k`` alone, when none in use can."""
        assert self.slack is not None and plan.slack is not None
        for c in np.flatnonzero(plan.lengths == 0).tolist():
            found = self.slack.best(plan.slack[c], c, k)
            if found is not None:
                return found[0], c, found[1], found[2] + 1
        return None

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
        if self.slack is not None:
            self._tables_of(plan)
        else:
            plan.costs = kern.costs_of(plan.rows, plan.lengths, *self._args())
        self._room(plan, 2)
        return plan

    def _tables_of(self, plan: Plan) -> None:
        """Benchmark mode: every route's slack tables; a route that breaks a rule is emptied
        (its deliveries are placed again by ``construct``)."""
        assert self.slack is not None
        empty = np.zeros(0, np.int64)
        plan.slack = []
        for c in range(len(self.couriers)):
            tables = self.slack.route(c, plan.rows[c, :plan.lengths[c]])
            if tables is None:
                plan.where[plan.rows[c, :plan.lengths[c]] // 2] = -1
                plan.lengths[c] = 0
                tables = self.slack.route(c, empty)
                assert tables is not None, "a vehicle that cannot even ride empty"
            plan.slack.append(tables)
            plan.costs[c] = tables.cost

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
        row = plan.rows[c, :n].tolist()
        if i >= 0:
            row.insert(i, 2 * k)
        row.insert(j, 2 * k + 1)
        plan.rows[c, :len(row)] = row
        plan.lengths[c] = len(row)
        plan.where[k] = c
        plan.costs[c] = self._price(plan, c)

    def _price(self, plan: Plan, c: int) -> int:
        """The cost of courier ``c``'s route as it now stands in ``plan.rows``; benchmark mode
        keeps its new slack tables when it is feasible."""
        n = int(plan.lengths[c])
        if plan.slack is None:
            return self.route_cost(c, plan.rows[c], n)
        assert self.slack is not None
        tables = self.slack.route(c, plan.rows[c, :n])
        if tables is None:
            return kern.INFEASIBLE
        plan.slack[c] = tables
        return tables.cost

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
            row = [x for x in old.tolist() if x not in gone]
            plan.rows[c, :len(row)] = row
            plan.lengths[c] = len(row)
            cost = self._price(plan, c)
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
        return self.routed(plan) + self.penalty * int(np.count_nonzero(plan.where < 0))

    def routed(self, plan: Plan) -> int:
        """The objective without the unplaced deliveries' penalty."""
        if plan.slack is not None:  # benchmark mode: distance, and no route ever breaks
            return int(plan.costs.sum())
        prev = self.nodes[10]
        placed = plan.where >= 0
        churn = int(np.count_nonzero(placed & (prev >= 0) & (prev != plan.where))) * int(self.w[5])
        broken = plan.costs == kern.INFEASIBLE  # forced stops a courier cannot finish in time
        routes = int(plan.costs[~broken].sum()) + self.penalty * int(np.count_nonzero(broken))
        return routes + churn

    def construct(self, start: dict[str, list[Visit]]) -> Plan:
        """``start`` (forced prefixes, kept stops), then the rest in ready-time order (live) or
        by dropoff deadline (benchmark, where a vehicle is opened only for a delivery that fits
        in no route in use)."""
        plan = self.from_visits(start)
        rest = [k for k in range(self.m) if plan.where[k] < 0]
        if plan.slack is None:
            rest.sort(key=lambda k: (not self.keep[k].on_board_of, self.keep[k].ready_s, self.keep[k].key))
            self.place_all(plan, rest)
            return plan
        rest.sort(key=lambda k: (self.keep[k].window_end_s, self.keep[k].ready_s, k))
        for k in rest:
            at = self.cheapest(plan, k) or self._open(plan, k)
            if at is not None:
                self.insert(plan, k, at)
        return plan

    # -- search -----------------------------------------------------------------------------

    def near(self) -> np.ndarray:
        """Per delivery, the others by relatedness, most related first (after Shaw): riding
        between their pickups and between their dropoffs, plus how far apart their times are.

        Live: ready times, and the ``NEAR`` most related. Benchmark: ready times and dropoff
        window starts, at ``BENCH_TIME_WEIGHT`` (hard windows make deliveries close in place but
        not in time poor partners), and all of them (strings of stops are taken from the routes
        of the most related in turn).
        """
        if self._near is None:
            place = self.nodes[0]
            pick, drop = place[0::2], place[1::2]
            rel = self.travel[np.ix_(pick, pick)] + self.travel[np.ix_(drop, drop)]
            if self.bench:
                opens = self.nodes[1][1::2]  # dropoff window starts
                rel += BENCH_TIME_WEIGHT * (_apart(self.ready) + _apart(opens))
                self._near = rel.argsort(axis=1, kind="stable")
                return self._near
            rel += _apart(self.ready)
            rel[~self.movable[None, :].repeat(self.m, 0)] = kern.BIG
            width = min(NEAR, self.m)
            part = np.argpartition(rel, width - 1, axis=1)[:, :width]
            order = np.take_along_axis(rel, part, 1).argsort(axis=1, kind="stable")
            self._near = np.take_along_axis(part, order, 1)
        return self._near


def _apart(times: np.ndarray) -> np.ndarray:
    """Every pair's difference of ``times``, in absolute value."""
    apart: np.ndarray = np.abs(times[:, None] - times[None, :])
    return apart
