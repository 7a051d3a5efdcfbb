"""Merchant intents: create a delivery, cancel it; and the reads that go with them."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Coop, Courier, Delivery, Merchant, Stop, new_id
from dispatch.domain.errors import DomainError, InvalidInput, NotFound, OutsideArea
from dispatch.domain.instants import check_instant
from dispatch.domain.lifecycle import Action, Command, Status
from dispatch.domain.vehicles import LARGEST
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.maps import coop_map
from dispatch.services.transitions import transition
from dispatch.services.views import delivery_topics, delivery_view, frame_delivery

PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{4,22}[0-9]$")
MAX_FUTURE = timedelta(days=7)
MAX_PAST = timedelta(hours=1)
DEFAULT_WINDOW = timedelta(minutes=45)


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    address: str


@dataclass(frozen=True, slots=True)
class NewDelivery:
    dropoff: Place
    recipient_name: str
    recipient_phone: str
    pickup: Place | None = None
    ready_at: datetime | None = None
    window_start_at: datetime | None = None
    window_end_at: datetime | None = None
    load_g: int = 0
    load_ml: int = 0
    notes: str = ""
    quote_id: str | None = None


@dataclass(frozen=True, slots=True)
class Trip:
    """The street route from pickup to dropoff, used for validation and the fee."""

    distance_m: int
    ride_s: int


@lru_cache(maxsize=64)
def _area(coop_id: str, geojson: str) -> BaseGeometry:
    import json

    return shape(json.loads(geojson))


def service_area(coop: Coop) -> BaseGeometry:
    import json

    return _area(coop.id, json.dumps(coop.service_area, sort_keys=True))


def validate_place(ctx: ServiceContext, coop: Coop, place: Place, field: str) -> None:
    if not service_area(coop).contains(Point(place.lon, place.lat)):
        raise OutsideArea(
            f"{field} ({place.lat:.5f}, {place.lon:.5f}) is outside {coop.name}'s service area",
            field=field,
        )


def street_trip(ctx: ServiceContext, pickup: Place, dropoff: Place, coop_id: str) -> Trip:
    """Door-to-door ride on the co-op's own map."""
    from routing.streets.network import SnapError

    net = coop_map(ctx, coop_id).network
    points = []
    for place, field in ((pickup, "pickup"), (dropoff, "dropoff")):
        try:
            points.append(net.snap(place.lat, place.lon))
        except SnapError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from exc
    seconds, metres = net.matrix(points)
    return Trip(distance_m=int(metres[0, 1]), ride_s=int(seconds[0, 1]))


def validate_times(new: NewDelivery, now: datetime, trip: Trip) -> tuple[datetime, datetime, datetime]:
    """Return (ready, window start, window end) or raise naming the field."""
    ready = new.ready_at or now
    if ready < now - MAX_PAST or ready > now + MAX_FUTURE:
        raise InvalidInput("ready_at must be within the next 7 days", field="ready_at")
    end = new.window_end_at or ready + timedelta(seconds=trip.ride_s) + DEFAULT_WINDOW
    start = new.window_start_at or ready
    if end > now + MAX_FUTURE + timedelta(days=1):
        raise InvalidInput("dropoff_window.end is too far in the future", field="dropoff_window.end")
    if end <= ready:
        raise InvalidInput("dropoff_window.end is before the ready time", field="dropoff_window.end")
    if start > end:
        raise InvalidInput("dropoff_window.start is after its end", field="dropoff_window.start")
    if ready + timedelta(seconds=trip.ride_s) > end:
        raise InvalidInput(
            f"dropoff_window.end cannot be met: the ride alone takes {trip.ride_s // 60} min "
            "after the ready time", field="dropoff_window.end",
        )
    return ready, start, end


def validate_load(new: NewDelivery, max_g: int | None, max_ml: int | None) -> None:
    """Against the largest vehicle of the coop's couriers (of any vehicle if it has none)."""
    max_g, max_ml = max_g or LARGEST.capacity_g, max_ml or LARGEST.capacity_ml
    if new.load_g > max_g:
        raise InvalidInput(f"load.kg {new.load_g / 1000} exceeds the largest vehicle ({max_g / 1000} kg)",
                           field="load.kg")
    if new.load_ml > max_ml:
        raise InvalidInput(f"load.litres {new.load_ml / 1000} exceeds the largest vehicle "
                           f"({max_ml / 1000} l)", field="load.litres")


def validate_recipient(new: NewDelivery) -> None:
    if not new.recipient_name.strip():
        raise InvalidInput("recipient.name is empty", field="recipient.name")
    if not PHONE.match(new.recipient_phone.strip()):
        raise InvalidInput("recipient.phone is not a phone number (digits, spaces, +, -, parentheses)",
                           field="recipient.phone")


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
    from dispatch.services.fees import fee_for_new_delivery

    return fee_for_new_delivery(ctx, who, new, trip, now, session)


def merchant_and_coop(s: Session, who: Principal) -> tuple[Merchant, Coop]:
    """The caller's merchant and its coop (from the session when already loaded in it)."""
    merchant = s.get(Merchant, who.merchant_id) if who.merchant_id else None
    if merchant is None:
        raise NotFound("this account has no merchant", field="Authorization")
    coop = s.get(Coop, merchant.coop_id)
    assert coop is not None
    return merchant, coop


_OF_COOP = Courier.coop_id == Merchant.coop_id
# built once: building it cost as much as running it
_MERCHANT_ROW = (select(Merchant, Coop, select(func.max(Courier.capacity_g)).where(_OF_COOP).scalar_subquery(),
                        select(func.max(Courier.capacity_ml)).where(_OF_COOP).scalar_subquery())
                 .join(Coop, Coop.id == Merchant.coop_id).where(Merchant.id == bindparam("merchant_id")))


def merchant_coop_and_largest(s: Session, who: Principal) -> tuple[Merchant, Coop, tuple[int | None, int | None]]:
    """The caller's merchant, its coop and the largest courier capacity of the coop (grams,
    millilitres; None without couriers), in one round trip instead of three."""
    row = s.execute(_MERCHANT_ROW, {"merchant_id": who.merchant_id}).first() if who.merchant_id else None
    if row is None:
        raise NotFound("this account has no merchant", field="Authorization")
    return row[0], row[1], (row[2], row[3])


def get_delivery(ctx: ServiceContext, who: Principal, delivery_id: str) -> dict[str, Any]:
    with ctx.sessions() as s:
        d = load_visible(s, who, delivery_id)
        stops = list(s.scalars(select(Stop).where(Stop.delivery_id == d.id)))
        return delivery_view(d, who, stops)


def load_visible(s: Session, who: Principal, delivery_id: str, *, for_update: bool = False) -> Delivery:
    """The delivery if ``who`` may see it; otherwise 404 (never reveal that it exists)."""
    q = select(Delivery).where(Delivery.id == delivery_id)
    if for_update and s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    d = s.scalar(q)
    if d is None or d.coop_id != who.coop_id or not _owns(who, d):
        raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
    return d


def _owns(who: Principal, d: Delivery) -> bool:
    if who.role == "merchant":
        return d.merchant_id == who.merchant_id
    if who.role == "courier":
        return d.courier_id == who.courier_id
    return who.role in ("dispatcher", "admin")


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
