"""SQLAlchemy 2 models. Times are stored as naive UTC and returned timezone-aware."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, naive UTC in the database, aware UTC out (same on SQLite and PG)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, date: Date}


class MapRow(Base):
    """An imported OSM extract: the street graph, places index and tiles are keyed by ``id``."""

    __tablename__ = "maps"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # map_id
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(1000))  # the OSM file's path on the server
    sha256: Mapped[str] = mapped_column(String(64))
    cut_bbox: Mapped[list[float] | None] = mapped_column(JSON, default=None)  # [s, w, n, e] kept
    bbox: Mapped[list[float]] = mapped_column(JSON)  # [s, w, n, e] of the street graph
    outline: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON Polygon around the streets
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # nodes, edges, km
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coop(Base):
    __tablename__ = "coops"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(16), default="fr")
    service_area: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON Polygon
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    map_id: Mapped[str | None] = mapped_column(ForeignKey("maps.id"), default=None)  # None: server map


class RuleSetRow(Base):
    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("coop_id", "version"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Merchant(Base):
    __tablename__ = "merchants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    is_member: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")


class MerchantSite(Base):
    """One of a merchant's pickup addresses (the merchant's own address is the default one)."""

    __tablename__ = "merchant_sites"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A merchant's API key: the public ``prefix`` finds the row, ``secret_hash`` (argon2) checks it."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # end of a rotation's overlap


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | dispatcher | courier | merchant
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: deactivated, no login


class Invitation(Base):
    """A one-time link to set a password: an invitation (``invite``) or a reset (``reset``)."""

    __tablename__ = "invitations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthToken(Base):
    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # logout, a password change or deactivation (issue 16): the token stops working at once
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class LoginThrottle(Base):
    """Failed logins per account or per client address (``key``: ``account:<sha256>`` or
    ``address:<ip>``): each failure past a few free ones pushes ``wait_until`` further (issue 16)."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column()
    wait_until: Mapped[datetime | None] = mapped_column(default=None)


class Courier(Base):
    __tablename__ = "couriers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    vehicle_kind: Mapped[str] = mapped_column(String(16), default="cargo_bike")
    capacity_g: Mapped[int] = mapped_column(Integer, default=80_000)
    capacity_ml: Mapped[int] = mapped_column(Integer, default=200_000)
    speed_pct: Mapped[int] = mapped_column(Integer, default=115)


class Shift(Base):
    __tablename__ = "shifts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    courier_id: Mapped[str] = mapped_column(ForeignKey("couriers.id"), index=True)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    vehicle_kind: Mapped[str] = mapped_column(String(16))
    capacity_g: Mapped[int] = mapped_column(Integer)
    capacity_ml: Mapped[int] = mapped_column(Integer)
    speed_pct: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    planned_end_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    last_lat: Mapped[float] = mapped_column(Float)
    last_lon: Mapped[float] = mapped_column(Float)
    last_position_at: Mapped[datetime] = mapped_column()


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_coop_status", "coop_id", "status"),
        Index("ix_deliveries_merchant_created", "merchant_id", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    version: Mapped[int] = mapped_column(Integer, default=1)
    courier_id: Mapped[str | None] = mapped_column(ForeignKey("couriers.id"), default=None)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    pickup_lat: Mapped[float] = mapped_column(Float)
    pickup_lon: Mapped[float] = mapped_column(Float)
    pickup_address: Mapped[str] = mapped_column(String(300))
    dropoff_lat: Mapped[float] = mapped_column(Float)
    dropoff_lon: Mapped[float] = mapped_column(Float)
    dropoff_address: Mapped[str] = mapped_column(String(300))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    ready_at: Mapped[datetime] = mapped_column()
    window_start_at: Mapped[datetime] = mapped_column()
    window_end_at: Mapped[datetime] = mapped_column()
    load_g: Mapped[int] = mapped_column(Integer, default=0)
    load_ml: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    ride_s: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    picked_up_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    pseudonymised_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Stop(Base):
    """The pickup or the dropoff of a delivery in a courier's route (two per delivery)."""

    __tablename__ = "stops"
    __table_args__ = (UniqueConstraint("delivery_id", "kind"), Index("ix_stops_courier", "courier_id"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"))
    kind: Mapped[str] = mapped_column(String(8))  # pickup | dropoff
    courier_id: Mapped[str | None] = mapped_column(ForeignKey("couriers.id"), default=None)
    position: Mapped[int | None] = mapped_column(Integer, default=None)  # order in the route
    eta_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """One row per transition and per manual override: who, what, why, when (phone and server)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    coop_id: Mapped[str] = mapped_column(String(32), index=True)
    delivery_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    actor_kind: Mapped[str] = mapped_column(String(16))  # merchant | courier | dispatcher | system
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    happened_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # what changed


class OutboxEvent(Base):
    """Events written in the same transaction as the change; ``seq`` numbers frames for resume."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    coop_id: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(48))
    topics: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Quote(Base):
    __tablename__ = "quotes"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanRow(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    coop_id: Mapped[str] = mapped_column(String(32), index=True)
    policy: Mapped[str] = mapped_column(String(16))
    objective: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanations: Mapped[dict[str, Any]] = mapped_column(JSON)
    unassigned: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """A merchant's URL for delivery events; ``secret`` signs them (Standard Webhooks)."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))  # kept in clear: needed to sign
    event_types: Mapped[list[str]] = mapped_column(JSON)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One event for one endpoint: retried with backoff until delivered or given up."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_seq"),
                      Index("ix_webhook_attempts_due", "state", "next_attempt_at"),
                      Index("ix_webhook_attempts_subject", "endpoint_id", "subject_id", "event_seq"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(64))  # stable across retries
    # the delivery the event is about: its events go out one at a time, in order (issue 20)
    subject_id: Mapped[str | None] = mapped_column(String(32), default=None)
    payload: Mapped[str] = mapped_column(Text)  # the exact body, signed anew at each attempt
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()  # only while pending
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobCursor(Base):
    """How far a background job has read a stream (``webhooks:<coop_id>`` -> outbox seq)."""

    __tablename__ = "job_cursors"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class PlaceIndexRow(Base):
    """A map whose places were built: from which file, when, how many records, how long."""

    __tablename__ = "place_indexes"
    map_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    records: Mapped[int] = mapped_column(Integer)
    build_s: Mapped[float] = mapped_column(Float)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaceRow(Base):
    """One searchable record of a map's places (see ``routing/places``); streets keep their lines."""

    __tablename__ = "places"
    __table_args__ = (Index("ix_places_map_id", "map_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    map_id: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(12))  # address | interpolated | street | place
    name: Mapped[str] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(300))
    housenumber: Mapped[str] = mapped_column(String(40))
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    snapped_lat: Mapped[float] = mapped_column(Float)
    snapped_lon: Mapped[float] = mapped_column(Float)
    ref: Mapped[str] = mapped_column(String(24))
    geometry: Mapped[list[Any] | None] = mapped_column(JSON, default=None)


class DeliveryImport(Base):
    """A file of orders being created: progress, and each row's outcome (``rows``)."""

    __tablename__ = "delivery_imports"
    __table_args__ = (Index("ix_delivery_imports_merchant", "merchant_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    coop_id: Mapped[str] = mapped_column(ForeignKey("coops.id"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    filename: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
