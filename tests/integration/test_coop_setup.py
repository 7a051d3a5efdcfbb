"""A co-op from nothing over the service and the admin API: the first admin's one-time link,
members invited, deactivated and reset, vehicles, merchants with pickup addresses, keys issued,
rotated and revoked, staff logins, rule-set preview and adoption, the audit log and exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dispatch.services.coops import NewCoop, create_coop
from tests.integration.api_client import bearer, create_delivery, delivery_body, login, start_shift

PASSWORD = "a-long-enough-password"
HELSINKI = [[24.9360, 60.1650], [24.9527, 60.1650], [24.9527, 60.1785], [24.9360, 60.1785], [24.9360, 60.1650]]
SITES = [{"label": "Kitchen", "address": "Mannerheimintie 10", "lat": 60.16925, "lon": 24.93962},
         {"label": "Shop", "address": "Aleksanterinkatu 5", "lat": 60.1690, "lon": 24.9460}]


def token_of(url: str) -> str:
    return url.split("#", 1)[1]


def accept(client: Any, url: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/invitations/accept", json={"token": token_of(url), "password": password})
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


@pytest.fixture
def fresh(ctx: Any, client: Any) -> dict[str, Any]:
    """A co-op created like the CLI does, its admin logged in through the one-time link."""
    out = create_coop(ctx, NewCoop(name="Fresh co-op", slug="fresh", admin_email="Admin@Fresh.coop",
                                   timezone="Europe/Helsinki", service_area={"type": "Polygon",
                                                                             "coordinates": [HELSINKI]}))
    return {"coop": out, "admin": accept(client, out["admin"]["url"])}


def test_the_first_admins_link_works_once_and_the_default_rules_are_in_force(client, fresh):
    """The link opens the account; a second use is a 404; the co-op has rule-set version 1 with its record."""
    url = fresh["coop"]["admin"]["url"]
    assert "#" in url and token_of(url) not in url.split("#")[0]
    again = client.post("/api/v1/invitations/accept", json={"token": token_of(url), "password": PASSWORD})
    assert again.status_code == 404 and again.json()["field"] == "token"
    assert login(client, "admin@fresh.coop", PASSWORD)
    rules = client.get("/api/v1/coops/fresh/rule-sets").json()
    assert "adopted" in str(rules) and "creation" in str(rules)
    settings = client.get("/api/v1/admin/coop", headers=fresh["admin"]).json()
    assert settings["slug"] == "fresh" and settings["timezone"] == "Europe/Helsinki"


def test_a_short_password_or_a_taken_slug_is_refused_naming_the_field(ctx, client, fresh):
    """422 password, 409 slug."""
    link = client.post("/api/v1/admin/members", json={"email": "c@fresh.coop", "name": "Cee", "role": "courier"},
                       headers=fresh["admin"]).json()
    short = client.post("/api/v1/invitations/accept", json={"token": token_of(link["url"]), "password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    from dispatch.domain.errors import Conflict

    with pytest.raises(Conflict) as err:
        create_coop(ctx, NewCoop(name="Again", slug="fresh", admin_email="x@y.coop"))
    assert err.value.field == "slug"


def test_a_deactivated_courier_is_out_at_once_and_their_deliveries_go_back_to_the_pool(client, fresh):
    """Token refused at once, shift ended, assigned delivery pending again; reactivation lets them log in."""
    admin = fresh["admin"]
    link = client.post("/api/v1/admin/members", json={"email": "rider@fresh.coop", "name": "Rita Rider",
                                                      "role": "courier"}, headers=admin).json()
    rider = accept(client, link["url"])
    merchant = client.post("/api/v1/admin/merchants", json={"name": "Cafe", "sites": SITES[:1]}, headers=admin).json()
    key = client.post(f"/api/v1/admin/merchants/{merchant['id']}/keys", json={"label": "till"}, headers=admin).json()
    start_shift(client, rider)
    dispatcher_link = client.post("/api/v1/admin/members", json={"email": "d@fresh.coop", "name": "Dee",
                                                                 "role": "dispatcher"}, headers=admin).json()
    dispatcher = accept(client, dispatcher_link["url"])
    d = create_delivery(client, key["key"]).json()
    courier_id = client.get("/api/v1/auth/me", headers=rider).json()["courier_id"]
    r = client.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", json={"courier_id": courier_id, "reason": "t"},
                    headers=dispatcher)
    assert r.status_code == 200, r.text
    out = client.post(f"/api/v1/admin/members/{link['user_id']}/deactivate", headers=admin)
    assert out.status_code == 200 and out.json()["active"] is False
    assert client.get("/api/v1/courier/route", headers=rider).status_code == 401
    assert client.get(f"/api/v1/deliveries/{d['id']}", headers=bearer(key["key"])).json()["status"] == "pending"
    refused = client.post("/api/v1/auth/login", json={"email": "rider@fresh.coop", "password": PASSWORD})
    assert refused.status_code == 401
    client.post(f"/api/v1/admin/members/{link['user_id']}/reactivate", headers=admin)
    assert login(client, "rider@fresh.coop", PASSWORD)
    actions = [a["action"] for a in client.get("/api/v1/admin/audit", headers=admin).json()]
    assert {"deactivate_member", "reactivate_member", "invite_member", "issue_api_key"} <= set(actions)
    only = client.get("/api/v1/admin/audit", params={"action": "deactivate_member"}, headers=admin).json()
    assert len(only) == 1 and only[0]["details"]["returned_to_pool"] == [d["id"]]


def test_password_reset_and_vehicle_and_own_name_and_data(client, fresh):
    """A reset link sets a new password; the vehicle is audited; a member renames and downloads their data."""
    admin = fresh["admin"]
    link = client.post("/api/v1/admin/members", json={"email": "v@fresh.coop", "name": "Vera", "role": "courier"},
                       headers=admin).json()
    accept(client, link["url"])
    reset = client.post(f"/api/v1/admin/members/{link['user_id']}/password-reset", headers=admin).json()
    accept(client, reset["url"], "another-long-password")
    me = login(client, "v@fresh.coop", "another-long-password")
    courier_id = client.get("/api/v1/auth/me", headers=me).json()["courier_id"]
    bad = client.put(f"/api/v1/admin/couriers/{courier_id}/vehicle", headers=admin,
                     json={"kind": "e_cargo", "capacity_kg": 0, "capacity_litres": 300, "speed_pct": 100})
    assert bad.status_code == 422 and bad.json()["field"] == "capacity_kg"
    ok = client.put(f"/api/v1/admin/couriers/{courier_id}/vehicle", headers=admin,
                    json={"kind": "e_cargo", "capacity_kg": 120, "capacity_litres": 300, "speed_pct": 105})
    assert ok.json()["courier"]["capacity_kg"] == 120
    assert client.patch("/api/v1/me", json={"name": "Vera V."}, headers=me).json()["name"] == "Vera V."
    data = client.get("/api/v1/me/export", headers=me)
    assert data.headers["content-disposition"].startswith("attachment")
    assert data.json()["profile"]["name"] == "Vera V." and data.json()["statement"] is not None


def test_keys_are_shown_once_rotate_with_overlap_and_revoke_at_once(client, fresh):
    """The list never shows a key; a rotated key works during the overlap; a revoked key stops now."""
    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES, "is_member": False,
                                                     "contact_email": "deli@example.org"}, headers=admin).json()
    assert [s["label"] for s in m["sites"]] == ["Kitchen", "Shop"]
    first = client.post(f"/api/v1/admin/merchants/{m['id']}/keys", json={"label": "pos"}, headers=admin).json()
    listed = client.get("/api/v1/admin/merchants", headers=admin).text
    assert first["key"] not in listed and first["prefix"] in listed
    rotated = client.post(f"/api/v1/admin/keys/{first['id']}/rotate", json={"overlap_h": 1}, headers=admin).json()
    for key in (first["key"], rotated["key"]):
        assert client.get("/api/v1/deliveries", headers=bearer(key)).status_code == 200
    assert client.post(f"/api/v1/admin/keys/{first['id']}/revoke", headers=admin).status_code == 200
    assert client.get("/api/v1/deliveries", headers=bearer(first["key"])).status_code == 401
    now_gone = client.post(f"/api/v1/admin/keys/{rotated['id']}/rotate", json={"overlap_h": 0}, headers=admin).json()
    assert client.get("/api/v1/deliveries", headers=bearer(rotated["key"])).status_code == 401
    assert client.get("/api/v1/deliveries", headers=bearer(now_gone["key"])).status_code == 200
    sites = client.get("/api/v1/merchant/sites", headers=bearer(now_gone["key"])).json()
    assert [s["address"] for s in sites] == ["Mannerheimintie 10", "Aleksanterinkatu 5"]
    outside = client.post("/api/v1/admin/merchants", headers=admin, json={
        "name": "Far", "sites": [{"address": "Tampere", "lat": 61.5, "lon": 23.76}]})
    assert outside.status_code == 422 and outside.json()["field"] == "sites[0]"


def test_merchant_staff_log_in_with_a_password_and_order_from_the_second_address(client, fresh):
    """A staff member accepts the invitation and orders from the shop's address."""
    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES}, headers=admin).json()
    link = client.post(f"/api/v1/admin/merchants/{m['id']}/staff", json={"email": "s@deli.example", "name": "Sam"},
                       headers=admin).json()
    staff = accept(client, link["url"])
    body = delivery_body(pickup={"lat": SITES[1]["lat"], "lon": SITES[1]["lon"], "address": SITES[1]["address"]})
    r = create_delivery(client, staff["Authorization"].split(" ", 1)[1], body)
    assert r.status_code == 201, r.text
    assert r.json()["pickup"]["address"] == "Aleksanterinkatu 5"


def test_rule_set_preview_and_adoption_with_the_vote(client, fresh):
    """Preview prices three trips; a draft below the floor is a 422; adoption records the vote."""
    admin = fresh["admin"]
    rules = client.get("/api/v1/coops/fresh/rule-sets").json()
    draft = {k: v for k, v in rules["current"]["rule_set"].items() if k != "version"}
    prev = client.post("/api/v1/admin/rule-sets/preview", json=draft, headers=admin)
    assert prev.status_code == 200, prev.text
    assert len(prev.json()["trips"]) == 3 and all(t["fee_cents"] > 0 for t in prev.json()["trips"])
    cheap = draft | {"base_cents": 0, "per_km_cents": 0, "per_active_minute_cents": 0, "minimum_fee_cents": 0}
    below = client.post("/api/v1/admin/rule-sets/preview", json=cheap, headers=admin)
    assert below.status_code == 422, below.text
    illegal = client.post("/api/v1/admin/rule-sets/preview", json=draft | {"courier_floor_cents_per_hour": 500},
                          headers=admin)
    assert illegal.status_code == 422 and illegal.json()["field"] == "courier_floor_cents_per_hour"
    today = datetime.now(UTC).date().isoformat()
    adopted = client.post("/api/v1/admin/rule-sets", headers=admin, json={
        "rules": draft | {"effective_from": "2099-01-01"}, "assembly_date": today,
        "votes_for": 12, "votes_against": 1, "abstentions": 2})
    assert adopted.status_code == 201, adopted.text
    assert adopted.json()["adopted_by"] == f"general assembly of {today}, 12 for, 1 against, 2 abstention(s)"
    csv = client.get("/api/v1/admin/exports/deliveries.csv", headers=admin)
    assert csv.status_code == 200 and csv.text.startswith("id,created_at,status")


def test_a_coop_is_created_over_http_only_with_the_operators_key(settings, db, app):
    """No operator key configured: 401; with it: 201 and the link."""
    from fastapi.testclient import TestClient

    from dispatch.app import build_context, create_app

    assert TestClient(app).post("/api/v1/admin/coops", json={"name": "X", "slug": "x", "admin_email": "a@x.coop"},
                                headers=bearer("guess")).status_code == 401
    keyed = settings.model_copy(update={"operator_key": "operator-secret-for-tests-0123456789"})
    with TestClient(create_app(keyed, ctx=build_context(keyed, engine=db[1]))) as c:
        r = c.post("/api/v1/admin/coops", json={"name": "X", "slug": "x", "admin_email": "a@x.coop"},
                   headers=bearer("operator-secret-for-tests-0123456789"))
        assert r.status_code == 201, r.text
        assert r.json()["admin"]["url"].count("#") == 1


def test_a_coop_cannot_start_below_the_legal_floor(settings, db):
    """The legal floor raised above the default rules' floor: creating a co-op over the
    operator's API is a 422 naming the floor, and no co-op is stored."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from dispatch.app import build_context, create_app
    from dispatch.db.models import Coop

    raised = settings.model_copy(update={"operator_key": "operator-secret-for-tests-0123456789",
                                         "legal_floor_cents_per_hour": 5000})
    ctx = build_context(raised, engine=db[1])
    with TestClient(create_app(raised, ctx=ctx)) as c:
        r = c.post("/api/v1/admin/coops", json={"name": "X", "slug": "x", "admin_email": "a@x.coop"},
                   headers=bearer("operator-secret-for-tests-0123456789"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "courier_floor_cents_per_hour" and "legal floor of 5000" in r.json()["detail"]
    with ctx.sessions() as s:
        assert s.scalar(select(Coop.id).where(Coop.slug == "x")) is None


def test_a_revoked_key_is_forgotten_by_every_process_that_hears_the_event(ctx, client, fresh, settings, db):
    """Revocation announces itself (auth.revoked, no secret in it); another process's cache drops the key."""
    from sqlalchemy import select

    from dispatch.app import build_context
    from dispatch.db.models import OutboxEvent
    from dispatch.realtime.messages import Frame
    from dispatch.realtime.sessions import SocketSessions
    from dispatch.services.auth import principal_from_api_key

    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES[:1]}, headers=admin).json()
    key = client.post(f"/api/v1/admin/merchants/{m['id']}/keys", json={"label": "pos"}, headers=admin).json()
    elsewhere = build_context(settings, engine=db[1])  # another API process on the same database
    principal_from_api_key(elsewhere, key["key"])
    assert elsewhere.key_cache
    assert client.post(f"/api/v1/admin/keys/{key['id']}/revoke", headers=admin).status_code == 200
    with ctx.sessions() as s:
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "auth.revoked")).one()
    assert event.data["reason"] == "api key revoked" and key["key"] not in str(event.data)
    SocketSessions(elsewhere, hub=None).observe(event.topics, Frame(seq=event.seq, type=event.type, data=event.data))
    assert not [k for k in elsewhere.key_cache if not k.startswith("token:")]


def test_a_rotated_key_cached_by_a_process_stops_when_its_overlap_ends(ctx, client, fresh, monkeypatch):
    """The old key was verified (and cached) a moment before its overlap ended: one second past
    the end it is refused, over HTTP and from the cache, not up to a minute later."""
    from datetime import timedelta

    from dispatch.services.auth import Unauthorized, api_key_session, cached_principal, principal_from_api_key

    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES[:1]}, headers=admin).json()
    old = client.post(f"/api/v1/admin/merchants/{m['id']}/keys", json={"label": "pos"}, headers=admin).json()
    new = client.post(f"/api/v1/admin/keys/{old['id']}/rotate", json={"overlap_h": 1}, headers=admin).json()
    assert client.get("/api/v1/deliveries", headers=bearer(old["key"])).status_code == 200  # cached now
    principal, expires_at = api_key_session(ctx, old["key"])
    assert expires_at is not None and cached_principal(ctx, old["key"]) == principal
    monkeypatch.setattr(ctx, "clock", lambda: expires_at + timedelta(seconds=1))
    assert cached_principal(ctx, old["key"]) is None
    with pytest.raises(Unauthorized):
        principal_from_api_key(ctx, old["key"])
    assert client.get("/api/v1/deliveries", headers=bearer(old["key"])).status_code == 401
    assert client.get("/api/v1/deliveries", headers=bearer(new["key"])).status_code == 200


def test_a_revoked_or_expired_key_is_named_by_its_prefix_for_sockets(ctx, client, fresh, monkeypatch):
    """The revocation event names the key by its public prefix (the name its sockets are kept
    under), and the sockets' sweep finds revoked and expired keys by that name."""
    from datetime import timedelta

    from sqlalchemy import select

    from dispatch.db.models import OutboxEvent
    from dispatch.services.auth import api_key_name, revoked_among

    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES[:1]}, headers=admin).json()
    keys = [client.post(f"/api/v1/admin/merchants/{m['id']}/keys", json={"label": label}, headers=admin).json()
            for label in ("pos", "web", "app")]
    revoked, rotated, kept = (api_key_name(k["key"]) for k in keys)
    assert revoked == "key:" + keys[0]["prefix"]
    assert client.post(f"/api/v1/admin/keys/{keys[0]['id']}/revoke", headers=admin).status_code == 200
    with ctx.sessions() as s:
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "auth.revoked")).one()
    assert event.data["keys"] == [keys[0]["prefix"]]
    assert revoked_among(ctx, [revoked, rotated, kept]) == {revoked}
    client.post(f"/api/v1/admin/keys/{keys[1]['id']}/rotate", json={"overlap_h": 1}, headers=admin)
    monkeypatch.setattr(ctx, "clock", lambda: datetime.now(UTC) + timedelta(hours=1, seconds=5))
    assert revoked_among(ctx, [revoked, rotated, kept]) == {revoked, rotated}


def test_a_key_revoked_while_a_request_was_verifying_it_is_not_cached_again(ctx, client, fresh, monkeypatch):
    """The revocation is heard while argon2 checks the key for a request that started before it:
    that request's answer is not remembered, so the next request asks the database (401)."""
    from dispatch.services import auth

    admin = fresh["admin"]
    m = client.post("/api/v1/admin/merchants", json={"name": "Deli", "sites": SITES[:1]}, headers=admin).json()
    key = client.post(f"/api/v1/admin/merchants/{m['id']}/keys", json={"label": "pos"}, headers=admin).json()
    verify = auth._verify_api_key

    def revoked_meanwhile(c, k):
        answer = verify(c, k)
        assert client.post(f"/api/v1/admin/keys/{key['id']}/revoke", headers=admin).status_code == 200
        return answer

    monkeypatch.setattr(auth, "_verify_api_key", revoked_meanwhile)
    auth.principal_from_api_key(ctx, key["key"])  # verified before the revocation committed
    monkeypatch.setattr(auth, "_verify_api_key", verify)
    assert auth.cached_principal(ctx, key["key"]) is None
    assert client.get("/api/v1/deliveries", headers=bearer(key["key"])).status_code == 401
