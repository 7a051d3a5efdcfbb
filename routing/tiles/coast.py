"""The sea of an extract, from its coastline ways.

OpenStreetMap has no sea polygons: the sea is what lies on the right of the ``natural=coastline``
ways (land on the left). An extract cuts those ways at its edge, so the open ends are carried
straight to the extract's bounding box, the box is cut into faces along the coastline, and a
face is sea when it lies on the right of the coastline piece nearest to it.
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry


def sea_polygons(coastlines: list[BaseGeometry], bounds: tuple[float, float, float, float]) -> list[BaseGeometry]:
    """Polygons (lon, lat) of sea inside ``bounds`` (west, south, east, north)."""
    if not coastlines or bounds[0] >= bounds[2] or bounds[1] >= bounds[3]:
        return []
    box = shapely.box(*bounds).buffer(0.001, join_style="mitre")
    merged = shapely.line_merge(shapely.union_all(coastlines))
    lines = [shapely.intersection(line, box) for line in shapely.get_parts(merged)]
    lines = [part for line in lines for part in shapely.get_parts(line) if part.length > 0]
    if not lines:
        return []
    extended = [_to_edge(line, box) for line in lines]
    faces = shapely.get_parts(shapely.polygonize([shapely.union_all([*extended, box.exterior])]))
    return [face for face in faces if _is_sea(face, lines)]


def _to_edge(line: BaseGeometry, box: BaseGeometry) -> BaseGeometry:
    if line.is_ring:
        return line
    coords = shapely.get_coordinates(line)
    edge = box.exterior
    start = shapely.get_coordinates(shapely.ops.nearest_points(edge, shapely.Point(coords[0]))[0])
    end = shapely.get_coordinates(shapely.ops.nearest_points(edge, shapely.Point(coords[-1]))[0])
    return shapely.LineString(np.vstack([start, coords, end]))


def _is_sea(face: BaseGeometry, lines: list[BaseGeometry]) -> bool:
    probe = face.point_on_surface()
    nearest = min(lines, key=lambda line: line.distance(probe))
    coords = shapely.get_coordinates(nearest)
    segments = [shapely.LineString(coords[i:i + 2]) for i in range(len(coords) - 1)]
    i = int(np.argmin([s.distance(probe) for s in segments]))
    (x0, y0), (x1, y1) = coords[i], coords[i + 1]
    cross = (x1 - x0) * (probe.y - y0) - (y1 - y0) * (probe.x - x0)
    return bool(cross < 0)  # right of the way's direction: the sea

