"""Tiny planar scenarios for the simulator tests."""

from __future__ import annotations

import pytest

from dispatch.sim.scenario import CourierSpec, OrderSpec, Scenario, clock_s


def order(n: int, placed: str, pickup: tuple[float, float], dropoff: tuple[float, float], **kw: object) -> OrderSpec:
    t = clock_s(placed)
    return OrderSpec(f"o{n}", t, t + 600, pickup, dropoff, 2000, **kw)  # type: ignore[arg-type]


@pytest.fixture
def two_couriers_six_orders() -> Scenario:
    """Two bikes on a 3 km plane, six orders from two shops over an hour, one cancelled early."""
    shop_a, shop_b = (500.0, 500.0), (2500.0, 800.0)
    orders = (
        order(1, "12:00", shop_a, (1500.0, 1500.0)),
        order(2, "12:05", shop_b, (2000.0, 2500.0)),
        order(3, "12:10", shop_a, (200.0, 2200.0)),
        order(4, "12:20", shop_b, (2900.0, 100.0), cancel_s=clock_s("12:21")),
        order(5, "12:30", shop_a, (900.0, 100.0)),
        order(6, "12:45", shop_b, (1200.0, 2800.0)),
    )
    couriers = (CourierSpec("c1", clock_s("11:55"), clock_s("13:30"), shop_a, "bike"),
                CourierSpec("c2", clock_s("11:55"), clock_s("13:00"), shop_b, "cargo_bike"))
    return Scenario("tiny", "xy", orders, couriers, None, 15.0)
