"""Merchant intents: create a delivery, cancel it; and the reads that go with them."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Delivery, Stop, new_id
from dispatch.domain.errors import DomainError, InvalidInput
from dispatch.domain.instants import check_instant
from dispatch.domain.lifecycle import Action, Command, Status
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.delivery_input import (  # re-exported: callers name them from here too
    DEFAULT_WINDOW,
    MAX_FUTURE,
    MAX_PAST,
    PHONE,
    NewDelivery,
    Place,
    Trip,
    load_visible,
    merchant_and_coop,
    merchant_coop_and_largest,
    service_area,
    street_trip,
    validate_load,
    validate_place,
    validate_recipient,
    validate_times,
)
from dispatch.services.fees import fee_for_new_delivery
from dispatch.services.transitions import transition
from dispatch.services.views import delivery_topics, delivery_view, frame_delivery


def create_delivery(
    ctx: ServiceContext, who: Principal, new: NewDelivery, key: str, req_hash: str
) -> idempotency.StoredResponse:
    """Validate, write the delivery with its stops, outbox event and idempotency record, commit.

    One transaction (one pooled connection, one BEGIN/COMMIT) of seven statements: merchant, coop
    and largest vehicle in one SELECT, the rule set, then the INSERTs. The idempotency key is
    not looked up first: its unique row makes a retry fail at the flush, and only then, or when
    validation fails, is the stored answer read. The outbox event is written last, after a
    flush of everything else (so a concurrent duplicate fails before it); the coop's outbox
    lock is taken only at COMMIT (see ``db/outbox.py``).
    """
    scope = f"merchant:{who.merchant_id}"
    try:
        with unit_of_work(ctx) as uow:
            s = uow.session
            merchant, coop, largest = merchant_coop_and_largest(s, who)
            pickup = new.pickup or Place(merchant.lat, merchant.lon, merchant.address)
            validate_recipient(new)
            validate_place(ctx, coop, pickup, "pickup")
            validate_place(ctx, coop, new.dropoff, "dropoff")
            validate_load(new, *largest)
            trip = street_trip(ctx, pickup, new.dropoff, coop.id)
            now = ctx.clock()
            ready, start, end = validate_times(new, now, trip)
            fee = _fee_hook(ctx, who, new, trip, now, s)
            d = Delivery(
                id=new_id(), coop_id=coop.id, merchant_id=merchant.id, status=Status.PENDING.value,
                pickup_lat=pickup.lat, pickup_lon=pickup.lon, pickup_address=pickup.address,
                dropoff_lat=new.dropoff.lat, dropoff_lon=new.dropoff.lon,
                dropoff_address=new.dropoff.address, recipient_name=new.recipient_name.strip(),
                recipient_phone=new.recipient_phone.strip(), notes=new.notes, ready_at=ready,
                window_start_at=start, window_end_at=end, load_g=new.load_g, load_ml=new.load_ml,
                distance_m=trip.distance_m, ride_s=trip.ride_s, tracking_token=secrets.token_urlsafe(16),
                created_at=now, updated_at=now, **fee,
            )
            s.add(d)
            stops = [Stop(delivery_id=d.id, kind="pickup"), Stop(delivery_id=d.id, kind="dropoff")]
            s.add_all(stops)
            s.flush()
            s.add(AuditEntry(coop_id=coop.id, delivery_id=d.id, action="create",
                             to_status=d.status, actor_kind="merchant",
                             actor_id=merchant.id, happened_at=now))
            body = idempotency.dumps(delivery_view(d, who, stops))
            idempotency.record(s, scope, key, req_hash, 201, body)
            s.flush()  # a concurrent request with this key fails here, before the outbox lock
            uow.emit(coop.id, "delivery.created", delivery_topics(d), frame_delivery(d))
    except IntegrityError:
        # the key's row exists: a retry, or a concurrent twin that committed first
        return idempotency.after_conflict(ctx.sessions, scope, key, req_hash)
    except DomainError:
        # a retry of a request that succeeded answers as it did, even if it would fail now (its
        # ready time has passed, its quote is spent); looked up only here, not on every create
        with ctx.sessions() as s:
            stored = idempotency.replay(s, scope, key, req_hash)
        if stored is None:
            raise
        return stored
    return idempotency.StoredResponse(201, body)


def _fee_hook(ctx: ServiceContext, who: Principal, new: NewDelivery, trip: Trip, now: datetime,
              session: Session | None = None) -> dict[str, Any]:
    """Columns the fair-price module adds to a new delivery: ``fee_cents`` and its ``quote``."""
    return fee_for_new_delivery(ctx, who, new, trip, now, session)


def get_delivery(ctx: ServiceContext, who: Principal, delivery_id: str) -> dict[str, Any]:
    with ctx.sessions() as s:
        d = load_visible(s, who, delivery_id)
        stops = list(s.scalars(select(Stop).where(Stop.delivery_id == d.id)))
        return delivery_view(d, who, stops)


def list_deliveries(
    ctx: ServiceContext, who: Principal, *, status: list[str] | None, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Newest first, cursor-paginated; merchants see their own, dispatchers their coop's."""
    q = select(Delivery).where(Delivery.coop_id == who.coop_id)
    if who.role == "merchant":
        q = q.where(Delivery.merchant_id == who.merchant_id)
    elif who.role == "courier":
        q = q.where(Delivery.courier_id == who.courier_id)
    if status:
        q = q.where(Delivery.status.in_(status))
    if cursor:
        created, last_id = _decode_cursor(cursor)
        q = q.where(tuple_(Delivery.created_at, Delivery.id) < tuple_(created, last_id))
    q = q.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1)
    with ctx.sessions() as s:
        rows = list(s.scalars(q))
    page, more = rows[:limit], len(rows) > limit
    nxt = _encode_cursor(page[-1]) if more and page else None
    return {"items": [delivery_view(d, who) for d in page], "next_cursor": nxt}


def _encode_cursor(d: Delivery) -> str:
    return base64.urlsafe_b64encode(f"{d.created_at.isoformat()}|{d.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return check_instant(datetime.fromisoformat(created), aware=False), last_id
    except (ValueError, UnicodeDecodeError) as exc:  # OutOfRange is a ValueError
        raise InvalidInput("cursor is not one this API returned", field="cursor") from exc


def cancel_delivery(
    ctx: ServiceContext, who: Principal, delivery_id: str, reason: str | None, version: int | None
) -> dict[str, Any]:
    """Cancel before pickup (merchant) or at any time before pickup (dispatcher)."""
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        d = load_visible(uow.session, who, delivery_id, for_update=True)
        transition(uow, d, Command(Action.CANCEL, at=now, reason=reason), who, version=version)
        return delivery_view(d, who)


__all__ = ["DEFAULT_WINDOW", "MAX_FUTURE", "MAX_PAST", "PHONE", "NewDelivery", "Place", "Trip", "cancel_delivery",
           "create_delivery", "get_delivery", "list_deliveries", "load_visible", "merchant_and_coop",
           "merchant_coop_and_largest", "service_area", "street_trip", "validate_load", "validate_place",
           "validate_recipient", "validate_times"]
