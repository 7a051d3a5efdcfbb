"""Response bodies of ``/api/v1`` (pydantic, at the edge): what the OpenAPI document promises.

Every route declares one of these as its ``response_model`` (a route that answers stored bytes,
like an idempotent create, declares it too: the bytes are the same view). They are the contract
``docs/api.md`` describes: a field named here is kept for the life of ``/api/v1``
(``tests/integration/api_contract.json`` is the snapshot a test compares against). Models allow
extra fields, so a field a view adds before it is declared here is passed on, not dropped.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from dispatch.api.examples import EXAMPLE_ID, QUOTE_EXAMPLE, STOPS_EXAMPLE, SUMMARY_EXAMPLE
from dispatch.api.schemas import Out


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life (``pending -> assigned -> picked_up -> delivered``)."""

    pending = "pending"
    assigned = "assigned"
    picked_up = "picked_up"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


class Place(Out):
    lat: float | None = Field(examples=[60.174])
    lon: float | None = Field(examples=[24.948])
    address: str | None = Field(description="null where the reader may not see it",
                                examples=["Kaisaniemenkatu 1"])


class Recipient(Out):
    name: str | None = Field(description="null where the reader may not see it")
    phone: str | None = Field(description="null where the reader may not see it")


class Window(Out):
    start: datetime | None
    end: datetime | None


class Load(Out):
    kg: float
    litres: float


class Stop(Out):
    """The pickup or the dropoff of a delivery, as a point of a courier's route."""

    id: str
    kind: Literal["pickup", "dropoff"]
    courier_id: str | None
    position: int | None = Field(description="order on the courier's route, null while unplanned")
    eta: datetime | None
    arrived_at: datetime | None
    done_at: datetime | None


class ManualDecision(Out):
    """Who assigned a delivery by hand, when and why (dispatcher views of a pinned delivery)."""

    by: str | None = Field(description="the dispatcher's name")
    role: str
    reason: str | None
    at: datetime


class DeliverySummary(Out):
    """A delivery without its stops (lists, transitions, socket frames, webhook payloads)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: str = Field(examples=[EXAMPLE_ID])
    status: DeliveryStatus
    version: int = Field(description="send it back to refuse a stale write (409 stale-version)")
    merchant_id: str
    courier_id: str | None
    pinned: bool = Field(description="assigned by hand: the solver keeps it with its courier")
    pickup: Place
    dropoff: Place
    recipient: Recipient
    ready_at: datetime | None
    dropoff_window: Window
    load: Load
    distance_m: int | None
    ride_s: int | None
    fee_cents: int | None = Field(description="null when the co-op has adopted no rule set")
    tracking_token: str | None = Field(description="the public link /track/<token>; null for couriers")
    reason: str | None = Field(description="why it failed or was cancelled")
    notes: str | None = Field(default=None, description="for the courier (\"3rd floor, ring twice\"); "
                              "null where the reader may not see it; socket frames carry none")
    manual: ManualDecision | None = Field(default=None, description="dispatcher views: the human "
                                          "decision while a manual assignment holds")
    picked_up_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Delivery(DeliverySummary):
    """A delivery with its two stops (pickup first)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "examples": [SUMMARY_EXAMPLE | {"stops": STOPS_EXAMPLE}]})

    stops: list[Stop]


class DeliveryPage(Out):
    """One page, newest first; pass ``next_cursor`` as ``cursor`` for the next (null: last page)."""

    items: list[DeliverySummary]
    next_cursor: str | None


class Split(Out):
    courier_cents: int
    coop_cents: int
    merchant_cents: int


class SplitWeights(Out):
    courier: int
    coop: int
    merchant: int


class Rounding(Out):
    method: Literal["largest_remainder"]
    rounding_order: list[str]


class FeeLine(Out):
    """One line of the formula: ``round_half_up(quantity * rate_cents / per)``."""

    code: str
    label_en: str
    label_fr: str
    quantity: int
    quantity_unit: str
    rate_cents: int
    per: int
    amount_cents: int


class Trip(Out):
    distance_m: int
    ride_to_pickup_s: int
    pickup_service_s: int
    ride_s: int
    dropoff_service_s: int
    load_g: int
    load_ml: int
    pickup_hour: int
    weather: str | None
    merchant_is_member: bool
    active_s: int


class Quote(Out):
    """A price kept until ``expires_at``: pass ``id`` as ``quote_id`` when creating."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [QUOTE_EXAMPLE]})

    id: str
    created_at: datetime
    expires_at: datetime
    ready_at: datetime = Field(description="the pickup time this price is for")
    ready_tolerance_s: int = Field(description="the price holds for a delivery ready this close to ready_at")
    rule_set_version: int
    currency: str = Field(examples=["EUR"])
    trip: Trip
    lines: list[FeeLine]
    fee_cents: int
    courier_floor_cents: int
    split: Split
    split_weights_bp: SplitWeights
    rounding: Rounding
    pay_courier_on: Literal["estimated", "actual"]


class LoadSurcharge(Out):
    measure: str
    above: int
    cents_per_unit: int


class TimeSurcharge(Out):
    start_hour: int
    end_hour: int
    percent_bp: int
    flat_cents: int


class WeatherSurcharge(Out):
    condition: str
    cents: int
    label_en: str
    label_fr: str


class RuleSet(Out):
    """One adopted version of a co-op's fee rules."""

    version: int
    effective_from: date
    adopted_by: str
    description_en: str
    description_fr: str
    currency: str
    base_cents: int
    per_km_cents: int
    per_active_minute_cents: int
    load_surcharges: list[LoadSurcharge]
    time_surcharges: list[TimeSurcharge]
    weather_surcharges: list[WeatherSurcharge]
    minimum_fee_cents: int
    courier_floor_cents_per_hour: int
    coop_share_bp: int
    merchant_rebate_bp: int
    pay_courier_on: Literal["estimated", "actual"]
    rounding_order: list[str]


class ReceiptInputs(Out):
    trip: Trip
    estimated_active_s: int
    actual_active_s: int | None
    paid_time_basis: str
    paid_active_s: int


class CourierFloor(Out):
    cents_per_hour: int
    paid_active_s: int
    floor_cents: int
    topup_from_coop_cents: int
    shortfall_cents: int


class Receipt(Out):
    """Everything needed to recompute the fee and its split by hand (``final`` after delivery)."""

    delivery_id: str
    status: DeliveryStatus
    delivered_at: datetime | None
    final: bool = Field(description="the receipt will not change (delivered, cancelled or failed)")
    charged: bool = Field(description="the fee is owed: only once delivered (a cancelled or failed "
                          "delivery shows the quote it was ordered with, not charged)")
    schema_version: int
    currency: str
    rule_set_version: int
    rule_set: RuleSet
    inputs: ReceiptInputs
    lines: list[FeeLine]
    fee_cents: int
    split_weights_bp: SplitWeights
    rounding: Rounding
    quoted_split: Split
    courier_floor: CourierFloor
    split: Split


class FieldError(Out):
    field: str = Field(examples=["dropoff.lat"])
    message: str


class Problem(Out):
    """RFC 9457 problem details: every error of the API (``application/problem+json``).

    Key on ``type``: each kind of problem has its own, documented at that address
    (``GET /problems/<slug>``); ``title`` is its short name, ``detail`` this occurrence."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "/problems/stale-version", "title": "Stale version", "status": 409,
        "detail": "the delivery is at version 3, the request was made against version 2",
        "field": "version"}]})
    type: str = Field(description="a URI reference: /problems/<slug>, one per kind of problem",
                      examples=["/problems/illegal-transition"])
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the field, parameter or header at fault "
                                                        "(`body` for a body that is not valid JSON)")
    errors: list[FieldError] | None = Field(default=None, description="every invalid field (validation)")
    current_status: str | None = Field(default=None, description="illegal-transition: the status now")
    action: str | None = Field(default=None, description="illegal-transition: the refused action")
