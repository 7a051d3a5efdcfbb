"""The live policy on hand-made and random live problems (issue 15 tests): invariants through
``routing.planning.check``, determinism for a seed, the fairness rule and the commitment rule."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch.planning import POLICIES, LiveCourier, LiveDelivery, LiveState, plan_to_write, prepare
from routing.planning.check import check
from tests.unit.sim.test_round_leaves_out import NOW, courier, order, straight_lines

KITCHEN = (60.170, 24.940)


def random_state(seed: int) -> LiveState:
    """Couriers with loads on board, pins and a stop they head to; orders pending and assigned."""
    rng = random.Random(seed)

    def near(spread: float = 0.01) -> tuple[float, float]:
        return (round(60.17 + rng.uniform(-spread, spread), 5), round(24.94 + rng.uniform(-spread, spread), 5))

    couriers = [replace(courier(f"c{i}", near()), speed_pct=rng.choice((100, 115, 130)),
                        capacity_g=rng.choice((8_000, 20_000)), hour_end_at=NOW + timedelta(minutes=30),
                        hour_short_cents=1202 if rng.random() < 0.3 else 0)
                for i in range(rng.randint(2, 6))]
    deliveries: list[LiveDelivery] = []
    carried = {c.id: 0 for c in couriers}
    room = {c.id: c.capacity_g for c in couriers}
    for n in range(rng.randint(3, 14)):
        ready = NOW + timedelta(minutes=rng.randint(-5, 20))
        d = replace(order(f"d{n}", near(0.004)), dropoff=near(), ready_at=ready, window_start_at=ready,
                    window_end_at=ready + timedelta(minutes=rng.randint(15, 45)), load_g=rng.randint(500, 6000))
        roll, who = rng.random(), rng.choice(couriers).id
        if roll < 0.25 and carried[who] + d.load_g <= room[who]:  # what is on board fits the bike
            carried[who] += d.load_g
            d = replace(d, status="picked_up", courier_id=who)
        elif roll < 0.45:
            d = replace(d, status="assigned", courier_id=who, pinned=rng.random() < 0.5)
        deliveries.append(d)
    heading = {}
    for d in deliveries:
        if d.courier_id and d.courier_id not in heading:
            heading[d.courier_id] = (d.id, "dropoff" if d.status == "picked_up" else "pickup")
    couriers = [replace(c, heading=heading.get(c.id)) for c in couriers]
    return LiveState("coop", NOW, tuple(couriers), tuple(deliveries))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_random_live_problems_keep_every_invariant(seed, policy):
    """On-board loads stay with their courier, pins and heading-to stops hold, no capacity
    breach, pickup before dropoff on one courier, maximum ride time (the bundling bound)."""
    _, problem, _ = prepare(random_state(seed), straight_lines)
    plan = POLICIES[policy](problem, None, 0.0)
    hard = [v for v in check(problem, plan) if v.code not in ("shift_end",)]
    assert hard == [], hard


@pytest.mark.parametrize("seed", [3, 7])
def test_the_solver_is_deterministic_for_a_seed_under_an_iteration_budget(seed):
    """With the search stopped by a solution count, not the clock, twice the same plan."""
    from routing.planning.solver import solve

    _, problem, _ = prepare(random_state(seed), straight_lines)
    first = solve(problem, time_limit_s=30.0, seed=seed, solution_limit=40)
    again = solve(problem, time_limit_s=30.0, seed=seed, solution_limit=40)
    assert [(r.courier, [(s.delivery, s.kind) for s in r.stops]) for r in first.routes] == \
        [(r.courier, [(s.delivery, s.kind) for s in r.stops]) for r in again.routes]


@pytest.mark.parametrize("time_limit_s", [0.0, 0.3])
def test_of_two_equal_couriers_the_one_short_of_this_hours_floor_gets_the_order(time_limit_s):
    """Same place, same bike: without the fairness rule the first listed would get it."""
    hour_end = NOW + timedelta(minutes=40)
    paid = replace(courier("aino", KITCHEN), hour_end_at=hour_end)
    short = replace(courier("eero", KITCHEN), hour_end_at=hour_end, hour_short_cents=600)
    state = LiveState("coop", NOW, (paid, short), (replace(order("d1", KITCHEN), courier_pay_cents=550),))
    _, problem, _ = prepare(state, straight_lines)
    assert POLICIES["solver"](problem, None, time_limit_s).assignment() == {"d1": "eero"}
    _, problem, _ = prepare(replace(state, couriers=(paid, replace(short, hour_short_cents=0))), straight_lines)
    assert POLICIES["solver"](problem, None, time_limit_s).assignment() == {"d1": "aino"}


def test_a_second_order_from_the_same_kitchen_a_minute_later_rides_with_the_first():
    """The first order, ready in 10 minutes, is held for the courier beside the kitchen (riding
    there now would only mean standing at the counter); a minute later a second from the same
    kitchen, to a door nearby, joins it, and when the food is nearly ready both are given to
    her together: both picked up before either dropoff (the other courier is half an hour away)."""
    rider, other = courier("aino", (60.1695, 24.9395)), courier("eero", (60.120, 24.850))
    ready = NOW + timedelta(minutes=10)
    first = replace(order("d1", KITCHEN), ready_at=ready, window_start_at=ready)
    state = LiveState("coop", NOW, (rider, other), (first,))
    planned, problem, left = prepare(state, straight_lines)
    written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
    assert written.routes.get("aino", []) == []
    assert written.unassigned["d1"].startswith("held: planned for courier aino")
    second = replace(order("d2", KITCHEN), dropoff=(60.1752, 24.9505), ready_at=ready + timedelta(minutes=1),
                     window_start_at=ready + timedelta(minutes=1), window_end_at=ready + timedelta(minutes=46))
    for minutes in (1, 9):  # a minute later: both held for her; a minute before ready: both given
        at = NOW + timedelta(minutes=minutes)
        state = LiveState("coop", at, (replace(rider, position_at=at), replace(other, position_at=at)), (first, second))
        planned, problem, left = prepare(state, straight_lines)
        written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
        held = {k for k, why in written.unassigned.items() if why.startswith("held: planned for courier aino")}
        stops = [(p.delivery_id, p.kind) for p in written.routes.get("aino", [])]
        assert (held, stops[:2]) == (({"d1", "d2"}, []) if minutes == 1 else
                                     (set(), [("d1", "pickup"), ("d2", "pickup")])), (minutes, held, stops)


def test_an_order_far_from_ready_is_held_until_its_courier_must_set_off():
    """A free courier 2 minutes from a kitchen whose food is ready in 20: the order is planned
    for her but not given (she stays free for food that is ready sooner); 3 minutes before it
    is ready she gets it. The nearest-courier baseline gives it at once."""
    rider = courier("aino", (60.1695, 24.9395))
    ready = NOW + timedelta(minutes=20)
    d1 = replace(order("d1", (60.172, 24.942)), ready_at=ready, window_start_at=ready,
                 window_end_at=ready + timedelta(minutes=30))
    for minutes, given in ((0, False), (10, False), (17, True)):
        at = NOW + timedelta(minutes=minutes)
        state = LiveState("coop", at, (replace(rider, position_at=at),), (d1,))
        planned, problem, left = prepare(state, straight_lines)
        written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
        assert bool(written.routes.get("aino")) is given, (minutes, written.unassigned)
        assert given or written.unassigned["d1"].startswith("held: planned for courier aino")
    planned, problem, left = prepare(LiveState("coop", NOW, (rider,), (d1,)), straight_lines)
    assert plan_to_write(planned, POLICIES["nearest"](problem, None, 0.0), "nearest", left).routes["aino"]


def test_an_order_late_in_a_route_is_held_and_the_dispatcher_sees_for_whom():
    """One courier, three orders ready 20 minutes apart: the first is given, the others wait
    pending (no churn price) with the planned courier in the reason."""

    def ready_in(d: LiveDelivery, minutes: int) -> LiveDelivery:
        at = NOW + timedelta(minutes=minutes)
        return replace(d, ready_at=at, window_start_at=at, window_end_at=at + timedelta(minutes=45))

    state = LiveState("coop", NOW, (courier("aino", KITCHEN),),
                      (order("d1", KITCHEN), ready_in(order("d2", (60.172, 24.945)), 20),
                       ready_in(order("d3", (60.168, 24.936)), 40)))
    planned, problem, left = prepare(state, straight_lines)
    written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
    given = {p.delivery_id for p in written.routes["aino"]}
    held = {k for k, why in written.unassigned.items() if why.startswith("held: planned for courier aino")}
    assert len(given) == 1 and given | held == {"d1", "d2", "d3"}
    nearest = plan_to_write(planned, POLICIES["nearest"](problem, None, 0.0), "nearest", left)
    assert {p.delivery_id for p in nearest.routes["aino"]} == {"d1", "d2", "d3"}  # the baseline gives at once


def test_a_lone_order_goes_at_once_to_a_free_courier_even_beside_a_busy_one():
    """Nothing can ride with it and nobody is worth waiting for: the order's pickup is the free
    courier's first stop, so it is given in the same round (the courier's 2 s promise), not held."""
    busy = tuple(replace(order(f"b{n}", KITCHEN), status="picked_up", courier_id="eero") for n in range(3))
    lone = replace(order("d1", (60.1655, 24.9490)), dropoff=(60.1740, 24.9480))
    state = LiveState("coop", NOW, (courier("aino", (60.1716, 24.9443)), courier("eero", KITCHEN)), (*busy, lone))
    planned, problem, left = prepare(state, straight_lines)
    written = plan_to_write(planned, POLICIES["solver"](problem, None, 0.0), "solver", left)
    assert "d1" not in written.unassigned, written.unassigned
    assert [(p.delivery_id, p.kind) for p in written.routes["aino"]][:2] == [("d1", "pickup"), ("d1", "dropoff")]


def test_a_courier_with_typed_fields_is_a_live_courier():
    """The random fixture builds real ``LiveCourier`` rows (guards the helper itself)."""
    assert all(isinstance(c, LiveCourier) for c in random_state(0).couriers)
