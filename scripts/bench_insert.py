"""Benchmark inserting one new delivery into a live plan (issue 4, "anytime and warm start").

A reproducible random city: 50 couriers and 200 deliveries are planned once (first plan, no
search); then the problem with one delivery more is solved with ``time_limit_s=0`` and the
previous plan as ``initial``, which keeps the routes and inserts the new delivery where it costs
least. Each repeat uses a different city seed; the timed problem gets fresh copies of the
matrices, as a new dispatch snapshot does (no conversion cached from the first plan). The
target is 100 ms per insertion. The last line is::

    RESULT insert_ms=<median> target_ms=100

Usage: ``.venv/bin/python scripts/bench_insert.py [--repeats 15] [--couriers 50] [--deliveries 200]``
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
from routing.planning.check import check  # noqa: E402
from routing.planning.problem import Plan  # noqa: E402
from routing.planning.solver import solve  # noqa: E402

TARGET_MS = 100


def one_insertion(n_couriers: int, n_deliveries: int, seed: int) -> float:
    """Seconds to insert delivery number ``n_deliveries`` into the plan of the others."""
    big = random_city(n_couriers, n_deliveries + 1, seed)
    before: Plan = solve(dataclasses.replace(big, deliveries=big.deliveries[:-1]), 0.0)
    # As in the dispatch loop, the new snapshot comes with new matrices (nothing cached).
    big = dataclasses.replace(big, travel_s=big.travel_s.copy(), distance_m=big.distance_m.copy())
    started = time.perf_counter()
    after = solve(big, 0.0, initial=before)
    seconds = time.perf_counter() - started
    new_key = big.deliveries[-1].key
    if new_key not in after.assignment() or check(big, after):
        raise SystemExit(f"seed {seed}: the new delivery was not inserted feasibly")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--couriers", type=int, default=50)
    parser.add_argument("--deliveries", type=int, default=200)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.couriers} couriers, {args.deliveries} deliveries, {args.repeats} repeats, "
          f"load average {load:.2f}")
    times_ms = []
    for seed in range(args.repeats):
        ms = 1000 * one_insertion(args.couriers, args.deliveries, seed)
        times_ms.append(ms)
        print(f"seed {seed:>3}: {ms:8.1f} ms", flush=True)
    median = statistics.median(times_ms)
    print(f"median {median:.1f} ms, min {min(times_ms):.1f} ms, max {max(times_ms):.1f} ms "
          f"(target {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'missed'})")
    print(f"RESULT insert_ms={median:.1f} target_ms={TARGET_MS}")


if __name__ == "__main__":
    main()
