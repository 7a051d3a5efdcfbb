"""The basemap's features, read from the same OSM file as the street graph.

One pass of pyosmium (libosmium assembles multipolygons) sorts what a courier reads on a map
into a few layers, each feature with the smallest zoom it is drawn at:

========== ============ ==========================================================
layer      geometry     properties
========== ============ ==========================================================
roads      lines        class (motorway .. path, cycleway), name*, oneway (1/-1), tunnel, bridge
water      polygons     class (water, sea)
waterway   lines        class (river, canal, stream)
green      polygons     class (park, wood, grass, cemetery, pitch ...)
buildings  polygons     (none)
railways   lines        class (rail, tram, subway, light_rail), tunnel
places     points       class (city .. square), name*
pois       points       class (restaurant, cafe, shop, pharmacy ...), name*
entrances  points       ref (what is written on the door), name
housenumbers points     number
========== ============ ==========================================================

``name*`` is ``name`` plus ``name_fr`` and ``name_en`` where OpenStreetMap has ``name:fr`` /
``name:en``, so the style can label in the co-op's language. Geometries are GeoJSON-like
(lon, lat); nothing here touches the network or a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from routing.tiles.coast import sea_polygons

ROAD_CLASS = {
    "motorway": "motorway", "motorway_link": "motorway", "trunk": "motorway", "trunk_link": "motorway",
    "primary": "primary", "primary_link": "primary", "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "tertiary", "tertiary_link": "tertiary", "residential": "minor", "unclassified": "minor",
    "living_street": "minor", "road": "minor", "service": "service", "pedestrian": "pedestrian",
    "cycleway": "cycleway", "footway": "path", "path": "path", "steps": "path", "track": "path",
    "bridleway": "path",
}
ROAD_MINZOOM = {"motorway": 10, "primary": 10, "secondary": 11, "tertiary": 12, "minor": 13,
                "pedestrian": 13, "cycleway": 13, "service": 14, "path": 14}
GREEN = {("leisure", v): v for v in ("park", "garden", "playground", "pitch", "nature_reserve", "golf_course")}
GREEN |= {("landuse", v): v for v in ("grass", "forest", "meadow", "recreation_ground", "cemetery",
                                      "village_green", "allotments", "flowerbed")}
GREEN |= {("natural", v): v for v in ("wood", "scrub", "grassland", "heath", "wetland")}
WATER_AREA = {("natural", "water"), ("waterway", "riverbank"), ("waterway", "dock"),
              ("landuse", "reservoir"), ("landuse", "basin")}
WATERWAY = {"river", "canal", "stream", "ditch", "drain"}
RAIL = {"rail", "light_rail", "subway", "tram", "narrow_gauge", "monorail"}
PLACE_MINZOOM = {"city": 10, "town": 10, "village": 11, "suburb": 12, "quarter": 13,
                 "neighbourhood": 14, "square": 16}
POI_AMENITY = {"restaurant", "cafe", "fast_food", "bar", "pub", "ice_cream", "pharmacy", "hospital",
               "clinic", "doctors", "school", "university", "library", "post_office", "marketplace",
               "bicycle_parking", "bicycle_rental", "parcel_locker", "theatre", "cinema", "townhall"}
YES = {"yes", "1", "true"}


@dataclass(frozen=True, slots=True)
class Feature:
    """One basemap feature: its layer, smallest zoom, geometry (lon, lat) and properties."""

    layer: str
    minzoom: int
    geometry: BaseGeometry
    properties: dict[str, Any]


def _names(tags: Any) -> dict[str, str]:
    out = {}
    for key, prop in (("name", "name"), ("name:fr", "name_fr"), ("name:en", "name_en")):
        value = tags.get(key)
        if value:
            out[prop] = value
    return out


def _road(tags: Any) -> tuple[int, dict[str, Any]] | None:
    highway = tags.get("highway")
    klass = ROAD_CLASS.get(highway or "")
    if klass is None or tags.get("area") == "yes":
        return None
    if klass == "path" and tags.get("bicycle") == "designated":
        klass = "cycleway"
    props: dict[str, Any] = {"class": klass} | _names(tags)
    oneway = tags.get("oneway", "")
    if (oneway in YES or tags.get("junction") == "roundabout") and tags.get("oneway:bicycle") != "no":
        props["oneway"] = 1
    elif oneway == "-1":
        props["oneway"] = -1
    for flag in ("tunnel", "bridge"):
        if tags.get(flag, "no") not in ("no", ""):
            props[flag] = 1
    return ROAD_MINZOOM[klass], props


def _line_feature(tags: Any) -> tuple[str, int, dict[str, Any]] | None:
    road = _road(tags)
    if road is not None:
        return "roads", road[0], road[1]
    railway = tags.get("railway")
    if railway in RAIL and tags.get("service") not in ("yard", "siding"):
        props: dict[str, Any] = {"class": railway}
        if tags.get("tunnel", "no") != "no" or railway == "subway":
            props["tunnel"] = 1
        return "railways", 12 if railway != "tram" else 13, props
    waterway = tags.get("waterway")
    if waterway in WATERWAY:
        return "waterway", 12 if waterway in ("river", "canal") else 14, {"class": waterway} | _names(tags)
    return None


def _area_feature(tags: Any) -> tuple[str, int, dict[str, Any]] | None:
    for key in ("natural", "waterway", "landuse"):
        if (key, tags.get(key)) in WATER_AREA:
            return "water", 10, {"class": "water"}
    for key in ("leisure", "landuse", "natural"):
        green = GREEN.get((key, tags.get(key)))
        if green is not None:
            return "green", 10, {"class": green} | _names(tags)
    building = tags.get("building")
    if building and building != "no":
        return "buildings", 14, {}
    return None


def _point_feature(tags: Any) -> tuple[str, int, dict[str, Any]] | None:
    place = tags.get("place")
    if place in PLACE_MINZOOM and tags.get("name"):
        return "places", PLACE_MINZOOM[place], {"class": place} | _names(tags)
    amenity, shop = tags.get("amenity"), tags.get("shop")
    if (amenity in POI_AMENITY or shop) and tags.get("name"):
        klass = amenity if amenity in POI_AMENITY else "shop"
        return "pois", 15 if klass in ("restaurant", "cafe", "fast_food", "shop") else 16, \
            {"class": klass, "shop": shop or ""} | _names(tags)
    entrance = tags.get("entrance")
    if entrance and entrance != "no":
        label = tags.get("ref") or tags.get("addr:unit") or tags.get("name") or ""
        return "entrances", 16, {"class": entrance, "ref": label}
    return None


class _Reader(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.wkb = osmium.geom.WKBFactory()
        self.out: list[Feature] = []
        self.coast: list[BaseGeometry] = []

    def _add(self, kind: tuple[str, int, dict[str, Any]] | None, geom: BaseGeometry) -> None:
        if kind is not None and not geom.is_empty:
            self.out.append(Feature(kind[0], kind[1], geom, kind[2]))

    def node(self, n: Any) -> None:
        tags = n.tags
        if len(tags) == 0:
            return
        point = shapely.Point(n.location.lon, n.location.lat)
        self._add(_point_feature(tags), point)
        if tags.get("addr:housenumber") and not tags.get("name"):
            self.out.append(Feature("housenumbers", 17, point, {"number": tags["addr:housenumber"]}))

    def way(self, w: Any) -> None:
        tags = w.tags
        kind = _line_feature(tags)
        coast = tags.get("natural") == "coastline"
        if kind is None and not coast:
            return
        # an extract cuts ways at its edge: keep the part whose nodes it has
        coords = [(n.location.lon, n.location.lat) for n in w.nodes if n.location.valid()]
        if len(coords) < 2:
            return
        line = shapely.LineString(coords)
        if coast:
            self.coast.append(line)
        self._add(kind, line)

    def area(self, a: Any) -> None:
        tags = a.tags
        kind = _area_feature(tags)
        point = _point_feature(tags) if tags.get("name") else None
        number = tags.get("addr:housenumber") if kind and kind[0] == "buildings" else None
        if kind is None and point is None and not number:
            return
        try:
            shape = shapely.from_wkb(self.wkb.create_multipolygon(a))
        except (RuntimeError, osmium.InvalidLocationError):
            return
        self._add(kind, shape)
        if point is not None or number:
            inside = shape.point_on_surface()
            self._add(point, inside)
            if number and point is None:
                self.out.append(Feature("housenumbers", 17, inside, {"number": number}))


def read_features(source: Path) -> list[Feature]:
    """Every basemap feature of the OSM file ``source`` (.osm, .osm.bz2, .osm.pbf).

    Parameters
    ----------
    source : the co-op's OSM extract (the one its street graph is built from).

    Returns
    -------
    list of Feature, in file order; the sea (from coastlines) comes first.
    """
    reader = _Reader()
    reader.apply_file(str(source), locations=True)
    bounds = _extent(reader.out)
    sea = [Feature("water", 10, poly, {"class": "sea"}) for poly in sea_polygons(reader.coast, bounds)]
    return sea + reader.out


def _extent(features: list[Feature]) -> tuple[float, float, float, float]:
    if not features:
        return (0.0, 0.0, 0.0, 0.0)
    box = shapely.total_bounds([f.geometry for f in features])
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def write_geojsonseq(features: list[Feature], path: Path) -> int:
    """Write ``features`` as GeoJSON text sequence lines with tippecanoe's layer and minzoom."""
    with path.open("w", encoding="utf-8") as out:
        for line in _lines(features):
            out.write(line)
    return len(features)


def _lines(features: list[Feature]) -> Iterator[str]:
    for f in features:
        geometry = json.loads(shapely.to_geojson(f.geometry, indent=None))
        yield json.dumps({"type": "Feature", "tippecanoe": {"layer": f.layer, "minzoom": f.minzoom},
                          "properties": f.properties, "geometry": geometry},
                         ensure_ascii=False, separators=(",", ":")) + "\n"
