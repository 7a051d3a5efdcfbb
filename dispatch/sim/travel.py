"""How simulated couriers move: on the street graph, or in straight lines on a plane.

Both models give the simulator the same three things: a ``MatrixFn`` for
``dispatch.planning.problem_from_state`` (the one the service uses), the time and distance of a
single leg, and a point part of the way along a leg (where a courier is when the dispatcher
re-plans while it rides).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from dispatch.sim.scenario import Point

KMH_TO_MPS = 1000 / 3600


class Travel(Protocol):
    def matrix(self, points: Sequence[Point], origins: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The full square (``origins``, the couriers' positions, are not treated apart)."""
        ...

    def leg(self, a: Point, b: Point) -> tuple[int, int]: ...

    def along(self, a: Point, b: Point, fraction: float) -> Point: ...


class PlanarTravel:
    """Straight lines between planar (x, y) points in metres, at ``speed_kmh``."""

    def __init__(self, speed_kmh: float = 15.0) -> None:
        if not speed_kmh > 0:
            raise ValueError(f"planar speed must be > 0 km/h, got {speed_kmh}")
        self.speed_mps = speed_kmh * KMH_TO_MPS

    def matrix(self, points: Sequence[Point], origins: int = 0) -> tuple[np.ndarray, np.ndarray]:
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        metres = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        seconds = np.ceil(metres / self.speed_mps)
        return seconds.astype(np.int64), np.round(metres).astype(np.int64)

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        metres = math.dist(a, b)
        return math.ceil(metres / self.speed_mps), round(metres)

    def along(self, a: Point, b: Point, fraction: float) -> Point:
        return _lerp(a, b, fraction)


class StreetTravel:
    """Door-to-door times on a ``routing.streets.network.StreetNetwork`` for (lat, lon) points.

    Snapped points are cached; a leg is looked up in the last matrix when both ends were in it
    (they almost always are: stops are planned before they are ridden), else computed alone.
    """

    def __init__(self, network: Any) -> None:
        self.net = network
        self._snapped: dict[Point, Any] = {}
        self._index: dict[Point, int] = {}
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def snap(self, p: Point) -> Any:
        hit = self._snapped.get(p)
        if hit is None:
            from routing.streets.network import SnapError

            try:
                hit = self.net.snap(p[0], p[1])
            except SnapError:  # a courier between streets: accept a far snap, as the service does
                hit = self.net.snap(p[0], p[1], max_distance_m=50_000)
            if len(self._snapped) > 200_000:
                self._snapped.clear()
            self._snapped[p] = hit
        return hit

    def matrix(self, points: Sequence[Point], origins: int = 0) -> tuple[np.ndarray, np.ndarray]:
        seconds, metres = self.net.matrix([self.snap(p) for p in points])
        self._index = {p: i for i, p in enumerate(points)}
        self._last = (seconds, metres)
        return seconds, metres

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        i, j = self._index.get(a), self._index.get(b)
        if self._last is not None and i is not None and j is not None:
            return int(self._last[0][i, j]), int(self._last[1][i, j])
        seconds, metres = self.net.matrix([self.snap(a), self.snap(b)])
        return int(seconds[0, 1]), int(metres[0, 1])

    def along(self, a: Point, b: Point, fraction: float) -> Point:
        return _lerp(a, b, fraction)


def _lerp(a: Point, b: Point, fraction: float) -> Point:
    f = min(1.0, max(0.0, fraction))
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)


def travel_for(coords: str, map_path: str | None, planar_speed_kmh: float) -> Travel:
    """The travel model a scenario asks for (loading the street graph when needed)."""
    if coords == "xy":
        return PlanarTravel(planar_speed_kmh)
    from routing.streets.network import load_network

    return StreetTravel(load_network(map_path))
