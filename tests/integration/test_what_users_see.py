"""What each reader sees of a delivery (issue 16, items 17-25), over SQLite and PostgreSQL:
the courier's card per stop kind, notes, receipts per final status, tracking and privacy by
status, the dispatcher's view of a manual assignment, problems in the reader's language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from dispatch.db.models import Delivery, OutboxEvent
from dispatch.seed import MERCHANT, MERCHANT_PHONE
from tests.integration.api_client import (
    bearer,
    create_delivery,
    delivery_body,
    login,
    report,
    start_shift,
    wait_assigned,
)

NOTES = "3rd floor, ring twice"


def assigned_with_notes(client: Any, world: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """Aino on shift with a delivery that carries notes: (Aino, delivery, her stops by kind)."""
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    d = create_delivery(client, world.merchant_key, delivery_body(notes=NOTES)).json()
    wait_assigned(client, world.merchant_key, d["id"])
    route = client.get("/api/v1/courier/route", headers=courier).json()["stops"]
    # her route may also hold an earlier delivery of the same test: keep this one's stops
    stops = {s["kind"]: s for s in route if s["delivery"]["id"] == d["id"]}
    assert set(stops) == {"pickup", "dropoff"}, route
    return courier, d, stops


def test_the_couriers_card_names_the_shop_at_a_pickup_and_the_recipient_at_a_dropoff(client, world):
    """At a pickup the contact is the merchant (name, phone); at the dropoff the recipient."""
    _, _, stops = assigned_with_notes(client, world)
    assert stops["pickup"]["contact"] == {"role": "merchant", "name": MERCHANT[0], "phone": MERCHANT_PHONE}
    assert stops["dropoff"]["contact"] == {"role": "recipient", "name": "Matti Meikäläinen",
                                           "phone": "+358 40 123 4567"}


def test_notes_reach_the_courier_the_merchant_and_the_dispatcher_but_no_socket_frame(client, world, ctx):
    """Notes are on the courier's stops and in the merchant's and dispatcher's delivery views;
    frames (mixed readers) carry none."""
    _, d, stops = assigned_with_notes(client, world)
    assert stops["pickup"]["delivery"]["notes"] == NOTES == stops["dropoff"]["delivery"]["notes"]
    merchant = client.get(f"/api/v1/deliveries/{d['id']}", headers=bearer(world.merchant_key)).json()
    dispatcher = login(client, world.dispatcher_email, world.password)
    listed = {x["id"]: x for x in client.get("/api/v1/dispatch/deliveries", headers=dispatcher).json()}
    assert merchant["notes"] == NOTES == listed[d["id"]]["notes"]
    with ctx.sessions() as s:
        frames = [e.data for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type.like("delivery.%")))]
    assert frames and all("notes" not in f and NOTES not in str(f) for f in frames)


def cancelled_and_failed(client: Any, world: Any) -> tuple[str, str]:
    """One delivery cancelled by the merchant, one reported failed at the dropoff: their ids."""
    merchant = bearer(world.merchant_key)
    cancelled = create_delivery(client, world.merchant_key).json()
    r = client.post(f"/api/v1/deliveries/{cancelled['id']}/cancel", headers=merchant,
                    json={"reason": "customer called", "version": cancelled["version"]})
    assert r.status_code == 200, r.text
    courier, failed, stops = assigned_with_notes(client, world)
    assert report(client, courier, stops["pickup"]["id"], "picked_up").status_code == 200
    assert report(client, courier, stops["dropoff"]["id"], "failed", reason="nobody home").status_code == 200
    return cancelled["id"], failed["id"]


def test_a_receipt_says_what_it_is_worth_for_every_status(client, world):
    """Open: provisional; delivered: final and charged; cancelled or failed: final, not charged."""
    merchant = bearer(world.merchant_key)
    open_one = create_delivery(client, world.merchant_key).json()
    cancelled, failed = cancelled_and_failed(client, world)
    got = {i: client.get(f"/api/v1/deliveries/{i}/receipt", headers=merchant).json()
           for i in (open_one["id"], cancelled, failed)}
    assert (got[open_one["id"]]["final"], got[open_one["id"]]["charged"]) == (False, False)
    for i, status in ((cancelled, "cancelled"), (failed, "failed")):
        assert (got[i]["status"], got[i]["final"], got[i]["charged"]) == (status, True, False)
    courier = login(client, world.courier_emails[0], world.password)
    d = create_delivery(client, world.merchant_key).json()
    wait_assigned(client, world.merchant_key, d["id"])
    route = client.get("/api/v1/courier/route", headers=courier).json()["stops"]
    for stop in [s for s in route if s["delivery"]["id"] == d["id"]]:
        report(client, courier, stop["id"], "picked_up" if stop["kind"] == "pickup" else "delivered")
    done = client.get(f"/api/v1/deliveries/{d['id']}/receipt", headers=merchant).json()
    assert (done["status"], done["final"], done["charged"]) == ("delivered", True, True)


def test_tracking_names_the_courier_only_while_the_parcel_is_on_its_way(client, world):
    """The first name appears at pickup and is gone again once delivered, like the position."""
    courier, d, stops = assigned_with_notes(client, world)

    def seen() -> tuple[str, str | None]:
        view = client.get(f"/api/v1/track/{d['tracking_token']}").json()
        return view["status"], view["courier_first_name"]

    assert seen() == ("assigned", None)
    report(client, courier, stops["pickup"]["id"], "picked_up")
    assert seen() == ("picked_up", "Aino")
    report(client, courier, stops["dropoff"]["id"], "delivered")
    assert seen() == ("delivered", None)


def test_after_delivery_the_courier_no_longer_sees_the_dropoff_point(client, world, ctx):
    """The delivered answer, a later read and the delivered frame hold no dropoff coordinates;
    the merchant still sees them."""
    courier, d, stops = assigned_with_notes(client, world)
    assert stops["dropoff"]["delivery"]["dropoff"]["lat"] is not None  # while the job is open
    report(client, courier, stops["pickup"]["id"], "picked_up")
    answer = report(client, courier, stops["dropoff"]["id"], "delivered").json()["delivery"]
    later = client.get(f"/api/v1/deliveries/{d['id']}", headers=courier).json()
    for view in (answer, later):
        assert view["dropoff"] == {"lat": None, "lon": None, "address": None}
        assert view["recipient"] == {"name": None, "phone": None} and view["notes"] is None
    with ctx.sessions() as s:
        frame = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "delivery.delivered")).one().data
    assert frame["dropoff"]["lat"] is None and frame["dropoff"]["lon"] is None
    merchant = client.get(f"/api/v1/deliveries/{d['id']}", headers=bearer(world.merchant_key)).json()
    assert merchant["dropoff"]["lat"] == d["dropoff"]["lat"]


def test_a_manual_assignment_shows_the_human_decision_and_an_eta_at_once(client, world):
    """Right after a dispatcher assigns by hand: who, why and when, and ETAs on both stops,
    in the answer and in the dispatcher's list, before any new plan."""
    _, d, _ = assigned_with_notes(client, world)
    eero = login(client, world.courier_emails[1], world.password)
    shift_b = start_shift(client, eero, 60.1680, 24.9470)
    dispatcher = login(client, world.dispatcher_email, world.password)
    version = client.get(f"/api/v1/deliveries/{d['id']}", headers=dispatcher).json()["version"]
    r = client.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", headers=dispatcher,
                    json={"courier_id": shift_b["courier_id"], "reason": "Eero knows the customer",
                          "version": version})
    assert r.status_code == 200, r.text
    listed = {x["id"]: x for x in client.get("/api/v1/dispatch/deliveries", headers=dispatcher).json()}
    for view in (r.json(), listed[d["id"]]):
        assert view["manual"]["reason"] == "Eero knows the customer"
        assert view["manual"]["by"] == "Demo dispatcher" and view["manual"]["at"]
        etas = {s["kind"]: s["eta"] for s in view["stops"]}
        assert etas["pickup"] and etas["dropoff"] and etas["pickup"] < etas["dropoff"]
    route = client.get("/api/v1/courier/route", headers=eero).json()["stops"]
    assert [s["eta"] is not None for s in route] == [True, True]


def test_problems_follow_the_readers_language(client, world):
    """Accept-Language fr: titles and details in French for validation, domain and edge
    problems alike; without it, English as before."""
    merchant = bearer(world.merchant_key)
    body = delivery_body()
    del body["recipient"]
    fr, en = ({"Accept-Language": "fr-FR,fr;q=0.9"}, {"Accept-Language": "en-GB"})
    bad = client.post("/api/v1/deliveries", json=body, headers=merchant | fr | {"Idempotency-Key": "k-fr"})
    assert bad.status_code == 422 and bad.headers["content-language"] == "fr"
    assert bad.json()["detail"] == "Destinataire : champ obligatoire" and bad.json()["field"] == "recipient"
    login_fr = client.post("/api/v1/auth/login", json={"email": "nobody@demo.coop", "password": "x" * 12},
                           headers=fr)
    assert login_fr.json()["detail"] == "E-mail ou mot de passe incorrect"
    assert login_fr.json()["title"] == "Non identifié"
    d = create_delivery(client, world.merchant_key).json()
    client.post(f"/api/v1/deliveries/{d['id']}/cancel", headers=merchant, json={"reason": "x"})
    again = client.post(f"/api/v1/deliveries/{d['id']}/cancel", headers=merchant | fr, json={"reason": "x"})
    assert again.status_code == 409 and "annulée" in again.json()["detail"]
    english = client.post(f"/api/v1/deliveries/{d['id']}/cancel", headers=merchant | en, json={"reason": "x"})
    assert english.json()["detail"] == "cannot cancel a delivery that is cancelled"


def test_a_stop_stored_without_an_address_reads_a_label_never_coordinates(client, world, ctx):
    """A delivery ordered by coordinates before addresses existed: the courier's card and the
    dispatcher's list get the nearest door's label on read (what /api/v1/places/reverse says)."""
    courier, d, _ = assigned_with_notes(client, world)
    with ctx.sessions() as s, s.begin():
        s.execute(update(Delivery).where(Delivery.id == d["id"]).values(dropoff_address=""))
    stops = {s["kind"]: s for s in client.get("/api/v1/courier/route", headers=courier).json()["stops"]}
    dropoff = stops["dropoff"]["delivery"]["dropoff"]
    near = client.get(f"/api/v1/places/reverse?lat={dropoff['lat']}&lon={dropoff['lon']}", headers=courier).json()
    assert dropoff["address"] and dropoff["address"].endswith(near["place"]["label"])
    assert stops["pickup"]["delivery"]["pickup"]["address"]  # the stored label stays as it is
    dispatcher = login(client, world.dispatcher_email, world.password)
    listed = {x["id"]: x for x in client.get("/api/v1/dispatch/deliveries", headers=dispatcher).json()}
    assert listed[d["id"]]["dropoff"]["address"] == dropoff["address"]
