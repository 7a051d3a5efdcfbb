"""``coopdispatch simulate``: a simulated day under one or more dispatch policies.

Reads a scenario folder (see ``dispatch.sim.scenario`` for the CSV columns) or generates one,
simulates it with each policy on the same seed, prints a KPI table with the differences, and
ends with one ``RESULT`` line per policy. Exit code 2 on a bad scenario or bad options.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

sim_app = typer.Typer()
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(2)


def _scenario(folder: Path | None, generate: str | None, options: dict[str, Any]) -> tuple[Any, Any]:
    from dispatch.sim import generate as gen
    from dispatch.sim.compare import check_on_map
    from dispatch.sim.scenario import read_scenario
    from dispatch.sim.travel import PlanarTravel, travel_for

    if (folder is None) == (generate is None):
        raise _fail("give a SCENARIO_DIR or --generate lunch|day|meal (not both)")
    if folder is not None:
        scenario = read_scenario(folder)
        map_path = options["map_path"] or scenario.map_path
        speed = options["speed_kmh"] or scenario.planar_speed_kmh
        travel = travel_for(scenario.coords, map_path, speed)
        check_on_map(scenario, travel)
        return scenario, travel
    spec = gen.spec_for(str(generate), orders=options["orders"], couriers=options["couriers"],
                        merchants=options["merchants"], seed=options["seed"])
    if generate == "meal":  # always planar: straight lines at the day's speed
        from dispatch.sim.meal import MealDay, generate_meal

        scenario = generate_meal(spec, MealDay(area_km=options["area_km"] if options["area_km_set"] else 8.0))
        return scenario, PlanarTravel(options["speed_kmh"] or scenario.planar_speed_kmh)
    if options["planar"]:
        speed = options["speed_kmh"] or 15.0
        return gen.generate_planar(spec, options["area_km"], speed), PlanarTravel(speed)
    from routing.streets.network import load_network

    net = load_network(options["map_path"])
    from dispatch.sim.travel import StreetTravel

    return gen.generate_on_map(net, spec, options["map_path"]), StreetTravel(net)


@sim_app.command()
def simulate(
    scenario_dir: Annotated[Path | None, typer.Argument(help="folder with orders.csv and couriers.csv")] = None,
    generate: Annotated[str | None, typer.Option(
        help="generate a scenario instead: lunch, day, or meal (a heavy planar meal-delivery day)")] = None,
    orders: Annotated[int | None, typer.Option(help="generated orders (default 500)")] = None,
    couriers: Annotated[int | None, typer.Option(help="generated couriers (default 30)")] = None,
    merchants: Annotated[int | None, typer.Option(help="generated merchants (default 20)")] = None,
    planar: Annotated[bool, typer.Option(help="generate planar x/y metres instead of a map")] = False,
    area_km: Annotated[float | None, typer.Option(help="side of the planar square (6; meal: 8)")] = None,
    map_path: Annotated[str | None, typer.Option("--map", help="OSM file (default: the shipped map)")] = None,
    speed_kmh: Annotated[float | None, typer.Option(help="straight-line speed for planar scenarios")] = None,
    save_scenario: Annotated[Path | None, typer.Option(help="write the (generated) scenario's CSVs here")] = None,
    policy: Annotated[str, typer.Option(help="policy when not comparing")] = "solver",
    compare: Annotated[str | None, typer.Option(help="comma-separated policies, e.g. nearest,solver")] = None,
    seed: Annotated[int, typer.Option(help="seeds the generator and the riders' luck")] = 0,
    solver_time_limit: Annotated[float, typer.Option(help="seconds per solver decision")] = 0.2,
    replan_every: Annotated[int, typer.Option(help="at most one decision per this many simulated s")] = 60,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the KPIs as JSON here")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG or SVG of lateness and utilization over the day")] = None,
) -> None:
    """Simulate a day of orders and couriers; compare dispatch policies on the numbers that matter."""
    from dispatch.planning import POLICIES
    from dispatch.sim.engine import SimConfig
    from dispatch.sim.scenario import ScenarioError, write_scenario

    policies = [p.strip() for p in (compare or policy).split(",") if p.strip()]
    unknown = [p for p in policies if p not in POLICIES]
    if unknown or not policies:
        raise _fail(f"unknown policy {unknown[0] if unknown else '(none)'}; choose from {', '.join(POLICIES)}")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise _fail("--plot must end in .png or .svg")
    options = {"orders": orders, "couriers": couriers, "merchants": merchants, "planar": planar,
               "area_km": area_km or 6.0, "area_km_set": area_km is not None, "map_path": map_path,
               "speed_kmh": speed_kmh, "seed": seed}
    try:
        scenario, travel = _scenario(scenario_dir, generate, options)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    for warning in scenario.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if save_scenario is not None:
        write_scenario(scenario, save_scenario)
        console.print(f"scenario written to {save_scenario}")
    config = SimConfig(seed=seed, solver_time_limit_s=solver_time_limit, replan_every_s=replan_every)
    runs = _run(scenario, travel, policies, config)
    _report(scenario, runs, json_out, plot)


def _run(scenario: Any, travel: Any, policies: list[str], config: Any) -> dict[str, Any]:
    from dispatch.sim.compare import run_policies

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks = {p: bar.add_task(f"{p:>8} {scenario.name}", total=1.0) for p in policies}

        def on_progress(policy: str, done: int, total: int) -> None:
            bar.update(tasks[policy], completed=done / total)

        return run_policies(scenario, travel, policies, config, on_progress)


def _report(scenario: Any, runs: dict[str, Any], json_out: Path | None, plot: Path | None) -> None:
    from dispatch.sim.kpis import over_the_day, result_line
    from dispatch.sim.report import differences, plot_day, print_table, write_json

    by_policy = {p: k for p, (_r, k) in runs.items()}
    out = Console()
    print_table(out, by_policy, f"{scenario.name}: {len(scenario.orders)} orders, {len(scenario.couriers)} couriers")
    if json_out is not None:
        write_json(json_out, {"scenario": scenario.name, "orders": len(scenario.orders),
                              "couriers": len(scenario.couriers), "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              "target_click_to_door_min": scenario.target_click_to_door_min,
                              "warnings": list(scenario.warnings),
                              "kpis": by_policy, "differences": differences(by_policy)})
    if plot is not None:
        plot_day(plot, {p: over_the_day(r) for p, (r, _k) in runs.items()}, scenario.name)
    for p, k in by_policy.items():
        out.print(result_line(p, k), highlight=False, soft_wrap=True)
