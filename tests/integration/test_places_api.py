"""Addresses on the co-op's own map: autocomplete, reverse, and deliveries ordered by address."""

from __future__ import annotations

import time
from typing import Any

from api_client import bearer, create_delivery, delivery_body, login


def test_search_as_you_type_finds_a_helsinki_door_with_a_typo(client: Any, world: Any) -> None:
    """"Mannerheimintie 1" typed "Manerheimintie 1": the door, snapped on the street graph."""
    r = client.get("/api/v1/places", params={"q": "Manerheimintie 10"}, headers=bearer(world.merchant_key))
    assert r.status_code == 200, r.text
    top = r.json()["items"][0]
    assert top["label"].startswith("Mannerheimintie 10") or "Mannerheimintie 10," in top["label"]
    assert "housenumber" in top["matched"] and top["door"]["lat"] > 60
    assert top["distance_m"] is not None  # ranked from the merchant's pickup
    started = time.perf_counter()
    for prefix in ("K", "Ka", "Kai", "Kaiv", "Kaivo", "Kaivok"):
        assert client.get("/api/v1/places", params={"q": prefix}, headers=bearer(world.merchant_key)).status_code == 200
    assert (time.perf_counter() - started) / 6 < 0.5  # warm index: each keystroke is quick


def test_reverse_gives_a_label_for_a_map_click(client: Any, world: Any) -> None:
    """A click next to Helsinki's railway station is labelled with an address, not coordinates."""
    r = client.get("/api/v1/places/reverse", params={"lat": 60.1711, "lon": 24.9414},
                   headers=bearer(world.merchant_key))
    assert r.status_code == 200, r.text
    assert r.json()["place"]["label"] and "60.17" not in r.json()["place"]["label"]


def test_a_delivery_ordered_by_address_gets_its_point_and_label(client: Any, world: Any) -> None:
    """{"address": ...} for the dropoff: resolved, stored with the map's label."""
    body = delivery_body(dropoff={"address": "Aleksanterink. 52, 00100"})
    r = create_delivery(client, world.merchant_key, body)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["dropoff"]["address"].startswith("Aleksanterinkatu 52") and d["dropoff"]["lat"] > 60


def test_coordinates_without_a_label_get_the_nearest_door_label(client: Any, world: Any) -> None:
    """A map click sends only coordinates: the stop still shows an address."""
    body = delivery_body(dropoff={"lat": 60.1711, "lon": 24.9414})
    r = create_delivery(client, world.merchant_key, body)
    assert r.status_code == 201, r.text
    assert r.json()["dropoff"]["address"]


def test_an_address_that_matches_nothing_is_a_422_naming_the_field(client: Any, world: Any) -> None:
    """No silent guess: problem+json names dropoff.address and lists what came closest."""
    r = create_delivery(client, world.merchant_key, delivery_body(dropoff={"address": "Qwxyz Boulevard 99"}))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "dropoff.address" and isinstance(r.json()["candidates"], list)


def test_a_street_without_its_number_is_a_422_listing_candidates(client: Any, world: Any) -> None:
    """"Kaivokatu" alone is a street, not a door: the candidates are its doors."""
    r = create_delivery(client, world.merchant_key, delivery_body(dropoff={"address": "Kaivokatu"}))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "dropoff.address"
    assert any("Kaivokatu" in c["label"] for c in r.json()["candidates"])


def test_a_place_needs_coordinates_or_an_address(client: Any, world: Any) -> None:
    """Neither: a validation problem naming the dropoff."""
    r = create_delivery(client, world.merchant_key, delivery_body(dropoff={"lat": 60.17}))
    assert r.status_code == 422 and r.json()["field"].startswith("dropoff")


def test_places_need_a_signed_in_caller_and_search_their_own_coop(client: Any, world: Any) -> None:
    """No credential: 401. A dispatcher searches too."""
    assert client.get("/api/v1/places", params={"q": "Kaivokatu"}).status_code == 401
    dispatcher = login(client, world.dispatcher_email, world.password)
    assert client.get("/api/v1/places", params={"q": "Kaivokatu"}, headers=dispatcher).status_code == 200


def test_a_map_import_builds_its_places_and_a_reimport_replaces_them(ctx: Any, tmp_path: Any) -> None:
    """import_map stores the map's places under its map_id; importing it again refreshes, not doubles."""
    from sqlalchemy import func, select

    from dispatch.db.models import PlaceRow
    from dispatch.services.maps import import_map
    from tests.unit.routing.tiny_places import write_places_osm

    path = write_places_osm(tmp_path / "tiny.osm")
    first = import_map(ctx, path)
    count = select(func.count()).select_from(PlaceRow).where(PlaceRow.map_id == first.map_id)
    with ctx.sessions() as s:
        stored = s.scalar(count)
    assert stored and stored > 10
    import_map(ctx, path)
    with ctx.sessions() as s:
        assert s.scalar(count) == stored
    index = ctx.map_cache[("places", first.map_id)].index
    assert index.resolve("Mannerheimint. 8").match is not None


def test_a_quote_takes_an_address_too(client: Any, world: Any) -> None:
    """POST /api/v1/quotes with {"address": ...}: priced on the resolved door."""
    r = client.post("/api/v1/quotes", json={"dropoff": {"address": "Kaivokatu 8"}}, headers=bearer(world.merchant_key))
    assert r.status_code in (200, 201), r.text
    assert r.json()["fee_cents"] > 0
