"""Why a delivery cannot be planned: the checks made before any search.

A delivery that no courier could serve even alone (straight from its start) is returned as
unassigned with the first reason that applies, in this order: no courier on shift (or the
pinned / carrying courier is absent), too heavy for every vehicle, no shift long enough, no
courier can reach it in its window. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from routing.planning.problem import (
    Courier,
    Delivery,
    Mode,
    Problem,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from routing.planning.schedule import Timeline, Visit, ride_s


def candidates(problem: Problem, delivery: Delivery) -> list[Courier]:
    """Couriers allowed to take ``delivery``: its carrier, else its pin, else everyone who
    takes new work (``Courier.takes_new``) and the courier the plan in force gave it to."""
    who = delivery.on_board_of or delivery.pinned_to
    if who is None:
        if all(c.takes_new for c in problem.couriers):
            return list(problem.couriers)
        had = next((c for d, c in problem.previous if d == delivery.key), None)
        return [c for c in problem.couriers if c.takes_new or c.key == had]
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
        late_pickup = d.pickup_window_end_s is not None and s.start_s > d.pickup_window_end_s
        if v.kind is StopKind.PICKUP and late_pickup:
            return False
        hard = problem.mode is Mode.BENCHMARK
        if v.kind is StopKind.DROPOFF and hard and s.start_s > d.window_end_s:
            return False
        if v.kind is StopKind.DROPOFF and d.max_ride_s is not None:
            picked = starts.get((d.key, StopKind.PICKUP))
            if picked is not None and s.start_s - picked > d.max_ride_s:
                return False
    return True


class Fleet:
    """The couriers' fields as arrays, built once per problem for the checks below."""

    def __init__(self, couriers: Sequence[Courier]) -> None:
        self.couriers = list(couriers)
        self.keys = [c.key for c in couriers]
        self.start = np.array([c.start for c in couriers], dtype=np.int64)
        self.pct = np.array([c.speed_pct for c in couriers], dtype=np.int64)
        self.available = np.array([c.available_s for c in couriers], dtype=np.int64)
        self.shift_end = np.array([c.shift_end_s for c in couriers], dtype=np.int64)
        self.capacity_g = np.array([c.capacity_g for c in couriers], dtype=np.int64)
        self.capacity_ml = np.array([c.capacity_ml for c in couriers], dtype=np.int64)
        self.end = np.array([-1 if c.end is None else c.end for c in couriers], dtype=np.int64)
        self.takes_new = np.array([c.takes_new for c in couriers], dtype=bool)

    def subset(self, mask: npt.NDArray[np.bool_]) -> Fleet:
        return Fleet([c for c, keep in zip(self.couriers, mask, strict=True) if keep])


def unassignable(problem: Problem, delivery: Delivery, fleet: Fleet | None = None) -> Unassigned | None:
    """The reason no courier could serve ``delivery`` even alone, or None if one could.

    Parameters
    ----------
    problem : the couriers, matrices and mode.
    delivery : the delivery to test.
    fleet : ``Fleet(problem.couriers)``, when the caller checks many deliveries.

    Returns
    -------
    Unassigned | None : the first reason that applies (see the module docstring).
    """
    fleet = fleet if fleet is not None else Fleet(problem.couriers)
    who = delivery.on_board_of or delivery.pinned_to
    if who is not None:
        fleet = fleet.subset(np.array([k == who for k in fleet.keys], dtype=bool))
    elif not fleet.takes_new.all():
        allowed = {c.key for c in candidates(problem, delivery)}
        fleet = fleet.subset(np.array([k in allowed for k in fleet.keys], dtype=bool))
    if not fleet.keys:
        return Unassigned(delivery.key, UnassignedReason.NO_COURIER, "no allowed courier")
    strong = (fleet.capacity_g >= delivery.load_g) & (fleet.capacity_ml >= delivery.load_ml)
    if not strong.any():
        detail = f"{delivery.load_g} g, {delivery.load_ml} ml"
        return Unassigned(delivery.key, UnassignedReason.TOO_HEAVY, detail)
    in_shift, in_window = _alone(problem, delivery, fleet)
    in_shift &= strong
    if not in_shift.any():
        return Unassigned(delivery.key, UnassignedReason.SHIFT_ENDS, "every shift ends first")
    if not (in_shift & in_window).any():
        return Unassigned(delivery.key, UnassignedReason.UNREACHABLE, "windows too tight")
    return None


def _alone(problem: Problem, d: Delivery, fleet: Fleet) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per courier: does serving ``d`` alone end within the shift, and keep the hard limits?

    The same timing rules as ``routing.planning.schedule``, vectorised over couriers (this runs for
    every delivery before each solve, so it must stay fast).
    """
    pct, clock = fleet.pct, fleet.available

    def ride(a: npt.NDArray[np.int64] | int, b: npt.NDArray[np.int64] | int) -> npt.NDArray[np.int64]:
        return np.asarray(ride_s(problem.travel_s[a, b], pct))

    here: npt.NDArray[np.int64] | int = fleet.start
    picked = None
    if d.on_board_of is None:
        picked = np.maximum(clock + ride(fleet.start, d.pickup), d.ready_s)
        clock, here = picked + d.pickup_service_s, d.pickup
    dropped = np.maximum(clock + ride(here, d.dropoff), d.window_start_s)
    end = dropped + d.dropoff_service_s
    returns = fleet.end >= 0
    if returns.any():
        end = end + np.where(returns, ride(d.dropoff, np.maximum(fleet.end, 0)), 0)
    in_shift = end <= fleet.shift_end
    ok = np.ones(len(fleet.keys), dtype=bool)
    if picked is not None and d.pickup_window_end_s is not None:
        ok &= picked <= d.pickup_window_end_s
    if problem.mode is Mode.BENCHMARK:
        ok &= dropped <= d.window_end_s
    if picked is not None and d.max_ride_s is not None:
        ok &= dropped - picked <= d.max_ride_s
    return in_shift, ok


def split_assignable(problem: Problem, fleet: Fleet | None = None) -> tuple[list[Delivery], list[Unassigned]]:
    """Split the problem's deliveries into those worth planning and those that cannot be
    (``fleet``: ``Fleet(problem.couriers)`` when the caller has it already)."""
    keep: list[Delivery] = []
    out: list[Unassigned] = []
    fleet = fleet if fleet is not None else Fleet(problem.couriers)
    for d in problem.deliveries:
        why = unassignable(problem, d, fleet)
        if why is None:
            keep.append(d)
        else:
            out.append(why)
    return keep, out
