"""The timeline of a stop sequence: arrival, wait for ready/window, service, lateness, load."""

from __future__ import annotations

import dataclasses

from routing.planning.problem import Mode, Problem, StopKind
from routing.planning.schedule import Visit, ride_s, timeline


def _visits(problem: Problem, *keys: str) -> list[Visit]:
    out = []
    for key in keys:
        d = problem.delivery(key)
        out += [Visit(d, StopKind.PICKUP), Visit(d, StopKind.DROPOFF)]
    return out


def test_ride_time_scales_by_speed_and_rounds_up() -> None:
    """A 115 % courier takes 115 % of the matrix time, rounded up to the second."""
    assert ride_s(100, 115) == 115
    assert ride_s(101, 115) == 117
    assert ride_s(60, 100) == 60


def test_service_waits_for_the_ready_time(two_couriers_three_orders: Problem) -> None:
    """Arriving at a pickup before it is ready means waiting until ready_s."""
    p = two_couriers_three_orders
    line = timeline(p, p.courier("ana"), _visits(p, "d2"))
    pickup = line.stops[0]
    assert pickup.arrival_s == 8 * 60
    assert pickup.start_s == 480  # ready at 300, already past
    late_ready = dataclasses.replace(p.delivery("d2"), ready_s=900)
    line = timeline(p, p.courier("ana"), [Visit(late_ready, StopKind.PICKUP)])
    assert (line.stops[0].arrival_s, line.stops[0].start_s) == (480, 900)
    assert line.stops[0].departure_s == 900 + late_ready.pickup_service_s


def test_lateness_is_start_past_window_end(two_couriers_three_orders: Problem) -> None:
    """A dropoff starting after its window end counts the seconds past it as lateness."""
    p = two_couriers_three_orders
    tight = dataclasses.replace(p.delivery("d1"), window_end_s=200)
    line = timeline(p, p.courier("ana"), [Visit(tight, StopKind.PICKUP),
                                          Visit(tight, StopKind.DROPOFF)])
    # 2 units to the pickup (120 s), 120 s service, 2 units on (120 s): start at 360.
    assert line.stops[1].start_s == 360
    assert line.stops[1].lateness_s == 160
    assert line.lateness_s == 160


def test_loads_rise_at_pickups_and_fall_at_dropoffs(two_couriers_three_orders: Problem) -> None:
    """The load after each stop adds pickups and removes dropoffs."""
    p = two_couriers_three_orders
    d1, d2 = p.delivery("d1"), p.delivery("d2")
    visits = [Visit(d1, StopKind.PICKUP), Visit(d2, StopKind.PICKUP),
              Visit(d1, StopKind.DROPOFF), Visit(d2, StopKind.DROPOFF)]
    line = timeline(p, p.courier("ana"), visits)
    assert line.load_g == (5_000, 13_000, 8_000, 0)


def test_on_board_load_counts_from_the_start(two_couriers_three_orders: Problem) -> None:
    """A delivery already on board weighs on the courier before the first stop."""
    p = two_couriers_three_orders
    carried = dataclasses.replace(p.delivery("d1"), on_board_of="ana")
    p = dataclasses.replace(p, deliveries=(carried, *p.deliveries[1:]))
    line = timeline(p, p.courier("ana"), [Visit(carried, StopKind.DROPOFF)])
    assert (line.start_load_g, line.load_g) == (5_000, (0,))


def test_a_route_to_a_depot_ends_on_arrival_there(two_couriers_three_orders: Problem) -> None:
    """With an end place the return leg counts in travel, distance and the end time."""
    p = two_couriers_three_orders
    open_line = timeline(p, p.courier("ana"), _visits(p, "d1"))
    home = dataclasses.replace(p.courier("ana"), end=0)
    closed = timeline(p, home, _visits(p, "d1"))
    assert open_line.end_s == open_line.stops[-1].departure_s
    assert closed.end_s == open_line.end_s + 4 * 60
    assert closed.distance_m == open_line.distance_m + 4 * 250


def test_two_pickups_in_a_row_at_one_kitchen_are_one_visit(two_couriers_three_orders: Problem) -> None:
    """The courier parks once: the second pickup there adds only what it takes beyond the first;
    a benchmark instance keeps every node's own service time."""
    p = two_couriers_three_orders
    d2 = p.delivery("d2")
    twin = dataclasses.replace(d2, key="d2b", pickup_service_s=d2.pickup_service_s + 30)
    p = dataclasses.replace(p, deliveries=(*p.deliveries, twin))
    visits = [Visit(d2, StopKind.PICKUP), Visit(twin, StopKind.PICKUP), Visit(d2, StopKind.DROPOFF)]
    first, second, _ = timeline(p, p.courier("ana"), visits).stops
    assert second.arrival_s == first.departure_s
    assert second.departure_s - second.start_s == 30
    bench = dataclasses.replace(p, mode=Mode.BENCHMARK)
    first, second, _ = timeline(bench, bench.courier("ana"), visits).stops
    assert second.departure_s - second.start_s == twin.pickup_service_s
