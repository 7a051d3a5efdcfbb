"""Each co-op plans on its own map: import records a map, a co-op points at it, the map API,
quotes and the dispatch loop's matrices use it; co-ops without one use the server's map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.db.models import Coop, MapRow
from dispatch.domain.errors import InvalidInput
from dispatch.seed import area_geojson
from dispatch.services.maps import coop_map, import_map, map_id_for_source
from tests.integration.test_cli_map import OSM


@pytest.fixture
def square_map(tmp_path: Path, monkeypatch: Any) -> Path:
    """A 4-node square block near (60.0, 25.0) with a spur; graphs cached under tmp_path."""
    monkeypatch.setenv("COOPDISPATCH_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "square.osm"
    path.write_text(OSM, encoding="utf-8")
    return path


def test_import_records_the_map_with_its_outline_and_reimport_is_one_row(ctx, square_map):
    """The maps row holds the id (sha256 prefix), bbox and a polygon outline; importing twice keeps one row."""
    first = import_map(ctx, square_map, name="Square")
    again = import_map(ctx, square_map, name="Square")
    assert first.map_id == again.map_id == map_id_for_source(square_map)
    with ctx.sessions() as s:
        rows = list(s.scalars(select(MapRow)))
    assert [r.id for r in rows] == [first.map_id]
    assert rows[0].outline["type"] == "Polygon" and rows[0].summary["nodes"] == 5
    assert rows[0].bbox == pytest.approx([60.0, 25.0, 60.004, 25.004])


def test_a_bounding_box_cut_is_a_map_of_its_own(ctx, square_map):
    """A cut keeps only the streets inside the box and gets another id; a bad box names the field."""
    whole = import_map(ctx, square_map)
    cut = import_map(ctx, square_map, cut_bbox=(59.999, 24.999, 60.003, 25.005))
    assert cut.map_id != whole.map_id
    assert cut.summary["nodes"] < whole.summary["nodes"]
    with pytest.raises(InvalidInput) as err:
        import_map(ctx, square_map, cut_bbox=(60.1, 25.0, 60.0, 25.1))
    assert err.value.field == "bbox"


def test_each_coop_gets_its_own_map_and_the_map_api_follows_the_coop(ctx, client, world, square_map):
    """The demo co-op keeps the server map; a co-op on the square map sees the square's bbox."""
    imported = import_map(ctx, square_map, name="Square")
    with ctx.sessions() as s, s.begin():
        s.add(Coop(slug="square", name="Square co-op", map_id=imported.map_id,
                   service_area=area_geojson([(60.0, 25.0), (60.0, 25.004), (60.004, 25.004), (60.004, 25.0)])))
    with ctx.sessions() as s:
        square_id = s.scalar(select(Coop.id).where(Coop.slug == "square"))
    assert coop_map(ctx, square_id).network is imported.network
    assert coop_map(ctx, world.coop_id).network is ctx.network
    square = client.get("/api/v1/map/info", params={"coop": "square"}).json()
    demo = client.get("/api/v1/map/info", params={"coop": "demo"}).json()
    assert square["map_id"] == imported.map_id and square["bbox"]["south"] == pytest.approx(60.0)
    assert demo["map_id"] != imported.map_id and demo["bbox"]["south"] > 60.1
    streets = client.get("/api/v1/map/streets", params={"coop": "square", "zoom": 16}).json()
    assert len(streets["features"]) >= 1
    assert client.get("/api/v1/map/info", params={"coop": "nope"}).status_code == 404


def test_quotes_and_the_dispatch_loops_matrices_use_the_coops_own_map(ctx, client, square_map):
    """A merchant of the square co-op gets a quote priced on the square's streets; the loop's live
    matrix for that co-op measures the square's block, not Helsinki."""
    from dispatch.dispatcher import LiveMatrices
    from dispatch.services.coops import NewCoop, create_coop
    from tests.integration.api_client import bearer

    imported = import_map(ctx, square_map, name="Square")
    out = create_coop(ctx, NewCoop(name="Square co-op", slug="square", admin_email="a@square.coop",
                                   map_id=imported.map_id))
    token = client.post("/api/v1/invitations/accept", json={"token": out["admin"]["url"].split("#")[1],
                                                            "password": "a-long-enough-password"}).json()["token"]
    m = client.post("/api/v1/admin/merchants", headers=bearer(token), json={
        "name": "Corner shop", "sites": [{"address": "Corner", "lat": 60.0001, "lon": 25.0001}]})
    assert m.status_code == 201, m.text  # inside the square's outline, the default service area
    key = client.post(f"/api/v1/admin/merchants/{m.json()['id']}/keys", json={}, headers=bearer(token)).json()["key"]
    q = client.post("/api/v1/quotes", headers=bearer(key), json={"dropoff": {"lat": 60.0019, "lon": 25.0039,
                                                                             "address": "Far corner"}})
    assert q.status_code == 201, q.text
    assert 300 < q.json()["trip"]["distance_m"] < 1500  # around the 220 m x 450 m block
    seconds, metres = LiveMatrices(ctx, out["id"])([(60.0, 25.0), (60.002, 25.004)])
    assert 400 < metres[0, 1] < 1000 and seconds[0, 1] > 0
