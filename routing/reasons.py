"""Why a delivery cannot be planned: the checks made before any search.

A delivery that no courier could serve even alone (straight from its start) is returned as
unassigned with the first reason that applies, in this order: no courier on shift (or the
pinned / carrying courier is absent), too heavy for every vehicle, no shift long enough, no
courier can reach it in its window. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.problem import (
    Courier,
    Delivery,
    Mode,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.schedule import Timeline, Visit, timeline


def candidates(problem: Problem, delivery: Delivery) -> list[Courier]:
    """Couriers allowed to take ``delivery``: its carrier, else its pin, else everyone."""
    who = delivery.on_board_of or delivery.pinned_to
    if who is None:
        return list(problem.couriers)
    return [c for c in problem.couriers if c.key == who]


def visits_alone(delivery: Delivery) -> list[Visit]:
    """The visits of ``delivery`` served on its own (dropoff only when already on board)."""
    drop = Visit(delivery, StopKind.DROPOFF)
    if delivery.on_board_of is not None:
        return [drop]
    return [Visit(delivery, StopKind.PICKUP), drop]


def windows_ok(problem: Problem, line: Timeline, visits: Sequence[Visit]) -> bool:
    """Whether the hard time limits of ``visits`` hold on ``line`` (windows per the mode)."""
    starts: dict[tuple[str, StopKind], int] = {}
    for v, s in zip(visits, line.stops, strict=True):
        d = v.delivery
        starts[(d.key, v.kind)] = s.start_s
        if v.kind is StopKind.PICKUP and d.pickup_window_end_s is not None:
            if s.start_s > d.pickup_window_end_s:
                return False
        if v.kind is StopKind.DROPOFF and problem.mode is Mode.BENCHMARK:
            if s.start_s > d.window_end_s:
                return False
        if v.kind is StopKind.DROPOFF and d.max_ride_s is not None:
            picked = starts.get((d.key, StopKind.PICKUP))
            if picked is not None and s.start_s - picked > d.max_ride_s:
                return False
    return True


def unassignable(problem: Problem, delivery: Delivery) -> Unassigned | None:
    """The reason no courier could serve ``delivery`` even alone, or None if one could.

    Parameters
    ----------
    problem : the couriers, matrices and mode.
    delivery : the delivery to test.

    Returns
    -------
    Unassigned | None : the first reason that applies (see the module docstring).
    """
    allowed = candidates(problem, delivery)
    if not allowed:
        return Unassigned(delivery.key, UnassignedReason.NO_COURIER, "no allowed courier")
    strong = [
        c for c in allowed
        if c.capacity_g >= delivery.load_g and c.capacity_ml >= delivery.load_ml
    ]
    if not strong:
        detail = f"{delivery.load_g} g, {delivery.load_ml} ml"
        return Unassigned(delivery.key, UnassignedReason.TOO_HEAVY, detail)
    visits = visits_alone(delivery)
    lines = [(c, timeline(problem, c, visits)) for c in strong]
    in_shift = [line for c, line in lines if line.end_s <= c.shift_end_s]
    if not in_shift:
        return Unassigned(delivery.key, UnassignedReason.SHIFT_ENDS, "every shift ends first")
    if not any(windows_ok(problem, line, visits) for line in in_shift):
        return Unassigned(delivery.key, UnassignedReason.UNREACHABLE, "windows too tight")
    return None


def split_assignable(problem: Problem) -> tuple[list[Delivery], list[Unassigned]]:
    """Split the problem's deliveries into those worth planning and those that cannot be."""
    keep: list[Delivery] = []
    out: list[Unassigned] = []
    for d in problem.deliveries:
        why = unassignable(problem, d)
        if why is None:
            keep.append(d)
        else:
            out.append(why)
    return keep, out
