"""Benchmark: the solver against the nearest-courier baseline on the kinds of day that matter.

Days: ``meal`` (``--generate meal``: a heavy planar meal-delivery day, one per seed) and
``lunch`` (the generated lunch peak on the default street map). Both policies run on the same
day and seed. Checks the targets of issue 15, on the means over the meal seeds: the solver's
click-to-door p90 at least 5 % below nearest's, ``delay_p90_min`` at least 15 % below,
``below_floor_hours`` no higher and km per delivery lower; on the lunch peak no KPI of the
RESULT line worse. Prints one RESULT line per policy and day (the day named at the end) and
exits 1 when a target is missed.

The solver's search stops on wall-clock time by default; ``--solution-limit N`` stops it after
N improving solutions instead (an iteration budget: the same figures on a busy machine).
Figures taken on a shared machine are indicative only.

Run: ``.venv/bin/python scripts/bench_sim.py [--days meal,lunch] [--seeds 1,2,3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.sim.compare import run_policies  # noqa: E402
from dispatch.sim.engine import SimConfig  # noqa: E402
from dispatch.sim.generate import generate_on_map, spec_for  # noqa: E402
from dispatch.sim.kpis import result_line  # noqa: E402
from dispatch.sim.meal import generate_meal  # noqa: E402
from dispatch.sim.travel import PlanarTravel, StreetTravel  # noqa: E402

# RESULT-line KPIs and which way is better (-1: lower), for "no KPI worse" on the lunch peak
LINE_KPIS = {"click_to_door_p90_min": -1, "late_share": -1, "deliveries_per_courier_hour": 1, "unassigned": -1,
             "below_floor_hours": -1, "km_per_delivery": -1, "delay_p90_min": -1, "earnings_per_hour_p10_eur": 1}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", default="meal,lunch", help="comma-separated: meal, lunch")
    ap.add_argument("--seeds", default="1,2,3", help="meal seeds (the lunch peak uses the first)")
    ap.add_argument("--meal-orders", type=int, default=None, help="orders of a meal day (default 1,200)")
    ap.add_argument("--orders", type=int, default=500, help="lunch peak orders")
    ap.add_argument("--couriers", type=int, default=30, help="lunch peak couriers")
    ap.add_argument("--solver-time-limit", type=float, default=0.2)
    ap.add_argument("--solution-limit", type=int, default=None)
    ap.add_argument("--replan-every", type=int, default=60)
    ap.add_argument("--map", default=None)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    days = [d.strip() for d in args.days.split(",") if d.strip()]
    print(f"load average before: {_load()} (figures on a busy machine are indicative)")
    failures: list[str] = []
    if "meal" in days:
        failures += _meal(args, seeds)
    if "lunch" in days:
        failures += _lunch(args, seeds[0])
    print(f"load average after: {_load()}")
    for f in failures:
        print(f"FAIL {f}")
    print("OK" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


def _config(args: argparse.Namespace, seed: int) -> SimConfig:
    return SimConfig(seed=seed, solver_time_limit_s=args.solver_time_limit, replan_every_s=args.replan_every,
                     solver_solution_limit=args.solution_limit)


def _run(scenario: Any, travel: Any, config: SimConfig, day: str) -> dict[str, dict[str, Any]]:
    started = time.perf_counter()
    runs = run_policies(scenario, travel, ["nearest", "solver"], config)
    print(f"{day}: {scenario.name} in {time.perf_counter() - started:.0f} s "
          f"({', '.join(f'{p} {r.policy_wall_s:.0f} s in the policy' for p, (r, _k) in runs.items())})")
    for policy, (_r, k) in runs.items():
        print(f"{result_line(policy, k)} day={day}", flush=True)
    result = next(iter(runs.values()))[0]
    bound = [(o.lower_bound_s - o.spec.placed_s) / 60 for o in result.orders.values() if o.status == "delivered"]
    if bound:  # kitchens and the ride itself, which no dispatch shortens
        print(f"{day}: p90 of click-to-door lower bounds {float(np.percentile(bound, 90)):.2f} min "
              "(ready + stops + direct ride: what no dispatch policy can beat)")
    return {p: k for p, (_r, k) in runs.items()}


def _meal(args: argparse.Namespace, seeds: list[int]) -> list[str]:
    by_seed = []
    for seed in seeds:
        scenario = generate_meal(spec_for("meal", seed=seed, orders=args.meal_orders))
        by_seed.append(_run(scenario, PlanarTravel(scenario.planar_speed_kmh), _config(args, seed), f"meal-seed{seed}"))

    def mean(policy: str, key: str) -> float:
        return statistics.fmean(float(k[policy][key] or 0) for k in by_seed)

    near, solver = {k: mean("nearest", k) for k in LINE_KPIS}, {k: mean("solver", k) for k in LINE_KPIS}
    print("meal means: " + " ".join(f"{k}={near[k]:.3f}/{solver[k]:.3f}" for k in LINE_KPIS) + " (nearest/solver)")
    out = []
    for key, share in (("click_to_door_p90_min", 0.05), ("delay_p90_min", 0.15)):
        if not solver[key] <= near[key] * (1 - share):
            out.append(f"meal: solver {key} {solver[key]:.2f} is not {share:.0%} below nearest's {near[key]:.2f}")
    if solver["below_floor_hours"] > near["below_floor_hours"]:
        out.append(f"meal: solver below_floor_hours {solver['below_floor_hours']:.1f} "
                   f"> {near['below_floor_hours']:.1f}")
    if not solver["km_per_delivery"] < near["km_per_delivery"]:
        out.append(f"meal: solver km_per_delivery {solver['km_per_delivery']:.3f} "
                   f"not below {near['km_per_delivery']:.3f}")
    return out


def _lunch(args: argparse.Namespace, seed: int) -> list[str]:
    from routing.streets.network import load_network

    net = load_network(args.map)
    scenario = generate_on_map(net, spec_for("lunch", orders=args.orders, couriers=args.couriers, seed=seed))
    k = _run(scenario, StreetTravel(net), _config(args, seed), f"lunch-seed{seed}")
    worse = [key for key, better in LINE_KPIS.items()
             if (k["solver"][key] or 0) * better < (k["nearest"][key] or 0) * better]
    return [f"lunch: solver {key} {k['solver'][key]} worse than nearest's {k['nearest'][key]}" for key in worse]


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine stretches the wall times."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
