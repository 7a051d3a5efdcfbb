"""Benchmark mode's route tables: an insertion checked in constant time per position pair.

In benchmark mode (hard windows, distance) the engine keeps, beside each route's stops, its
slack tables (``routing.planning.slack_kernels.route_tables``): per position the service
start, the load after the stop and the *latest* start that keeps the rest of the route
feasible (computed backwards once per route change). Inserting a pickup after position ``i``
and its dropoff after ``j`` is then checked by walking the shifted start times from ``i`` to
``j`` only, and the rest of the route in constant time (``slack_kernels.scan``).

A route's tables never change once built (a changed route gets new ones), so they remember
the insertions they were asked about (``Slack.memo``): a search step leaves most routes alone
and asks them about the same deliveries again.

The tables use their own node numbering: delivery ``k``'s pickup and dropoff are nodes ``2k``
and ``2k + 1`` as in the engine, and each distinct start or end place of a vehicle is one more
node after them (an open end is a node every place reaches for free).

Supported problems (``fits``): benchmark mode, speed 100 %, no maximum ride time, nothing on
board, pinned or heading-to, one load unit (grams); the engine prices any other problem by
walking its routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from routing.planning.problem import Courier, Delivery, Mode, Problem
from routing.planning.slack_kernels import BIG, route_tables, scan

Found = tuple[int, int, int]  # (added distance, i, j) in framed positions (see ``Slack``)


def fits(problem: Problem, keep: Sequence[Delivery], couriers: Sequence[Courier]) -> bool:
    """Whether the slack tables can price ``problem`` (see the module docstring)."""
    return (
        problem.mode is Mode.BENCHMARK
        and not problem.heading_to
        and all(c.speed_pct == 100 for c in couriers)
        and all(d.max_ride_s is None and d.on_board_of is None and d.pinned_to is None
                and d.load_ml == 0 for d in keep)
    )


@dataclass(slots=True)
class Slack:
    """One route's tables, framed: position 0 is the vehicle's start node, then its stops,
    then its end node. ``memo``: delivery -> (cheapest insertion or None, the bound it was
    sought under)."""

    frame: np.ndarray
    st: np.ndarray  # service start (arrival at the end node)
    lt: np.ndarray  # latest service start keeping the rest feasible
    ld: np.ndarray  # load after the stop
    cost: int
    memo: dict[int, tuple[Found | None, int]] = field(default_factory=dict)


class SlackTables:
    """The node tables of one problem for the slack kernels, and its routes' tables."""

    def __init__(self, problem: Problem, keep: Sequence[Delivery], couriers: Sequence[Courier]) -> None:
        places: list[int] = []
        e: list[int] = []
        lat: list[int] = []
        s: list[int] = []
        q: list[int] = []
        for d in keep:
            places += [d.pickup, d.dropoff]
            e += [d.ready_s, d.window_start_s]
            lat += [BIG if d.pickup_window_end_s is None else d.pickup_window_end_s, d.window_end_s]
            s += [d.pickup_service_s, d.dropoff_service_s]
            q += [d.load_g, -d.load_g]
        depot: dict[int | None, int] = {}
        for c in couriers:
            for place in (c.start, c.end):
                if place not in depot:
                    depot[place] = len(places)
                    places += [0 if place is None else place]
                    e += [0]
                    lat += [BIG]
                    s += [0]
                    q += [0]
        index = np.array(places, dtype=np.int64)
        travel = problem.travel_s[np.ix_(index, index)].astype(np.int64)
        dist = problem.distance_m[np.ix_(index, index)].astype(np.int64)
        if None in depot:  # an open route ends anywhere for free
            travel[:, depot[None]] = 0
            dist[:, depot[None]] = 0
        self.travel, self.dist = np.ascontiguousarray(travel), np.ascontiguousarray(dist)
        self.e, self.lat, self.s, self.q = (np.array(v, np.int64) for v in (e, lat, s, q))
        self.start = [depot[c.start] for c in couriers]
        self.end = [depot[c.end] for c in couriers]
        self.avail = [c.available_s for c in couriers]
        self.shift_end = [c.shift_end_s for c in couriers]
        self.cap = [c.capacity_g for c in couriers]

    def route(self, c: int, stops: np.ndarray) -> Slack | None:
        """The tables of courier ``c`` riding ``stops`` (engine nodes), or None when infeasible."""
        frame = np.empty(stops.shape[0] + 2, np.int64)
        frame[0], frame[1:-1], frame[-1] = self.start[c], stops, self.end[c]
        ok, cost, st, lt, ld = route_tables(frame, self.avail[c], self.shift_end[c], self.cap[c],
                                            self.travel, self.dist, self.e, self.lat, self.s, self.q)
        return Slack(frame, st, lt, ld, int(cost)) if ok else None

    def best(self, r: Slack, c: int, k: int, bound: int = BIG) -> Found | None:
        """Cheapest feasible (added distance, i, j) for delivery ``k`` in ``r``, below ``bound``.

        The pickup goes after framed position ``i`` and the dropoff after framed position ``j``
        (``j == i``: right after the pickup).
        """
        known = r.memo.get(k)
        if known is not None:
            found, under = known
            if found is not None:  # the cheapest there is: anything cheaper was below the bound
                return found if found[0] < bound else None
            if under >= bound:  # nothing below a bound at least as high
                return None
        out = scan(r.frame, r.st, r.lt, r.ld, 2 * k, 2 * k + 1, self.cap[c] - self.q[2 * k], bound,
                   self.travel, self.dist, self.e, self.lat, self.s)
        found = None if out[0] < 0 else (int(out[0]), int(out[1]), int(out[2]))
        r.memo[k] = (found, bound)
        return found
