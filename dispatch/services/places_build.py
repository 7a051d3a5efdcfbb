"""Build and load a map's places: the ``places`` rows of a map_id and the in-process index.

``build_places`` is the one call the map-import pipeline makes (``services/maps.py``); it reads
the OSM file (``routing/places``), snaps every record to the street graph, replaces the map's
rows in one transaction and swaps the process's index. ``load_index`` gives the index of a
map: from this process's cache, else rebuilt from the rows, else (the shipped default map on
first use) built from the file. Another process notices a rebuild by the ``built_at`` of
``place_indexes``, checked at most every :data:`RECHECK_S` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from dispatch.db.models import PlaceIndexRow, PlaceRow
from dispatch.services.context import ServiceContext
from routing.places import PlaceIndex, PlaceRecord, records_from_osm

if TYPE_CHECKING:
    from routing.streets.network import StreetNetwork

Progress = Callable[[str, float], None]
SNAP_M = 300.0  # a record farther than this from every street is not a place a courier rides to
RECHECK_S = 30.0
CHUNK = 5000
_lock = threading.Lock()


@dataclass
class _Cached:
    index: PlaceIndex
    built_at: object
    checked_at: float


def build_places(ctx: ServiceContext, map_id: str, source: Path, network: StreetNetwork,
                 progress: Progress | None = None) -> PlaceIndex:
    """Read the places of ``source``, snap them to ``network``, store them under ``map_id``
    (replacing a previous build) and make them this process's index of that map."""
    started = time.perf_counter()
    if progress is not None:
        progress("reading places", -1.0)
    records = _records(Path(source))
    snapped = network.snap_many([r.lat for r in records], [r.lon for r in records], SNAP_M)
    kept = [(r, p) for r, p in zip(records, snapped, strict=True) if p is not None]
    if progress is not None:
        progress("storing places", -1.0)
    rows = [_row(map_id, r, p.snapped_lat, p.snapped_lon) for r, p in kept]
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        s.execute(delete(PlaceRow).where(PlaceRow.map_id == map_id))
        for k in range(0, len(rows), CHUNK):
            s.execute(insert(PlaceRow), rows[k: k + CHUNK])
        meta = s.get(PlaceIndexRow, map_id) or PlaceIndexRow(map_id=map_id)
        meta.source, meta.records = str(source), len(rows)
        meta.build_s, meta.built_at = round(time.perf_counter() - started, 3), now
        s.add(meta)
        s.flush()
        built_at = meta.built_at
    index = PlaceIndex([r for r, _ in kept], [(p.snapped_lat, p.snapped_lon) for _, p in kept])
    ctx.map_cache[("places", map_id)] = _Cached(index, built_at, time.monotonic())
    return index


def _records(source: Path) -> list[PlaceRecord]:
    st = source.stat()
    return list(_records_of(str(source.resolve()), st.st_size, st.st_mtime_ns))


@lru_cache(maxsize=4)
def _records_of(path: str, size: int, mtime_ns: int) -> tuple[PlaceRecord, ...]:
    """The file's records, read once per process and file version (tests build many apps)."""
    return tuple(records_from_osm(Path(path)))


def _row(map_id: str, r: PlaceRecord, s_lat: float, s_lon: float) -> dict[str, object]:
    geometry = [[[round(a, 6), round(b, 6)] for a, b in line] for line in r.geometry] or None
    return {"map_id": map_id, "kind": r.kind, "name": r.name[:300], "street": r.street[:300],
            "housenumber": r.housenumber[:40], "postcode": r.postcode[:20], "city": r.city[:100],
            "lat": r.lat, "lon": r.lon, "snapped_lat": s_lat, "snapped_lon": s_lon,
            "ref": r.ref, "geometry": geometry}


def load_index(ctx: ServiceContext, map_id: str, source: Path, network: StreetNetwork) -> PlaceIndex:
    """The places index of ``map_id`` (see module docstring for where it comes from)."""
    key = ("places", map_id)
    hit: _Cached | None = ctx.map_cache.get(key)
    if hit is not None and time.monotonic() - hit.checked_at < RECHECK_S:
        return hit.index
    with _lock:  # one thread (re)loads; the others wait rather than load it again
        hit = ctx.map_cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit.checked_at < RECHECK_S:
            return hit.index
        with ctx.sessions() as s:
            built_at = s.scalar(select(PlaceIndexRow.built_at).where(PlaceIndexRow.map_id == map_id))
        if hit is not None and built_at == hit.built_at:
            hit.checked_at = now
            return hit.index
        if built_at is None:
            return build_places(ctx, map_id, source, network)
        index = _index_from_rows(ctx, map_id)
        ctx.map_cache[key] = _Cached(index, built_at, now)
        return index


def _index_from_rows(ctx: ServiceContext, map_id: str) -> PlaceIndex:
    records, snapped = [], []
    cols = (PlaceRow.kind, PlaceRow.name, PlaceRow.street, PlaceRow.housenumber, PlaceRow.postcode,
            PlaceRow.city, PlaceRow.lat, PlaceRow.lon, PlaceRow.ref, PlaceRow.geometry,
            PlaceRow.snapped_lat, PlaceRow.snapped_lon)
    with ctx.sessions() as s:
        for row in s.execute(select(*cols).where(PlaceRow.map_id == map_id).order_by(PlaceRow.id)):
            geometry = tuple(tuple((a, b) for a, b in line) for line in row[9] or ())
            records.append(PlaceRecord(*row[:9], geometry=geometry))
            snapped.append((row[10], row[11]))
    return PlaceIndex(records, snapped)
