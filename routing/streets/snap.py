"""Snap (lat, lon) points onto the nearest usable street segment.

Segments live in a shapely ``STRtree`` in a local equirectangular projection (metres around the
map's centre: accurate to well under a metre over a city). A point is projected onto its nearest
segment, which is split there: the snapped point knows how far along the segment it lies, so
door-to-door times count only the part of the segment actually ridden.

Error tree
----------
``SnapError`` (ValueError): no usable street within the allowed distance of the point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from routing.streets.graph import EARTH_RADIUS_M, Graph

FloatArray = npt.NDArray[np.float64]


class SnapError(ValueError):
    """A point too far from any usable street; the message names the point and the distance."""


@dataclass(frozen=True, slots=True)
class SnappedPoint:
    """A point placed on a street segment.

    ``lat``/``lon`` are the input; ``snapped_lat``/``snapped_lon`` its projection on segment
    ``segment`` (from node ``seg_u`` to ``seg_v`` of the graph) at ``fraction`` of its length
    (0 at ``seg_u``); ``offset_m`` is the distance from the input to the street.
    """

    lat: float
    lon: float
    snapped_lat: float
    snapped_lon: float
    offset_m: float
    segment: int
    fraction: float


class Snapper:
    """Nearest-segment index over a :class:`Graph`."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.lat0 = float(np.mean(graph.lat))
        self.lon0 = float(np.mean(graph.lon))
        self._kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))
        self._ky = math.radians(1.0) * EARTH_RADIUS_M
        x, y = self.to_xy(graph.lat, graph.lon)
        self._x, self._y = x, y
        starts = np.stack([x[graph.seg_u], y[graph.seg_u]], axis=1)
        ends = np.stack([x[graph.seg_v], y[graph.seg_v]], axis=1)
        lines = shapely.linestrings(np.stack([starts, ends], axis=1))
        self.tree = shapely.STRtree(lines)

    def to_xy(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project degrees to local metres (x east, y north)."""
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return x, y

    def to_latlon(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`to_xy`."""
        return np.asarray(y / self._ky + self.lat0), np.asarray(x / self._kx + self.lon0)

    def snap(self, lat: float, lon: float, max_distance_m: float = 300.0) -> SnappedPoint:
        """Snap one point onto the nearest usable street segment.

        Parameters
        ----------
        lat, lon : the point, in degrees.
        max_distance_m : farthest allowed distance to a street.

        Returns
        -------
        SnappedPoint

        Raises
        ------
        SnapError
            If no usable street lies within ``max_distance_m`` (the message names the point
            and the distance to the nearest street).
        """
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise SnapError(f"point ({lat}, {lon}) is not a valid coordinate")
        seg, frac, s_lat, s_lon, dist = self._nearest(np.array([lat]), np.array([lon]))
        if dist[0] > max_distance_m:
            raise SnapError(
                f"point ({lat:.6f}, {lon:.6f}) is {dist[0]:.0f} m from the nearest usable street "
                f"(at most {max_distance_m:.0f} m allowed)"
            )
        return SnappedPoint(lat, lon, float(s_lat[0]), float(s_lon[0]), float(dist[0]), int(seg[0]), float(frac[0]))

    def snap_many(self, lat: Sequence[float], lon: Sequence[float],
                  max_distance_m: float = 300.0) -> list[SnappedPoint | None]:
        """Snap many points in one index query; None for a point farther than
        ``max_distance_m`` from any street or not a valid coordinate (``snap`` says why).
        Same result as :meth:`snap` point by point."""
        lat_a, lon_a = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        out: list[SnappedPoint | None] = [None] * lat_a.size
        valid = np.flatnonzero(np.isfinite(lat_a) & np.isfinite(lon_a))
        if valid.size == 0:
            return out
        seg, frac, s_lat, s_lon, dist = self._nearest(lat_a[valid], lon_a[valid])
        for k, i in enumerate(valid):
            if dist[k] <= max_distance_m:
                out[i] = SnappedPoint(float(lat_a[i]), float(lon_a[i]), float(s_lat[k]), float(s_lon[k]),
                                      float(dist[k]), int(seg[k]), float(frac[k]))
        return out

    def _nearest(self, lat: FloatArray, lon: FloatArray) -> tuple[npt.NDArray[np.int64], FloatArray,
                                                                  FloatArray, FloatArray, FloatArray]:
        """For each (finite) point: nearest segment (ties: lowest id), fraction along it,
        the projected point (lat, lon) and the distance in metres."""
        x, y = self.to_xy(lat, lon)
        which, seg_hit = self.tree.query_nearest(shapely.points(x, y), all_matches=True)
        seg = np.full(x.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(seg, which, seg_hit)
        u, v = self.graph.seg_u[seg], self.graph.seg_v[seg]
        ax, ay, bx, by = self._x[u], self._y[u], self._x[v], self._y[v]
        dx, dy = bx - ax, by - ay
        norm = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(norm == 0, 0.0, np.clip(((x - ax) * dx + (y - ay) * dy) / norm, 0.0, 1.0))
        px, py = ax + t * dx, ay + t * dy
        s_lat, s_lon = self.to_latlon(px, py)
        return seg, t, s_lat, s_lon, np.hypot(x - px, y - py)
