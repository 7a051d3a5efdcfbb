"""The dispatch problem and its answer, as frozen dataclasses of plain numbers.

This module is the contract between the live service (``dispatch``), the simulator and the
solvers (``routing.planning.solver`` and ``routing.planning.nearest``). It is pure: no I/O, no clock.

Conventions
-----------
- Times are integer seconds from an origin the caller chooses (the dispatch loop uses "now" as
  0, the Li & Lim benchmark uses its own time 0). Durations end in ``_s``.
- Places are indices into the problem's travel matrices (``travel_s`` and ``distance_m``,
  ``n x n`` int arrays, row = from, column = to, asymmetric because of one-way streets).
- Loads are integers: grams (``_g``) and millilitres (``_ml``).
- Couriers and deliveries are named by ``key`` (the service's id as text); the solver never
  invents keys.

Error tree
----------
``ProblemError`` (ValueError): the problem itself is malformed (bad index, negative load,
duplicate key...). The message names the field and the offending object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]


class ProblemError(ValueError):
    """A problem that cannot be solved as given; the message names the field."""


class Mode(str, Enum):
    """``live``: soft dropoff windows (lateness is penalised); ``benchmark``: hard windows."""

    LIVE = "live"
    BENCHMARK = "benchmark"


class StopKind(str, Enum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights for live mode, in cost units per unit. The one documented place.

    Lateness dominates travel time, which dominates churn: a second late costs as much as
    ``lateness_per_s / travel_per_s`` seconds of riding.

    ``delay_per_s`` values delivering sooner: each second a dropoff starts after its ideal
    time (ready + pickup service + the direct ride, ``routing.planning.plans.ideal_dropoff_s``) costs
    that much, for every delivery, late or not. Without it, waiting costs nothing until the
    window end, so piling orders onto one courier while others idle looks "cheap". It equals a
    cost per second from placement (or ready) to dropoff up to a constant per delivery, so it is
    the click-to-door KPI in linear form.

    ``delay_tail_per_s`` more per second beyond ``delay_tail_s`` of delay: the long waits
    (the p90 customers) weigh more than the short ones (the insertion evaluator prices it; the
    benchmark mode's OR-Tools model, which has no live objective, does not).

    ``floor_short_per_cent``: each courier's route costs this much per cent they would still be
    short of this clock hour's floor (``Courier.hour_short_cents``: the floor's share of their
    time on shift in the hour, less what they earned in it) once the dropoffs it plans before
    the hour ends (``Courier.hour_end_s``) have paid them (``Delivery.pay_cents``). That is
    the pay guarantee the co-op would owe for the hour, the hour by hour check of their pay
    statement (``dispatch.domain.statements``), priced: at 4, an order that brings a courier
    6 EUR toward it is worth 2400, 100 seconds of a customer's delay (at ``delay_per_s`` 24)
    or 40 minutes of riding. So work goes to the couriers the guarantee would otherwise pay for
    waiting, in the hour it would pay them, when that costs little. It replaced a flat 2400 per
    order given to a courier not below the floor while another was (the floor over the whole
    shift, then over the hour): measured with ``bench_sim.py --solver-time-limit 0`` (sums of
    hours below the floor, nearest / flat rule over the hour / this rule at 2 / 4 / 8), lunch
    seeds 1-4: 129 / 130 / 133 / 122 / 124; meal seeds 1-3: 173 / 173 / 173 / 173 / 175, the
    meal day's click-to-door p90 50.1 min at 4 against nearest's 55.7 (50.5 with the flat
    rule). Both rules at once, at 4: 122 and 175.

    ``floor_missed_per_hour``: and this much once if the route leaves the courier short of this
    hour's floor at all: the hour their statement would flag. When there is not work enough for
    everyone to reach the floor this hour (the last half hour of a lunch, a quiet spell), the
    linear price alone is indifferent between an order that lifts a courier to the floor and
    one that leaves two couriers each short; this prefers the first. Measured the same way
    (at ``floor_short_per_cent`` 4; 0 / 2400 / 4800): lunch seeds 1-4 122 / 108 / 107 hours,
    meal seeds 1-3 173 / 166 / 163, meal click-to-door p90 50.1 / 50.1 / 50.3 min and delay
    p90 15.8 / 15.2 / 16.0 min.

    ``fairness_grade_per_order``: above the floor too, an order given to a courier costs this
    much per floor's worth per hour they earned beyond the least-paid courier taking new work
    (``Courier.earned_pct_of_floor``, at most one floor's worth, ``routing.planning.fairness``):
    among couriers who reach a kitchen about as soon, the one paid least so far gets it. Measured
    (insertion only, generated days with one visit per place, pay priced when placed, staffing
    1.0; nearest / grade 0 / 2400 / 6000 / 12000): lunch seeds 1 and 2, earnings p10 23.14 and
    22.88 / 21.49 and 20.34 / 23.75 and 22.97 / 24.29 and 24.23 / 24.48 and 24.69 EUR/h, hours
    below the floor 33 and 26 / 35 and 29 / 35 and 27 / 39 and 29 / 37 and 30, click-to-door
    p90 29.63 and 29.23 / 28.47 and 29.40 / 28.40 and 28.86 / 28.42 and 29.83 / 29.60 and 28.39;
    meal seeds 1-6, means: hours below the floor 72.0 / 77.3 / 73.2 / 74.0 / 73.7, p90
    56.6 / 50.3 / 50.7 / 50.8 / 52.0 min, delay p90 21.3 / 15.6 / 16.1 / 16.7 / 19.5 min. 2400
    evens pay at lunch (p10 above nearest's on both days) for half a minute of p90 on meal days.

    How the numbers were chosen (issue 15, ``scripts/bench_sim.py``, generated meal day, seed
    1, insertion only, on a busy machine): with delay 2 and fairness 180 the solver's delay p90
    was 7.8 min against nearest's 4.5 and 113 hours below the floor against 92; delay 6 gave
    6.4, delay 12 with fairness 600 6.0 and 104 hours, with the tail term 5.5 and 107, delay 24
    with fairness 1200 4.9-5.4 and 102 (two runs); delay 16 with the tail and churn 2400 4.8 but
    118 hours; fairness 2400 (seeds 1 and 3): 93 and 120 hours against nearest's 92 and 129,
    delay p90 5.4 and 6.4 against 4.5 and 6.4. Customers' delay dominates riding in every
    setting that came close to nearest;
    lateness stays the heaviest weight (the promise). Runs of one setting differ by about half
    a minute of delay p90: compare settings on several seeds.

    Two rules of the live policy live here too, so the public page reads them from one place:
    ``bundle_detour_s`` bounds bundling (an order rides with others only when its food reaches
    the door at most that much later than if its courier rode it alone from the kitchen: a
    maximum ride time per order, ``dispatch.planning.ride_bound_s``), and
    ``commit_ahead_stops`` and ``commit_wait_s`` say when an order is given to a courier (when
    at most that many stops come before its pickup and the courier, setting off now, would wait
    at most ``commit_wait_s`` at the kitchen for the food; until then it is held so a better
    bundle may form and the courier stays free for food ready sooner, ``dispatch.commitment``).
    ``commit_wait_s`` was measured (``scripts/bench_sim.py``, insertion only, means over meal
    seeds 1-3 / held-out seeds 4-6; nearest: click-to-door p90 44.38 / 43.61 min, delay p90
    5.38 / 4.80, hours below the floor 112.3 / 101.7, km per delivery 2.897 / 2.944): no bound
    (given when the courier is free, however far from ready) 43.95 / 43.84, 4.01 / 3.66,
    107 / 106, 2.884 / 2.914; 120 s 43.65 / 43.30, 3.58 / 3.15, 108 / 106, 2.906 / 2.951;
    60 s 43.64, 3.41, 115, 2.922; 300 s 44.13, 3.83, 109, 2.903; 600 s 43.87, 4.18, 108, 2.895
    (seeds 1-3). 120 s is kept for the customers' figures; the price is about 1 % more km, as a
    courier standing at a kitchen early is the one a second order from it rides with. On
    the lunch peak (seed 1) 120 s also removed the solver's one late order and 2 hours below
    the floor. No dispatch reaches 5 % below nearest on click-to-door p90 on these days: the
    p90 of each order's own lower bound (ready, both stops, direct ride) is 43.28, 41.37 and
    41.59 min on seeds 1-3, within 0.1 min of that target's mean.
    Again after stops at one place became one visit and abandoned orders entered the
    percentiles (nearest 44.47 / 43.92, 5.40 / 4.84, 112.3 / 101.7, 2.897 / 2.944): 120 s
    43.67 / 43.23, 3.59 / 3.05, 111 / 106.7, 2.907 / 2.956; no bound 44.10 / 43.74,
    4.04 / 3.74, 108.7 / 104, 2.880 / 2.913. With 120 s, seeds 1-3: ``delay_tail_per_s`` 48
    beyond 5 min gave 43.45, 3.20, 114.3 hours, 2.902 (more hours below the floor than
    nearest); ``fairness_per_order`` 0 gave 44.02, 3.23, 118.3, 2.881 (the rule is worth about
    7 hours); 4800 and 9600 gave 43.74 / 44.40 min, 4.07 / 5.10 and 107 / 108 hours (on the
    earlier simulator). ``bundle_detour_s`` 900 gave the same figures as 600: the bound does
    not bind, delay at 24 per second keeps bundles rare. Bounding the wait only for a free
    courier (a busy one still given the pickup after their current stop) rode less (2.892 /
    2.906 km, below nearest) but kept less of the customers' gain (43.98 / 43.45 min, delay
    4.00 / 3.72) and lost to nearest on a 2,000-order day (seeds 1-2: 44.06 min against 43.94,
    where 120 s for everyone gives 43.47).

    ``churn_per_move`` is what moving a delivery to another courier must save: 600 is 25
    seconds of ``delay_per_s``, ten minutes of riding. The dispatch loop re-inserts every order not yet
    picked up each round (``dispatch.planning.policy_solver``), so this price is what keeps
    jobs on a rider's phone; since orders are given only when a courier must set off
    (``commit_ahead_stops``), it concerns few of them. Earlier measure (delay 2, every order
    given at once, lunch day of 500 orders and 30 couriers): 120 (a minute of delay) moved an
    order up to 18 times; 1500 (12 minutes of delay) kept stale assignments and lost 5 minutes
    of p90 click-to-door. With holding, 2400 against 600 left 15 more hours below the floor
    on the meal day (stale assignments again).
    """

    lateness_per_s: int = 40
    travel_per_s: int = 1
    churn_per_move: int = 600
    unassigned_penalty: int = 1_000_000
    # the longest route's seconds, in the reported objective only: the search does not price it
    fairness_per_s: int = 0
    delay_per_s: int = 24  # per second of each dropoff after its ideal time (click-to-door)
    floor_short_per_cent: int = 4  # per cent of this clock hour's floor a route leaves a courier short
    floor_missed_per_hour: int = 2400  # once, if the route leaves them short of it at all
    fairness_grade_per_order: int = 2400  # per floor's worth earned per hour beyond the least-paid
    delay_tail_s: int = 8 * 60
    delay_tail_per_s: int = 0  # off: measured no better than a higher delay_per_s
    bundle_detour_s: int = 600
    commit_ahead_stops: int = 1
    commit_wait_s: int = 120  # seconds a courier sent now would wait at the kitchen, at most


@dataclass(frozen=True, slots=True)
class Courier:
    """A courier on shift, as a vehicle of the routing problem.

    Parameters
    ----------
    key : the service's courier id.
    start : place index of the courier's current (or shift start) position.
    available_s : when the courier can leave ``start``.
    shift_end_s : hard limit: the last stop must be finished by then.
    capacity_g, capacity_ml : vehicle capacity.
    speed_pct : travel-time factor in percent of the matrix (cargo bike slower: e.g. 115).
    end : place the route must return to (depot), or None for an open route.
    takes_new : False for a courier who keeps what they carry, their pins and what the plan in
        force already gave them (``Problem.previous``), but gets nothing new (a phone that
        went quiet: the service cannot tell whether they still ride).
    hour_end_s : when the current clock hour ends (the courier's pay statement checks each
        clock hour against the floor).
    hour_short_cents : what the courier still needs to earn in it to reach the floor's share
        of their time on shift in it (``dispatch.domain.pay_so_far``; the fairness term,
        ``Weights.floor_short_per_cent``, prices it).
    earned_pct_of_floor : what the courier earned per hour on shift so far, in percent of the
        floor (None: not known yet); the graded fairness term
        (``Weights.fairness_grade_per_order``) prefers the least paid.
    """

    key: str
    start: int
    available_s: int
    shift_end_s: int
    capacity_g: int
    capacity_ml: int
    speed_pct: int = 100
    end: int | None = None
    takes_new: bool = True
    earned_pct_of_floor: int | None = None
    hour_end_s: int = 0
    hour_short_cents: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One pickup-and-dropoff request.

    ``on_board_of`` names the courier that already picked it up: only its dropoff is planned
    and it must stay with that courier. ``pinned_to`` is a dispatcher's manual assignment.
    ``window_start_s``/``window_end_s`` is the promised dropoff window (soft in live mode).
    ``max_ride_s`` bounds the time from pickup to dropoff (food stays warm), None for none.
    """

    key: str
    pickup: int
    dropoff: int
    ready_s: int
    window_start_s: int
    window_end_s: int
    load_g: int = 0
    load_ml: int = 0
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    max_ride_s: int | None = None
    pickup_window_end_s: int | None = None  # hard latest pickup start (benchmarks), or None
    on_board_of: str | None = None
    pinned_to: str | None = None
    pay_cents: int = 0  # what it pays its courier (the fairness term counts it toward their floor)


@dataclass(frozen=True, slots=True)
class Problem:
    """A snapshot of the live state to plan.

    ``previous`` maps delivery key -> courier key of the plan in force, for churn and warm
    starts. ``heading_to`` maps courier key -> delivery key and stop kind of the stop that
    courier is riding to now; it stays first unless ``unpin_heading`` lists the courier.
    """

    couriers: tuple[Courier, ...]
    deliveries: tuple[Delivery, ...]
    travel_s: IntMatrix
    distance_m: IntMatrix
    mode: Mode = Mode.LIVE
    weights: Weights = field(default_factory=Weights)
    previous: tuple[tuple[str, str], ...] = ()
    heading_to: tuple[tuple[str, str, StopKind], ...] = ()
    unpin_heading: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate(self)

    @property
    def size(self) -> int:
        return int(self.travel_s.shape[0])

    def courier(self, key: str) -> Courier:
        for c in self.couriers:
            if c.key == key:
                return c
        raise KeyError(key)

    def delivery(self, key: str) -> Delivery:
        for d in self.deliveries:
            if d.key == key:
                return d
        raise KeyError(key)

    def previous_courier(self) -> dict[str, str]:
        return dict(self.previous)


@dataclass(frozen=True, slots=True)
class Stop:
    """A planned stop with its estimated times (``arrival_s`` <= ``start_s`` < ``departure_s``)."""

    delivery: str
    kind: StopKind
    place: int
    arrival_s: int
    start_s: int
    departure_s: int
    lateness_s: int = 0


@dataclass(frozen=True, slots=True)
class Route:
    courier: str
    stops: tuple[Stop, ...]
    travel_s: int
    distance_m: int


class UnassignedReason(str, Enum):
    NO_COURIER = "no_courier_on_shift"
    TOO_HEAVY = "too_heavy_for_every_vehicle"
    UNREACHABLE = "no_courier_can_reach_in_window"
    SHIFT_ENDS = "no_courier_shift_long_enough"
    SOLVER = "no_feasible_insertion_found"


@dataclass(frozen=True, slots=True)
class Unassigned:
    delivery: str
    reason: UnassignedReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Objective:
    """The objective broken into its terms (raw units and weighted total)."""

    lateness_s: int = 0
    travel_s: int = 0
    churn_moves: int = 0
    unassigned: int = 0
    fairness_s: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``courier`` got ``delivery``: the cost of the best alternative courier.

    ``delta_cost`` = cost with the alternative - cost with the chosen courier (>= 0 when the
    choice is the cheapest); ``alternative`` is None when no other courier could take it.
    """

    delivery: str
    courier: str
    alternative: str | None
    delta_cost: int | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    objective: Objective = field(default_factory=Objective)
    explanations: tuple[Explanation, ...] = ()
    meta: tuple[tuple[str, Any], ...] = ()  # solver name, wall time, seed...

    def assignment(self) -> dict[str, str]:
        """delivery key -> courier key for every planned delivery."""
        out: dict[str, str] = {}
        for r in self.routes:
            for s in r.stops:
                out[s.delivery] = r.courier
        return out

    def route_of(self, courier: str) -> Route | None:
        for r in self.routes:
            if r.courier == courier:
                return r
        return None


def validate(problem: Problem) -> None:
    """Raise ``ProblemError`` naming the first malformed field of ``problem``."""
    n = problem.travel_s.shape[0] if problem.travel_s.ndim == 2 else -1
    if problem.travel_s.shape != (n, n) or problem.distance_m.shape != (n, n):
        raise ProblemError(
            f"travel_s and distance_m must be square and alike, got {problem.travel_s.shape} "
            f"and {problem.distance_m.shape}"
        )
    seen: set[str] = set()
    for c in problem.couriers:
        if c.key in seen:
            raise ProblemError(f"courier.key {c.key!r} is duplicated")
        seen.add(c.key)
        fault = courier_fault(n, c)
        if fault:
            raise ProblemError(fault)
    couriers = seen
    seen = set()
    for d in problem.deliveries:
        if d.key in seen:
            raise ProblemError(f"delivery.key {d.key!r} is duplicated")
        seen.add(d.key)
        fault = delivery_fault(n, d, couriers)
        if fault:
            raise ProblemError(fault)


def courier_fault(n: int, c: Courier) -> str | None:
    """What is malformed in courier ``c`` of a problem with ``n`` places, or None.

    One courier at a time, so that a caller assembling a live problem can leave out the one
    bad courier (with this reason) and plan the others.
    """
    for place, what in ((c.start, "start"), (c.end, "end")):
        if place is not None and not 0 <= place < n:
            return f"courier {c.key!r} {what} place {place} is outside the matrix of size {n}"
    if c.capacity_g < 0 or c.capacity_ml < 0:
        return f"courier {c.key!r} capacity must be >= 0"
    if c.speed_pct <= 0:
        return f"courier {c.key!r} speed_pct must be > 0, got {c.speed_pct}"
    return None


def delivery_fault(n: int, d: Delivery, couriers: set[str]) -> str | None:
    """What is malformed in delivery ``d`` (``couriers``: the problem's courier keys), or None."""
    for place, what in ((d.pickup, "pickup"), (d.dropoff, "dropoff")):
        if not 0 <= place < n:
            return f"delivery {d.key!r} {what} place {place} is outside the matrix of size {n}"
    if d.load_g < 0 or d.load_ml < 0:
        return f"delivery {d.key!r} load must be >= 0"
    if d.window_end_s < d.window_start_s:
        return f"delivery {d.key!r} window_end_s is before window_start_s"
    for name in ("on_board_of", "pinned_to"):
        who = getattr(d, name)
        if who is not None and who not in couriers:
            return f"delivery {d.key!r} {name} names unknown courier {who!r}"
    return None
