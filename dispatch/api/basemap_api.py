"""The basemap (vector tiles and label glyphs, all served here) and route shapes on the streets.

- ``GET /api/v1/map/basemap``: which tile archive to draw, its zooms and bounds, and (for a
  signed-in caller) the co-op's service area and language. Public, like the tiles: they hold
  only OpenStreetMap data, and the courier app caches them before anyone logs in.
- ``GET /api/v1/map/tiles/{map_id}/{z}/{x}/{y}.pbf``: one Mapbox Vector Tile (gzip), with an
  ETag and a day of caching; 204 where the map has nothing.
- ``GET /api/v1/map/fonts/{fontstack}/{start}-{end}.pbf``: SDF glyphs for labels.
- ``GET /api/v1/courier/route/shape``, ``GET /api/v1/dispatch/routes``: legs along the streets.
- ``GET /api/v1/track/{token}/way``: the destination, the courier's way to the door and the
  basemap of the delivery's co-op (the public page knows no co-op of its own).
- ``GET /api/v1/dispatch/deliveries/{id}/timeline``: a delivery's events, actor and time (the
  dispatcher map's side panel).
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from dispatch.api.deps import CourierCaller, Ctx, Dispatcher, bearer
from dispatch.services import basemap as svc
from dispatch.services.auth import Principal, principal_from_bearer
from dispatch.services.context import ServiceContext
from dispatch.services.maps import CoopMap, coop_map
from dispatch.services.timeline import delivery_timeline

router = APIRouter(tags=["map"])
MVT = "application/vnd.mapbox-vector-tile"
TILE_CACHE = "public, max-age=86400"  # a map id names one extract; a day, then revalidate by ETag
MapId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the map's id")]
Zoom = Annotated[int, Path(ge=0, le=22)]
Coord = Annotated[int, Path(ge=0, lt=1 << 22)]
Token = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Basemap(BaseModel):
    map_id: str
    tiles: str = Field(description="tile URL template")
    glyphs: str = Field(description="glyph URL template")
    bounds: list[float] = Field(description="west, south, east, north")
    centre: list[float] = Field(description="lon, lat")
    min_zoom: int
    max_zoom: int
    attribution: str
    service_area: dict[str, Any] | None = Field(None, description="the co-op's GeoJSON Polygon")
    language: str | None = Field(None, description="the co-op's language, for labels")


class Leg(BaseModel):
    to_stop_id: str | None
    duration_s: int
    distance_m: int
    coordinates: list[list[float]] = Field(description="[lon, lat] along the streets")


class CourierShape(BaseModel):
    courier_id: str
    legs: list[Leg]


class TimelineEvent(BaseModel):
    at: str | None
    action: str
    from_status: str | None
    to_status: str | None
    actor_kind: str
    actor: str = Field(description="the actor's name in words, else their kind")
    reason: str | None


class Point(BaseModel):
    lat: float
    lon: float


class WayToDoor(BaseModel):
    destination: Point
    legs: list[Leg]
    basemap: Basemap = Field(description="the co-op's basemap to draw the way on")


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such map, font stack or link", "content": {"application/problem+json": {}}}}


def _binary(media: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}}


def _cached(request: Request, body: bytes, media: str, zipped: bool, cache: str) -> Response:
    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if zipped:
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
    return Response(body, media_type=media, headers=headers)


@router.get("/api/v1/map/basemap", summary="What to draw the basemap from (public)",
            operation_id="map_basemap_get", response_model=Basemap)
def basemap(ctx: Ctx, request: Request) -> dict[str, Any]:
    authorization = request.headers.get("authorization")
    who = principal_from_bearer(ctx, bearer(authorization)) if authorization else None
    return _basemap_out(ctx, coop_map(ctx, who.coop_id if who else ""), who)


def _basemap_out(ctx: ServiceContext, chosen: CoopMap, who: Principal | None) -> dict[str, Any]:
    return svc.basemap_of(ctx, chosen, who) | {
        "tiles": f"/api/v1/map/tiles/{chosen.map_id}/{{z}}/{{x}}/{{y}}.pbf",
        "glyphs": "/api/v1/map/fonts/{fontstack}/{range}.pbf", "attribution": "© OpenStreetMap contributors"}


@router.get("/api/v1/map/tiles/{map_id}/{z}/{x}/{y}.pbf", summary="One vector tile of a map (public)",
            operation_id="map_tiles_get", response_class=Response,
            responses=_binary(MVT, "Mapbox Vector Tile") | {204: {"description": "no feature here"}}
            | NOT_FOUND)
def tile(map_id: MapId, z: Zoom, x: Coord, y: Coord, ctx: Ctx, request: Request) -> Response:
    data = svc.tile_archive(ctx, map_id).tile(z, x, y)
    if data is None:
        return Response(status_code=204, headers={"Cache-Control": TILE_CACHE})
    return _cached(request, data, MVT, zipped=data[:2] == b"\x1f\x8b", cache=TILE_CACHE)


@router.get("/api/v1/map/fonts/{fontstack}/{start}-{end}.pbf", summary="Label glyphs (public)",
            operation_id="map_glyphs_get", response_class=Response,
            responses=_binary("application/x-protobuf", "SDF glyphs") | NOT_FOUND)
def fonts(fontstack: Annotated[str, Path(max_length=100)], start: Annotated[int, Path(ge=0, le=65280)],
          end: Annotated[int, Path(ge=255, le=65535)], ctx: Ctx, request: Request) -> Response:
    body = svc.glyphs(fontstack, start - start % 256)
    return _cached(request, body, "application/x-protobuf", zipped=True, cache="public, max-age=604800")


@router.get("/api/v1/courier/route/shape", summary="My way through my open stops, along the streets",
            operation_id="courier_route_shape_get", response_model=CourierShape, tags=["courier"])
def my_route_shape(ctx: Ctx, who: CourierCaller) -> dict[str, Any]:
    shapes = svc.routes_along_streets(ctx, who, courier_id=who.courier_id)
    return shapes[0] if shapes else {"courier_id": who.courier_id, "legs": []}


@router.get("/api/v1/dispatch/routes", summary="Every courier's way along the streets",
            operation_id="dispatch_routes_list", response_model=list[CourierShape], tags=["dispatch"])
def routes(ctx: Ctx, who: Dispatcher) -> list[dict[str, Any]]:
    return svc.routes_along_streets(ctx, who)


@router.get("/api/v1/track/{token}/way", summary="Destination and the courier's way to it (public)",
            operation_id="track_way_get", response_model=WayToDoor, tags=["tracking"],
            responses=NOT_FOUND)
def way(token: Token, ctx: Ctx) -> dict[str, Any]:
    out = svc.way_to_door(ctx, token)
    return out | {"basemap": _basemap_out(ctx, out.pop("map"), None)}


@router.get("/api/v1/dispatch/deliveries/{delivery_id}/timeline", summary="A delivery's events: actor and time",
            operation_id="dispatch_delivery_timeline_get", response_model=list[TimelineEvent], tags=["dispatch"],
            responses=NOT_FOUND)
def timeline(delivery_id: Annotated[str, Path(max_length=32)], ctx: Ctx, who: Dispatcher) -> list[dict[str, Any]]:
    return delivery_timeline(ctx, who, delivery_id)
