"""The HTTP reads and writes the web views add: base map, tracking link, proof of delivery."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from dispatch.api.map_api import tolerance_m_from_zoom
from tests.e2e.browser.conftest import Server
from tests.e2e.browser.helpers import create_delivery_by_api


def test_the_street_layer_gets_lighter_as_the_map_zooms_out(server: Server):
    """Zoom 13 is simplified more than zoom 18, both carry the OSM credit, gzip when asked."""
    with server.http() as h:
        far = h.get("/api/v1/map/streets", params={"zoom": 13})
        near = h.get("/api/v1/map/streets", params={"zoom": 18})
        zipped = h.get("/api/v1/map/streets", params={"zoom": 18}, headers={"Accept-Encoding": "gzip"})
    assert far.status_code == near.status_code == 200
    assert len(far.content) < len(near.content)
    assert far.json()["attribution"] == "© OpenStreetMap contributors"
    assert len(near.json()["features"]) > 100
    assert zipped.headers["content-encoding"] == "gzip"
    assert tolerance_m_from_zoom(13, 60.0) > tolerance_m_from_zoom(18, 60.0) > 0


def test_the_map_info_centre_lies_inside_its_bounding_box(server: Server):
    """The map info gives a bbox around its centre and the credit."""
    with server.http() as h:
        info = h.get("/api/v1/map/info").json()
    box, centre = info["bbox"], info["centre"]
    assert box["south"] < centre["lat"] < box["north"] and box["west"] < centre["lon"] < box["east"]
    assert "OpenStreetMap" in info["attribution"]


def test_the_tracking_link_shows_no_personal_data(server: Server):
    """Tracking answers status and times but never the recipient's name, phone or address."""
    d = create_delivery_by_api(server, 60.17250, 24.94500)
    with server.http() as h:
        view = h.get(f"/api/v1/track/{d['tracking_token']}")
        unknown = h.get("/api/v1/track/not-a-real-token-123")
    text = json.dumps(view.json())
    assert view.status_code == 200 and view.json()["status"] in ("pending", "assigned")
    assert "Ilona" not in text and "765 4321" not in text and "Kaisaniemenkatu" not in text
    assert view.json()["position"] is None  # not on its way yet
    assert unknown.status_code == 404


def test_a_proof_for_a_stop_that_is_not_on_the_couriers_route_is_refused(server: Server):
    """A proof names a dropoff on the caller's route; anything else is a 404, bad images a 422."""
    token = server.token("lumi@demo.coop")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 32).decode()
    body = {"kind": "signature", "happened_at": datetime.now(UTC).isoformat(), "image_base64": png}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "proof-test-1"}
    with server.http() as h:
        missing = h.post("/api/v1/courier/stops/nope/proof", json=body, headers=headers)
        wrong = h.post("/api/v1/courier/stops/nope/proof", json=body | {"kind": "photo"},
                       headers=headers | {"Idempotency-Key": "proof-test-2"})
    assert missing.status_code == 404 and missing.json()["field"] == "stop_id"
    assert wrong.status_code == 422 and wrong.json()["field"] == "image_base64"
