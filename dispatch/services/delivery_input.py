"""What a new delivery (or a quote for one) is made of and checked against, and whose it is.

The floor under both ``services.deliveries`` (create, cancel, list) and ``services.fees``
(quotes, fee columns, receipts): each needs the place, the checks and the caller's merchant and
co-op, and the fee is part of creating a delivery. Kept here, below both, so that neither has
to import the other (they used to, each from inside a function, which only hid the loop).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Courier, Delivery, Merchant
from dispatch.domain.errors import InvalidInput, NotFound, OutsideArea
from dispatch.domain.vehicles import LARGEST
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.maps import coop_map

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
    return shape(json.loads(geojson))


def service_area(coop: Coop) -> BaseGeometry:
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
