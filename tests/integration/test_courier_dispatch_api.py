"""Courier and dispatcher APIs over SQLite and PostgreSQL, with who-may-touch-what checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dispatch.db.models import AuditEntry
from tests.integration.api_client import (
    bearer,
    create_delivery,
    login,
    report,
    start_shift,
    wait_assigned,
)


def assigned_delivery(client, world, courier_index: int = 0):
    """A courier on shift and a delivery the loop assigned to them."""
    courier = login(client, world.courier_emails[courier_index], world.password)
    shift = start_shift(client, courier)
    d = create_delivery(client, world.merchant_key).json()
    wait_assigned(client, world.merchant_key, d["id"])
    stops = {s["kind"]: s for s in client.get("/api/v1/courier/route", headers=courier).json()["stops"]}
    return courier, shift, d, stops


def test_a_courier_reports_pickup_and_dropoff_at_the_phones_time_exactly_once(client, world, ctx):
    """Reports carry the phone's timestamps; a retried key is answered from the first report."""
    courier, _, d, stops = assigned_delivery(client, world)
    picked_at = datetime.now(UTC) - timedelta(minutes=3)
    first = report(client, courier, stops["pickup"]["id"], "picked_up", key="p1", at=picked_at)
    again = report(client, courier, stops["pickup"]["id"], "picked_up", key="p1", at=picked_at)
    assert first.status_code == 200 and first.content == again.content
    r = report(client, courier, stops["dropoff"]["id"], "delivered", key="d1")
    assert r.status_code == 200 and r.json()["delivery"]["status"] == "delivered"
    got = client.get(f"/api/v1/deliveries/{d['id']}", headers=bearer(world.merchant_key)).json()
    assert datetime.fromisoformat(got["picked_up_at"]) == picked_at
    with ctx.sessions() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.delivery_id == d["id"]))]
    assert actions.count("pick_up") == 1 and actions.count("deliver") == 1


def test_a_report_that_does_not_fit_the_stop_is_a_422_and_an_illegal_one_a_409(client, world):
    """Delivering at a pickup stop names the action; delivering before pickup names the status."""
    courier, _, _, stops = assigned_delivery(client, world)
    r = report(client, courier, stops["pickup"]["id"], "delivered")
    assert r.status_code == 422 and r.json()["field"] == "action"
    r = report(client, courier, stops["dropoff"]["id"], "delivered")
    assert r.status_code == 409 and r.json()["current_status"] == "assigned"


def test_failing_a_delivery_needs_a_reason(client, world):
    """A failed dropoff without a reason is refused, with one it is recorded."""
    courier, _, _, stops = assigned_delivery(client, world)
    assert report(client, courier, stops["pickup"]["id"], "picked_up").status_code == 200
    r = report(client, courier, stops["dropoff"]["id"], "failed")
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = report(client, courier, stops["dropoff"]["id"], "failed", reason="nobody home")
    assert r.status_code == 200 and r.json()["delivery"]["status"] == "failed"


def test_a_courier_cannot_act_on_another_couriers_stop(client, world):
    """Someone else's stop is a 404, as if it did not exist."""
    _, _, _, stops = assigned_delivery(client, world, 0)
    other = login(client, world.courier_emails[1], world.password)
    r = report(client, other, stops["pickup"]["id"], "picked_up")
    assert r.status_code == 404


def test_the_courier_sees_the_recipient_only_while_the_job_is_theirs_and_open(client, world):
    """Phone and address appear on the courier's route, and vanish once delivered."""
    courier, _, d, stops = assigned_delivery(client, world)
    assert stops["dropoff"]["delivery"]["recipient"]["phone"] == "+358 40 123 4567"
    report(client, courier, stops["pickup"]["id"], "picked_up")
    report(client, courier, stops["dropoff"]["id"], "delivered")
    after = client.get(f"/api/v1/deliveries/{d['id']}", headers=courier).json()
    assert after["recipient"]["phone"] is None and after["dropoff"]["address"] is None


def test_shifts_open_once_and_ending_one_returns_unpicked_jobs_to_the_pool(client, world):
    """A second start is a 409; ending the shift unassigns what was not picked up."""
    courier, _, d, _ = assigned_delivery(client, world)
    r = client.post("/api/v1/courier/shift/start", json={"lat": 60.17, "lon": 24.94}, headers=courier)
    assert r.status_code == 409
    assert client.post("/api/v1/courier/shift/end", headers=courier).status_code == 200
    got = client.get(f"/api/v1/deliveries/{d['id']}", headers=bearer(world.merchant_key)).json()
    assert got["status"] == "pending" and got["courier_id"] is None


def test_positions_are_refused_off_shift(client, world):
    """No shift, no tracking: the position endpoint answers 409."""
    courier = login(client, world.courier_emails[2], world.password)
    r = client.post("/api/v1/courier/position", json={"lat": 60.17, "lon": 24.94}, headers=courier)
    assert r.status_code == 409


def test_a_position_is_kept_and_one_sent_late_does_not_overwrite_a_newer_one(client, world, ctx):
    from dispatch.db.models import Shift

    courier = login(client, world.courier_emails[2], world.password)
    shift = start_shift(client, courier)
    now = datetime.now(UTC)

    def send(lat: float, at: datetime) -> None:
        r = client.post("/api/v1/courier/position", json={"lat": lat, "lon": 24.94, "at": at.isoformat()},
                        headers=courier)
        assert r.status_code == 200, r.text
        assert r.json()["coop_id"] == world.coop_id

    def kept() -> tuple[float, float]:
        with ctx.sessions() as s:
            row = s.get(Shift, shift["id"])
            return row.last_lat, row.last_lon

    send(60.171, now + timedelta(seconds=1))
    assert kept() == (60.171, 24.94)
    send(60.170, now)  # older: arrived late
    assert kept() == (60.171, 24.94)
    send(60.172, now + timedelta(seconds=2))
    assert kept() == (60.172, 24.94)


def test_a_dispatcher_assigns_by_hand_with_a_reason_and_the_pin_holds(client, world, ctx):
    """A manual assignment is recorded with actor and reason, and survives the next plan."""
    _, _, d, _ = assigned_delivery(client, world, 0)
    courier_b = login(client, world.courier_emails[1], world.password)
    shift_b = start_shift(client, courier_b, 60.1680, 24.9470)
    dispatcher = login(client, world.dispatcher_email, world.password)
    on_shift = client.get("/api/v1/dispatch/couriers", headers=dispatcher).json()
    assert {c["courier_id"] for c in on_shift} >= {shift_b["courier_id"]}
    current = client.get(f"/api/v1/deliveries/{d['id']}", headers=dispatcher).json()
    r = client.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", headers=dispatcher,
                    json={"courier_id": shift_b["courier_id"], "reason": "Eero knows the customer",
                          "version": current["version"]})
    assert r.status_code == 200 and r.json()["pinned"] is True
    client.app.state.runner.planner.plan_coop(world.coop_id)
    got = client.get(f"/api/v1/deliveries/{d['id']}", headers=dispatcher).json()
    assert got["courier_id"] == shift_b["courier_id"]
    with ctx.sessions() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.delivery_id == d["id"],
                                                   AuditEntry.reason == "Eero knows the customer")).one()
    assert audit.actor_kind == "dispatcher" and audit.actor_id


def test_a_second_assignment_against_the_same_version_loses_with_409(client, world):
    """Two dispatchers acting on one version: the second is told the row moved on."""
    _, shift_a, d, _ = assigned_delivery(client, world, 0)
    dispatcher = login(client, world.dispatcher_email, world.password)
    version = client.get(f"/api/v1/deliveries/{d['id']}", headers=dispatcher).json()["version"]
    body = {"courier_id": shift_a["courier_id"], "reason": "keep", "version": version}
    first = client.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", headers=dispatcher, json=body)
    second = client.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", headers=dispatcher, json=body)
    assert (first.status_code, second.status_code) == (200, 409)


def test_no_role_reaches_another_coops_or_merchants_objects(client, world):
    """Every id-taking endpoint answers 404 (or 403) to outsiders and reveals nothing."""
    _, _, d, stops = assigned_delivery(client, world)
    did = d["id"]
    outsiders = {
        "other coop merchant": bearer(world.other_merchant_key),
        "same coop other merchant": bearer(world.second_merchant_key),
        "other coop dispatcher": login(client, world.other_dispatcher_email, world.password),
        "other coop courier": login(client, world.other_courier_email, world.password),
        "same coop other courier": login(client, world.courier_emails[1], world.password),
    }
    for who, headers in outsiders.items():
        calls = [
            client.get(f"/api/v1/deliveries/{did}", headers=headers),
            client.post(f"/api/v1/deliveries/{did}/cancel", json={}, headers=headers),
            client.post(f"/api/v1/dispatch/deliveries/{did}/assign", headers=headers,
                        json={"courier_id": uuid.uuid4().hex, "reason": "x"}),
            client.post(f"/api/v1/dispatch/deliveries/{did}/unassign", headers=headers, json={"reason": "x"}),
            report(client, headers, stops["pickup"]["id"], "picked_up"),
        ]
        for r in calls:
            assert r.status_code in (403, 404), (who, r.request.url, r.status_code, r.text)
            assert did not in r.text or r.status_code == 404 and "no delivery" in r.text
    mine = client.get(f"/api/v1/deliveries/{did}", headers=bearer(world.merchant_key))
    assert mine.status_code == 200 and mine.json()["status"] == "assigned"
