"""Authorization matrix generated from the app's route table (its OpenAPI paths): every operation
that takes an id x every stranger role x an object of another merchant, coop or courier answers
403 or 404 and leaks nothing; and the courier's view of personal data follows the delivery."""

from __future__ import annotations

import base64
import math
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.app import build_context, create_app
from tests.integration.api_client import bearer, create_delivery, login, report, start_shift

# Public by design: the tracking token is itself the secret; a co-op's fee rules are published.
# The basemap's tiles and label glyphs (issue 19) are public too: a map is a server-wide OSM
# extract (the ``maps`` table has no owner) and its tiles hold only OpenStreetMap data; the
# courier app caches them before anyone logs in and the public tracking page draws them. What is
# a co-op's own (its service area, its language) is only in a signed-in caller's basemap; checked
# in test_tiles_and_glyphs_are_the_same_for_everyone_and_carry_nothing_of_a_coop.
PUBLIC_PARAMS = {"token", "slug"}
MAP_PARAMS = {"map_id", "z", "x", "y", "fontstack", "start", "end"}
TINY_JPEG = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9").decode()
PHONE, ADDRESS = "+358 40 123 4567", "Kaisaniemenkatu 1"
IMPORTED = "Kaivokatu 8"  # the dropoff of merchant A's imported order


@pytest.fixture
def quiet_client(settings: Any, db: Any) -> Any:
    quiet = settings.model_copy(update={"run_dispatch_loop": False, "background_jobs": False})
    with TestClient(create_app(quiet, ctx=build_context(quiet, engine=db[1]))) as c:
        yield c


def operations(client: TestClient) -> list[tuple[str, str, list[str]]]:
    """(method, path template, path parameters) of every id-taking operation."""
    out = []
    for path, ops in client.app.openapi()["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if params and not set(params) <= PUBLIC_PARAMS | MAP_PARAMS:
            out.extend((method.upper(), path, params) for method in ops)
    return out


def body_for(path: str, courier_id: str) -> dict[str, Any] | None:
    now = datetime.now(UTC).isoformat()
    bodies = {"cancel": {"reason": "x"}, "assign": {"courier_id": courier_id, "reason": "x"},
              "unassign": {"reason": "x"}, "allow-proof": {"reason": "x"},
              "reports": {"action": "arrived", "happened_at": now},
              "proof": {"kind": "photo", "happened_at": now, "image_base64": TINY_JPEG},
              # co-op setup (issue 17): valid bodies, so that only the caller can be refused
              "vehicle": {"kind": "bike", "capacity_kg": 10, "capacity_litres": 40, "speed_pct": 100},
              "keys": {"label": "x"}, "rotate": {"overlap_h": 0}, "staff": {"email": "s@x.coop", "name": "S"},
              "sites": {"address": "Kaisaniemenkatu 3", "lat": 60.1710, "lon": 24.9450}}
    return bodies.get(path.rsplit("/", 1)[-1])


@pytest.fixture
def scene(quiet_client: TestClient, world: Any) -> dict[str, Any]:
    """Merchant A's delivery assigned to Aino (on shift), its pickup stop, and A's webhook."""
    c = quiet_client
    dispatcher = login(c, world.dispatcher_email, world.password)
    aino = login(c, world.courier_emails[0], world.password)
    aino_id = c.get("/api/v1/auth/me", headers=aino).json()["courier_id"]
    start_shift(c, aino)
    d = create_delivery(c, world.merchant_key).json()
    r = c.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", json={"courier_id": aino_id, "reason": "t"},
               headers=dispatcher)
    assert r.status_code == 200, r.text
    hook = c.post("/api/v1/webhooks", json={"url": "https://8.8.8.8/hook"}, headers=bearer(world.merchant_key))
    assert hook.status_code == 201, hook.text
    stop = next(s["id"] for s in d["stops"] if s["kind"] == "pickup")
    strangers = {
        "second merchant, same coop": bearer(world.second_merchant_key),
        "merchant of another coop": bearer(world.other_merchant_key),
        "dispatcher of another coop": login(c, world.other_dispatcher_email, world.password),
        "courier of another coop": login(c, world.other_courier_email, world.password),
        "another courier, same coop": login(c, world.courier_emails[1], world.password),
        "admin of another coop": other_admin(c, world),
    }
    ids = {"delivery_id": d["id"], "stop_id": stop, "webhook_id": hook.json()["id"], "courier_id": aino_id,
           "user_id": c.get("/api/v1/auth/me", headers=aino).json()["user_id"], "merchant_id": world.merchant_id,
           "key_id": demo_key_id(c)}
    return {"ids": ids, "strangers": strangers, "delivery": d, "aino": aino, "aino_id": aino_id,
            "tracking": d["tracking_token"]}


def other_admin(c: TestClient, world: Any) -> dict[str, str]:
    """An admin of the other co-op, logged in."""
    from sqlalchemy import select

    from dispatch.db.models import Coop, User
    from dispatch.services.auth import hash_password

    with c.app.state.ctx.sessions() as s, s.begin():
        other = s.scalar(select(Coop.id).where(Coop.slug == "other"))
        s.add(User(coop_id=other, role="admin", email="a@other.coop", name="A",
                   password_hash=hash_password(world.password)))
    return login(c, "a@other.coop", world.password)


def demo_key_id(c: TestClient) -> str:
    from sqlalchemy import select

    from dispatch.db.models import ApiKey
    from dispatch.seed import DEMO_KEY_PREFIX

    with c.app.state.ctx.sessions() as s:
        return str(s.scalar(select(ApiKey.id).where(ApiKey.prefix == DEMO_KEY_PREFIX)))


def own_import(c: TestClient, world: Any) -> str:
    """Merchant A's finished order import (issue 18): one row with a customer's phone and address."""
    csv = f"order_ref,recipient_name,recipient_phone,dropoff_address,load_kg\nM-1,Aino,{PHONE},{IMPORTED},2\n"
    body = {"filename": "orders.csv", "content_base64": base64.b64encode(csv.encode()).decode(), "dry_run": False}
    started = c.post("/api/v1/deliveries/imports", json=body, headers=bearer(world.merchant_key))
    assert started.status_code == 202, started.text
    for _ in range(600):  # its rows are created in a thread: wait for them, so nothing writes during the matrix
        job = c.get(started.headers["Location"], headers=bearer(world.merchant_key)).json()
        if job["status"] == "done":
            assert job["created"] == 1 and IMPORTED in job["rows"][0]["dropoff"], job  # what must not leak
            return str(job["id"])
        time.sleep(0.05)
    raise AssertionError("the import did not finish in 30 s")


def test_every_id_taking_operation_refuses_every_stranger_and_leaks_nothing(quiet_client, world, scene):
    """403 or 404 for each (operation, stranger); no personal data, token or webhook secret in the answer."""
    c, ids = quiet_client, scene["ids"] | {"import_id": own_import(quiet_client, world)}
    ops = operations(c)
    assert len(ops) >= 8
    unknown = {p for _, _, params in ops for p in params} - set(ids)
    assert not unknown, f"new id-taking route parameters not covered by the matrix: {unknown}"
    before = c.get(f"/api/v1/deliveries/{ids['delivery_id']}", headers=bearer(world.merchant_key)).json()
    seen = []
    for method, path, params in ops:
        url = path.format(**{p: ids[p] for p in params})
        body = body_for(path, scene["aino_id"])
        for who, headers in scene["strangers"].items():
            extra = {"Idempotency-Key": f"k-{len(seen)}"}
            r = c.request(method, url, json=body, headers=headers | extra)
            seen.append((method, path, who, r.status_code))
            assert r.status_code in (403, 404), (method, path, who, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            for secret in (PHONE, ADDRESS, IMPORTED, scene["tracking"], "whsec_"):
                assert secret not in r.text, (method, path, who)
    assert len(seen) == len(ops) * len(scene["strangers"])
    after = c.get(f"/api/v1/deliveries/{ids['delivery_id']}", headers=bearer(world.merchant_key)).json()
    assert (after["status"], after["courier_id"], after["version"]) == (
        "assigned", scene["aino_id"], before["version"])
    assert after["reason"] is None
    assert len(c.get("/api/v1/webhooks", headers=bearer(world.merchant_key)).json()) == 1


def test_tiles_and_glyphs_are_the_same_for_everyone_and_carry_nothing_of_a_coop(quiet_client, world, scene):
    """The map routes are public (see MAP_PARAMS): anonymous, the owner and every stranger get the
    same bytes with a shared-cache header, so no answer depends on who asks; the co-op's own area
    and language come only with its members' basemap, never in another co-op's; a map id that
    names no map is 404 for everyone."""
    c = quiet_client
    own = login(c, world.dispatcher_email, world.password)
    mine = c.get("/api/v1/map/basemap", headers=own).json()
    assert mine["service_area"] is not None
    lon, lat = mine["centre"]
    x, y = int((lon + 180) / 360 * 2**16), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**16)
    urls = [mine["tiles"].format(z=16, x=x, y=y), "/api/v1/map/fonts/Sans Regular/0-255.pbf"]
    callers = {"anonymous": {}, "owner": own} | scene["strangers"]
    for url in urls:
        seen = {}
        for who, headers in callers.items():
            r = c.get(url, headers=headers | {"Accept-Encoding": "gzip"})
            assert r.status_code == 200 and r.headers["cache-control"].startswith("public"), (url, who, r.text)
            assert "set-cookie" not in r.headers and "authorization" not in r.headers.get("vary", "").lower()
            seen[who] = (r.status_code, r.content)
        assert len(set(seen.values())) == 1, (url, "the answer depends on the caller")
    theirs = other_coop_area(c)
    assert theirs != mine["service_area"]
    for who, headers in scene["strangers"].items():
        if "another coop" in who:
            r = c.get("/api/v1/map/basemap", headers=headers)
            assert r.status_code == 200 and r.json()["service_area"] == theirs, who
    for who, headers in callers.items():
        r = c.get("/api/v1/map/tiles/0123456789abcdef/10/583/296.pbf", headers=headers)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", who


def other_coop_area(c: TestClient) -> dict[str, Any]:
    """Give the other co-op an area of its own (the world's two co-ops share one) and return it."""
    from sqlalchemy import select

    from dispatch.db.models import Coop
    from dispatch.seed import area_geojson

    area = area_geojson([(60.1700, 24.9400), (60.1700, 24.9500), (60.1760, 24.9500), (60.1760, 24.9400)])
    with c.app.state.ctx.sessions() as s, s.begin():
        s.scalar(select(Coop).where(Coop.slug == "other")).service_area = area
    return dict(area)


def test_a_courier_sees_phone_and_address_only_while_the_delivery_is_theirs_and_open(quiet_client, scene):
    """Aino sees them while assigned and on board, not once delivered; nobody else's courier ever."""
    c, aino, did = quiet_client, scene["aino"], scene["ids"]["delivery_id"]

    def view() -> dict[str, Any]:
        r = c.get(f"/api/v1/deliveries/{did}", headers=aino)
        assert r.status_code == 200, r.text
        return dict(r.json())

    assert (view()["recipient"]["phone"], view()["dropoff"]["address"]) == (PHONE, ADDRESS)
    stops = {s["kind"]: s["id"] for s in scene["delivery"]["stops"]}
    assert report(c, aino, stops["pickup"], "picked_up").status_code == 200
    assert view()["recipient"]["phone"] == PHONE
    assert report(c, aino, stops["dropoff"], "delivered").status_code == 200
    done = c.get("/api/v1/courier/route", headers=aino).json()
    assert done["stops"] == []
    other = scene["strangers"]["another courier, same coop"]
    assert c.get(f"/api/v1/deliveries/{did}", headers=other).status_code == 404
    final = c.get(f"/api/v1/deliveries/{did}", headers=aino)
    if final.status_code == 200:
        assert final.json()["recipient"]["phone"] is None and final.json()["dropoff"]["address"] is None
        assert PHONE not in final.text
    else:
        assert final.status_code == 404


def admin_operations(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every co-op administration operation, with or without ids."""
    return [(m.upper(), p) for p, ops in client.app.openapi()["paths"].items()
            if p.startswith("/api/v1/admin/") and p != "/api/v1/admin/coops" for m in ops]


def test_every_admin_operation_is_for_the_coops_own_admins_only(quiet_client, world, scene):
    """A dispatcher, a courier and a merchant key get 403 on each; another co-op's admin gets 404
    on this co-op's ids, and its own lists never hold this co-op's people, merchants or keys."""
    c, ids = quiet_client, scene["ids"]
    ops = admin_operations(c)
    assert len(ops) >= 18
    same_coop = {"dispatcher": login(c, world.dispatcher_email, world.password), "courier": scene["aino"],
                 "merchant key": bearer(world.merchant_key)}
    foreign = scene["strangers"]["admin of another coop"]
    for method, path in ops:
        url = path.format(**{p: ids[p] for p in re.findall(r"{(\w+)}", path)})
        body = body_for(path, scene["aino_id"]) or admin_body(path)
        for who, headers in same_coop.items():
            r = c.request(method, url, json=body, headers=headers)
            assert r.status_code == 403, (method, path, who, r.status_code, r.text)
        r = c.request(method, url, json=body, headers=foreign)
        if "{" in path:
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        else:
            assert r.status_code < 500, (method, path, r.text)
            for secret in (world.dispatcher_email, "Kahvila", "demomerchant", world.courier_emails[0]):
                assert secret not in r.text, (method, path, secret)


def admin_body(path: str) -> dict[str, Any] | None:
    """Valid bodies for the id-less admin operations that take one."""
    return {"/api/v1/admin/members": {"email": "n@other.coop", "name": "N", "role": "courier"},
            "/api/v1/admin/merchants": {"name": "M", "sites": [{"address": "Kaisaniemenkatu 3", "lat": 60.1710,
                                                               "lon": 24.9450}]},
            "/api/v1/admin/coop": {"name": "Renamed"},
            "/api/v1/admin/rule-sets/preview": {"base_cents": 500},
            "/api/v1/admin/rule-sets": {"rules": {}, "assembly_date": "2026-12-01", "votes_for": 1,
                                        "votes_against": 0}}.get(path)
