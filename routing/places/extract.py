"""Read the addresses, streets and named places of an OpenStreetMap file (no network).

One pass with pyosmium (the same reader as the street graph, so .osm, .osm.bz2 and .osm.pbf
behave alike): every object with ``addr:housenumber`` (nodes; ways and multipolygons at the
centroid of their outline), the named highways with their geometry, house numbers along
``addr:interpolation`` ways, and named shops, restaurants, stations and the like.

osmnx is not used here: its ``features_from_xml`` reads XML only (the shipped map is PBF) and
builds a GeoDataFrame of every tag for what is a handful of tags per object.

Error tree
----------
``MapError`` (ValueError, from :mod:`routing.streets.osm`): the file is missing, empty or unreadable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import shapely

from routing.places.text import housenumber_key
from routing.streets.osm import MapError, check_file

Line = tuple[tuple[float, float], ...]  # (lat, lon) points
PLACE_KEYS = ("shop", "amenity", "tourism", "office", "craft", "healthcare", "leisure")
STATION = {"railway": {"station", "halt", "tram_stop"}, "public_transport": {"station"},
           "aeroway": {"terminal"}}
NOT_STREETS = {"platform", "proposed", "construction", "abandoned", "bus_stop", "elevator"}
MAX_INTERPOLATED = 400  # numbers from one interpolation way: a bad tag must not flood the index


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    """One searchable thing of the map.

    ``kind``: ``address`` (an OSM object with a house number), ``interpolated`` (a number
    placed along an ``addr:interpolation`` way), ``street`` (a named street, ``geometry`` its
    lines of (lat, lon)) or ``place`` (a named shop, restaurant, station...). ``lat``/``lon``
    is where a courier goes: the node, the outline's centroid, or the street's middle.
    """

    kind: str
    name: str
    street: str
    housenumber: str
    postcode: str
    city: str
    lat: float
    lon: float
    ref: str = ""
    geometry: tuple[Line, ...] = ()


@dataclass
class _Reader:
    records: list[PlaceRecord] = field(default_factory=list)
    streets: list[tuple[str, Line]] = field(default_factory=list)
    numbered_nodes: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)
    interpolations: list[tuple[dict[str, str], list[tuple[int, float, float]]]] = field(default_factory=list)

    def node(self, n: osmium.osm.Node) -> None:
        tags = dict(n.tags)
        if "addr:housenumber" in tags:
            self.numbered_nodes[n.id] = (tags["addr:housenumber"], tags.get("addr:street", ""),
                                         tags.get("addr:postcode", ""), tags.get("addr:city", ""))
        self._tagged(tags, n.location.lat, n.location.lon, f"n{n.id}")

    def way(self, w: osmium.osm.Way) -> None:
        t = w.tags  # most ways (building outlines without an address) are skipped before any copy
        if not ("addr:interpolation" in t or "addr:housenumber" in t or "name" in t):
            return
        tags = dict(t)
        if not ("addr:interpolation" in tags or tags.get("highway") or "addr:housenumber" in tags
                or _is_place(tags)):
            return
        points = [(nd.ref, nd.location.lat, nd.location.lon) for nd in w.nodes if nd.location.valid()]
        if len(points) < 2:
            return
        if "addr:interpolation" in tags:
            self.interpolations.append((tags, points))
            return
        name = tags.get("name", "")
        if name and tags.get("highway") and tags["highway"] not in NOT_STREETS and not w.is_closed():
            self.streets.append((name, tuple((la, lo) for _, la, lo in points)))
            return
        if name and tags.get("highway") == "pedestrian":  # a named square drawn as a closed way
            self.streets.append((name, tuple((la, lo) for _, la, lo in points)))
        if "addr:housenumber" in tags or _is_place(tags):
            lat, lon = _centroid([(la, lo) for _, la, lo in points])
            self._tagged(tags, lat, lon, f"w{w.id}")

    def area(self, a: osmium.osm.Area) -> None:
        if a.from_way():  # closed ways were read as ways
            return
        tags = dict(a.tags)
        if "addr:housenumber" not in tags and not _is_place(tags):
            return
        rings = [[(nd.lat, nd.lon) for nd in ring if nd.location.valid()] for ring in a.outer_rings()]
        rings = [r for r in rings if len(r) >= 3]
        if rings:
            lat, lon = _centroid(max(rings, key=len))
            self._tagged(tags, lat, lon, f"r{a.orig_id()}")

    def _tagged(self, tags: dict[str, str], lat: float, lon: float, ref: str) -> None:
        name = tags.get("name", "") if _is_place(tags) else ""
        number, street = tags.get("addr:housenumber", ""), tags.get("addr:street", "")
        postcode, city = tags.get("addr:postcode", ""), tags.get("addr:city", "")
        if number and street and housenumber_key(number):
            self.records.append(PlaceRecord("address", name, street, number, postcode, city, lat, lon, ref))
        elif name:
            self.records.append(PlaceRecord("place", name, street, number, postcode, city, lat, lon, ref))


def _is_place(tags: dict[str, str]) -> bool:
    if "name" not in tags:
        return False
    if any(k in tags for k in PLACE_KEYS):
        return tags.get("amenity") not in ("parking", "bench", "waste_basket", "bicycle_parking")
    return any(tags.get(k) in values for k, values in STATION.items())


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centroid of an outline (its vertices' mean when it is degenerate)."""
    poly = shapely.Polygon([(lo, la) for la, lo in points]) if len(points) >= 3 else None
    if poly is not None and poly.is_valid and poly.area > 0:
        c = poly.centroid
        return float(c.y), float(c.x)
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def read_places(path: Path) -> tuple[list[PlaceRecord], list[tuple[str, Line]]]:
    """Addresses, interpolated numbers and named places of an OSM file, and its named street lines.

    Parameters
    ----------
    path : an .osm, .osm.bz2 or .osm.pbf file.

    Returns
    -------
    (records, street lines) : street lines are ``(name, line)`` pairs, to be grouped into
        streets by :func:`routing.places.streets.street_records`.

    Raises
    ------
    MapError
        If the file is missing, empty or unreadable.
    """
    check_file(path)
    reader = _Reader()
    try:
        # untagged objects never reach Python (their locations are still stored for the ways);
        # multipolygons are assembled only for what can be an address or a place
        areas = osmium.filter.KeyFilter("addr:housenumber", *PLACE_KEYS, *STATION)
        processor = osmium.FileProcessor(str(path)).with_locations().with_areas(areas)
        for obj in processor.with_filter(osmium.filter.EmptyTagFilter()):
            if isinstance(obj, osmium.osm.Node):
                reader.node(obj)
            elif isinstance(obj, osmium.osm.Way):
                reader.way(obj)
            elif isinstance(obj, osmium.osm.Area):
                reader.area(obj)
    except (RuntimeError, OSError) as exc:  # libosmium reports corruption this way
        raise MapError(f"cannot read OSM file {path}: {exc}") from exc
    for tags, points in reader.interpolations:
        reader.records.extend(interpolate(tags, points, reader.numbered_nodes))
    return reader.records, reader.streets


def interpolate(tags: dict[str, str], points: list[tuple[int, float, float]],
                numbered: dict[int, tuple[str, str, str, str]]) -> Iterable[PlaceRecord]:
    """House numbers between the numbered nodes of an ``addr:interpolation`` way, placed by
    length along it (``odd``/``even``/``all``/a step). The numbered nodes are records already."""
    scheme = tags.get("addr:interpolation", "all")
    step = {"odd": 2, "even": 2, "all": 1}.get(scheme) or (int(scheme) if scheme.isdigit() else 0)
    if step <= 0:
        return []
    out: list[PlaceRecord] = []
    stops = [(i, numbered[ref]) for i, (ref, _, _) in enumerate(points) if ref in numbered]
    for (i, a), (j, b) in zip(stops, stops[1:], strict=False):
        lo_key, hi_key = housenumber_key(a[0]), housenumber_key(b[0])
        if not (lo_key.isdigit() and hi_key.isdigit()):
            continue
        lo, hi = int(lo_key), int(hi_key)
        street = tags.get("addr:street") or a[1] or b[1]
        if not street or abs(hi - lo) <= step or abs(hi - lo) // step > MAX_INTERPOLATED:
            continue
        line = [(la, lo_) for _, la, lo_ in points[i: j + 1]]
        sign = 1 if hi > lo else -1
        for number in range(lo + sign * step, hi, sign * step):
            lat, lon = _along(line, (number - lo) / (hi - lo))
            out.append(PlaceRecord("interpolated", "", street, str(number), a[2] or b[2],
                                   a[3] or b[3], lat, lon, ""))
    return out


def _along(line: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` of ``line``'s length (lengths in local metres)."""
    k = math.cos(math.radians(line[0][0]))
    seg = [math.hypot(b[0] - a[0], (b[1] - a[1]) * k) for a, b in zip(line, line[1:], strict=False)]
    target = fraction * sum(seg)
    for (a, b), length in zip(zip(line, line[1:], strict=False), seg, strict=True):
        if target <= length and length > 0:
            t = target / length
            return a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
        target -= length
    return line[-1]
