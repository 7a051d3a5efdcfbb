"""Quotes and rule sets over HTTP, on SQLite and PostgreSQL: prices add up, are kept, and refuse
to underpay the courier."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from dispatch.db.models import Delivery, Quote
from tests.integration.api_client import DROPOFF, bearer, create_delivery, delivery_body, login

ADMIN_EMAIL = "admin@demo.coop"  # the demo co-op's admin (dispatch.seed)


def quote_body(**overrides: Any) -> dict[str, Any]:
    """The trip of ``delivery_body()``: same dropoff and load, pickup at the merchant."""
    return {"dropoff": dict(DROPOFF), "load": {"kg": 3, "litres": 10}} | overrides


def today_in_helsinki() -> str:
    return datetime.now(ZoneInfo("Europe/Helsinki")).date().isoformat()


def current_rules(client: Any) -> dict[str, Any]:
    rules: dict[str, Any] = client.get("/api/v1/coops/demo/rule-sets").json()["current"]["rule_set"]
    return rules


def adopt(client: Any, admin: dict[str, str], **changes: Any) -> Any:
    """Adopt the current rules with ``changes``, effective today unless said otherwise."""
    body = current_rules(client) | {"effective_from": today_in_helsinki(),
                                    "adopted_by": "general assembly, test vote"} | changes
    body.pop("version")
    return client.post("/api/v1/coop/rule-sets", json=body, headers=admin)


def store_unchecked(ctx: Any, coop_id: str, rules: dict[str, Any]) -> None:
    """Store a rule set as adoption did before it priced sample trips (effective today)."""
    from dispatch.db.models import RuleSetRow

    rules = rules | {"effective_from": today_in_helsinki()}
    with ctx.sessions() as s, s.begin():
        s.add(RuleSetRow(coop_id=coop_id, version=rules["version"],
                         effective_from=datetime.fromisoformat(rules["effective_from"]).date(), body=rules))


def test_a_quote_adds_up_expires_and_its_id_keeps_the_price_for_its_merchant_only(client, world, ctx):
    """Fee = its lines = its three shares; the quote id keeps that price; others' ids, changed
    trips and expired quotes are refused naming quote_id."""
    merchant = bearer(world.merchant_key)
    r = client.post("/api/v1/quotes", json=quote_body(), headers=merchant)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["fee_cents"] == sum(line["amount_cents"] for line in q["lines"]) > 0
    assert q["fee_cents"] == sum(q["split"].values())
    assert min(q["split"].values()) >= 0 and q["split"]["courier_cents"] >= q["courier_floor_cents"]
    assert q["rule_set_version"] == 1
    ttl = datetime.fromisoformat(q["expires_at"]) - datetime.fromisoformat(q["created_at"])
    assert ttl == timedelta(seconds=ctx.settings.quote_ttl_s)

    admin = login(client, ADMIN_EMAIL, world.password)
    dearer = adopt(client, admin, base_cents=current_rules(client)["base_cents"] + 500)
    assert dearer.status_code == 201, dearer.text
    assert dearer.json()["version"] == 2
    new_price = client.post("/api/v1/quotes", json=quote_body(), headers=merchant).json()
    base = {quote["rule_set_version"]: quote["lines"][0] for quote in (q, new_price)}
    assert base[1]["code"] == base[2]["code"] == "base"
    assert base[2]["amount_cents"] == base[1]["amount_cents"] + 500
    assert new_price["fee_cents"] >= q["fee_cents"] + 500

    stale = create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"]))
    assert (stale.status_code, stale.json()["field"]) == (422, "quote_id"), stale.text
    assert "version 2 is in force" in stale.json()["detail"]  # a quote holds for its rule set only
    kept = create_delivery(client, world.merchant_key, delivery_body(quote_id=new_price["id"]))
    assert kept.status_code == 201, kept.text
    assert kept.json()["fee_cents"] == new_price["fee_cents"]
    fresh = create_delivery(client, world.merchant_key)
    assert fresh.json()["fee_cents"] == new_price["fee_cents"]

    refused = [
        create_delivery(client, world.second_merchant_key, delivery_body(quote_id=q["id"])),
        create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"], load={"kg": 9})),
    ]
    with ctx.sessions() as s, s.begin():
        s.execute(update(Quote).where(Quote.id == q["id"])
                  .values(expires_at=datetime.now(ZoneInfo("UTC")) - timedelta(seconds=1)))
    refused.append(create_delivery(client, world.merchant_key, delivery_body(quote_id=q["id"])))
    assert [(a.status_code, a.json()["field"]) for a in refused] == [(422, "quote_id")] * 3
    assert "expired" in refused[2].json()["detail"]


def test_rules_that_cannot_pay_the_floor_are_refused_naming_the_rule_and_bad_rules_naming_the_parameter(
        client, world, ctx):
    """A tiny fee is refused at adoption, and one stored before that check makes quotes and
    deliveries 422 on courier_floor_cents_per_hour; invalid rule sets are 422 on their
    parameter; only admins adopt."""
    admin = login(client, ADMIN_EMAIL, world.password)
    tiny_rules = {"base_cents": 1, "per_km_cents": 0, "per_active_minute_cents": 0, "minimum_fee_cents": 0,
                  "load_surcharges": [], "time_surcharges": [], "weather_surcharges": []}
    tiny = adopt(client, admin, **tiny_rules)
    assert (tiny.status_code, tiny.json()["field"]) == (422, "courier_floor_cents_per_hour"), tiny.text
    assert "sample trip" in tiny.json()["detail"]
    store_unchecked(ctx, world.coop_id, current_rules(client) | tiny_rules | {"version": 2})
    r = client.post("/api/v1/quotes", json=quote_body(), headers=bearer(world.merchant_key))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "courier_floor_cents_per_hour"
    d = create_delivery(client, world.merchant_key)
    assert (d.status_code, d.json()["field"]) == (422, "courier_floor_cents_per_hour")
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0

    yesterday = (datetime.fromisoformat(today_in_helsinki()) - timedelta(days=1)).date().isoformat()
    bad = {"coop_share_bp": adopt(client, admin, coop_share_bp=20_000),
           "per_km_cents": adopt(client, admin, per_km_cents=-3),
           "effective_from": adopt(client, admin, effective_from=yesterday),
           "load_surcharges[0].measure": adopt(client, admin, load_surcharges=[
               {"measure": "colour", "above": 0, "cents_per_unit": 1}])}
    assert {field: (a.status_code, a.json()["field"]) for field, a in bad.items()} == {
        field: (422, field) for field in bad}
    dispatcher = login(client, world.dispatcher_email, world.password)
    assert adopt(client, dispatcher).status_code == 403
