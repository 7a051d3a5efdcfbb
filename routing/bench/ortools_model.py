"""Translate a ``Problem`` into an OR-Tools routing model, and routes back.

Nodes: one start and one end node per vehicle (an open route ends at a free dummy node), then a
pickup node (unless already on board) and a dropoff node per delivery. Transit costs come from
numpy matrices registered with ``RegisterTransitMatrix`` (no Python callback in the search).
Times are shifted by ``offset_s`` so that every cumul is non-negative. Pure.

Benchmark mode only (hard windows, distance, fewest vehicles): the live objective is the
engine's (``routing.planning.engine``), and ``build_model`` refuses a live problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from routing.planning.problem import Courier, Delivery, IntMatrix, Mode, Problem, StopKind
from routing.planning.reasons import candidates
from routing.planning.schedule import Visit, on_board_load

BENCH_PENALTY = 10**9  # an unplanned benchmark delivery costs more than any route


@dataclass
class Model:
    """The routing model with the tables to translate between nodes and visits."""

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    couriers: tuple[Courier, ...]
    visits: list[Visit | None]  # per node; None for start and end nodes
    node_of: dict[tuple[str, StopKind], int]
    offset_s: int


def build_model(
    problem: Problem,
    deliveries: Sequence[Delivery],
    couriers: Sequence[Courier],
    vehicle_cost: int = 0,
    penalty: int | None = None,
) -> Model:
    """Build the OR-Tools model of ``problem`` restricted to ``deliveries`` and ``couriers``.

    Parameters
    ----------
    problem : a benchmark-mode problem: matrices and heading-to stops.
    deliveries : the deliveries to plan (unassignable ones already removed).
    couriers : the vehicles (each with ``available_s <= shift_end_s``).
    vehicle_cost : fixed cost of using a vehicle (benchmark: fewest vehicles first).
    penalty : cost of leaving a delivery unplanned (default ``BENCH_PENALTY``).

    Returns
    -------
    Model : the model, not yet closed.
    """
    if problem.mode is not Mode.BENCHMARK:
        raise ValueError("the OR-Tools model is for benchmark mode; live problems go to routing.planning.engine")
    visits: list[Visit | None] = [None] * (2 * len(couriers))
    for d in deliveries:
        if d.on_board_of is None:
            visits.append(Visit(d, StopKind.PICKUP))
        visits.append(Visit(d, StopKind.DROPOFF))
    n_vehicles = len(couriers)
    starts = list(range(n_vehicles))
    ends = list(range(n_vehicles, 2 * n_vehicles))
    manager = pywrapcp.RoutingIndexManager(len(visits), n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    node_of = {(v.delivery.key, v.kind): i for i, v in enumerate(visits) if v is not None}
    offset = min(0, *_all_times(couriers, deliveries))
    model = Model(manager, routing, tuple(couriers), visits, node_of, offset)
    _add_costs_and_time(problem, model, vehicle_cost)
    _add_loads(problem, model)
    _add_pairs_and_rules(problem, model, penalty)
    return model


def _all_times(couriers: Sequence[Courier], deliveries: Sequence[Delivery]) -> list[int]:
    times = [c.available_s for c in couriers]
    times += [min(d.ready_s, d.window_start_s, d.window_end_s) for d in deliveries]
    return times


def _horizon(model: Model) -> int:
    ends = [c.shift_end_s for c in model.couriers]
    ends += [v.delivery.window_end_s for v in model.visits if v is not None]
    return max(ends) - model.offset_s + 1


def node_matrices(problem: Problem, model: Model, speed_pct: int) -> tuple[IntMatrix, IntMatrix]:
    """Per-node (time incl. service at the from-node, riding time) matrices at ``speed_pct``."""
    n_vehicles = len(model.couriers)
    places = np.zeros(len(model.visits), dtype=np.int64)
    service = np.zeros(len(model.visits), dtype=np.int64)
    free_end = np.zeros(len(model.visits), dtype=bool)
    for i, c in enumerate(model.couriers):
        places[i] = c.start
        places[n_vehicles + i] = c.end if c.end is not None else 0
        free_end[n_vehicles + i] = c.end is None
    for i, v in enumerate(model.visits):
        if v is not None:
            places[i], service[i] = v.place, v.service_s
    base = problem.travel_s[np.ix_(places, places)]
    ride = -(-base * speed_pct // 100)
    ride[:, free_end] = 0
    return ride + service[:, None], ride


def distance_matrix(problem: Problem, model: Model) -> IntMatrix:
    """Per-node distance matrix (0 into a free end node)."""
    n_vehicles = len(model.couriers)
    places = np.array(
        [c.start for c in model.couriers]
        + [c.end if c.end is not None else 0 for c in model.couriers]
        + [v.place for v in model.visits if v is not None],
        dtype=np.int64,
    )
    dist = problem.distance_m[np.ix_(places, places)].copy()
    for i, c in enumerate(model.couriers):
        if c.end is None:
            dist[:, n_vehicles + i] = 0
    return dist


def _add_costs_and_time(problem: Problem, model: Model, vehicle_cost: int) -> None:
    routing = model.routing
    time_cb: dict[int, int] = {}
    for pct in sorted({c.speed_pct for c in model.couriers}):
        time_m, _ride_m = node_matrices(problem, model, pct)
        time_cb[pct] = routing.RegisterTransitMatrix(time_m.tolist())
    dist = routing.RegisterTransitMatrix(distance_matrix(problem, model).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist)
    if vehicle_cost:
        routing.SetFixedCostOfAllVehicles(vehicle_cost)
    horizon = _horizon(model)
    evaluators = [time_cb[c.speed_pct] for c in model.couriers]
    routing.AddDimensionWithVehicleTransits(evaluators, horizon, horizon, False, "time")
    _time_limits(problem, model, horizon)


def _time_limits(problem: Problem, model: Model, horizon: int) -> None:
    routing, manager, off = model.routing, model.manager, model.offset_s
    time = routing.GetDimensionOrDie("time")
    for v, c in enumerate(model.couriers):
        time.CumulVar(routing.Start(v)).SetRange(c.available_s - off, c.available_s - off)
        time.CumulVar(routing.End(v)).SetMax(c.shift_end_s - off)
    for node, visit in enumerate(model.visits):
        if visit is None:
            continue
        d, index = visit.delivery, manager.NodeToIndex(node)
        cumul = time.CumulVar(index)
        if visit.kind is StopKind.PICKUP:
            last = horizon if d.pickup_window_end_s is None else d.pickup_window_end_s - off
            cumul.SetRange(d.ready_s - off, max(d.ready_s - off, last))
        else:
            cumul.SetRange(d.window_start_s - off, d.window_end_s - off)


def _add_loads(problem: Problem, model: Model) -> None:
    for unit in ("g", "ml"):
        demand = [0] * len(model.visits)
        for i, v in enumerate(model.visits):
            if v is not None:
                load = getattr(v.delivery, f"load_{unit}")
                demand[i] = load if v.kind is StopKind.PICKUP else -load
        if not any(demand):
            continue
        cb = model.routing.RegisterUnaryTransitVector(demand)
        caps = [getattr(c, f"capacity_{unit}") for c in model.couriers]
        model.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load_{unit}")
        dim = model.routing.GetDimensionOrDie(f"load_{unit}")
        for vehicle, c in enumerate(model.couriers):
            start = on_board_load(problem, c)[0 if unit == "g" else 1]
            dim.CumulVar(model.routing.Start(vehicle)).SetRange(start, start)


def _add_pairs_and_rules(problem: Problem, model: Model, penalty: int | None) -> None:
    routing, manager = model.routing, model.manager
    solver, time = routing.solver(), routing.GetDimensionOrDie("time")
    vehicle = {c.key: v for v, c in enumerate(model.couriers)}
    closed = not all(c.takes_new for c in model.couriers)
    if penalty is None:
        penalty = BENCH_PENALTY
    for (key, kind), node in model.node_of.items():
        if kind is StopKind.PICKUP:
            continue
        visit = model.visits[node]
        assert visit is not None
        d, drop = visit.delivery, manager.NodeToIndex(node)
        indices = [drop]
        if (key, StopKind.PICKUP) in model.node_of:
            pick = manager.NodeToIndex(model.node_of[(key, StopKind.PICKUP)])
            indices.insert(0, pick)
            routing.AddPickupAndDelivery(pick, drop)
            solver.Add(routing.VehicleVar(pick) == routing.VehicleVar(drop))
            solver.Add(time.CumulVar(pick) <= time.CumulVar(drop))
            if d.max_ride_s is not None:
                solver.Add(time.CumulVar(drop) - time.CumulVar(pick) <= d.max_ride_s)
        # Carried deliveries weigh more: dropping one strands goods on a bike.
        weight = penalty * (10 if d.on_board_of else 1)
        for index in indices:
            routing.AddDisjunction([index], weight)
        who = d.on_board_of or d.pinned_to
        if who is not None:
            for index in indices:
                _only_vehicle(model, vehicle[who], index)
        elif closed:  # couriers who take nothing new keep only what they had
            allowed = [vehicle[c.key] for c in candidates(problem, d) if c.key in vehicle]
            for index in indices:
                model.routing.VehicleVar(index).SetValues([-1, *allowed])
    _add_heading(problem, model, vehicle)


def _only_vehicle(model: Model, vehicle: int, index: int) -> None:
    # -1 keeps "unperformed" possible: the disjunction decides, not an infeasible model.
    model.routing.VehicleVar(index).SetValues([-1, vehicle])


def _add_heading(problem: Problem, model: Model, vehicle: Mapping[str, int]) -> None:
    for courier, key, kind in problem.heading_to:
        node = model.node_of.get((key, kind))
        if node is None or courier in problem.unpin_heading or courier not in vehicle:
            continue
        v, index = vehicle[courier], model.manager.NodeToIndex(node)
        model.routing.NextVar(model.routing.Start(v)).SetValues([index])
        other = model.node_of.get((key, StopKind.DROPOFF))
        for node_ in {node, other}:
            if node_ is not None:
                _only_vehicle(model, v, model.manager.NodeToIndex(node_))


def routes_to_indices(model: Model, sequences: Mapping[str, Sequence[Visit]]) -> list[list[int]]:
    """OR-Tools indices of each vehicle's visits (unknown visits are skipped)."""
    out: list[list[int]] = []
    for c in model.couriers:
        nodes = [model.node_of.get((v.delivery.key, v.kind)) for v in sequences.get(c.key, ())]
        out.append([model.manager.NodeToIndex(n) for n in nodes if n is not None])
    return out


def sequences_from(model: Model, assignment: pywrapcp.Assignment) -> dict[str, list[Visit]]:
    """Each courier's visits in riding order, read from a solution."""
    out: dict[str, list[Visit]] = {}
    routing = model.routing
    for v, c in enumerate(model.couriers):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        seq: list[Visit] = []
        while not routing.IsEnd(index):
            visit = model.visits[model.manager.IndexToNode(index)]
            assert visit is not None
            seq.append(visit)
            index = assignment.Value(routing.NextVar(index))
        out[c.key] = seq
    return out
