"""Request and response bodies of the co-op setup API (admin, invitations, a member's own
data). Pydantic at the edge only; the services validate again what they own (names, areas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.fields import Day
from dispatch.api.schemas import Lat, Lon, Strict

Role = Literal["admin", "dispatcher", "courier", "merchant"]
Text = Field(min_length=1, max_length=200)


class Out(BaseModel):
    """Response base: fields a service adds before a model declares them pass through."""

    model_config = ConfigDict(extra="allow")


# --- requests ---------------------------------------------------------------------------------

class CoopIn(Strict):
    name: str = Text
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    admin_email: str = Field(min_length=3, max_length=200)
    admin_name: str = Field(default="Admin", min_length=1, max_length=200)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    locale: Literal["fr", "en"] = "fr"
    map_id: str | None = Field(default=None, max_length=16)
    service_area: dict[str, Any] | None = None


class CoopSettingsIn(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    locale: Literal["fr", "en"] | None = None
    service_area: dict[str, Any] | None = None
    map_id: str | None = Field(default=None, max_length=16)


class InviteIn(Strict):
    email: str = Field(min_length=3, max_length=200)
    name: str = Text
    role: Literal["admin", "dispatcher", "courier"]


class StaffIn(Strict):
    email: str = Field(min_length=3, max_length=200)
    name: str = Text


class VehicleIn(Strict):
    kind: Literal["bike", "cargo_bike", "e_cargo"]
    capacity_kg: float = Field(gt=0, le=500, allow_inf_nan=False)
    capacity_litres: float = Field(gt=0, le=2000, allow_inf_nan=False)
    speed_pct: int = Field(ge=50, le=200)


class SiteIn(Strict):
    label: str = Field(default="", max_length=100)
    address: str = Field(min_length=1, max_length=300)
    lat: Lat
    lon: Lon


class MerchantIn(Strict):
    name: str = Text
    sites: list[SiteIn] = Field(min_length=1, max_length=50)
    is_member: bool = True
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=40)


class KeyIn(Strict):
    label: str = Field(default="key", max_length=100)


class RotateIn(Strict):
    overlap_h: float = Field(default=24, ge=0, le=720, allow_inf_nan=False)


class AdoptionIn(Strict):
    """A rule set as the assembly adopted it: the rules, the assembly's date and its vote."""

    rules: dict[str, Any]
    assembly_date: Day
    votes_for: int = Field(ge=0, le=100_000)
    votes_against: int = Field(ge=0, le=100_000)
    abstentions: int = Field(default=0, ge=0, le=100_000)
    body: str = Field(default="general assembly", min_length=1, max_length=100)


class TokenIn(Strict):
    token: str = Field(min_length=10, max_length=100)


class AcceptIn(Strict):
    token: str = Field(min_length=10, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class NameIn(Strict):
    name: str = Text


# --- responses --------------------------------------------------------------------------------

class OneTimeLink(Out):
    """A one-time link to set a password: shown once, never stored in clear."""

    user_id: str
    email: str
    role: Role
    url: str
    expires_at: str
    emailed: bool


class CoopCreated(Out):
    id: str
    slug: str
    name: str
    map_id: str | None
    admin: OneTimeLink


class CoopSettings(Out):
    id: str
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str
    service_area: dict[str, Any]
    map_id: str
    map_bbox: list[float]


class CoopMapInfo(Out):
    """One of the co-op's imported maps (``/api/v1/map/info``'s model is ``MapInfo``)."""

    id: str
    name: str
    bbox: list[float]
    outline: dict[str, Any]
    summary: dict[str, Any]
    imported_at: str | None


class VehicleOut(Out):
    id: str
    first_name: str
    vehicle_kind: str
    capacity_kg: float
    capacity_litres: float
    speed_pct: int


class Member(Out):
    id: str
    email: str
    name: str
    role: Role
    active: bool
    merchant_id: str | None
    invited_only: bool
    created_at: str | None
    courier: VehicleOut | None


class KeyOut(Out):
    id: str
    prefix: str
    label: str
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None


class NewKey(KeyOut):
    """The key in clear: in this answer only."""

    key: str
    replaces: KeyOut | None = None


class Site(Out):
    id: str | None
    label: str
    address: str
    lat: float
    lon: float


class StaffOut(Out):
    id: str
    email: str
    name: str
    active: bool


class MerchantOut(Out):
    id: str
    name: str
    is_member: bool
    contact_email: str
    contact_phone: str
    address: str
    lat: float
    lon: float
    sites: list[Site]
    keys: list[KeyOut]
    staff: list[StaffOut]


class AuditRow(Out):
    id: int
    action: str
    actor_kind: str
    actor_id: str | None
    delivery_id: str | None
    reason: str | None
    details: dict[str, Any] | None
    happened_at: str | None


class SampleTrip(Out):
    label: str
    distance_km: float
    ride_min: float
    fee_cents: int
    courier_cents: int
    coop_cents: int
    merchant_cents: int
    courier_floor_cents: int


class Preview(Out):
    currency: str
    trips: list[SampleTrip]


class LinkInfo(Out):
    purpose: Literal["invite", "reset"]
    email: str
    name: str
    role: Role
    coop: dict[str, Any]


class Accepted(Out):
    token: str
    role: Role
    email: str


class WebhookRow(Out):
    id: str
    merchant_id: str
    merchant: str
    url: str
    event_types: list[str]
    disabled_at: str | None


class MyData(Out):
    """Everything the service keeps about the caller (``GET /api/v1/me/export``, a download)."""

    exported_at: datetime
    coop: str
    profile: dict[str, Any] | None
    shifts: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    statement: dict[str, Any] | None
