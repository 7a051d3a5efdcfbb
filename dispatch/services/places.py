"""Addresses people type: search as they type, resolve one, label a point (reverse).

Every co-op searches its own map's places (``coop_map`` gives the map; ``places_build`` the
index). A delivery's stop given as an address is resolved here, and a stop given as
coordinates gets the label of its nearest door, so every view shows a label, never raw
coordinates.

Error tree
----------
``InvalidInput``
 +-- ``AddressNotResolved`` (422) the address matches nothing, lacks the house number the map
     needs, or matches several places equally; ``extra["candidates"]`` lists what matched.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Coop, Merchant
from dispatch.domain.errors import DomainError, InvalidInput, NotFound
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.maps import coop_map
from dispatch.services.places_build import load_index
from routing.places import Match, PlaceIndex

MAX_RESULTS = 10
WHY = {"none": "matches no address or place of the co-op's map",
       "no_number": "needs a house number that the co-op's map knows on that street",
       "ambiguous": "matches several places equally well: add the postcode or the city"}


class AddressNotResolved(InvalidInput):
    """A typed address that does not name exactly one place; ``extra`` lists the candidates."""

    def __init__(self, detail: str, *, field: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(detail, field=field)
        self.extra = {"candidates": candidates}


def index_for(ctx: ServiceContext, coop_id: str) -> PlaceIndex:
    """The places index of the co-op's map (built on first use for the shipped map)."""
    cm = coop_map(ctx, coop_id)
    return load_index(ctx, cm.map_id, cm.source, cm.network)


def match_view(m: Match) -> dict[str, Any]:
    """A result as the API shows it: label, door and street point, what matched."""
    d = asdict(m)
    return {"label": m.label, "kind": m.kind, "lat": round(m.snapped_lat, 7), "lon": round(m.snapped_lon, 7),
            "door": {"lat": round(m.lat, 7), "lon": round(m.lon, 7)},
            "street": d["street"], "housenumber": d["housenumber"], "postcode": d["postcode"],
            "city": d["city"], "name": d["name"], "matched": list(m.matched), "score": m.score,
            "distance_m": m.distance_m}


def merchant_point(ctx: ServiceContext, who: Principal) -> tuple[float, float] | None:
    """The caller's pickup point (a merchant's), by which equal matches are ranked."""
    if not who.merchant_id:
        return None
    with ctx.sessions() as s:
        m = s.get(Merchant, who.merchant_id)
        return None if m is None else (m.lat, m.lon)


def search_places(ctx: ServiceContext, who: Principal, text: str, near: tuple[float, float] | None = None,
                  limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    """Autocomplete: the best places for ``text`` on the caller's co-op map."""
    index = index_for(ctx, who.coop_id)
    near = near or merchant_point(ctx, who)
    return [match_view(m) for m in index.search(text, near, min(limit, MAX_RESULTS))]


def reverse_place(ctx: ServiceContext, coop_id: str, lat: float, lon: float) -> dict[str, Any] | None:
    """The label of a point: nearest door, else street, else "near" the nearest door."""
    m = index_for(ctx, coop_id).reverse(lat, lon)
    return None if m is None else match_view(m)


def label_of_point(ctx: ServiceContext, coop_id: str, lat: float, lon: float) -> str:
    """The reverse label (prefixed "near" when the point is not at a door or on a street)."""
    m = index_for(ctx, coop_id).reverse(lat, lon)
    if m is None:
        return ""
    return f"near {m.label}" if m.matched == ("near",) else m.label


def label_empty_addresses(ctx: ServiceContext, coop_id: str, places: list[dict[str, Any]]) -> None:
    """Stops stored with an empty address (ordered by coordinates before addresses existed) get
    their nearest door's label on read, so a view shows a label, never raw coordinates. Only an
    empty text is filled: an address hidden from the reader (None) stays hidden."""
    labels: dict[tuple[float, float], str] = {}
    for place in places:
        if place.get("address") != "" or place.get("lat") is None or place.get("lon") is None:
            continue
        key = (place["lat"], place["lon"])
        if key not in labels:
            try:
                labels[key] = label_of_point(ctx, coop_id, *key)
            except (DomainError, OSError):  # no places index for this map: the map still shows the stop
                labels[key] = ""
        place["address"] = labels[key]


def resolve_address(ctx: ServiceContext, coop_id: str, text: str, field: str,
                    near: tuple[float, float] | None = None) -> Match:
    """The one place ``text`` names on the co-op's map, or :class:`AddressNotResolved`."""
    res = index_for(ctx, coop_id).resolve(text, near)
    if res.match is not None:
        return res.match
    candidates = [match_view(m) for m in res.candidates]
    raise AddressNotResolved(f"{field}.address {text!r} {WHY[res.problem]}", field=f"{field}.address",
                             candidates=candidates)


def street_of_point(ctx: ServiceContext, coop_id: str, lat: float, lon: float) -> str:
    """The street a point lies on, without a house number ("Kaisaniemenkatu, 00100 Helsinki"):
    what a receipt may show of a dropoff to everyone involved (no door, no person)."""
    m = index_for(ctx, coop_id).reverse(lat, lon, door_m=-1.0)
    if m is None:
        return ""
    if m.kind == "street":
        return m.label
    tail = " ".join(p for p in (m.postcode, m.city) if p)
    return ", ".join(p for p in (m.street or m.name, tail) if p)


def ensure_places(ctx: ServiceContext, coop_slug: str) -> int:
    """Build (or load) the places index of a co-op's map now rather than on its first search;
    the number of records it holds (``coopdispatch seed`` does this for the demo co-op)."""
    with ctx.sessions() as s:
        coop_id = s.scalar(select(Coop.id).where(Coop.slug == coop_slug))
    if coop_id is None:
        raise NotFound(f"no co-op {coop_slug!r}", field="coop")
    return len(index_for(ctx, coop_id))
