"""Read Li & Lim PDPTW instances into a benchmark ``Problem``. Pure parsing, no I/O.

Conventions (see the data's README): Euclidean distances, speed 1 (time = distance), routes
from and back to the depot (task 0). Inside the solver every length and time is an integer in
units of ``1 / SCALE``: distances are rounded, travel times are rounded *up* so that a plan
feasible in integers is feasible in exact arithmetic too; report distances in float with
``float_distance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.planning.problem import Courier, Delivery, Mode, Problem, Route

SCALE = 1000


@dataclass(frozen=True, slots=True)
class Task:
    """One line of an instance: a depot, pickup or delivery task."""

    id: int
    x: float
    y: float
    demand: int
    earliest: int
    latest: int
    service: int
    pickup: int
    delivery: int


@dataclass(frozen=True, slots=True)
class Instance:
    """A parsed instance: fleet size, capacity and tasks (task 0 is the depot)."""

    name: str
    vehicles: int
    capacity: int
    tasks: tuple[Task, ...]


def parse_instance(text: str, name: str = "") -> Instance:
    """Parse the text of a Li & Lim ``.txt`` instance.

    Parameters
    ----------
    text : the file's content.
    name : the instance's name, kept for reporting.

    Returns
    -------
    Instance : with its tasks in file order.
    """
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    tasks = []
    for fields in lines[1:]:
        i, x, y, demand, earliest, latest, service, pick, drop = fields[:9]
        tasks.append(Task(int(i), float(x), float(y), int(demand), int(earliest), int(latest),
                          int(service), int(pick), int(drop)))
    tasks.sort(key=lambda t: t.id)
    if [t.id for t in tasks] != list(range(len(tasks))):
        raise ValueError(f"instance {name!r}: task ids must be 0..n-1")
    return Instance(name, vehicles, capacity, tuple(tasks))


def euclid(instance: Instance) -> np.ndarray:
    """The float distance matrix between tasks."""
    xy = np.array([(t.x, t.y) for t in instance.tasks])
    return np.asarray(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))


def problem_from_instance(instance: Instance, vehicles: int | None = None) -> Problem:
    """A benchmark-mode ``Problem``: one depot courier per vehicle, scaled integer times.

    Parameters
    ----------
    instance : the parsed instance.
    vehicles : fleet size to offer (default: the instance's).

    Returns
    -------
    Problem : places are task ids; deliveries are keyed by their pickup task id.
    """
    exact = euclid(instance) * SCALE
    travel = np.ceil(exact - 1e-6).astype(np.int64)
    distance = np.rint(exact).astype(np.int64)
    depot = instance.tasks[0]
    couriers = tuple(
        Courier(f"v{k}", start=0, available_s=depot.earliest * SCALE,
                shift_end_s=depot.latest * SCALE, capacity_g=instance.capacity, capacity_ml=0,
                end=0)
        for k in range(vehicles or instance.vehicles)
    )
    deliveries = []
    for p in instance.tasks[1:]:
        if p.demand <= 0:
            continue
        d = instance.tasks[p.delivery]
        deliveries.append(Delivery(
            str(p.id), pickup=p.id, dropoff=d.id, ready_s=p.earliest * SCALE,
            window_start_s=d.earliest * SCALE, window_end_s=d.latest * SCALE, load_g=p.demand,
            pickup_service_s=p.service * SCALE, dropoff_service_s=d.service * SCALE,
            pickup_window_end_s=p.latest * SCALE,
        ))
    return Problem(couriers, tuple(deliveries), travel, distance, mode=Mode.BENCHMARK)


def float_distance(instance: Instance, routes: Sequence[Route]) -> float:
    """Total Euclidean length of ``routes`` in the instance's own units (depot to depot)."""
    exact = euclid(instance)
    total = 0.0
    for r in routes:
        places = [0, *(s.place for s in r.stops), 0]
        total += sum(float(exact[a, b]) for a, b in zip(places, places[1:], strict=False))
    return total


def float_feasible(instance: Instance, routes: Sequence[Route]) -> bool:
    """Whether ``routes`` keep every window and the horizon in exact (float) arithmetic."""
    exact = euclid(instance)
    for r in routes:
        clock, place = float(instance.tasks[0].earliest), 0
        for s in r.stops:
            t = instance.tasks[s.place]
            clock = max(clock + float(exact[place, s.place]), float(t.earliest))
            if clock > t.latest + 1e-9:
                return False
            clock, place = clock + t.service, s.place
        if clock + float(exact[place, 0]) > instance.tasks[0].latest + 1e-9:
            return False
    return True
