"""Synthetic problems shared by the insertion benchmark and the solver tests. Pure."""

from __future__ import annotations

import numpy as np

from routing.planning.problem import Courier, Delivery, Problem


def random_city(n_couriers: int, n_deliveries: int, seed: int) -> Problem:
    """Couriers and deliveries at random points of a 5 km square, riding at 4 m/s (live mode).

    Parameters
    ----------
    n_couriers : couriers on a 4-hour shift, 30 kg / 150 l each, one at each of the first points.
    n_deliveries : 2 kg / 10 l parcels, ready within the first hour, due 40 to 150 min in.
    seed : for the points and times; the same seed gives the same problem.

    Returns
    -------
    Problem : places are point indices (couriers first, then pickup and dropoff per delivery).
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 5000, size=(n_couriers + 2 * n_deliveries, 2))
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    metres = metres.astype(np.int64)
    couriers = tuple(Courier(f"c{i}", i, 0, 4 * 3600, 30_000, 150_000)
                     for i in range(n_couriers))
    deliveries = tuple(
        Delivery(f"d{k}", n_couriers + 2 * k, n_couriers + 2 * k + 1,
                 ready_s=int(rng.integers(0, 3600)), window_start_s=0,
                 window_end_s=int(rng.integers(2400, 9000)), load_g=2_000, load_ml=10_000)
        for k in range(n_deliveries)
    )
    return Problem(couriers, deliveries, metres // 4, metres)
