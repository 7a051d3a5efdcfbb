"""The one place that turns a courier's stop sequence into a timeline.

Used by ``check``, ``nearest``, the solver's Plan output and the simulator, so that every part of
the project agrees on what an ETA is. Pure: no I/O, no clock.

Timing rules
------------
- The courier leaves ``courier.start`` at ``courier.available_s``.
- Riding from place ``a`` to ``b`` takes ``ride_s(travel_s[a, b], courier.speed_pct)``: the
  matrix time scaled by the courier's speed factor, rounded up (never promise an ETA too early).
- Service starts at ``max(arrival, ready_s)`` at a pickup and ``max(arrival, window_start_s)`` at
  a dropoff, and lasts the stop's service time. No other waiting is ever planned.
- Lateness at a dropoff is ``max(0, start - window_end_s)``; pickups are never "late" (a hard
  ``pickup_window_end_s`` is checked by ``check``, not counted as lateness).
- The route ends at the last departure (open route) or at the arrival at ``courier.end``.
- Ride time of a delivery (for ``max_ride_s``) is dropoff start minus pickup start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.planning.problem import Courier, Delivery, Mode, Problem, Stop, StopKind


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop to schedule: the pickup or the dropoff of ``delivery``."""

    delivery: Delivery
    kind: StopKind

    @property
    def place(self) -> int:
        return self.delivery.pickup if self.kind is StopKind.PICKUP else self.delivery.dropoff

    @property
    def service_s(self) -> int:
        d = self.delivery
        return d.pickup_service_s if self.kind is StopKind.PICKUP else d.dropoff_service_s

    @property
    def earliest_s(self) -> int:
        d = self.delivery
        return d.ready_s if self.kind is StopKind.PICKUP else d.window_start_s


@dataclass(frozen=True, slots=True)
class Timeline:
    """A scheduled route: its stops with ETAs, loads after each stop, and its totals.

    ``load_g``/``load_ml`` hold the load after each stop; ``start_load_*`` the load on board
    when the courier leaves (deliveries already picked up).
    """

    stops: tuple[Stop, ...]
    load_g: tuple[int, ...]
    load_ml: tuple[int, ...]
    start_load_g: int
    start_load_ml: int
    travel_s: int
    distance_m: int
    end_s: int
    lateness_s: int


def ride_s(travel_s: int, speed_pct: int) -> int:
    """Riding time for a matrix time ``travel_s`` at ``speed_pct`` percent, rounded up.

    Parameters
    ----------
    travel_s : time in the matrix, seconds.
    speed_pct : courier's travel-time factor in percent (100 = as in the matrix).

    Returns
    -------
    int : seconds.
    """
    return -(-travel_s * speed_pct // 100)


def on_board_load(problem: Problem, courier: Courier) -> tuple[int, int]:
    """Load (grams, millilitres) already on board ``courier``, from ``on_board_of``."""
    grams = ml = 0
    for d in problem.deliveries:
        if d.on_board_of == courier.key:
            grams += d.load_g
            ml += d.load_ml
    return grams, ml


def service_after(service_s: int, visit_s: int, benchmark: bool = False) -> tuple[int, int]:
    """(the time a stop takes, the visit's longest service after it).

    Stops in a row at one place are one visit: the courier parks and walks in once, so each
    stop adds only the service it takes beyond the longest before it there (``visit_s``; 0 for
    the first stop of a visit). Two orders picked up together at one kitchen take one pickup's
    time, not two. A benchmark instance keeps its own rule: every node its service time.
    """
    if benchmark:
        return service_s, 0
    return max(0, service_s - visit_s), max(service_s, visit_s)


def timeline(problem: Problem, courier: Courier, visits: Sequence[Visit]) -> Timeline:
    """Schedule ``visits`` in order for ``courier`` by the module's timing rules.

    Parameters
    ----------
    problem : gives the matrices and the deliveries on board.
    courier : who rides the route.
    visits : the stops in riding order (not checked for feasibility here; see ``check``).

    Returns
    -------
    Timeline : stops with arrival, start, departure and lateness, loads and totals.
    """
    grams0, ml0 = on_board_load(problem, courier)
    grams, ml = grams0, ml0
    place, clock_s, travel, distance, lateness = courier.start, courier.available_s, 0, 0, 0
    stops: list[Stop] = []
    loads_g: list[int] = []
    loads_ml: list[int] = []
    visit = 0
    for n, v in enumerate(visits):
        visit = 0 if n == 0 or v.place != place else visit
        leg_s = ride_s(int(problem.travel_s[place, v.place]), courier.speed_pct)
        travel += leg_s
        distance += int(problem.distance_m[place, v.place])
        arrival = clock_s + leg_s
        start = max(arrival, v.earliest_s)
        late = 0
        sign = 1 if v.kind is StopKind.PICKUP else -1
        if v.kind is StopKind.DROPOFF:
            late = max(0, start - v.delivery.window_end_s)
        grams += sign * v.delivery.load_g
        ml += sign * v.delivery.load_ml
        lateness += late
        extra, visit = service_after(v.service_s, visit, problem.mode is Mode.BENCHMARK)
        clock_s = start + extra
        stops.append(Stop(v.delivery.key, v.kind, v.place, arrival, start, clock_s, late))
        loads_g.append(grams)
        loads_ml.append(ml)
        place = v.place
    if courier.end is not None:
        leg_s = ride_s(int(problem.travel_s[place, courier.end]), courier.speed_pct)
        travel += leg_s
        distance += int(problem.distance_m[place, courier.end])
        clock_s += leg_s
    return Timeline(
        tuple(stops), tuple(loads_g), tuple(loads_ml), grams0, ml0, travel, distance, clock_s,
        lateness,
    )


def visits_from_stops(problem: Problem, stops: Sequence[Stop]) -> list[Visit]:
    """The visits of a planned route, looking each stop's delivery up in ``problem``."""
    by_key = {d.key: d for d in problem.deliveries}
    return [Visit(by_key[s.delivery], s.kind) for s in stops]
