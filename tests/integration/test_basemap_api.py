"""The basemap served by the service: tiles with caching headers, glyphs, routes on the streets."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import pytest

from tests.integration.api_client import bearer, login
from tests.integration.test_courier_dispatch_api import assigned_delivery


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """Tiles and glyphs do not touch the database beyond the map lookup: SQLite is enough."""
    if backend != "sqlite":
        pytest.skip("the database plays no part in serving tiles")


def test_a_street_tile_at_zoom_16_has_named_roads_and_is_cached_by_etag(client, sqlite_only) -> None:
    """The basemap names its tile URL; a zoom-16 tile holds named roads; a revalidation is a 304."""
    info = client.get("/api/v1/map/basemap").json()
    lon, lat = info["centre"]
    assert info["min_zoom"] == 10 and info["max_zoom"] == 18
    x, y = _tile_of(lon, lat, 16)
    url = info["tiles"].format(z=16, x=x, y=y)
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "max-age" in r.headers["cache-control"] and r.headers["etag"]
    layers = mapbox_vector_tile.decode(r.content if r.content[:2] != b"\x1f\x8b" else gzip.decompress(r.content))
    assert {"roads", "buildings"} <= set(layers)
    assert any(f["properties"].get("name") for f in layers["roads"]["features"])
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_a_signed_in_caller_gets_the_coops_area_and_language(client, world) -> None:
    """The public basemap has no area; a dispatcher's has the co-op's polygon and its language."""
    assert client.get("/api/v1/map/basemap").json()["service_area"] is None
    mine = client.get("/api/v1/map/basemap", headers=login(client, world.dispatcher_email, world.password)).json()
    assert mine["service_area"]["type"] == "Polygon" and mine["language"]


def test_an_unknown_map_or_a_bad_map_id_is_a_problem_naming_the_field(client, sqlite_only) -> None:
    """A map id that is not ours is 404 naming map_id; one that is not 16 hex digits is 422."""
    r = client.get("/api/v1/map/tiles/0123456789abcdef/16/0/0.pbf")
    assert r.status_code == 404 and r.json()["field"] == "map_id"
    assert client.get("/api/v1/map/tiles/NOTHEX/16/0/0.pbf").status_code == 422


def test_glyphs_for_labels_are_served_from_here(client, sqlite_only) -> None:
    """Latin glyphs come back as a protobuf; an unknown font stack is a 404 naming it."""
    r = client.get("/api/v1/map/fonts/Sans Regular/0-255.pbf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf" and len(r.content) > 10_000
    assert client.get("/api/v1/map/fonts/Comic/0-255.pbf").json()["field"] == "fontstack"


def test_a_courier_route_shape_follows_the_streets_to_each_stop(client, world) -> None:
    """The courier's legs end at their stops, and the dispatcher sees the same way."""
    courier, _, _, stops = assigned_delivery(client, world)
    shape = client.get("/api/v1/courier/route/shape", headers=courier).json()
    assert [leg["to_stop_id"] for leg in shape["legs"]] == [stops["pickup"]["id"], stops["dropoff"]["id"]]
    assert all(len(leg["coordinates"]) >= 2 for leg in shape["legs"])
    dispatcher = login(client, world.dispatcher_email, world.password)
    seen = client.get("/api/v1/dispatch/routes", headers=dispatcher).json()
    assert shape in seen
    assert client.get("/api/v1/dispatch/routes", headers=bearer(world.merchant_key)).status_code == 403


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_the_dispatcher_reads_a_delivery_timeline_with_actors_and_times(client, world) -> None:
    """Assignment and pickup show up in order with who did them; another co-op's is a 404."""
    courier, _, d, stops = assigned_delivery(client, world)
    from tests.integration.api_client import report

    assert report(client, courier, stops["pickup"]["id"], "picked_up", key="t1").status_code == 200
    dispatcher = login(client, world.dispatcher_email, world.password)
    events = client.get(f"/api/v1/dispatch/deliveries/{d['id']}/timeline", headers=dispatcher).json()
    assert events[-1]["to_status"] == "picked_up" and events[-1]["actor_kind"] == "courier"
    assert all(e["at"] and e["actor"] for e in events)
    stranger = login(client, world.other_dispatcher_email, world.password)
    r = client.get(f"/api/v1/dispatch/deliveries/{d['id']}/timeline", headers=stranger)
    assert r.status_code == 404 and r.json()["field"] == "delivery_id"


def test_a_tracking_link_gives_the_door_the_way_once_picked_up_and_the_coops_basemap(client, world) -> None:
    """Before pickup only the door; on the way the courier's way ends at the door; a bad link is 404."""
    courier, _, d, stops = assigned_delivery(client, world)
    from tests.integration.api_client import report

    before = client.get(f"/api/v1/track/{d['tracking_token']}/way").json()
    assert before["legs"] == [] and before["basemap"]["tiles"].startswith("/api/v1/map/tiles/")
    assert report(client, courier, stops["pickup"]["id"], "picked_up", key="w1").status_code == 200
    after = client.get(f"/api/v1/track/{d['tracking_token']}/way").json()
    door = after["destination"]
    assert len(after["legs"]) == 1
    end_lon, end_lat = after["legs"][0]["coordinates"][-1]
    assert abs(end_lat - door["lat"]) < 0.003 and abs(end_lon - door["lon"]) < 0.003  # snapped at the door
    r = client.get("/api/v1/track/nosuchtoken123/way")
    assert r.status_code == 404 and r.json()["field"] == "token"
