"""Every view as its people see it (issue 16, items 17-25) in real Chromium: no console error
in any view (the favicon), the dispatcher's list by keyboard alone, server errors in French on
a French page with times typed in the co-op's zone. Screenshots (desktop and phone) go to
``test-output/screenshots/16c-*``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.conftest import AINO_AT, MERCHANT_KEY, PASSWORD, Server, screenshot
from tests.e2e.browser.helpers import DESKTOP, create_delivery_by_api, delivery, parse_iso

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/views2")
# what the browser reports that is no fault of the page (headless GPU fallbacks)
HARMLESS = ("GPU stall", "WebGL", "GroupMarkerNotSet", "Automatic fallback to software WebGL")


def logged_in(new_context: Any, path: str, *, email: str | None = None, wait: bool = True,
              errors: list[str] | None = None, **options: Any) -> Any:
    """A page of ``path`` after logging in (merchant key, else ``email``), its socket open unless
    ``wait`` is false; ``errors`` collects its console errors from the first request on. The map
    is not waited for (these tests are about what surrounds it)."""
    page = new_context(**({"viewport": DESKTOP} | options)).new_page()
    if errors is not None:
        watch_console(page, errors)
    page.goto(path)
    if email is None:
        page.fill("#api-key", MERCHANT_KEY)
        page.click("#key-form button")
    else:
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("#login-form button")
    if wait:
        page.wait_for_selector("body[data-ws='open']", timeout=30_000)  # software WebGL on a busy CI
    return page


def watch_console(page: Any, errors: list[str] | None = None) -> list[str]:
    """Collect the page's console errors and uncaught exceptions (into ``errors``)."""
    errors = [] if errors is None else errors
    page.on("console", lambda m: errors.append(f"console: {m.text} @ {m.location.get('url')}")
            if m.type == "error" and not any(h in m.text for h in HARMLESS) else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


def test_every_view_loads_without_a_console_error(server: Server, new_context):
    """Landing, merchant, courier, dispatcher and tracking pages: no error in the console
    (a missing /favicon.ico used to be one in each), and the icon is the project's own."""
    d = create_delivery_by_api(server, 60.17250, 24.94500)
    with server.http() as h:
        icon = h.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    pages = []
    landing = new_context(viewport=DESKTOP).new_page()
    pages.append((landing, watch_console(landing)))
    landing.goto("/")
    landing.wait_for_load_state("networkidle")
    track = new_context(viewport=PHONE).new_page()
    pages.append((track, watch_console(track)))
    track.goto(f"/track/{d['tracking_token']}")
    track.wait_for_selector("body[data-ready='1']")
    track.wait_for_load_state("networkidle")
    views = [("/merchant/", None, {}), ("/dispatcher/", "dispatcher@demo.coop", {}),
             ("/courier/", "lumi@demo.coop", {"viewport": PHONE, "geolocation": AINO_AT,
                                              "permissions": ["geolocation"]})]
    opened = []
    for path, email, options in views:  # all three load at once
        errors: list[str] = []
        opened.append((logged_in(new_context, path, email=email, wait=False, errors=errors, **options), errors))
    for page, errors in opened:
        page.wait_for_selector("body[data-ws='open']", timeout=30_000)
        page.wait_for_load_state("networkidle")
        pages.append((page, errors))
    for page, errors in pages:
        assert errors == [], (page.url, errors)


PHONE_VIEWS = [("/merchant/", "cd.merchant.credential", None), ("/courier/", "cd.courier.token", "aino@demo.coop"),
               ("/dispatcher/", "cd.dispatcher.token", "dispatcher@demo.coop"),
               ("/admin/", "cd.admin.token", "admin@demo.coop"),
               ("/account/?view=courier", "cd.courier.token", "aino@demo.coop")]


def test_no_view_scrolls_sideways_on_a_phone(server: Server, new_context):
    """At 390 px every view (merchant, courier, dispatcher, tracking, admin, account) is as wide as
    the phone: no sideways scroll (the merchant's tables were 460 px and more)."""
    d = create_delivery_by_api(server, 60.17250, 24.94500)  # open: its row has every link and button
    pages = {}
    for path, key, email in PHONE_VIEWS:  # all at once, logged in by their stored credential
        ctx = new_context(viewport=PHONE, geolocation=AINO_AT, permissions=["geolocation"])
        ctx.add_init_script(f"localStorage.setItem({key!r}, {server.token(email) if email else MERCHANT_KEY!r})")
        pages[path] = ctx.new_page()
        pages[path].goto(path)
    pages["/track/"] = new_context(viewport=PHONE).new_page()
    pages["/track/"].goto(f"/track/{d['tracking_token']}")
    for path, page in pages.items():
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        name = path.split("?")[0].strip("/").replace("/", "-")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)
        assert width <= PHONE["width"], (path, width)
    with server.http() as h:  # the session's other tests plan without it
        h.post(f"/api/v1/deliveries/{d['id']}/cancel", json={"reason": "test over"},
               headers={"Authorization": f"Bearer {MERCHANT_KEY}"})


def test_the_dispatchers_list_works_by_keyboard_alone(server: Server, new_context):
    """From the top of the page: skip link, into the list, select with Enter, give a reason
    and assign with the keyboard; every stop of Tab on the way has a name, none is a marker.
    The panel then shows the human decision and an ETA at once."""
    d = create_delivery_by_api(server, 60.17300, 24.94600)
    with server.http() as h:  # Eero on shift, so that there is someone to assign by hand
        h.post("/api/v1/courier/shift/start", json={"lat": 60.168, "lon": 24.947},
               headers={"Authorization": f"Bearer {server.token('eero@demo.coop')}"})
    page = logged_in(new_context, "/dispatcher/", email="dispatcher@demo.coop")
    page.wait_for_selector(f"#deliveries li[data-id='{d['id']}']")
    fresh(page)  # Tab from the top of the page, not from the hidden login form
    stops = tab_stops(page, until="#deliveries button.pick")
    assert stops[0]["name"] == "Skip to the delivery list" and len(stops) <= 25, stops
    for stop in stops:
        assert stop["name"].strip(), f"unlabelled focus stop: {stop}"
        assert not stop["marker"], f"a map marker takes the focus: {stop}"
    page.focus("a.skip")
    page.keyboard.press("Enter")  # the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#deliveries li')?.dataset.id") is not None
    while page.evaluate("document.activeElement.closest('#deliveries li')?.dataset.id") != d["id"]:
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#deliveries li.selected[data-id='{d['id']}']")
    assert page.evaluate("document.activeElement.closest('#deliveries li')?.dataset.id") == d["id"]
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "courier-select":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("Eero is next door")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#why').textContent.includes('Eero is next door')")
    # the timeline shows the assignment from its socket frame, with no reload or reselection
    page.wait_for_function("() => document.querySelector('#timeline').textContent.includes('Eero is next door')")
    selected = page.text_content("#selected")
    assert "ETA" in selected and "ETA –" not in selected
    screenshot(page, "16c-dispatcher-manual")


def fresh(page: Any) -> None:
    page.reload()
    page.wait_for_selector("body[data-ws='open'] #deliveries li", timeout=30_000)


def tab_stops(page: Any, until: str, limit: int = 40) -> list[dict[str, Any]]:
    """Press Tab from the start of the page until ``until`` has the focus: each stop's name."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate("""(until) => {
          const e = document.activeElement;
          const label = e.id && document.querySelector(`label[for="${e.id}"]`);
          return { tag: e.tagName, id: e.id, done: e.matches(until),
                   name: e.getAttribute("aria-label") || (label && label.textContent) || e.title || e.textContent || "",
                   marker: !!e.closest(".leaflet-marker-icon, .leaflet-interactive, .maplibregl-marker") };
        }""", until)
        if stop["done"]:
            return stops
        stops.append(stop)
    raise AssertionError(f"Tab never reached {until}: {stops}")


def test_a_french_page_shows_server_errors_in_french_and_takes_times_in_the_coops_zone(
        server: Server, new_context):
    """A browser in New York on the Helsinki co-op's French merchant page: the ready time is
    typed in Helsinki time, and a refused order reads French."""
    ctx = new_context(viewport=DESKTOP, timezone_id="America/New_York")
    ctx.add_init_script("localStorage.setItem('cd.lang', 'fr')")
    page = ctx.new_page()
    page.goto("/merchant/")
    page.fill("#api-key", MERCHANT_KEY)
    page.click("#key-form button")
    page.wait_for_selector("body[data-ready='1'] #app:not(.hidden)")
    ready = page.input_value("#ready")
    helsinki_soon = datetime.now(UTC) + timedelta(hours=2, minutes=5)  # EET in December
    assert abs(datetime.fromisoformat(ready) - helsinki_soon.replace(tzinfo=None)) < timedelta(minutes=3)
    page.fill("#recipient", "Matti Meikäläinen")
    page.fill("#phone", "+358 40 123 4567")
    page.fill("#dropoff", "Qwxyz Boulevard 99")  # an address the map does not know: French, no field id
    page.click("#submit")
    page.wait_for_function("() => document.querySelector('#form-error').textContent.length > 0")
    error = page.text_content("#form-error")
    assert "Qwxyz Boulevard 99" in error and "aucune adresse" in error and "dropoff" not in error, error
    page.set_input_files("#import-file", files=[{"name": "commandes.csv", "mimeType": "text/csv", "buffer": (
        b"order_ref,recipient_name,recipient_phone,dropoff_address,load_kg\n"
        b"F-1,Aino,+358 40 111 1111,Qwxyz Boulevard 99,x\n")}])
    page.wait_for_selector("#import-rows tr[data-status='error']")
    row = page.text_content("#import-rows tr[data-line='2']")
    assert row.count("2:4: adresse de livraison « Qwxyz Boulevard 99 »") == 1 and "dropoff" not in row, row
    page.fill("#dropoff", "60.17400, 24.94800")
    page.dispatch_event("#dropoff", "change")
    page.fill("#kg", "900")
    page.click("#submit")
    page.wait_for_function("() => document.querySelector('#form-error').textContent.length > 0")
    error = page.text_content("#form-error")
    assert "dépasse le plus grand véhicule" in error or "doit être inférieur" in error, error
    page.fill("#kg", "2")
    page.fill("#notes", "3e étage, sonnez deux fois")
    before = set(page.eval_on_selector_all("#deliveries tr", "rows => rows.map(r => r.dataset.id)"))
    page.click("#submit")
    page.wait_for_function("n => document.querySelectorAll('#deliveries tr').length > n", arg=len(before))
    (new_id,) = set(page.eval_on_selector_all("#deliveries tr", "rows => rows.map(r => r.dataset.id)")) - before
    made = delivery(server, new_id)
    assert abs(parse_iso(made["ready_at"]) - (datetime.now(UTC) + timedelta(minutes=5))) < timedelta(minutes=3)
    assert "3e étage" in page.text_content(f"#deliveries tr[data-id='{new_id}']")
    screenshot(page, "16c-merchant-fr")
