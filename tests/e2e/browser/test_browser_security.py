"""In real Chromium: no view breaks its Content-Security-Policy (sockets open, maps draw), and a
courier name made of HTML is shown as text in the dispatcher's map popup, never run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Courier, User
from dispatch.domain.vehicles import VEHICLES
from dispatch.services.auth import hash_password
from tests.e2e.browser.conftest import PASSWORD, Server, screenshot
from tests.e2e.browser.helpers import DESKTOP, open_dispatcher, open_merchant

HOSTILE = '<img src=x onerror="window.__pwned=1">Eve'
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def _watched(new_context: Any) -> Any:
    ctx = new_context(viewport=DESKTOP, bypass_csp=False)  # the policy as a person's browser applies it
    ctx.add_init_script(WATCH_CSP)
    return ctx


def test_no_view_breaks_its_content_security_policy(server: Server, new_context) -> None:
    """Landing, tracking, merchant and dispatcher pages load, open their sockets and draw their
    maps (MapLibre's blob: workers included) without one CSP violation."""
    ctx = _watched(new_context)
    page = ctx.new_page()
    for path in ("/", "/track/not-a-real-link", "/courier/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
    merchant = open_merchant(lambda **kw: ctx)
    dispatcher = open_dispatcher(lambda **kw: ctx)
    for p in (merchant, dispatcher):
        p.wait_for_timeout(500)
        assert p.evaluate("window.__csp") == [], p.url


@pytest.fixture
def hostile_courier_on_shift(server: Server) -> Iterator[str]:
    """A courier whose first name is an HTML tag, on shift near the centre (off shift after the
    test, so that the planner of the session's other tests never gives her work)."""
    engine = create_engine(server.database_url)
    with Session(engine) as s, s.begin():
        coop_id = s.scalar(select(Coop.id).where(Coop.slug == "demo"))
        email = "eve@demo.coop"
        if s.scalar(select(User.id).where(User.email == email)) is None:
            user = User(coop_id=coop_id, role="courier", email=email, name="Eve", password_hash=hash_password(PASSWORD))
            s.add(user)
            s.flush()
            v = VEHICLES["bike"]
            s.add(Courier(coop_id=coop_id, user_id=user.id, first_name=HOSTILE, vehicle_kind="bike",
                          capacity_g=v.capacity_g, capacity_ml=v.capacity_ml, speed_pct=v.speed_pct))
    engine.dispose()
    token = server.token("eve@demo.coop")
    with server.http() as h:
        h.post("/api/v1/courier/shift/start", json={"lat": 60.1702, "lon": 24.9410},
               headers={"Authorization": f"Bearer {token}"})
    yield token
    with server.http() as h:
        h.post("/api/v1/courier/shift/end", headers={"Authorization": f"Bearer {token}"})


def test_a_courier_name_made_of_html_is_text_in_the_map_popup(server: Server, new_context,
                                                             hostile_courier_on_shift: str) -> None:
    """Clicking the courier shows its name literally; no element is made from it, no script runs."""
    page = open_dispatcher(lambda **kw: _watched(new_context))
    page.wait_for_function("""() => document.querySelector('#map').mapInstance
        .querySourceFeatures('couriers').some((x) => String(x.properties.label).includes('Eve'))""", timeout=15_000)
    at = page.evaluate("""() => { const m = document.querySelector('#map').mapInstance;
        const f = m.querySourceFeatures('couriers').find((x) => String(x.properties.label).includes('Eve'));
        m.jumpTo({center: f.geometry.coordinates, zoom: 17}); return m.project(f.geometry.coordinates); }""")
    page.wait_for_timeout(400)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    popup = page.wait_for_selector(".courier-pop")
    assert popup.query_selector("strong").text_content() == HOSTILE
    assert popup.query_selector("img") is None and page.query_selector("#map img[src='x']") is None
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "16-hostile-courier-name-popup")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    screenshot(page, "16-hostile-courier-name-phone")
