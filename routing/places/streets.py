"""Group named street lines into streets: one per name and neighbourhood.

OSM cuts a street into many ways; two streets of one name in two parts of town must stay two
("Kauppakatu" in 00100 and in 00530). Lines of the same normalised name are joined when they
come within :data:`JOIN_M` of each other; each group becomes one ``street`` record placed at
the middle of its longest line, with the postcode and city most of its addresses carry.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import shapely

from routing.places.extract import Line, PlaceRecord
from routing.places.text import normalise

JOIN_M = 150.0  # lines of one name closer than this are one street
ADDRESS_NEAR_M = 300.0  # addresses that lend a street their postcode and city


class LocalXY:
    """Degrees to local metres around a centre (equirectangular: exact enough for a city)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.ky = math.radians(1.0) * 6_371_008.8
        self.kx = self.ky * math.cos(math.radians(lat0))

    def xy(self, lat: float | np.ndarray, lon: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(lon, dtype=np.float64) - self.lon0) * self.kx, \
            (np.asarray(lat, dtype=np.float64) - self.lat0) * self.ky

    def line(self, line: Line) -> shapely.LineString:
        x, y = self.xy(np.array([p[0] for p in line]), np.array([p[1] for p in line]))
        return shapely.LineString(np.stack([x, y], axis=1))

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        return y / self.ky + self.lat0, x / self.kx + self.lon0


def street_records(lines: Sequence[tuple[str, Line]], addresses: Sequence[PlaceRecord],
                   proj: LocalXY) -> list[PlaceRecord]:
    """One ``street`` record per name and connected neighbourhood (see module docstring)."""
    by_name: dict[str, list[tuple[str, Line]]] = defaultdict(list)
    for name, line in lines:
        by_name[normalise(name)].append((name, line))
    near = _addresses_by_street(addresses)
    out: list[PlaceRecord] = []
    for key, group in by_name.items():
        geoms = [proj.line(line) for _, line in group]
        for members in _clusters(geoms):
            out.append(_street(group, geoms, members, near.get(key, []), proj))
    return out


def _clusters(geoms: list[shapely.LineString]) -> list[list[int]]:
    """Connected groups of lines closer than :data:`JOIN_M` (union-find over an STRtree)."""
    parent = list(range(len(geoms)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(geoms) > 1:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=JOIN_M)
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(geoms)):
        groups[root(i)].append(i)
    return list(groups.values())


def _addresses_by_street(addresses: Sequence[PlaceRecord]) -> dict[str, list[PlaceRecord]]:
    out: dict[str, list[PlaceRecord]] = defaultdict(list)
    for r in addresses:
        if r.street and (r.postcode or r.city):
            out[normalise(r.street)].append(r)
    return out


def _street(group: list[tuple[str, Line]], geoms: list[shapely.LineString], members: list[int],
            near: list[PlaceRecord], proj: LocalXY) -> PlaceRecord:
    longest = max(members, key=lambda i: geoms[i].length)
    mid = geoms[longest].interpolate(0.5, normalized=True)
    lat, lon = proj.latlon(mid.x, mid.y)
    joined = shapely.MultiLineString([geoms[i] for i in members])
    postcodes: Counter[str] = Counter()
    cities: Counter[str] = Counter()
    for r in near:
        x, y = proj.xy(r.lat, r.lon)
        if joined.distance(shapely.Point(float(x), float(y))) <= ADDRESS_NEAR_M:
            postcodes[r.postcode] += bool(r.postcode)
            cities[r.city] += bool(r.city)
    postcode = next((p for p, n in postcodes.most_common() if p and n), "")
    city = next((c for c, n in cities.most_common() if c and n), "")
    name = Counter(group[i][0] for i in members).most_common(1)[0][0]
    return PlaceRecord("street", "", name, "", postcode, city, lat, lon, "",
                       tuple(group[i][1] for i in members))
