"""A round never fails as a whole for one courier or one delivery, and a quiet phone gets
nothing new (``dispatch.planning.prepare``, the path of the service's loop and the simulator)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch.domain.presence import QUIET_AFTER
from dispatch.planning import POLICIES, LatLon, LiveCourier, LiveDelivery, LiveState, OffMap, plan_to_write, prepare

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OFF = (0.0, 0.0)  # what a phone without a fix sends


def straight_lines(points: Sequence[LatLon], origins: int) -> tuple[np.ndarray, np.ndarray]:
    """A matrix like the street graph's: it cannot place (0, 0) and says so for every such point."""
    off = {p: "no street within 50 km" for p in points if p == OFF or not np.isfinite(p).all()}
    if off:
        raise OffMap(off)
    xy = np.array(points, dtype=np.float64) * 111_000
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    return metres // 4, metres


def courier(key: str, at: LatLon = (60.17, 24.94), **kw: object) -> LiveCourier:
    return LiveCourier(id=key, position=at, shift_end_at=NOW + timedelta(hours=3), capacity_g=20_000,
                       capacity_ml=60_000, speed_pct=100, position_at=NOW, **kw)  # type: ignore[arg-type]


def order(key: str, pickup: LatLon = (60.171, 24.941), **kw: object) -> LiveDelivery:
    return LiveDelivery(id=key, status="pending", pickup=pickup, dropoff=(60.175, 24.95), ready_at=NOW,
                        window_start_at=NOW, window_end_at=NOW + timedelta(minutes=45), load_g=2000,
                        load_ml=5000, **kw)  # type: ignore[arg-type]


def two_couriers_three_orders() -> LiveState:
    return LiveState("coop", NOW, (courier("aino"), courier("eero", (60.16, 24.93))),
                     (order("d1"), order("d2", (60.172, 24.942)), order("d3", (60.165, 24.935))))


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("breakage", ["courier off the map", "courier position not a number",
                                      "courier with a broken vehicle", "pickup off the map",
                                      "dropoff off the map", "delivery with a negative load"])
def test_one_unplannable_courier_or_delivery_is_left_out_with_a_reason_and_the_rest_is_planned(policy, breakage):
    """Every kind of bad courier or delivery: the round plans the others and names the bad one."""
    state = two_couriers_three_orders()
    aino, eero = state.couriers
    d1, d2, d3 = state.deliveries
    bad_courier, bad_delivery = None, None
    if breakage == "courier off the map":
        aino, bad_courier = replace(aino, position=OFF), "aino"
    elif breakage == "courier position not a number":
        aino, bad_courier = replace(aino, position=(float("nan"), float("nan"))), "aino"
    elif breakage == "courier with a broken vehicle":
        aino, bad_courier = replace(aino, speed_pct=0), "aino"
    elif breakage == "pickup off the map":
        d1, bad_delivery = replace(d1, pickup=OFF), "d1"
    elif breakage == "dropoff off the map":
        d1, bad_delivery = replace(d1, dropoff=OFF), "d1"
    else:
        d1, bad_delivery = replace(d1, load_g=-1), "d1"
    state = replace(state, couriers=(aino, eero), deliveries=(d1, d2, d3))
    planned, problem, left = prepare(state, straight_lines)
    plan = POLICIES[policy](problem, None, 0.0)
    written = plan_to_write(planned, plan, policy, left)
    good = {"d1", "d2", "d3"} - {bad_delivery}
    assert set(written.routes) == {"aino", "eero"} - {bad_courier}
    assert {p.delivery_id for stops in written.routes.values() for p in stops} == good
    if bad_courier:
        assert bad_courier in written.objective["couriers_left_out"]
    if bad_delivery:
        assert written.unassigned[bad_delivery].startswith("left_out: ")
        assert bad_delivery not in written.versions  # the round writes nothing about it


def test_the_work_of_a_courier_left_out_stays_with_them_untouched():
    """A courier whose phone sends (0, 0) keeps what they carry and were given; the round
    neither moves it nor plans it, and the others are planned."""
    state = two_couriers_three_orders()
    aino, eero = state.couriers
    d1, d2, d3 = state.deliveries
    state = replace(state, couriers=(replace(aino, position=OFF), eero),
                    deliveries=(replace(d1, status="picked_up", courier_id="aino"),
                                replace(d2, status="assigned", courier_id="aino"), d3))
    planned, problem, left = prepare(state, straight_lines)
    written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
    assert set(written.versions) == {"d3"}
    assert [p.delivery_id for p in written.routes["eero"]] == ["d3", "d3"]
    assert "off the map" in written.objective["couriers_left_out"]["aino"]


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_a_courier_whose_phone_went_quiet_gets_no_new_order_but_keeps_what_they_had(policy):
    """Aino is next to every pickup but silent for longer than the map's grey threshold: the
    far courier gets the new orders; the one already given to Aino stays with her."""
    state = two_couriers_three_orders()
    aino, eero = state.couriers
    d1, d2, d3 = state.deliveries
    quiet = replace(aino, position_at=NOW - QUIET_AFTER - timedelta(seconds=1))
    state = replace(state, couriers=(quiet, replace(eero, position=(60.15, 24.90))),
                    deliveries=(replace(d1, status="assigned", courier_id="aino"), d2, d3))
    planned, problem, left = prepare(state, straight_lines)
    written = plan_to_write(planned, POLICIES[policy](problem, None, 0.0), policy, left)
    got = {p.delivery_id: c for c, stops in written.routes.items() for p in stops}
    assert got == {"d1": "aino", "d2": "eero", "d3": "eero"}
    assert written.objective["couriers_quiet"] == ["aino"]


def test_a_courier_heard_within_the_threshold_is_not_quiet():
    """At exactly the threshold the courier still takes new work (the map greys after it)."""
    state = two_couriers_three_orders()
    aino, eero = state.couriers
    state = replace(state, couriers=(replace(aino, position_at=NOW - QUIET_AFTER), eero))
    _, problem, left = prepare(state, straight_lines)
    assert left.quiet == () and all(c.takes_new for c in problem.couriers)


def test_the_search_too_gives_a_quiet_courier_nothing_new():
    """With time for the OR-Tools search, which starts from the first plan and may move orders."""
    state = two_couriers_three_orders()
    aino, eero = state.couriers
    quiet = replace(aino, position_at=NOW - 2 * QUIET_AFTER)
    state = replace(state, couriers=(quiet, replace(eero, position=(60.15, 24.90))))
    _, problem, _ = prepare(state, straight_lines)
    plan = POLICIES["solver"](problem, None, 0.3)
    assert set(plan.assignment().values()) == {"eero"}
