"""Addresses and places of the co-op's own map: search as you type, and reverse geocoding.

``GET /api/v1/places?q=`` answers in a few milliseconds from the in-process index (the merchant
page calls it on every keystroke); ``GET /api/v1/places/reverse?lat=&lon=`` labels a map click
or a courier position. Any signed-in caller; each searches its own co-op's map.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from dispatch.api.deps import Caller, Ctx
from dispatch.api.problems import problem_responses
from dispatch.api.schemas import Lat, Lon, Out
from dispatch.services import places as svc

router = APIRouter(prefix="/api/v1/places", tags=["places"])


class Door(Out):
    """Where the address object itself lies (a model name of its own: basemap_api has a Point)."""

    lat: float
    lon: float


class PlaceMatch(Out):
    label: str = Field(examples=["Kaivokatu 1, 00100 Helsinki"], description="what to show and store")
    kind: Literal["address", "interpolated", "street", "place"] = Field(
        description="an OSM address, a number placed along an interpolation way, a street "
                    "(no number), or a named place")
    lat: float = Field(description="on the street graph: where a courier stops")
    lon: float
    door: Door = Field(description="the address object itself (node, or building centroid)")
    street: str
    housenumber: str
    postcode: str
    city: str
    name: str = Field(description="the place's name (shops, restaurants, stations)")
    matched: list[str] = Field(description="what matched: street, housenumber, postcode, city, "
                                           "name; door/street/near for reverse")
    score: float = Field(description="match quality; equal scores rank by distance")
    distance_m: float | None = Field(description="from the merchant's pickup (search) or the "
                                                 "point (reverse)")


class PlaceResults(Out):
    items: list[PlaceMatch]


class ReverseResult(Out):
    place: PlaceMatch | None = Field(description="null on a map without addresses")


@router.get("", summary="Search addresses and places as you type (co-op's own map)",
            operation_id="places_search", response_model=PlaceResults,
            responses=problem_responses("invalid-input"))
def search(ctx: Ctx, who: Caller,
           q: Annotated[str, Query(min_length=1, max_length=200, description="what was typed so far")],
           near_lat: Annotated[Lat | None, Query()] = None, near_lon: Annotated[Lon | None, Query()] = None,
           limit: Annotated[int, Query(ge=1, le=10)] = 8) -> dict[str, object]:
    """Typo-tolerant, accent- and case-insensitive, common abbreviations; house number before or
    after the street; postcode and city optional. Ranked by match, then distance to
    ``near_lat``/``near_lon`` (default: the merchant's pickup)."""
    near = (near_lat, near_lon) if near_lat is not None and near_lon is not None else None
    return {"items": svc.search_places(ctx, who, q, near, limit)}


@router.get("/reverse", summary="The address label of a point (map click, courier position)",
            operation_id="places_reverse", response_model=ReverseResult)
def reverse(ctx: Ctx, who: Caller, lat: Annotated[Lat, Query()], lon: Annotated[Lon, Query()]) -> dict[str, object]:
    return {"place": svc.reverse_place(ctx, who.coop_id, lat, lon)}
