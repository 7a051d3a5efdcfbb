"""Tiny hand-checkable routing problems, with variants made by ``dataclasses.replace``."""

from __future__ import annotations

import numpy as np
import pytest

from routing.planning.problem import Courier, Delivery, IntMatrix, Problem

# Places on a line, one unit = 60 s riding and 250 m.
POINTS_X = (0, 10, 2, 4, 8, 6, 3, 9)


def line_matrices(xs: tuple[int, ...]) -> tuple[IntMatrix, IntMatrix]:
    """Travel-time and distance matrices for places at positions ``xs`` on a line."""
    x = np.array(xs, dtype=np.int64)
    units = np.abs(x[:, None] - x[None, :])
    return units * 60, units * 250


@pytest.fixture
def two_couriers_three_orders() -> Problem:
    """Couriers at 0 and 10 on a line; three loose deliveries between them."""
    travel_s, distance_m = line_matrices(POINTS_X)
    couriers = (
        Courier("ana", start=0, available_s=0, shift_end_s=7200, capacity_g=20_000,
                capacity_ml=100_000),
        Courier("bo", start=1, available_s=0, shift_end_s=7200, capacity_g=20_000,
                capacity_ml=100_000, speed_pct=120),
    )
    deliveries = (
        Delivery("d1", pickup=2, dropoff=3, ready_s=0, window_start_s=0, window_end_s=3600,
                 load_g=5_000, load_ml=20_000),
        Delivery("d2", pickup=4, dropoff=5, ready_s=300, window_start_s=0, window_end_s=3600,
                 load_g=8_000, load_ml=30_000),
        Delivery("d3", pickup=6, dropoff=7, ready_s=600, window_start_s=0, window_end_s=5400,
                 load_g=3_000, load_ml=10_000, max_ride_s=1800),
    )
    return Problem(couriers, deliveries, travel_s, distance_m)
