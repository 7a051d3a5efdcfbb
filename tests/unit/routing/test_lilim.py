"""Li & Lim parsing, the benchmark problem built from it, and a short solve on real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.bench.lilim import (
    SCALE,
    float_distance,
    float_feasible,
    parse_instance,
    problem_from_instance,
)
from routing.planning.check import check
from routing.planning.problem import Mode
from routing.planning.solver import solve

TINY = """2 10 1
0 0 0 0 0 1000 0 0 0
1 3 4 5 0 100 10 0 2
2 6 8 -5 0 200 10 1 0
"""


def test_a_tiny_instance_becomes_one_scaled_delivery() -> None:
    """One pickup-delivery pair, two depot vehicles, times and lengths scaled by 1000."""
    problem = problem_from_instance(parse_instance(TINY, "tiny"))
    assert problem.mode is Mode.BENCHMARK
    assert [c.end for c in problem.couriers] == [0, 0]
    (d,) = problem.deliveries
    assert (d.pickup, d.dropoff, d.load_g) == (1, 2, 5)
    assert (d.pickup_window_end_s, d.window_end_s) == (100 * SCALE, 200 * SCALE)
    assert problem.distance_m[0, 1] == 5 * SCALE


def test_the_tiny_instance_is_solved_and_measured_in_float() -> None:
    """One vehicle, depot-pickup-delivery-depot: 5 + 5 + 10 in float."""
    instance = parse_instance(TINY, "tiny")
    problem = problem_from_instance(instance)
    plan = solve(problem, 0.5)
    routes = [r for r in plan.routes if r.stops]
    assert check(problem, plan) == [] and len(routes) == 1
    assert float_distance(instance, routes) == pytest.approx(20.0)
    assert float_feasible(instance, routes)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["lc101", "lr201"])
def test_real_instances_are_solved_feasibly_near_the_best_known(
    shared_data: Path, name: str
) -> None:
    """A 2 s solve is feasible, in float too, and within loose bounds of the best known."""
    folder = shared_data / "lilim"
    instance = parse_instance((folder / "pdp_100" / f"{name}.txt").read_text(), name)
    rows = dict(line.split(",", 1) for line in (folder / "bks.csv").read_text().splitlines())
    bks_vehicles, bks_distance = (float(x) for x in rows[name].split(",")[1:3])
    problem = problem_from_instance(instance)
    plan = solve(problem, 2.0)
    routes = [r for r in plan.routes if r.stops]
    assert check(problem, plan) == [] and not plan.unassigned
    assert float_feasible(instance, routes)
    assert len(routes) <= 2 * bks_vehicles
    assert float_distance(instance, routes) <= 2.5 * bks_distance
