"""The basemap in real Chromium: every view draws the co-op's own vector tiles from this server
only, names its streets at zoom 16, draws routes along the streets, and the courier's map still
shows after the signal is gone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.browser.conftest import AINO_AT, MERCHANT_KEY, PASSWORD, Server, screenshot
from tests.e2e.browser.helpers import create_delivery_by_api, delivery, open_courier

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
CENTRE = (24.9443, 60.1695)  # lon, lat: Keskuskatu, in the shipped map


def dispatcher_page(ctx: Any) -> Any:
    """The dispatcher logged in, with the basemap drawn (a loaded machine draws slowly: 30 s)."""
    page = ctx.new_page()
    page.goto("/dispatcher/")
    page.fill("#email", "dispatcher@demo.coop")
    page.fill("#password", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    return page


def watch_requests(page: Any) -> list[str]:
    """Every URL the page (and its workers) asks for."""
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(r.url))
    return seen


def assert_only_this_server(urls: list[str], server: Server) -> None:
    outside = [u for u in urls if not u.startswith((server.base, "blob:", "data:"))]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
    assert any("/api/v1/map/tiles/" in u for u in urls), "no tile came from the service"


def at_zoom_16(page: Any, lon: float = CENTRE[0], lat: float = CENTRE[1]) -> None:
    page.evaluate("""([lon, lat]) => new Promise((done) => {
        const map = document.querySelector('#map').mapInstance;
        map.once('idle', done); map.jumpTo({center: [lon, lat], zoom: 16}); })""", [lon, lat])


def rendered(page: Any, layer: str, prop: str = "name") -> list[Any]:
    return list(page.evaluate("""([layer, prop]) => document.querySelector('#map').mapInstance
        .queryRenderedFeatures({layers: [layer]}).map((f) => f.properties[prop])""", [layer, prop]))


@pytest.fixture(scope="module")
def assigned(server: Server) -> tuple[dict[str, Any], str]:
    """Aino on shift (over the API), a delivery the planner assigned, and its courier's email."""
    with server.http() as h:
        token = h.post("/api/v1/auth/login", json={"email": "aino@demo.coop", "password": PASSWORD}).json()["token"]
        h.post("/api/v1/courier/shift/start", headers={"Authorization": f"Bearer {token}"},
               json={"lat": AINO_AT["latitude"], "lon": AINO_AT["longitude"]})
    created = create_delivery_by_api(server, 60.16650, 24.94900)
    deadline = time.monotonic() + 15
    while (d := delivery(server, created["id"]))["status"] != "assigned":
        assert time.monotonic() < deadline, "the planner never assigned the delivery"
        time.sleep(0.2)
    with server.http() as h:
        login = {"email": "dispatcher@demo.coop", "password": PASSWORD}
        token = h.post("/api/v1/auth/login", json=login).json()["token"]
        couriers = h.get("/api/v1/dispatch/couriers", headers={"Authorization": f"Bearer {token}"}).json()
    name = next(c["first_name"] for c in couriers if c["courier_id"] == d["courier_id"])
    return d, f"{name.lower()}@demo.coop"


def test_the_dispatcher_map_names_streets_and_draws_routes_along_them(server: Server, new_context, assigned) -> None:
    """Street labels at zoom 16, pickups and dropoffs as P and D, a courier coloured by state
    whose click shows route and load, counts per status and a delivery's timeline."""
    d, _ = assigned
    ctx = new_context(viewport={"width": 1280, "height": 860})
    urls: list[str] = []
    ctx.on("request", lambda r: urls.append(r.url))
    page = dispatcher_page(ctx)
    page.wait_for_function("""() => document.querySelector('#map').mapInstance
        .queryRenderedFeatures({layers: ['routes-line']}).length > 0""", timeout=15_000)
    glyphs = set(rendered(page, "deliveries-glyph", "glyph"))
    assert {"P", "D"} <= glyphs or rendered(page, "deliveries-clusters", "point_count")
    screenshot(page, "maps-dispatcher-desktop")
    at_zoom_16(page)
    assert len(set(rendered(page, "road-labels"))) >= 3
    aino = page.evaluate("""() => { const m = document.querySelector('#map').mapInstance;
        const f = m.querySourceFeatures('couriers').find((x) => x.properties.label === 'Aino');
        m.jumpTo({center: f.geometry.coordinates, zoom: 16}); return m.project(f.geometry.coordinates); }""")
    page.wait_for_timeout(300)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + aino["x"], box["y"] + aino["y"])
    popup = page.wait_for_selector(".courier-pop", timeout=20_000)
    assert "kg" in (popup.text_content() or "") and "km" in (popup.text_content() or "")
    assert any(state in (popup.text_content() or "") for state in ("free", "riding to pickup", "carrying"))
    page.click(f"#deliveries li[data-id='{d['id']}'] button")
    page.wait_for_selector("#timeline li", timeout=20_000)
    assert page.text_content("#counts [data-count='assigned'] b") != "0"
    screenshot(page, "maps-dispatcher-courier-clicked")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    screenshot(page, "maps-dispatcher-phone")
    assert_only_this_server(urls, server)


def test_the_courier_sees_the_current_leg_on_named_streets(server: Server, new_context, assigned) -> None:
    """The phone view zooms to the leg being ridden, drawn along the streets, names on the map."""
    page = open_courier(new_context, assigned[1], AINO_AT, start_shift=True)
    urls = watch_requests(page)
    page.reload()
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    page.wait_for_function("""() => document.querySelector('#map').mapInstance
        .queryRenderedFeatures({layers: ['route-line']}).length > 0""", timeout=15_000)
    assert page.evaluate("document.querySelector('#map').mapInstance.getZoom()") >= 14
    assert rendered(page, "road-labels")
    screenshot(page, "maps-courier-phone")
    assert_only_this_server(urls, server)


def test_the_courier_map_still_shows_offline_after_one_visit(server: Server, new_context) -> None:
    """After one visit the service worker holds the library, glyphs and the tiles seen."""
    ctx = new_context(viewport=PHONE, geolocation=AINO_AT, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto("/courier/")
    page.fill("#email", "lumi@demo.coop")
    page.fill("#password", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control: what the map fetches lands in its cache
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    ctx.set_offline(True)
    page.reload()
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    assert len(rendered(page, "road", "class")) > 10, "no street drawn offline"
    kept = page.evaluate("caches.open('cd-courier-tiles-v1').then((c) => c.keys()).then((k) => k.length)")
    assert 0 < kept <= 3000  # the tiles seen, within the worker's bound
    screenshot(page, "maps-courier-offline-phone")


def test_the_merchant_and_tracking_maps_draw_from_this_server_only(server: Server, new_context) -> None:
    """The merchant's shop is a P on a named map; the tracking page pins the door."""
    page = new_context(viewport={"width": 1280, "height": 860}).new_page()
    urls = watch_requests(page)
    page.goto("/merchant/")
    page.fill("#api-key", MERCHANT_KEY)
    page.click("#key-form button")
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    page.wait_for_function("""() => document.querySelector('#map').mapInstance
        .queryRenderedFeatures({layers: ['points-glyph']}).length > 0""", timeout=20_000)
    screenshot(page, "maps-merchant-desktop")
    assert_only_this_server(urls, server)
    created = create_delivery_by_api(server, 60.16650, 24.94900)
    track = new_context(viewport=PHONE).new_page()
    urls = watch_requests(track)
    track.goto(f"/track/{created['tracking_token']}")
    track.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)
    track.wait_for_function("""() => document.querySelector('#map').mapInstance
        .queryRenderedFeatures({layers: ['points-glyph']}).some((f) => f.properties.glyph === 'D')""", timeout=20_000)
    screenshot(track, "maps-track-phone")
    assert_only_this_server(urls, server)


def test_an_order_at_risk_with_nobody_to_take_it_shows_a_banner_and_rings(server: Server, new_context) -> None:
    """With no courier on shift, an order due within minutes is at risk: the dispatcher sees a
    banner and hears a chime (counted through the page's AudioContext)."""
    with server.http() as h:
        for email in ("aino@demo.coop", "eero@demo.coop", "lumi@demo.coop"):
            token = h.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
            h.post("/api/v1/courier/shift/end", headers={"Authorization": f"Bearer {token}"})
        now = datetime.now(UTC)
        key = {"Authorization": f"Bearer {MERCHANT_KEY}", "Idempotency-Key": "risk-1"}
        r = h.post("/api/v1/deliveries", headers=key,
                   json={"dropoff": {"lat": 60.1700, "lon": 24.9450, "address": "Kluuvikatu 1"},
                         "recipient": {"name": "Aleksi", "phone": "+358 40 111 2222"},
                         "dropoff_window": {"start": now.isoformat(), "end": (now + timedelta(minutes=9)).isoformat()}})
        assert r.status_code == 201, r.text
    ctx = new_context(viewport={"width": 1280, "height": 860})
    ctx.add_init_script("""window.__chimes = 0; const Real = window.AudioContext;
        window.AudioContext = class extends Real { constructor(...a) { super(...a); window.__chimes += 1; } };""")
    page = dispatcher_page(ctx)
    page.wait_for_selector("#alert:not(.hidden)", timeout=20_000)
    assert "at risk" in (page.text_content("#alert") or "")
    assert page.evaluate("window.__chimes") >= 1
    assert page.text_content("#counts [data-count='pending'] b") != "0"
    screenshot(page, "maps-dispatcher-alert")
    with server.http() as h:
        h.post(f"/api/v1/deliveries/{r.json()['id']}/cancel", headers={"Authorization": f"Bearer {MERCHANT_KEY}"},
               json={"reason": "test over"})


def test_the_admin_area_map_draws_the_basemap_from_this_server_only(server: Server, new_context) -> None:
    """The admin's service-area map is the same basemap, on a desktop and on a phone."""
    for name, viewport in (("desktop", {"width": 1280, "height": 860}), ("phone", PHONE)):
        page = new_context(viewport=viewport).new_page()
        urls = watch_requests(page)
        page.goto("/admin/")
        page.fill("#email", "admin@demo.coop")
        page.fill("#password", PASSWORD)
        page.click("#login-form button")
        page.click("[data-tab='settings']")
        page.wait_for_selector("#area-map[data-basemap='ready']", timeout=30_000)
        assert page.evaluate("""document.querySelector('#area-map').mapInstance
            .queryRenderedFeatures({layers: ['road']}).length""") > 50
        screenshot(page, f"maps-admin-area-{name}")
        assert_only_this_server(urls, server)
