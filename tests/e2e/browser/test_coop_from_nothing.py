"""A co-op started from an EMPTY database in real Chromium: the CLI creates it on the shipped
map, its admin accepts the link and invites a courier and a dispatcher, registers a merchant
with a key and a staff login; the staff orders on the web page from their second address, the
courier (phone viewport) accepts the invitation, starts a shift and delivers, the dispatcher
sees it; a second co-op on the same server sees none of it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.e2e.browser.conftest import _wait_healthy, free_port

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("COOPDISPATCH_SHOTS", str(REPO / "test-output" / "screenshots" / "coop-setup")))
PASSWORD = "correct-horse-battery"
OPERATOR_KEY = "the-server-operators-key-for-this-test"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COURIER_AT = {"latitude": 60.17162, "longitude": 24.94430}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "dispatch.cli", *args], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True, timeout=300)
    return out.stdout


def link_in(text: str) -> str:
    match = re.search(r"(http://\S+/accept/#\S+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """uvicorn on a migrated but empty SQLite file (no demo), and the first co-op's admin link."""
    folder = tmp_path_factory.mktemp("empty-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{folder / 'empty.db'}", "COOPDISPATCH_ENV": "dev",
                        "COOPDISPATCH_DATA_DIR": str(folder / "data"), "PUBLIC_URL": base,
                        "DISPATCH_POLICY": "nearest", "DISPATCH_TICK_S": "2", "DEMO_FEED": "0",
                        "OPERATOR_KEY": OPERATOR_KEY}
    cli(env, "migrate")
    first = cli(env, "coop", "create", "--name", "Pyörä Osuuskunta", "--slug", "pyora", "--timezone",
                "Europe/Helsinki", "--currency", "EUR", "--locale", "en", "--admin-email", "admin@pyora.coop", "-y")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        _wait_healthy(proc, base)
        yield {"base": base, "env": env, "admin_link": link_in(first)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def accept_link(page: Any, url: str, lands_on: str, screenshot: str | None = None) -> None:
    page.goto(url)
    page.wait_for_selector("#accept-form:not(.hidden)")
    assert "#" not in page.url  # the token left the address bar
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.click("#accept-form button")
    page.wait_for_url(f"**{lands_on}")


def secret_shown(page: Any) -> str:
    page.wait_for_selector("#secret:not(.hidden)")
    value = page.input_value("#secret-value")
    page.click("#secret-close")
    return value


def test_a_coop_from_nothing_to_a_delivered_order_and_a_second_coop_sees_none_of_it(browser, empty_server):
    """The whole first day of a co-op, through its pages, from an empty database."""
    server = empty_server

    def context(**options: Any) -> Any:
        ctx = browser.new_context(base_url=server["base"], locale="en-GB", **options)
        ctx.set_default_timeout(15_000)
        return ctx

    admin = context(viewport=DESKTOP).new_page()
    accept_link(admin, server["admin_link"], "/admin/")
    admin.wait_for_selector("#app:not(.hidden)")
    links = {}
    people = (("Aino Rider", "aino@pyora.coop", "courier"), ("Dana Dispatch", "dana@pyora.coop", "dispatcher"))
    for name, email, role in people:
        admin.fill("#inv-name", name)
        admin.fill("#inv-email", email)
        admin.select_option("#inv-role", role)
        admin.click("#invite-form button")
        links[role] = secret_shown(admin)
    admin.wait_for_selector("#members tr[data-email='dana@pyora.coop']")
    shot(admin, "admin-members-desktop")
    admin.click(".tabs [data-tab='merchants']")
    admin.fill("#m-name", "Kahvila Kaksi")
    admin.fill("#m-sites", "Mannerheimintie 10; 60.16925, 24.93962\nAleksanterinkatu 5; 60.16900, 24.94600")
    admin.fill("#m-email", "hello@kahvila.example")
    admin.click("#merchant-form button.primary")
    admin.wait_for_selector("[data-merchant='Kahvila Kaksi']")
    admin.once("dialog", lambda d: d.accept("till"))
    admin.click("[data-merchant='Kahvila Kaksi'] button:text('New key')")
    key = secret_shown(admin)
    admin.once("dialog", lambda d: d.accept("staff@kahvila.example"))
    admin.click("[data-merchant='Kahvila Kaksi'] button:text('Invite staff')")
    links["merchant"] = secret_shown(admin)
    shot(admin, "admin-merchants-desktop")
    assert key.startswith("cd_") and key not in admin.content()  # shown once, gone once closed

    shop = context(viewport=DESKTOP).new_page()
    accept_link(shop, links["merchant"], "/merchant/")
    shop.wait_for_selector("#app:not(.hidden)")
    shop.wait_for_selector("#pickup-site:not(.hidden)")
    shop.select_option("#pickup-site", index=1)
    shop.fill("#dropoff", "60.17100, 24.94500")
    shop.dispatch_event("#dropoff", "change")
    shop.fill("#recipient", "Matti Meikäläinen")
    shop.fill("#phone", "+358 40 123 4567")
    shop.click("#submit")
    shop.wait_for_selector("#deliveries tr[data-id]")
    delivery_id = shop.get_attribute("#deliveries tr[data-id]", "data-id")
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {key}"}) as h:
        d = h.get(f"/api/v1/deliveries/{delivery_id}").json()
    assert d["pickup"]["address"] == "Aleksanterinkatu 5"  # the merchant's key sees the staff's order

    rider = context(viewport=PHONE, geolocation=COURIER_AT, permissions=["geolocation"], is_mobile=True,
                    has_touch=True).new_page()
    accept_link(rider, links["courier"], "/courier/", "accept-phone")
    rider.wait_for_selector("body[data-ws='open']")
    rider.click("#shift-start")
    rider.wait_for_selector("body[data-shift='on']")
    rider.wait_for_selector(f"#stops li[data-delivery-id='{delivery_id}']", timeout=20_000)
    shot(rider, "courier-phone-assigned")
    desk = context(viewport=DESKTOP).new_page()
    accept_link(desk, links["dispatcher"], "/dispatcher/")
    desk.wait_for_selector("body[data-ws='open']")
    desk.wait_for_selector(f"#deliveries li[data-id='{delivery_id}'][data-status='assigned']")
    desk.wait_for_selector("#map canvas")
    desk.wait_for_timeout(1500)  # the first tiles
    shot(desk, "dispatcher-desktop")
    rider.click("#next [data-action='picked_up']")
    rider.wait_for_selector("#next[data-kind='dropoff']")
    rider.click("#next [data-action='delivered']")
    shop.wait_for_selector(f"#deliveries tr[data-id='{delivery_id}'][data-status='delivered']", timeout=20_000)
    rider.wait_for_selector("#stops li[data-delivery-id]", state="detached")
    rider.reload()  # today's earnings are read when the app opens (then every minute)
    rider.wait_for_selector("#earnings-summary:text-matches('^1 delivered')")
    shot(rider, "courier-phone-delivered")
    rider.click("a[href='/account/?view=courier']")
    rider.wait_for_selector("body[data-ready='1']")
    with rider.expect_download() as download:
        rider.click("#download")
    mine = Path(download.value.path()).read_text(encoding="utf-8")
    assert delivery_id in mine and "Aino Rider" in mine  # the courier's own data, with the delivery
    shot(rider, "courier-account-phone")

    desk.select_option("#filter", "all")
    try:
        desk.wait_for_selector(f"#deliveries li[data-id='{delivery_id}'][data-status='delivered']")
    except Exception:
        shot(desk, "dispatcher-FAILED")
        raise
    shot(shop, "merchant-desktop")
    admin.click(".tabs [data-tab='audit']")
    admin.wait_for_selector("#audit tr")
    shot(admin, "admin-audit-desktop")
    admin.click(".tabs [data-tab='rules']")
    admin.wait_for_selector("#history li")
    admin.click("#preview")
    admin.wait_for_selector("#preview-rows tr")
    shot(admin, "admin-rules-desktop")
    admin.click(".tabs [data-tab='settings']")
    admin.wait_for_selector("#area-map canvas")
    admin.wait_for_timeout(1000)  # the first tiles
    shot(admin, "admin-area-desktop")
    admin.set_viewport_size(PHONE)
    admin.click(".tabs [data-tab='members']")
    shot(admin, "admin-members-phone")
    admin.select_option("#lang", "fr")
    admin.wait_for_selector(".tabs [data-tab='members']:text('Membres')")
    shot(admin, "admin-members-phone-fr")

    with httpx.Client(base_url=server["base"]) as h:  # a second co-op on the same server, over the API
        second = h.post("/api/v1/admin/coops", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}, json={
            "name": "Toinen", "slug": "toinen", "timezone": "Europe/Helsinki", "admin_email": "admin@toinen.coop"})
        assert second.status_code == 201, second.text
        token = h.post("/api/v1/invitations/accept", json={"token": second.json()["admin"]["url"].split("#", 1)[1],
                                                            "password": PASSWORD}).json()["token"]
        other = {"Authorization": f"Bearer {token}"}
        seen = " ".join(h.get(p, headers=other).text for p in (
            "/api/v1/admin/members", "/api/v1/admin/merchants", "/api/v1/dispatch/deliveries",
            "/api/v1/admin/audit", "/api/v1/dispatch/couriers"))
        assert h.get(f"/api/v1/deliveries/{delivery_id}", headers=other).status_code in (403, 404)
    for trace in ("aino@pyora.coop", "Kahvila", delivery_id, "dana@pyora.coop", "Aino"):
        assert trace not in seen
