"""Run one scenario under several policies with the same seed and collect their KPIs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from dispatch.sim.engine import SimConfig, SimResult, Simulation
from dispatch.sim.kpis import kpis
from dispatch.sim.scenario import COURIERS_CSV, ORDERS_CSV, Scenario, ScenarioError
from dispatch.sim.travel import StreetTravel, Travel

MAX_SNAP_M = 300.0


def check_on_map(scenario: Scenario, travel: Travel) -> None:
    """Every point of a lat/lon scenario must be near a street; else a ScenarioError at its cell."""
    if not isinstance(travel, StreetTravel):
        return
    from routing.streets.network import SnapError

    cells = [(ORDERS_CSV, o.line, f"{k}_lat", p) for o in scenario.orders
             for k, p in (("pickup", o.pickup), ("dropoff", o.dropoff))]
    cells += [(COURIERS_CSV, c.line, "start_lat", c.start) for c in scenario.couriers]
    for file, line, column, point in cells:
        try:
            travel.net.snap(point[0], point[1], max_distance_m=MAX_SNAP_M)
        except SnapError as exc:
            col = scenario.columns.get(file, {}).get(column, 0)
            raise ScenarioError(file, line, col, f"{column}: {exc}") from None


def run_policies(
    scenario: Scenario, travel: Travel, policies: Sequence[str], config: SimConfig,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, tuple[SimResult, dict[str, Any]]]:
    """Simulate ``scenario`` once per policy (same seed, same luck); KPIs per policy."""
    out: dict[str, tuple[SimResult, dict[str, Any]]] = {}
    for policy in policies:
        sim = Simulation(scenario, travel, replace(config, policy=policy))
        first = min((c.shift_start_s for c in scenario.couriers), default=0)
        first = min([first] + [o.placed_s for o in scenario.orders])
        last = max((c.shift_end_s for c in scenario.couriers), default=first)
        span = max(1, last + 1800 - first)

        def progress(t: int, policy: str = policy, first: int = first, span: int = span) -> None:
            if on_progress is not None:
                on_progress(policy, min(t - first, span), span)

        result = sim.run(progress)
        if on_progress is not None:
            on_progress(policy, span, span)
        out[policy] = (result, kpis(result))
    return out
