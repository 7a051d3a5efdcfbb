"""Benchmark the speed targets of issue 15, point 6: a live round for 300 couriers and 600
open orders within 0.5 s, and the insertion of one new order into that plan within 50 ms
(the first feasible answer).

A reproducible random city (``routing.bench.synthetic.random_city``). The round is the live path's
``routing.planning.solver.solve`` from scratch: orders no courier could serve set aside, the first plan
by cheapest insertion of every open order, then the search and explanations while time is
left (``--time-limit``, default 0: the first plan alone). The insertion is the same call with
the previous plan as ``initial`` and one order more, ``time_limit_s=0``. Each repeat uses a
new city seed. The machine's load is printed: on a shared machine the figures are indicative.
The last line is::

    RESULT round_ms=<median> round_target_ms=500 insert_ms=<median> insert_target_ms=50

Usage: ``.venv/bin/python scripts/bench_live_round.py [--repeats 3] [--couriers 300] [--orders 600]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.bench.synthetic import random_city  # noqa: E402
from routing.planning.solver import solve  # noqa: E402

ROUND_TARGET_MS, INSERT_TARGET_MS = 500, 50


def one_repeat(couriers: int, orders: int, seed: int, time_limit_s: float) -> tuple[float, float]:
    """(round s, insertion s) on one city."""
    city = random_city(couriers, orders + 1, seed)
    before = dataclasses.replace(city, deliveries=city.deliveries[:-1])
    started = time.perf_counter()
    plan = solve(before, time_limit_s)
    round_s = time.perf_counter() - started
    fresh = dataclasses.replace(city, travel_s=city.travel_s.copy(), distance_m=city.distance_m.copy())
    started = time.perf_counter()
    solve(fresh, 0.0, initial=plan)
    return round_s, time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--couriers", type=int, default=300)
    ap.add_argument("--orders", type=int, default=600)
    ap.add_argument("--time-limit", type=float, default=0.0, help="search time per round after the first plan")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rounds, inserts = [], []
    for seed in range(args.repeats):
        r, i = one_repeat(args.couriers, args.orders, seed, args.time_limit)
        rounds.append(r * 1000)
        inserts.append(i * 1000)
        print(f"seed {seed}: round {r * 1000:.0f} ms, insertion {i * 1000:.0f} ms", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"RESULT round_ms={statistics.median(rounds):.0f} round_target_ms={ROUND_TARGET_MS} "
          f"insert_ms={statistics.median(inserts):.0f} insert_target_ms={INSERT_TARGET_MS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
