"""Receipts over HTTP: checkable by hand from their JSON, final at delivery, never repriced,
and readable only by the people involved."""

from __future__ import annotations

from typing import Any

from tests.integration.api_client import (
    bearer,
    create_delivery,
    login,
    report,
    start_shift,
    wait_assigned,
)
from tests.integration.test_fees_api import ADMIN_EMAIL, adopt


def deliver_one(client: Any, world: Any) -> tuple[str, dict[str, str]]:
    """Aino starts a shift, gets a new delivery, picks it up and delivers it: (id, Aino)."""
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    delivery_id = create_delivery(client, world.merchant_key).json()["id"]
    wait_assigned(client, world.merchant_key, delivery_id)
    route = client.get("/api/v1/courier/route", headers=courier).json()["stops"]
    stops = {s["kind"]: s["id"] for s in route if s["delivery"]["id"] == delivery_id}
    for kind, action in (("pickup", "arrived"), ("pickup", "picked_up"), ("dropoff", "delivered")):
        assert report(client, courier, stops[kind], action).status_code == 200
    return delivery_id, courier


def check_by_hand(r: dict[str, Any]) -> None:
    """Recompute a receipt from its own JSON with pencil arithmetic (no project code)."""
    rules, trip = r["rule_set"], r["inputs"]["trip"]
    for line in r["lines"]:
        q, rate, per = line["quantity"], line["rate_cents"], line["per"]
        assert line["amount_cents"] == (2 * q * rate + per) // (2 * per)  # half up
    lines = {line["code"]: line for line in r["lines"]}
    assert (lines["base"]["rate_cents"], lines["distance"]["rate_cents"]) == (
        rules["base_cents"], rules["per_km_cents"])
    assert lines["distance"]["quantity"] == trip["distance_m"]
    active = trip["ride_to_pickup_s"] + trip["pickup_service_s"] + trip["ride_s"] + trip["dropoff_service_s"]
    assert lines["active_time"]["quantity"] == active == r["inputs"]["estimated_active_s"]
    fee = sum(line["amount_cents"] for line in r["lines"])
    assert fee == r["fee_cents"]
    weights, order = r["split_weights_bp"], r["rounding"]["rounding_order"]
    assert sum(weights.values()) == 10_000
    shares = {p: fee * weights[p] // 10_000 for p in order}
    remainder = {p: fee * weights[p] % 10_000 for p in order}
    for p in sorted(order, key=lambda p: (-remainder[p], order.index(p)))[:fee - sum(shares.values())]:
        shares[p] += 1
    assert {f"{p}_cents": c for p, c in shares.items()} == r["quoted_split"]
    paid_s = r["inputs"]["paid_active_s"]
    floor = -(-rules["courier_floor_cents_per_hour"] * paid_s // 3600)
    topup = min(max(0, floor - shares["courier"]), shares["coop"])
    assert r["courier_floor"]["floor_cents"] == floor
    assert r["split"] == {"courier_cents": shares["courier"] + topup,
                          "coop_cents": shares["coop"] - topup, "merchant_cents": shares["merchant"]}


def test_a_receipt_is_provisional_then_final_checkable_by_hand_and_never_repriced(client, world):
    """Before delivery the quote's receipt (final false); after, the final one, which a person
    recomputes from the JSON alone and a new rule-set version leaves unchanged."""
    merchant = bearer(world.merchant_key)
    pending = create_delivery(client, world.merchant_key).json()
    provisional = client.get(f"/api/v1/deliveries/{pending['id']}/receipt", headers=merchant).json()
    assert provisional["final"] is False and provisional["inputs"]["actual_active_s"] is None
    assert provisional["fee_cents"] == pending["fee_cents"]
    check_by_hand(provisional)

    delivery_id, courier = deliver_one(client, world)
    r = client.get(f"/api/v1/deliveries/{delivery_id}/receipt", headers=merchant)
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["final"] is True and final["status"] == "delivered"
    assert isinstance(final["inputs"]["actual_active_s"], int)
    check_by_hand(final)
    assert client.get(f"/api/v1/deliveries/{delivery_id}/receipt", headers=courier).json() == final

    admin = login(client, ADMIN_EMAIL, world.password)
    assert adopt(client, admin, base_cents=999, coop_share_bp=3000).status_code == 201
    assert client.get(f"/api/v1/deliveries/{delivery_id}/receipt", headers=merchant).json() == final
    assert final["rule_set_version"] == 1


def test_a_receipt_is_readable_by_its_merchant_and_the_coop_only_others_get_404(client, world):
    """Another merchant, a courier it is not assigned to and another co-op's people get 404."""
    delivery_id = create_delivery(client, world.merchant_key).json()["id"]
    url = f"/api/v1/deliveries/{delivery_id}/receipt"
    readers = {"merchant": bearer(world.merchant_key),
               "dispatcher": login(client, world.dispatcher_email, world.password)}
    strangers = {"second merchant": bearer(world.second_merchant_key),
                 "unassigned courier": login(client, world.courier_emails[1], world.password),
                 "other coop merchant": bearer(world.other_merchant_key),
                 "other coop dispatcher": login(client, world.other_dispatcher_email, world.password),
                 "other coop courier": login(client, world.other_courier_email, world.password)}
    assert {who: client.get(url, headers=h).status_code for who, h in readers.items()} == {
        who: 200 for who in readers}
    assert {who: client.get(url, headers=h).status_code for who, h in strangers.items()} == {
        who: 404 for who in strangers}
    assert client.get(url).status_code == 401
