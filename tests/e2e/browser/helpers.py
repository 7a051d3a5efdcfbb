"""Steps the browser tests share: log in on each page, read the server's records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, select

from dispatch.db.models import AuditEntry
from tests.e2e.browser.conftest import MERCHANT_KEY, PASSWORD, Server

MOBILE = {"width": 400, "height": 860}
# Logging in and opening the socket took ~8 s on the busy 2-core machine (importing, first
# queries, several servers at once): wait for the socket that long and more, never a fixed sleep.
CONNECT_MS = 30_000
DESKTOP = {"width": 1280, "height": 860}


def open_merchant(new_context: Any) -> Any:
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/merchant/")
    page.fill("#api-key", MERCHANT_KEY)
    page.click("#key-form button")
    page.wait_for_selector("body[data-ws='open']", timeout=CONNECT_MS)
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)  # software WebGL
    return page


def open_courier(new_context: Any, email: str, at: dict[str, float], *, start_shift: bool) -> Any:
    ctx = new_context(viewport=MOBILE, geolocation=at, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto("/courier/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("body[data-ws='open']", timeout=CONNECT_MS)
    if start_shift and page.get_attribute("body", "data-shift") != "on":
        page.click("#shift-start")
        page.wait_for_selector("body[data-shift='on']", timeout=CONNECT_MS)
    return page


def open_dispatcher(new_context: Any) -> Any:
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/dispatcher/")
    page.fill("#email", "dispatcher@demo.coop")
    page.fill("#password", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("body[data-ws='open']", timeout=CONNECT_MS)
    page.wait_for_selector("#map[data-basemap='ready']", timeout=30_000)  # software WebGL
    page.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    return page


def create_delivery_by_api(server: Server, lat: float, lon: float) -> dict[str, Any]:
    with server.http() as h:
        r = h.post("/api/v1/deliveries", headers={"Authorization": f"Bearer {MERCHANT_KEY}",
                                                  "Idempotency-Key": str(uuid.uuid4())},
                   json={"dropoff": {"lat": lat, "lon": lon, "address": "Kaisaniemenkatu 3"},
                         "recipient": {"name": "Ilona Testinen", "phone": "+358 40 765 4321"}})
        r.raise_for_status()
        return dict(r.json())


def delivery(server: Server, delivery_id: str) -> dict[str, Any]:
    with server.http() as h:
        r = h.get(f"/api/v1/deliveries/{delivery_id}", headers={"Authorization": f"Bearer {MERCHANT_KEY}"})
        r.raise_for_status()
        return dict(r.json())


def audit_rows(server: Server, delivery_id: str) -> list[AuditEntry]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(AuditEntry).where(AuditEntry.delivery_id == delivery_id)
                                     .order_by(AuditEntry.id)).all())
    finally:
        engine.dispose()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
