"""The simulated day: conservation, determinism, the service's plan rules, KPIs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dispatch.sim.engine import ConservationError, SimConfig, Simulation, check_conservation
from dispatch.sim.generate import generate_planar, order_times, spec_for
from dispatch.sim.kpis import kpis
from dispatch.sim.scenario import Scenario
from dispatch.sim.state import FINAL
from dispatch.sim.travel import PlanarTravel


def simulate(scenario: Scenario, **config: object):  # noqa: ANN201 - a SimResult
    travel = PlanarTravel(scenario.planar_speed_kmh)
    return Simulation(scenario, travel, SimConfig(**config)).run()  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", ["nearest", "solver"])
def test_every_order_ends_in_a_final_state_with_a_reason_unless_delivered(two_couriers_six_orders, policy):
    """Conservation: delivered, failed, cancelled or unassigned; the cancelled one says why."""
    result = simulate(two_couriers_six_orders, policy=policy, solver_time_limit_s=0.0)
    statuses = {o.id: o.status for o in result.orders.values()}
    assert set(statuses.values()) <= set(FINAL) and len(statuses) == 6
    assert statuses["o4"] == "cancelled" and result.orders["o4"].reason
    assert all(o.reason for o in result.orders.values() if o.status != "delivered")
    k = kpis(result)
    assert k["delivered"] + k["failed"] + k["cancelled"] + k["unassigned"] == k["orders"] == 6


def test_a_picked_up_order_is_delivered_by_the_courier_who_picked_it_up(two_couriers_six_orders):
    """However often the plan changes, an order on board never changes courier."""
    busy = dataclasses.replace(two_couriers_six_orders, orders=generate_planar(
        spec_for("lunch", orders=60, couriers=3, seed=4), area_km=3).orders)
    result = simulate(busy, policy="nearest", replan_every_s=15)
    done = [o for o in result.orders.values() if o.status == "delivered"]
    assert done and all(o.done_by == o.picked_by for o in done)


@pytest.mark.parametrize("policy", ["nearest", "solver"])
def test_the_same_seed_gives_the_same_kpis(policy):
    """Determinism: twice the same generated scenario and seed, twice the same numbers."""
    scenario = generate_planar(spec_for("lunch", orders=40, couriers=4, seed=7), area_km=3)

    def numbers() -> dict[str, object]:
        k = kpis(simulate(scenario, policy=policy, seed=7, solver_time_limit_s=0.0))
        return {n: v for n, v in k.items() if n not in ("wall_s", "policy_wall_s")}

    first = numbers()
    assert first == numbers() and first["delivered"] > 0


def test_another_seed_changes_the_riders_luck(two_couriers_six_orders):
    """The seed drives travel and service-time variation, so the times move with it."""
    a = kpis(simulate(two_couriers_six_orders, seed=1))
    b = kpis(simulate(two_couriers_six_orders, seed=2))
    assert a["click_to_door_p50_min"] != b["click_to_door_p50_min"]


def test_a_day_without_couriers_leaves_every_order_unassigned_with_the_planner_reason(two_couriers_six_orders):
    """No courier on shift: nothing is delivered and each order says no courier was on shift."""
    result = simulate(dataclasses.replace(two_couriers_six_orders, couriers=()))
    left = [o for o in result.orders.values() if o.status == "unassigned"]
    assert len(left) == 5 and all("no_courier_on_shift" in o.reason for o in left)
    k = kpis(result)
    assert k["unassigned_share"] == 1.0
    # each customer waited until they gave up (promise + abandon_after_s) and got nothing:
    # click-to-door counts that wait, never less
    gave_up = sorted((o.window_end_s + result.config.abandon_after_s - o.spec.placed_s) / 60 for o in left)
    assert k["click_to_door_p90_min"] == round(float(np.percentile(gave_up, 90)), 2)
    assert k["delivered"] == 0 and k["late_share"] is None


def test_the_conservation_check_refuses_an_order_left_open(two_couriers_six_orders):
    """An order still pending at the end is a bug the check reports."""
    result = simulate(two_couriers_six_orders)
    result.orders["o1"].status = "pending"
    with pytest.raises(ConservationError, match="o1"):
        check_conservation(result)


def test_generated_orders_peak_at_lunch():
    """The busiest hour of a generated lunch day is the one around 12:15, not the first one."""
    times = order_times(spec_for("lunch", orders=400, seed=1), __import__("random").Random(1))
    per_hour = {h: sum(1 for t in times if t // 3600 == h) for h in range(10, 15)}
    assert max(per_hour, key=per_hour.__getitem__) in (11, 12) and per_hour[12] > 2 * per_hour[10]


def test_an_orders_pay_does_not_depend_on_who_took_it_or_when():
    """Priced as the service prices it when placed: who delivered it and the hour it was picked
    up change nothing (a bundled second order pays what the first does)."""
    from dispatch.sim.pay import earned_cents
    from dispatch.sim.scenario import OrderSpec
    from dispatch.sim.state import SimOrder

    spec = OrderSpec("o1", placed_s=0, ready_s=12 * 3600, pickup=(0.0, 0.0), dropoff=(2000.0, 0.0), load_g=2000)
    near = SimOrder(spec, 13 * 3600, direct_s=400, direct_m=2000, picked_s=12 * 3600, done_by="k1")
    far = dataclasses.replace(near, picked_s=14 * 3600 + 5, done_by="k2")
    assert earned_cents(near) == earned_cents(far) > 0
