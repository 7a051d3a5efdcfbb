"""Which map a co-op plans, searches and draws on, and the one map-import pipeline.

A map is identified by ``map_id``: the first 16 hex digits of the OSM file's sha256 (so the
same extract imported twice is one map); a map cut to a bounding box from a larger file gets
the sha256 of the file's digest and the box instead. The street graph, the places index and
the tile archive of a map are all keyed by it, and the ``maps`` table records each import.

A co-op whose ``map_id`` is empty (the demo, co-ops created before maps existed) uses the
server's default map (``settings.map_path`` or the shipped Helsinki extract). Each map's
street network is loaded once per process, on first use, and kept in the service context.

Error tree
----------
``MapError`` (routing)  the OSM file is missing, empty, corrupt or has no usable street
``InvalidInput``        a bounding box that is not south < north, west < east on the globe
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import box, mapping
from sqlalchemy import select

from dispatch.db.models import Coop, MapRow
from dispatch.domain.errors import InvalidInput, NotFound
from dispatch.services.context import ServiceContext
from dispatch.services.places_build import build_places
from routing.streets.network import default_cache_dir
from routing.tiles.build import ensure_archive

if TYPE_CHECKING:
    from routing.streets.network import StreetNetwork

Progress = Callable[[str, float], None]
BBox = tuple[float, float, float, float]  # south, west, north, east
_load_lock = threading.Lock()
COOP_MAP_TTL_S = 30.0  # a co-op's change of map reaches every process within this


@dataclass(frozen=True)
class CoopMap:
    """A co-op's map: its id, the OSM file it came from and its street network."""

    map_id: str
    source: Path
    network: StreetNetwork


@dataclass(frozen=True)
class ImportedMap:
    """What :func:`import_map` recorded: the ``maps`` row's fields, and the network it built."""

    map_id: str
    name: str
    source: Path
    bbox: BBox
    outline: dict[str, Any]
    summary: dict[str, Any]
    network: StreetNetwork


@lru_cache(maxsize=64)
def _map_id_of(path: str, size: int, mtime_ns: int) -> str:
    from routing.streets.graph import file_sha256

    return file_sha256(Path(path))[:16]


def map_id_for_source(source: Path, cut_bbox: BBox | None = None) -> str:
    """The map id of an OSM file (sha256 prefix; cached per path, size and mtime), or of the
    part of it inside ``cut_bbox``."""
    st = source.stat()
    whole = _map_id_of(str(source.resolve()), st.st_size, st.st_mtime_ns)
    if cut_bbox is None:
        return whole
    key = f"{whole}:" + ",".join(f"{x:.6f}" for x in cut_bbox)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def checked_bbox(bbox: BBox | list[float], field: str = "bbox") -> BBox:
    """``(south, west, north, east)`` validated, or ``InvalidInput`` naming ``field``."""
    try:
        south, west, north, east = (float(x) for x in bbox)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("a bounding box is four numbers: south, west, north, east", field=field) from exc
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise InvalidInput("the bounding box must have south < north and west < east, in degrees",
                           field=field)
    return south, west, north, east


def _cut_polygon(cut_bbox: BBox | None) -> Any:
    if cut_bbox is None:
        return None
    south, west, north, east = cut_bbox
    return box(west, south, east, north)  # shapely works in (lon, lat)


def _load(source: Path, cut_bbox: BBox | None, progress: Progress | None = None) -> StreetNetwork:
    from routing.streets.network import StreetNetwork, load_network

    if cut_bbox is None and progress is None:
        return load_network(source)  # shared with every other user of the same file in the process
    return StreetNetwork.load(source, area=_cut_polygon(cut_bbox), progress=progress)


def _default_map(ctx: ServiceContext) -> CoopMap:
    net = ctx.network
    return CoopMap(map_id=map_id_for_source(Path(net.source)), source=Path(net.source), network=net)


def coop_map(ctx: ServiceContext, coop_id: str) -> CoopMap:
    """The map ``coop_id`` plans on (loaded on first use, then kept in the context)."""
    cache, now = ctx.map_cache, time.monotonic()
    map_id, fresh_until = cache.get(("coop", coop_id), (None, -1.0))
    if fresh_until < now:  # read again now and then: another process may have changed the map
        with ctx.sessions() as s:
            map_id = s.scalar(select(Coop.map_id).where(Coop.id == coop_id))
        cache[("coop", coop_id)] = (map_id, now + COOP_MAP_TTL_S)
    if map_id is None:
        return _default_map(ctx)
    hit = cache.get(("map", map_id))
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    with _load_lock:  # one thread loads a map; the others wait for it rather than load it again
        hit = cache.get(("map", map_id))
        if hit is None:
            hit = cache[("map", map_id)] = _load_row(ctx, map_id)
    return hit


def _load_row(ctx: ServiceContext, map_id: str) -> CoopMap:
    with ctx.sessions() as s:
        row = s.get(MapRow, map_id)
        if row is None:
            raise NotFound(f"no map {map_id}", field="map_id")
        source, cut = Path(row.source), tuple(row.cut_bbox) if row.cut_bbox else None
    return CoopMap(map_id=map_id, source=source, network=_load(source, cut))  # type: ignore[arg-type]


def forget_coop(ctx: ServiceContext, coop_id: str) -> None:
    """Read the co-op's map again on next use (after its map changed here; other processes
    read it again within ``COOP_MAP_TTL_S``)."""
    ctx.map_cache.pop(("coop", coop_id), None)


def outline_geojson(network: StreetNetwork) -> dict[str, Any]:
    """The convex hull of the map's streets as a GeoJSON Polygon (lon, lat), the default
    service area of a co-op created on the map."""
    points = shapely.multipoints(list(zip(network.graph.lon.tolist(), network.graph.lat.tolist(), strict=True)))
    hull = shapely.convex_hull(points)
    if hull.geom_type != "Polygon":  # a map of one street: give it a few metres around
        hull = hull.buffer(0.0005)
    return dict(mapping(shapely.set_precision(hull, 1e-6)))


def import_map(ctx: ServiceContext, source: Path, *, name: str | None = None,
               cut_bbox: BBox | None = None, progress: Progress | None = None) -> ImportedMap:
    """Import an OSM extract (``.osm``, ``.osm.bz2``, ``.osm.pbf``), optionally only the part
    inside ``cut_bbox``: build (or reuse from the cache) its street graph and contraction
    hierarchy, then its places index and tiles, and record it in the ``maps`` table.

    Importing the same file (and box) again is harmless: the caches answer and the row is
    brought up to date. Raises ``MapError`` for a bad file, ``InvalidInput`` for a bad box."""
    from routing.streets.graph import file_sha256

    source = Path(source).resolve()
    cut = checked_bbox(cut_bbox, "bbox") if cut_bbox is not None else None
    net = _load(source, cut, progress or (lambda stage, fraction: None))
    map_id = map_id_for_source(source, cut)
    # ---- further artefacts of the same file, keyed by map_id (one line each) ----
    build_places(ctx, map_id, source, net, progress)  # places index (issue 18)
    ensure_archive(default_cache_dir(), map_id, source, cut)  # tile archive (issue 19)
    # -------------------------------------------------------------------------------
    summary = {k: v for k, v in net.summary().items() if k in ("nodes", "edges", "km", "profile")}
    imported = ImportedMap(map_id=map_id, name=name or source.name.split(".")[0], source=source,
                           bbox=tuple(net.bbox), outline=outline_geojson(net), summary=summary,  # type: ignore[arg-type]
                           network=net)
    with ctx.sessions() as s, s.begin():
        row = s.get(MapRow, map_id) or MapRow(id=map_id)
        row.name, row.source, row.sha256 = imported.name, str(source), file_sha256(source)
        row.cut_bbox, row.bbox, row.outline = list(cut) if cut else None, list(net.bbox), imported.outline
        row.summary, row.imported_at = summary, ctx.clock()
        s.add(row)
    ctx.map_cache[("map", map_id)] = CoopMap(map_id=map_id, source=source, network=net)
    return imported


def map_rows(ctx: ServiceContext) -> list[MapRow]:
    """Every imported map, newest first."""
    with ctx.sessions() as s:
        rows = list(s.scalars(select(MapRow).order_by(MapRow.imported_at.desc())))
        s.expunge_all()
    return rows
