"""The basemap of a map (its vector-tile archive and label glyphs) and routes drawn on it.

Each map's tile archive is built from its OSM extract at map import (:func:`build_tiles`, one
call in :func:`dispatch.services.maps.import_map`), or on first use for the shipped default map
(and at ``coopdispatch seed``), and kept beside the street graph cache, keyed by ``map_id``.
Glyphs for labels are made from the DejaVu fonts matplotlib ships and kept in memory.

Route shapes follow the street graph: a courier's way from their last position through their
open stops, every courier's for the dispatcher, and the way to the door on a tracking link.

Error tree
----------
``NotFound``   no such map (``map_id``), font stack or tracking link
``MapError``   (routing) the map's OSM file is missing or unreadable when its tiles are built
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Coop, Courier, Delivery, MapRow, Shift, Stop
from dispatch.domain.errors import NotFound
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.maps import CoopMap, coop_map, map_id_for_source
from routing.streets.network import default_cache_dir, default_map_path
from routing.streets.route_geometry import legs_geometry
from routing.tiles.archive import TileArchive
from routing.tiles.build import BuildReport, archive_path, ensure_archive
from routing.tiles.glyphs import glyph_range_pbf

Progress = Callable[[str, float], None]
FONTS = {"Sans Regular": "DejaVuSans.ttf", "Sans Bold": "DejaVuSans-Bold.ttf"}
COMMON_RANGES = (0, 8448)  # Latin-1 letters; arrows (one-way streets and routes)
GLYPHS_VERSION = 2  # bump when glyph making changes (2: tops counted from the ascender)


def build_tiles(map_id: str, source: Path, cut_bbox: Any = None,
                progress: Progress | None = None) -> BuildReport | None:
    """Build the tile archive of ``map_id`` from ``source`` unless it is already built."""
    if progress is not None:
        progress("building tiles", 0.0)
    report = ensure_archive(default_cache_dir(), map_id, source, tuple(cut_bbox) if cut_bbox else None)
    if progress is not None:
        progress("building tiles", 1.0)
    return report


def _source_of(ctx: ServiceContext, map_id: str) -> tuple[Path, Any]:
    default = Path(ctx.network.source)
    if map_id == map_id_for_source(default):
        return default, None
    with ctx.sessions() as s:
        row = s.get(MapRow, map_id)
        if row is None:
            raise NotFound(f"no map {map_id}", field="map_id")
        return Path(row.source), row.cut_bbox


def tile_archive(ctx: ServiceContext, map_id: str) -> TileArchive:
    """The open tile archive of ``map_id``, built first if it is not yet (NotFound: no such map)."""
    hit = ctx.map_cache.get(("tiles", map_id))
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    path = archive_path(default_cache_dir(), map_id)
    if not path.is_file():
        source, cut = _source_of(ctx, map_id)
        build_tiles(map_id, source, cut)
    archive = ctx.map_cache.setdefault(("tiles", map_id), TileArchive(path))
    return archive  # type: ignore[no-any-return]


def ensure_default_tiles(map_path: str | None) -> BuildReport | None:
    """Build the server's default map's archive (``settings.map_path`` or the shipped map) if
    missing, and the common label glyphs: ``coopdispatch seed`` calls it, so the demo's first
    view does not wait for them."""
    source = Path(map_path) if map_path else default_map_path()
    warm_glyphs()
    return build_tiles(map_id_for_source(source), source)


def _fonts_dir() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise NotFound("no fonts installed for map labels", field="fontstack")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@lru_cache(maxsize=32)
def glyphs(fontstack: str, start: int) -> bytes:
    """The glyph PBF of ``fontstack`` (its first font we have) for code points ``start``..+255,
    gzip-compressed (signed distance fields shrink to about a third: a slow link's first map).
    Made once per machine and kept beside the tile archives: a range costs about half a second."""
    for name in fontstack.split(","):
        font = FONTS.get(name.strip())
        if font is not None:
            return _glyph_file(name.strip(), font, start)
    raise NotFound(f"no font stack {fontstack!r}; have {', '.join(FONTS)}", field="fontstack")


def _glyph_file(name: str, font: str, start: int) -> bytes:
    path = default_cache_dir() / f"glyphs-v{GLYPHS_VERSION}" / name.replace(" ", "_") / f"{start}.pbf.gz"
    if path.is_file():
        return path.read_bytes()
    body = gzip.compress(glyph_range_pbf(_fonts_dir() / font, name, start), compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)  # readers never see half a file
    return body


def warm_glyphs() -> None:
    """Make the glyph ranges every map asks for first (Latin letters, arrows) for both stacks."""
    for stack in FONTS:
        for start in COMMON_RANGES:
            glyphs(stack, start)


def basemap_of(ctx: ServiceContext, chosen: CoopMap, who: Principal | None) -> dict[str, Any]:
    """What a map view needs to draw the basemap of ``chosen``: archive, zooms, bounds, area."""
    lat0, lon0, lat1, lon1 = chosen.network.bbox
    area, language = None, None
    if who is not None:
        with ctx.sessions() as s:
            coop = s.get(Coop, who.coop_id)
            if coop is not None:
                area, language = coop.service_area, coop.locale.split("-")[0].split("_")[0]
    lat, lon = chosen.network.centre()
    return {"map_id": chosen.map_id, "bounds": [lon0, lat0, lon1, lat1], "centre": [lon, lat],
            "min_zoom": 10, "max_zoom": 18, "service_area": area, "language": language}


def _leg_views(network: Any, points: list[tuple[float, float]], stop_ids: list[str | None]) -> list[dict[str, Any]]:
    snapped = network.snap_many([p[0] for p in points], [p[1] for p in points], 500.0)
    kept = [(p, sid) for p, sid in zip(snapped, stop_ids, strict=True) if p is not None]
    legs = legs_geometry(network, [p for p, _ in kept])
    return [{"to_stop_id": kept[i + 1][1], "duration_s": leg.duration_s, "distance_m": leg.distance_m,
             "coordinates": [[round(lon, 6), round(lat, 6)] for lat, lon in leg.coords]}
            for i, leg in enumerate(legs)]


def _open_stops(s: Any, coop_id: str, courier_ids: list[str]) -> dict[str, list[tuple[Stop, Delivery]]]:
    rows = s.execute(select(Stop, Delivery).join(Delivery, Stop.delivery_id == Delivery.id)
                     .where(Delivery.coop_id == coop_id, Stop.courier_id.in_(courier_ids),
                            Stop.done_at.is_(None), Delivery.status.in_(("assigned", "picked_up")))).all()
    out: dict[str, list[tuple[Stop, Delivery]]] = {cid: [] for cid in courier_ids}
    for st, d in rows:
        out[st.courier_id].append((st, d))
    for stops in out.values():
        stops.sort(key=lambda r: (r[0].position is None, r[0].position or 0, r[0].kind != "pickup"))
    return out


def _stop_point(st: Stop, d: Delivery) -> tuple[float, float]:
    return (d.pickup_lat, d.pickup_lon) if st.kind == "pickup" else (d.dropoff_lat, d.dropoff_lon)


def routes_along_streets(ctx: ServiceContext, who: Principal, courier_id: str | None = None) -> list[dict[str, Any]]:
    """Each courier on shift (or only ``courier_id``): their way from their last position
    through their open stops, leg by leg along the streets."""
    network = coop_map(ctx, who.coop_id).network
    with ctx.sessions() as s:
        query = (select(Shift, Courier).join(Courier, Shift.courier_id == Courier.id)
                 .where(Courier.coop_id == who.coop_id, Shift.ended_at.is_(None)))
        if courier_id is not None:
            query = query.where(Courier.id == courier_id)
        shifts = s.execute(query).all()
        stops = _open_stops(s, who.coop_id, [c.id for _, c in shifts])
        plans = [(c.id, (sh.last_lat, sh.last_lon), [(st.id, _stop_point(st, d)) for st, d in stops[c.id]])
                 for sh, c in shifts]
    return [{"courier_id": cid, "legs": _leg_views(network, [start] + [p for _, p in rest],
                                                   [None] + [sid for sid, _ in rest])}
            for cid, start, rest in plans]


def way_to_door(ctx: ServiceContext, token: str) -> dict[str, Any]:
    """A tracking link's destination, the courier's way to it while the parcel is on its way, and
    the co-op's map (``map``) to draw them on."""
    with ctx.sessions() as s:
        d = s.scalar(select(Delivery).where(Delivery.tracking_token == token))
        if d is None:
            raise NotFound("no delivery with this tracking link", field="token")
        shift = None
        if d.status == "picked_up" and d.courier_id:
            shift = s.scalar(select(Shift).where(Shift.courier_id == d.courier_id, Shift.ended_at.is_(None)))
        coop_id, door = d.coop_id, (d.dropoff_lat, d.dropoff_lon)
        start = (shift.last_lat, shift.last_lon) if shift is not None else None
    chosen = coop_map(ctx, coop_id)
    legs = [] if start is None else _leg_views(chosen.network, [start, door], [None, None])
    return {"destination": {"lat": door[0], "lon": door[1]}, "legs": legs, "map": chosen}
