"""The base map, drawn by the web views from the coop's own street graph (no tile server).

``GET /api/v1/map/streets?zoom=`` is the street graph as GeoJSON, simplified for the zoom level
(Douglas-Peucker with about half a screen pixel of tolerance) and cached per zoom as gzip bytes.
``GET /api/v1/map/info`` gives the bounding box, centre and the OpenStreetMap credit.

Both are public: they expose only OpenStreetMap data that is public anyway, and the courier app
must be able to fetch (and its service worker cache) the map before anyone logs in. Each co-op
has its own map: ``?coop=<slug>`` chooses it, else the caller's co-op when a bearer credential
comes along, else the server's default map.
"""

from __future__ import annotations

import gzip
import json
import math
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from dispatch.api.deps import Ctx, bearer
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import MapInfo
from dispatch.db.models import Coop
from dispatch.domain.errors import NotFound
from dispatch.services.auth import principal_from_bearer
from dispatch.services.context import ServiceContext
from dispatch.services.maps import CoopMap, coop_map

router = APIRouter(prefix="/api/v1/map", tags=["map"])
ATTRIBUTION = "© OpenStreetMap contributors"
MIN_ZOOM, MAX_ZOOM = 10, 19
EARTH_M_PER_PX_Z0 = 156_543.03  # metres per pixel at the equator at zoom 0 (256 px tiles)
TOLERANCE_PX = 0.6
_cache: dict[tuple[int, int], tuple[bytes, bytes]] = {}
_cache_lock = threading.Lock()


def tolerance_m_from_zoom(zoom: int, lat_deg: float) -> float:
    """Simplification tolerance for ``zoom``: ``TOLERANCE_PX`` screen pixels in metres."""
    metres_per_px = EARTH_M_PER_PX_Z0 * math.cos(math.radians(lat_deg)) / 2**zoom
    return round(TOLERANCE_PX * metres_per_px, 2)


def _rounded(geojson: dict[str, Any], digits: int) -> dict[str, Any]:
    """Coordinates rounded to ``digits`` decimals (5 decimals is about 1 m): lighter JSON."""
    features = []
    for f in geojson["features"]:
        coords = [[round(x, digits), round(y, digits)] for x, y in f["geometry"]["coordinates"]]
        features.append({"type": "Feature", "properties": {},
                         "geometry": {"type": "LineString", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features, "attribution": ATTRIBUTION}


def streets_bytes(network: Any, zoom: int) -> tuple[bytes, bytes]:
    """(plain JSON, gzip of it) for ``zoom``, built once per network and zoom."""
    key = (id(network), zoom)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    lat, _lon = network.centre()
    geojson = network.streets_geojson(tolerance_m_from_zoom(zoom, lat))
    body = json.dumps(_rounded(geojson, 5 if zoom >= 15 else 4), separators=(",", ":")).encode()
    pair = (body, gzip.compress(body, compresslevel=6))
    with _cache_lock:
        _cache[key] = pair
    return pair


def map_of_request(ctx: ServiceContext, request: Request, slug: str | None) -> CoopMap:
    """The map of the co-op named by ``slug``, or of the caller, or the server's default."""
    from sqlalchemy import select

    if slug:
        with ctx.sessions() as s:
            coop_id = s.scalar(select(Coop.id).where(Coop.slug == slug))
        if coop_id is None:
            raise NotFound(f"no co-op {slug}", field="coop")
        return coop_map(ctx, coop_id)
    authorization = request.headers.get("authorization")
    if authorization:
        return coop_map(ctx, principal_from_bearer(ctx, bearer(authorization)).coop_id)
    return coop_map(ctx, "")  # no such co-op: the default map


CoopSlug = Annotated[str | None, Query(alias="coop", max_length=64, description="co-op slug")]


@router.get("/streets", summary="Street graph as GeoJSON, simplified for a zoom level (public)",
            operation_id="map_streets", response_class=Response,
            responses={200: {"description": "GeoJSON FeatureCollection", "content": {
                "application/geo+json": {"schema": {"$ref": "#/components/schemas/Streets"}}}},
                **problem_responses("not-found")})
def streets(ctx: Ctx, request: Request,
            zoom: Annotated[int, Query(ge=0, le=30)] = 15, coop: CoopSlug = None) -> Response:
    zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
    body, zipped = streets_bytes(map_of_request(ctx, request, coop).network, zoom)
    headers = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(zipped, media_type="application/geo+json", headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get("/info", summary="Map bounding box, centre and credit (public)", operation_id="map_info",
            response_model=MapInfo, responses=problem_responses("not-found"))
def info(ctx: Ctx, request: Request, coop: CoopSlug = None) -> dict[str, Any]:
    chosen = map_of_request(ctx, request, coop)
    lat0, lon0, lat1, lon1 = chosen.network.bbox
    lat, lon = chosen.network.centre()
    return {"map_id": chosen.map_id, "bbox": {"south": lat0, "west": lon0, "north": lat1, "east": lon1},
            "centre": {"lat": lat, "lon": lon}, "attribution": ATTRIBUTION,
            "licence": "ODbL 1.0", "zoom": {"min": 13, "max": MAX_ZOOM, "default": 15}}
