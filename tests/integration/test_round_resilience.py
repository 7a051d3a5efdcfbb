"""Issue 16 (1, 20) through the running loop: a courier whose phone sends (0, 0) is left out of
planning with the reason on the dispatcher's plan, and the others are planned; a courier whose
phone went quiet for longer than the map's grey threshold gets no new order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from dispatch.db.models import Shift
from dispatch.domain.presence import QUIET_AFTER
from tests.integration.api_client import create_delivery, login, start_shift, wait_assigned


def test_a_courier_sending_zero_zero_is_left_out_and_the_order_goes_to_another(client, world):
    """The round does not fail for the co-op: the order is assigned, the dispatcher sees why
    the silent-fix courier was left out."""
    lost = login(client, world.courier_emails[0], world.password)
    lost_id = start_shift(client, lost)["courier_id"]
    other = login(client, world.courier_emails[1], world.password)
    other_id = start_shift(client, other, lat=60.1690, lon=24.9400)["courier_id"]
    r = client.post("/api/v1/courier/position", json={"lat": 0, "lon": 0}, headers=lost)
    assert r.status_code == 200, r.text
    d = create_delivery(client, world.merchant_key).json()
    assert wait_assigned(client, world.merchant_key, d["id"])["courier_id"] == other_id
    dispatcher = login(client, world.dispatcher_email, world.password)
    plan = client.get("/api/v1/dispatch/plan", headers=dispatcher).json()["plan"]
    assert "off the map" in plan["objective"]["couriers_left_out"][lost_id]


def test_a_courier_whose_phone_went_quiet_gets_no_new_order(client, world, ctx):
    """The quiet courier starts on the pickup's doorstep, the other farther away: the other gets it."""
    quiet = login(client, world.courier_emails[0], world.password)
    quiet_id = start_shift(client, quiet)["courier_id"]
    other = login(client, world.courier_emails[1], world.password)
    other_id = start_shift(client, other, lat=60.1690, lon=24.9400)["courier_id"]
    with ctx.sessions() as s, s.begin():
        s.execute(update(Shift).where(Shift.courier_id == quiet_id)
                  .values(last_position_at=ctx.clock() - QUIET_AFTER - timedelta(seconds=30)))
    d = create_delivery(client, world.merchant_key).json()
    assert wait_assigned(client, world.merchant_key, d["id"])["courier_id"] == other_id
    dispatcher = login(client, world.dispatcher_email, world.password)
    couriers = client.get("/api/v1/dispatch/couriers", headers=dispatcher).json()
    assert {c["quiet_after_s"] for c in couriers} == {QUIET_AFTER.total_seconds()}
    plan = client.get("/api/v1/dispatch/plan", headers=dispatcher).json()["plan"]
    assert plan["objective"]["couriers_quiet"] == [quiet_id]


def test_the_loop_knows_what_each_courier_is_short_of_this_hours_floor(client, world, ctx):
    """The fairness rule's input, read each round: what each courier earned in the current
    clock hour against the floor's share of their time on shift in it. Two hours on shift
    without a delivery is short of all of it; a courier paid the hour's floor this hour is
    not; one paid as much in the previous hour, and nothing since, is short of all of it again.
    Each open delivery carries what its quote pays its courier."""
    from dispatch.db.models import Delivery
    from dispatch.dispatcher import live_state
    from dispatch.domain.fees import DEFAULT_RULE_SET, TripEstimate, quote
    from dispatch.domain.receipts import receipt_from_quote, receipt_to_dict

    ids = [start_shift(client, login(client, email, world.password))["courier_id"]
           for email in world.courier_emails[:3]]
    idle_id, paid_id, earlier_id = ids
    trip = TripEstimate(distance_m=3000, ride_to_pickup_s=300, pickup_service_s=120, ride_s=700,
                        dropoff_service_s=120, merchant_is_member=True)
    receipt = receipt_from_quote(quote(DEFAULT_RULE_SET, trip))
    per_delivery = receipt.split.courier_cents + receipt.shortfall_cents
    enough = -(-DEFAULT_RULE_SET.courier_floor_cents_per_hour // per_delivery)  # a full hour's floor
    now = ctx.clock()
    hour = now.replace(minute=0, second=0, microsecond=0)
    with ctx.sessions() as s, s.begin():
        s.execute(update(Shift).where(Shift.courier_id.in_(ids)).values(
            started_at=now - timedelta(hours=2), planned_end_at=now + timedelta(hours=2)))
    for courier_id, when in ((paid_id, now), (earlier_id, hour - timedelta(minutes=5))):
        for _ in range(enough):
            d = create_delivery(client, world.merchant_key).json()
            with ctx.sessions() as s, s.begin():
                s.execute(update(Delivery).where(Delivery.id == d["id"]).values(
                    status="delivered", courier_id=courier_id, delivered_at=when,
                    receipt=receipt_to_dict(receipt)))
    state = live_state(ctx, world.coop_id, now)
    hour_floor = -(-DEFAULT_RULE_SET.courier_floor_cents_per_hour * 3600 // 3600)
    assert {c.id: c.hour_short_cents for c in state.couriers} == {idle_id: hour_floor, paid_id: 0,
                                                                   earlier_id: hour_floor}
    assert {c.hour_end_at for c in state.couriers} == {hour + timedelta(hours=1)}
    waiting = create_delivery(client, world.merchant_key).json()
    quoted = next(d for d in live_state(ctx, world.coop_id, now).deliveries if d.id == waiting["id"])
    with ctx.sessions() as s:
        quote = s.get(Delivery, waiting["id"]).quote  # services.fees.stored_quote
    assert quoted.courier_pay_cents == quote["quote"]["split"]["courier_cents"] > 0
