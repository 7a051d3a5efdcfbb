"""Fair price in the service: a coop's rule sets, quotes, the fee of a new delivery, receipts.

The arithmetic is :mod:`dispatch.domain.fees` (and ``receipts``); this module only feeds it
what the database and the street graph know, and stores what it answers.

Estimated active time (what a quote pays the courier for)
---------------------------------------------------------
=================  ========================================================================
ride to pickup     ``TYPICAL_APPROACH_S`` = 300 s. A constant, not the nearest courier's ride:
                   a price must not depend on where couriers happen to be when the merchant
                   asks (a quote for later stays right), and 5 min is a typical approach in a
                   city-centre co-op's area.
pickup service     ``PICKUP_SERVICE_S`` = 120 s (the dispatch planning's default)
ride               the street route from pickup to dropoff on the coop's graph
dropoff service    ``DROPOFF_SERVICE_S`` = 120 s
=================  ========================================================================

The rule set is the one in effect on the pickup's local day (``ready_at`` in the coop's
timezone, or now), and the time-of-day surcharge uses the pickup's local hour. There is no
weather feed yet, so ``weather`` is left unset and weather surcharges do not apply.

Actual active time (receipt, at delivery)
-----------------------------------------
From the courier's last assignment to the delivery until it was delivered (audit log). With
several deliveries on board it counts shared riding time for each of them, in the courier's
favour. It only changes pay when the rule set says ``pay_courier_on: "actual"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Coop, Delivery, Merchant
from dispatch.db.models import Quote as QuoteRow
from dispatch.domain.errors import InvalidInput, NotFound
from dispatch.domain.fee_dicts import (
    line_from_dict,
    quote_to_dict,
    rule_set_from_dict,
    rule_set_to_dict,
    split_from_dict,
    trip_from_dict,
)
from dispatch.domain.fees import FeeError, Quote, RuleSet, TripEstimate, quote
from dispatch.domain.receipts import receipt_from_quote, receipt_to_dict, split_weights_bp
from dispatch.services import delivery_input
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.delivery_input import Place, load_visible, merchant_and_coop
from dispatch.services.places import street_of_point
from dispatch.services.rule_sets import (  # re-exported: the fee service's whole surface
    FloorRefused,
    adopt_rule_set,
    invalid_from_fee_error,
    local_day,
    public_rule_sets,
    rule_set_history,
    rule_set_in_force,
)
from dispatch.services.views import iso

TYPICAL_APPROACH_S = 300
PICKUP_SERVICE_S = 120
DROPOFF_SERVICE_S = 120
SAME_PLACE_DEG = 1e-6  # a quote is for one trip: pickup and dropoff must match to ~0.1 m


# --- quotes ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QuoteRequest:
    dropoff: Place
    pickup: Place | None = None
    ready_at: datetime | None = None
    load_g: int = 0
    load_ml: int = 0


def trip_estimate(coop: Coop, merchant: Merchant, distance_m: int, ride_s: int,
                  pickup_at: datetime, load_g: int, load_ml: int) -> TripEstimate:
    """The fee's inputs for a street trip (see the module docstring for the times)."""
    return TripEstimate(
        distance_m=distance_m, ride_to_pickup_s=TYPICAL_APPROACH_S,
        pickup_service_s=PICKUP_SERVICE_S, ride_s=ride_s, dropoff_service_s=DROPOFF_SERVICE_S,
        load_g=load_g, load_ml=load_ml,
        pickup_hour=pickup_at.astimezone(ZoneInfo(coop.timezone)).hour,
        weather=None, merchant_is_member=bool(merchant.is_member))


def price(s: Session, coop: Coop, estimate: TripEstimate, pickup_at: datetime) -> Quote:
    """Quote under the rule set in effect on the pickup's day; fee errors become 422s."""
    rules = rule_set_in_force(s, coop.id, local_day(coop, pickup_at))
    if rules is None:
        raise InvalidInput(f"{coop.name} has no fee rule set in effect on that day",
                           field="rule_set")
    return _quote_under(rules, estimate)


def _quote_under(rules: RuleSet, estimate: TripEstimate) -> Quote:
    try:
        return quote(rules, estimate)
    except FeeError as exc:
        raise invalid_from_fee_error(exc) from exc


def create_quote(ctx: ServiceContext, who: Principal, req: QuoteRequest) -> dict[str, Any]:
    """Price a trip before the delivery exists and keep the price for ``quote_ttl_s``."""
    with ctx.sessions() as s:
        merchant, coop, largest = delivery_input.merchant_coop_and_largest(s, who)
        pickup = req.pickup or delivery_input.Place(merchant.lat, merchant.lon, merchant.address)
        delivery_input.validate_place(ctx, coop, pickup, "pickup")
        delivery_input.validate_place(ctx, coop, req.dropoff, "dropoff")
        delivery_input.validate_load(req, *largest)  # type: ignore[arg-type]  # needs only the load
    trip = delivery_input.street_trip(ctx, pickup, req.dropoff, coop.id)
    now = ctx.clock()
    ready = req.ready_at or now
    if not now - delivery_input.MAX_PAST <= ready <= now + delivery_input.MAX_FUTURE:
        raise InvalidInput("ready_at must be within the next 7 days", field="ready_at")
    estimate = trip_estimate(coop, merchant, trip.distance_m, trip.ride_s, ready,
                             req.load_g, req.load_ml)
    expires = now + timedelta(seconds=ctx.settings.quote_ttl_s)
    with ctx.sessions() as s, s.begin():
        q = price(s, coop, estimate, ready)
        body = {"coop_id": coop.id, "pickup": _place(pickup), "dropoff": _place(req.dropoff),
                "load_g": req.load_g, "load_ml": req.load_ml, "ready_at": iso(ready),
                **stored_quote(q)}
        row = QuoteRow(merchant_id=merchant.id, body=body, expires_at=expires, created_at=now)
        s.add(row)
        s.flush()
        return quote_view(q) | {"id": row.id, "created_at": iso(now), "expires_at": iso(expires),
                                "ready_at": iso(ready),
                                "ready_tolerance_s": ctx.settings.quote_ready_tolerance_s}


def _place(p: Any) -> dict[str, Any]:
    return {"lat": p.lat, "lon": p.lon, "address": p.address}


def stored_quote(q: Quote) -> dict[str, Any]:
    """What a quote row and a delivery's ``quote`` column keep: the quote and its rule set."""
    return {"rule_set": rule_set_to_dict(q.rules), "quote": quote_to_dict(q)}


def quote_from_stored(data: dict[str, Any]) -> Quote:
    """Read back a stored quote as it was priced (nothing is recomputed)."""
    qd = data["quote"]
    return Quote(rule_set_from_dict(data["rule_set"]), trip_from_dict(qd["trip"]),
                 tuple(line_from_dict(line) for line in qd["lines"]), int(qd["fee_cents"]),
                 int(qd["courier_floor_cents"]), split_from_dict(qd["split"]))


def quote_view(q: Quote) -> dict[str, Any]:
    return quote_to_dict(q) | {
        "split_weights_bp": split_weights_bp(q.rules, q.trip.merchant_is_member),
        "rounding": {"method": "largest_remainder",
                     "rounding_order": list(q.rules.rounding_order)},
        "pay_courier_on": q.rules.pay_courier_on,
    }


# --- the fee of a new delivery ---------------------------------------------------------------

def fee_for_new_delivery(ctx: ServiceContext, who: Principal, new: Any, trip: Any,
                         now: datetime, session: Session | None = None) -> dict[str, Any]:
    """``fee_cents`` and ``quote`` columns of a new delivery: its accepted quote, or a new one.

    A coop that has adopted no rule set yet charges nothing (no columns). ``session``: read in
    the caller's transaction instead of a session of its own.
    """
    tolerance = timedelta(seconds=ctx.settings.quote_ready_tolerance_s)
    if session is not None:
        return _fee_columns(session, who, new, trip, now, tolerance)
    with ctx.sessions() as s:
        return _fee_columns(s, who, new, trip, now, tolerance)


def _fee_columns(s: Session, who: Principal, new: Any, trip: Any, now: datetime,
                 tolerance: timedelta) -> dict[str, Any]:
    merchant, coop = merchant_and_coop(s, who)
    if new.quote_id:
        pickup = new.pickup or Place(merchant.lat, merchant.lon, merchant.address)
        accepted = _accepted_quote(s, who, new, pickup, now)
        _check_quote_still_applies(s, coop, accepted, new.ready_at or now, tolerance)
        q = accepted[0]
    else:
        ready = new.ready_at or now
        rules = rule_set_in_force(s, coop.id, local_day(coop, ready))
        if rules is None:
            return {}
        q = _quote_under(rules, trip_estimate(coop, merchant, trip.distance_m, trip.ride_s,
                                              ready, new.load_g, new.load_ml))
    return {"fee_cents": q.fee_cents,
            "quote": {"quote_id": new.quote_id, "quoted_at": iso(now), **stored_quote(q)}}


def _accepted_quote(s: Session, who: Principal, new: Any, pickup: Any,
                    now: datetime) -> tuple[Quote, str, datetime]:
    """The merchant's unexpired quote for this trip: (quote, its id, the ready time it priced)."""
    row = s.get(QuoteRow, new.quote_id)
    if row is None or row.merchant_id != who.merchant_id:
        raise InvalidInput(f"no quote {new.quote_id} for this merchant", field="quote_id")
    if row.expires_at <= now:
        raise InvalidInput(f"quote {row.id} expired at {iso(row.expires_at)}: ask for a new one",
                           field="quote_id")
    b = row.body
    same = (_near(b["pickup"], pickup) and _near(b["dropoff"], new.dropoff)
            and (b["load_g"], b["load_ml"]) == (new.load_g, new.load_ml))
    if not same:
        raise InvalidInput(f"quote {row.id} was for another trip (pickup, dropoff or load "
                           f"differ)", field="quote_id")
    return quote_from_stored(b), row.id, datetime.fromisoformat(b["ready_at"])


def _check_quote_still_applies(s: Session, coop: Coop, accepted: tuple[Quote, str, datetime],
                               ready: datetime, tolerance: timedelta) -> None:
    """A quote holds for the ready time it priced (give or take ``tolerance``: the hour decides
    night surcharges) and while its rule set is the one in force on that day; else 422."""
    q, quote_id, priced_ready = accepted
    if abs(ready - priced_ready) > tolerance:
        tz = ZoneInfo(coop.timezone)
        raise InvalidInput(
            f"quote {quote_id} priced a pickup ready at {priced_ready.astimezone(tz):%Y-%m-%d %H:%M}; "
            f"this delivery is ready at {ready.astimezone(tz):%Y-%m-%d %H:%M}, more than "
            f"{int(tolerance.total_seconds()) // 60} min apart: ask for a quote for that time",
            field="quote_id")
    rules = rule_set_in_force(s, coop.id, local_day(coop, ready))
    if rules is not None and rules.version != q.rules.version:
        raise InvalidInput(
            f"quote {quote_id} was priced under rule set version {q.rules.version}, but version "
            f"{rules.version} is in force on {local_day(coop, ready).isoformat()}: ask for a new quote",
            field="quote_id")


def _near(stored: dict[str, Any], place: Any) -> bool:
    return (abs(stored["lat"] - place.lat) <= SAME_PLACE_DEG
            and abs(stored["lon"] - place.lon) <= SAME_PLACE_DEG)


# --- receipts -------------------------------------------------------------------------------

def issue_final_receipt(s: Session, d: Delivery, delivered_at: datetime) -> None:
    """At delivery: the receipt from the delivery's quote and its actual active time."""
    if d.quote is None:
        return
    with s.no_autoflush:  # keep the delivery's row to a single UPDATE (one version bump)
        assigned_at = s.scalar(select(func.max(AuditEntry.happened_at)).where(
            AuditEntry.delivery_id == d.id, AuditEntry.action == "assign"))
    actual = None if assigned_at is None else max(
        0, int((delivered_at - assigned_at).total_seconds()))
    d.receipt = receipt_to_dict(receipt_from_quote(quote_from_stored(d.quote), actual))


def receipt_view(ctx: ServiceContext, who: Principal, delivery_id: str) -> dict[str, Any]:
    """The final receipt, or before delivery the provisional one from the quote.

    ``final``: the receipt will not change; ``charged``: the fee is owed. A cancelled or
    failed delivery is final and not charged (statements count delivered ones only): its
    lines are the quote it was ordered with, for reference."""
    with ctx.sessions() as s:
        d = load_visible(s, who, delivery_id)
        head = {"delivery_id": d.id, "status": d.status, "delivered_at": iso(d.delivered_at),
                # the trip in words, the same for everyone involved: the shop, the dropoff's street
                "pickup": d.pickup_address,
                "dropoff": street_of_point(ctx, d.coop_id, d.dropoff_lat, d.dropoff_lon)}
        if d.receipt is not None:
            return head | {"final": True, "charged": True} | d.receipt
        if d.quote is None:
            raise NotFound(f"delivery {delivery_id} has no fee: it was created before its "
                           "coop adopted a rule set", field="delivery_id")
        provisional = receipt_from_quote(quote_from_stored(d.quote))
        ended = d.status in ("cancelled", "failed")
        return head | {"final": ended, "charged": False} | receipt_to_dict(provisional)


__all__ = ["FloorRefused", "adopt_rule_set", "public_rule_sets", "rule_set_history",
           "rule_set_in_force"]
