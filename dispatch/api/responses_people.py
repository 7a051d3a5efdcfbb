"""Response bodies of the people's side of ``/api/v1``: login, shifts, routes, dispatch,
statements, public tracking, the map, webhooks and health (see ``responses.py``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from dispatch.api.responses import DeliverySummary, RuleSet, Stop, Window
from dispatch.api.schemas import Out

Role = Literal["admin", "dispatcher", "courier", "merchant"]


class EventType(StrEnum):
    """A webhook event type (the document's ``webhooks`` section describes each)."""

    created = "delivery.created"
    assigned = "delivery.assigned"
    unassigned = "delivery.unassigned"
    picked_up = "delivery.picked_up"
    delivered = "delivery.delivered"
    failed = "delivery.failed"
    cancelled = "delivery.cancelled"


class Token(Out):
    """A person's bearer token (send ``Authorization: Bearer <token>``)."""

    token: str
    role: Role
    coop_id: str
    courier_id: str | None
    expires_in_s: int


class Me(Out):
    role: Role
    coop_id: str
    user_id: str | None
    merchant_id: str | None
    courier_id: str | None


class Position(Out):
    lat: float | None
    lon: float | None
    at: datetime | None


class Shift(Out):
    id: str
    courier_id: str
    vehicle_kind: str
    capacity_kg: float
    capacity_litres: float
    started_at: datetime
    planned_end_at: datetime | None
    ended_at: datetime | None
    position: Position


class CourierOnShift(Shift):
    first_name: str


class PositionAck(Out):
    courier_id: str
    coop_id: str | None = None
    lat: float
    lon: float
    at: datetime


class Contact(Out):
    """Whom the courier meets at a stop: the merchant at a pickup, the recipient at a dropoff."""

    role: Literal["merchant", "recipient"]
    name: str | None
    phone: str | None


class RouteStop(Stop):
    delivery: DeliverySummary
    contact: Contact


class Route(Out):
    """A courier's open stops in planned order."""

    courier_id: str
    first_name: str
    shift: Shift | None
    stops: list[RouteStop]


class StopReport(Out):
    """What a stop report changed: the stop and its delivery."""

    stop: Stop
    delivery: DeliverySummary


class Period(Out):
    from_: datetime = Field(alias="from")
    to: datetime


class StatementDelivery(Out):
    delivery_id: str
    merchant_id: str
    delivered_at: datetime | None
    fee_cents: int
    rule_set_version: int
    earnings_cents: int


class StatementHour(Out):
    start: datetime
    on_shift_s: int
    earnings_cents: int
    floor_cents: int
    below_floor: bool


class Statement(Out):
    """A courier's pay statement: earnings per hour on shift (waiting included) against the floor."""

    courier_id: str
    first_name: str
    currency: str
    period: Period
    floor_cents_per_hour: int
    deliveries: list[StatementDelivery]
    earnings_cents: int
    on_shift_s: int
    earnings_per_hour_cents: int | None
    floor_cents: int
    below_floor: bool
    hours: list[StatementHour]
    hours_below_floor: int


class PartyTotals(Out):
    id: str
    name: str | None
    deliveries: int
    fees_cents: int
    courier_cents: int
    coop_cents: int
    rebate_cents: int


class CoopStatement(Out):
    """The co-op's books for a period: fees, shares, rebates."""

    currency: str
    period: Period
    total: PartyTotals
    merchants: list[PartyTotals]
    couriers: list[PartyTotals]
    topup_from_coop_cents: int
    shortfall_cents: int


class CoopLook(Out):
    name: str
    locale: str
    currency: str
    timezone: str


class Tracking(Out):
    """The public tracking view: no personal data."""

    status: str
    merchant: str | None
    courier_first_name: str | None
    eta: datetime | None
    dropoff_window: Window
    picked_up_at: datetime | None
    delivered_at: datetime | None
    position: Position | None
    coop: CoopLook


class Webhook(Out):
    id: str
    url: str
    event_types: list[EventType]
    created_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="whsec_... signing key, shown only in this answer")


class WebhookAttempt(Out):
    event_id: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None = Field(description="set only while the attempt is pending")
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


class WebhookDetail(Webhook):
    attempts: list[WebhookAttempt] = Field(description="the 50 latest, newest first")


class WebhookEvent(Out):
    """The body POSTed to a webhook (signed per Standard Webhooks, ``webhook-id`` = ``id``)."""

    id: str = Field(description="evt_<sequence>: stable across retries", examples=["evt_42"])
    type: EventType
    sequence: int = Field(description="the co-op's event number: grows with every event, so a "
                                      "receiver can tell the later of two events of one delivery")
    timestamp: datetime = Field(description="when the event happened")
    data: DeliverySummary = Field(description="the delivery after the event, without personal data")


class Health(Out):
    status: Literal["ok"]
    database: str
    bus: str


class Texts(Out):
    """The same paragraphs in both languages."""

    en: list[str]
    fr: list[str]


class CoopName(Out):
    slug: str
    name: str
    currency: str


class CurrentRuleSet(Out):
    rule_set: RuleSet
    text: Texts


class DispatchPolicy(Out):
    policy: Literal["nearest", "solver"]
    weights: dict[str, int]
    text: Texts


class PublicRuleSets(Out):
    """A co-op's fee rules (current and every version) and how its dispatch decides."""

    coop: CoopName
    current: CurrentRuleSet | None
    history: list[RuleSet]
    history_text: Texts
    dispatch: DispatchPolicy


class LatLon(Out):
    lat: float
    lon: float


class BBox(Out):
    south: float
    west: float
    north: float
    east: float


class ZoomRange(Out):
    min: int
    max: int
    default: int


class MapInfo(Out):
    map_id: str | None = Field(default=None, description="the co-op map's id (tiles, places)")
    bbox: BBox
    centre: LatLon
    attribution: str
    licence: str
    zoom: ZoomRange


class LineString(Out):
    type: Literal["LineString"]
    coordinates: list[list[float]]


class StreetFeature(Out):
    type: Literal["Feature"]
    properties: dict[str, str | int | float | None]
    geometry: LineString


class Streets(Out):
    """GeoJSON FeatureCollection of the street graph (``application/geo+json``)."""

    type: Literal["FeatureCollection"]
    features: list[StreetFeature]
    attribution: str


class ProfileMerchant(Out):
    id: str
    name: str
    address: str
    lat: float
    lon: float


class ProfileCourier(Out):
    id: str
    first_name: str
    vehicle_kind: str


class Profile(Out):
    role: Role
    coop: CoopLook
    merchant: ProfileMerchant | None
    courier: ProfileCourier | None


class PlanSummary(Out):
    id: int
    policy: str
    objective: dict[str, Any] = Field(description="the objective's terms")
    explanations: dict[str, Any] = Field(description="per delivery id: why it went where it did")
    unassigned: dict[str, Any] = Field(description="per delivery id: why no courier took it")
    created_at: datetime


class LatestPlan(Out):
    plan: PlanSummary | None
    courier_names: dict[str, str]


class NewToken(Out):
    """The token that replaces the caller's after a password change."""

    token: str
    expires_in_s: int


class Proof(Out):
    """A stored proof of delivery (photo or signature)."""

    delivery_id: str
    kind: Literal["photo", "signature"]
    file: str
    sha256: str
    bytes: int
