"""Build a ``Plan`` from stop sequences: ETAs from ``schedule``, objective broken into terms.

Every solver (``nearest``, ``insertion``, ``solver``) ends here, so a plan's ETAs and objective
are always computed the same way. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routing.planning.problem import Delivery, Mode, Objective, Plan, Problem, Route, StopKind, Unassigned
from routing.planning.schedule import Timeline, Visit, timeline


def ideal_dropoff_s(problem: Problem, delivery: Delivery) -> int:
    """The earliest a dropoff could start: ready, pickup service, then the direct ride.

    Parameters
    ----------
    problem : gives the travel matrix (at 100 % speed).
    delivery : the delivery.

    Returns
    -------
    int : seconds; the live objective's ``delay_per_s`` counts from here.
    """
    ride = int(problem.travel_s[delivery.pickup, delivery.dropoff])
    return max(delivery.ready_s + delivery.pickup_service_s + ride, delivery.window_start_s)


def delay_of(problem: Problem, lines: Mapping[str, Timeline]) -> int:
    """Seconds the scheduled dropoffs start after their ideal times, summed."""
    by_key = {d.key: d for d in problem.deliveries}
    return sum(
        max(0, s.start_s - ideal_dropoff_s(problem, by_key[s.delivery]))
        for line in lines.values() for s in line.stops if s.kind is StopKind.DROPOFF
    )


def route_from_timeline(courier_key: str, line: Timeline) -> Route:
    """A ``Route`` for ``courier_key`` from its scheduled ``line``."""
    return Route(courier_key, line.stops, line.travel_s, line.distance_m)


def objective_of(
    problem: Problem, lines: Mapping[str, Timeline], unassigned: Sequence[Unassigned]
) -> Objective:
    """The objective's terms and weighted total for scheduled routes.

    Parameters
    ----------
    problem : gives the weights and the previous assignment (for churn).
    lines : courier key -> scheduled route (empty routes may be left out).
    unassigned : deliveries left out of every route.

    Returns
    -------
    Objective : lateness (s), travel (s), churn (moves between couriers), unassigned count,
        fairness (longest working time of a courier, riding plus service, s) and the total
        weighted by ``problem.weights`` (live mode: with ``delay_per_s`` times ``delay_of``).
    """
    w = problem.weights
    previous = problem.previous_courier()
    lateness = sum(line.lateness_s for line in lines.values())
    travel = sum(line.travel_s for line in lines.values())
    on_shift = {c.key for c in problem.couriers}
    churn = 0
    fairness = 0
    for key, line in lines.items():
        # A move counts only when the previous courier is still on shift to keep it.
        moved = {s.delivery for s in line.stops if previous.get(s.delivery, key) != key}
        churn += sum(1 for d in moved if previous[d] in on_shift)
        service = sum(s.departure_s - s.start_s for s in line.stops)
        fairness = max(fairness, line.travel_s + service)
    total = (
        w.lateness_per_s * lateness
        + w.travel_per_s * travel
        + w.churn_per_move * churn
        + w.unassigned_penalty * len(unassigned)
        + w.fairness_per_s * fairness
    )
    if problem.mode is Mode.LIVE and w.delay_per_s:
        total += w.delay_per_s * delay_of(problem, lines)
    return Objective(lateness, travel, churn, len(unassigned), fairness, total)


def plan_from_visits(
    problem: Problem,
    sequences: Mapping[str, Sequence[Visit]],
    unassigned: Sequence[Unassigned] = (),
    meta: Sequence[tuple[str, Any]] = (),
) -> Plan:
    """Schedule each courier's visits and assemble the ``Plan``.

    Parameters
    ----------
    problem : the problem the sequences solve.
    sequences : courier key -> visits in riding order; couriers with no visit get no route.
    unassigned : deliveries left out, each with its reason.
    meta : extra facts about the run (solver name, seed...).

    Returns
    -------
    Plan : routes in the problem's courier order, with ETAs and the objective's terms.
    """
    lines: dict[str, Timeline] = {}
    for c in problem.couriers:
        visits = sequences.get(c.key, ())
        if visits:
            lines[c.key] = timeline(problem, c, visits)
    routes = tuple(route_from_timeline(k, line) for k, line in lines.items())
    ordered = tuple(sorted(unassigned, key=lambda u: u.delivery))
    return Plan(routes, ordered, objective_of(problem, lines, ordered), (), tuple(meta))
