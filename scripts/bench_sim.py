"""Benchmark: the generated lunch-peak day on the default map under ``nearest`` and ``solver``.

Checks the issue's two numbers: the whole comparison runs within ``--budget-s`` (a 4-hour day of
500 orders and 30 couriers in under 2 minutes per policy), and the solver is not worse than the
nearest-courier baseline on click-to-door p90, within ``--margin-min`` minutes. Prints timings
and the RESULT lines; exits 1 when a check fails. Run: ``.venv/bin/python scripts/bench_sim.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.sim.compare import run_policies  # noqa: E402
from dispatch.sim.engine import SimConfig  # noqa: E402
from dispatch.sim.generate import generate_on_map, spec_for  # noqa: E402
from dispatch.sim.kpis import result_line  # noqa: E402
from dispatch.sim.travel import StreetTravel  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--couriers", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--solver-time-limit", type=float, default=0.2)
    ap.add_argument("--replan-every", type=int, default=60)
    ap.add_argument("--margin-min", type=float, default=2.0, help="solver may be this much worse on p90")
    ap.add_argument("--budget-s", type=float, default=120.0, help="wall time allowed per policy")
    ap.add_argument("--map", default=None)
    args = ap.parse_args()
    from routing.network import load_network

    started = time.perf_counter()
    net = load_network(args.map)
    scenario = generate_on_map(net, spec_for("lunch", orders=args.orders, couriers=args.couriers, seed=args.seed))
    print(f"map and scenario ready in {time.perf_counter() - started:.1f} s: {scenario.name}")
    config = SimConfig(seed=args.seed, solver_time_limit_s=args.solver_time_limit, replan_every_s=args.replan_every)
    print(f"load average before: {_load()}")
    runs = run_policies(scenario, StreetTravel(net), ["nearest", "solver"], config)
    print(f"load average after: {_load()} (the 2 min budget assumes the machine to ourselves)")
    failures = []
    for policy, (result, _k) in runs.items():
        print(f"{policy:>8}: {result.wall_s:6.1f} s wall, {result.decisions} decisions, "
              f"{result.policy_wall_s:6.1f} s in the policy")
        if result.wall_s > args.budget_s:
            failures.append(f"{policy} took {result.wall_s:.1f} s > {args.budget_s:.0f} s")
    near, solver = runs["nearest"][1], runs["solver"][1]
    p90_near, p90_solver = near["click_to_door_p90_min"], solver["click_to_door_p90_min"]
    if p90_near is None or p90_solver is None or p90_solver > p90_near + args.margin_min:
        failures.append(f"solver click-to-door p90 {p90_solver} min is worse than nearest {p90_near} min "
                        f"+ {args.margin_min} min")
    for policy, (_result, k) in runs.items():
        print(result_line(policy, k))
    for f in failures:
        print(f"FAIL {f}")
    print("OK" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine stretches the wall times."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
