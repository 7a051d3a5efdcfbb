"""Request bodies (pydantic, at the edge). Coordinates refuse NaN, infinities and out-of-range."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dispatch.api.fields import Day, Instant

Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaceIn(Strict):
    """A stop: coordinates, or an address resolved on the co-op's map (``GET /api/v1/places``),
    or both (then ``address`` is kept as the label; without it the nearest door's label is)."""

    lat: Lat | None = None
    lon: Lon | None = None
    address: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def coordinates_or_address(self) -> PlaceIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither and an address")
        if self.lat is None and not self.address.strip():
            raise ValueError("give lat and lon, or an address")
        return self


class WindowIn(Strict):
    start: Instant | None = None
    end: Instant | None = None


class LoadIn(Strict):
    kg: float = Field(default=0, ge=0, le=1000, allow_inf_nan=False)
    litres: float = Field(default=0, ge=0, le=5000, allow_inf_nan=False)


class RecipientIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)


class DeliveryIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "dropoff": {"lat": 60.174, "lon": 24.948, "address": "Kaisaniemenkatu 1"},
        "recipient": {"name": "Matti Meikäläinen", "phone": "+358 40 123 4567"},
        "load": {"kg": 3, "litres": 10}, "notes": "3rd floor, ring twice"}]})
    dropoff: PlaceIn
    recipient: RecipientIn
    pickup: PlaceIn | None = None
    ready_at: Instant | None = None
    dropoff_window: WindowIn | None = None
    load: LoadIn = LoadIn()
    notes: str = Field(default="", max_length=2000)
    quote_id: str | None = Field(default=None, max_length=64)


class CancelIn(Strict):
    reason: str | None = Field(default=None, max_length=500)
    version: int | None = Field(default=None, ge=1)


class LoginIn(Strict):
    email: str = Field(min_length=3, max_length=200)
    password: str = Field(min_length=1, max_length=200)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class ShiftIn(Strict):
    lat: Lat
    lon: Lon
    vehicle_kind: Literal["bike", "cargo_bike", "e_cargo"] | None = None
    planned_end_at: Instant | None = None


class ReportIn(Strict):
    action: Literal["arrived", "picked_up", "delivered", "failed"]
    happened_at: Instant
    reason: str | None = Field(default=None, max_length=500)


class PositionIn(Strict):
    lat: Lat
    lon: Lon
    at: Instant | None = None


class AssignIn(Strict):
    courier_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(default=None, ge=1)


class UnassignIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(default=None, ge=1)


class QuoteIn(Strict):
    """A quote request: the trip of a future delivery (no recipient needed yet)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "dropoff": {"lat": 60.174, "lon": 24.948, "address": "Kaisaniemenkatu 1"},
        "load": {"kg": 3, "litres": 10}}]})
    dropoff: PlaceIn
    pickup: PlaceIn | None = None
    ready_at: Instant | None = None
    load: LoadIn = LoadIn()


class Out(BaseModel):
    """Base of every response body (``dispatch/api/responses*.py``): fields a view adds before
    a model declares them are passed on (``additionalProperties``), never dropped."""

    model_config = ConfigDict(extra="allow")


class LoadSurchargeIn(Strict):
    measure: str = Field(description="weight | volume", max_length=16)
    above: int = Field(description="grams (weight) or millilitres (volume)")
    cents_per_unit: int


class TimeSurchargeIn(Strict):
    start_hour: int
    end_hour: int
    percent_bp: int
    flat_cents: int


class WeatherSurchargeIn(Strict):
    condition: str = Field(max_length=32)
    cents: int
    label_en: str = Field(max_length=200)
    label_fr: str = Field(max_length=200)


class RuleSetIn(Strict):
    """A whole fee rule set as ``GET /api/v1/coops/{slug}/rule-sets`` shows it. The service
    checks the values (and names the field: ``load_surcharges[0].measure``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "effective_from": "2027-01-01", "adopted_by": "general assembly of 2026-12-01",
        "description_en": "Base fee plus distance and time.", "description_fr": "Forfait, distance et temps.",
        "currency": "EUR", "base_cents": 300, "per_km_cents": 80, "per_active_minute_cents": 30,
        "minimum_fee_cents": 600, "courier_floor_cents_per_hour": 1202, "coop_share_bp": 1500,
        "merchant_rebate_bp": 500}]})
    version: int | None = Field(default=None, description="ignored: the server numbers versions")
    effective_from: Day
    adopted_by: str = Field(max_length=500)
    description_en: str = Field(max_length=4000)
    description_fr: str = Field(max_length=4000)
    currency: str = Field(max_length=3)
    base_cents: int
    per_km_cents: int
    per_active_minute_cents: int
    minimum_fee_cents: int
    courier_floor_cents_per_hour: int
    coop_share_bp: int
    merchant_rebate_bp: int
    load_surcharges: list[LoadSurchargeIn] = Field(default_factory=list, max_length=20)
    time_surcharges: list[TimeSurchargeIn] = Field(default_factory=list, max_length=20)
    weather_surcharges: list[WeatherSurchargeIn] = Field(default_factory=list, max_length=20)
    pay_courier_on: Literal["estimated", "actual"] = "estimated"
    rounding_order: list[str] = Field(default_factory=lambda: ["courier", "coop", "merchant"], max_length=3)


class RuleSetDraft(Strict):
    """A rule set being drafted (``/api/v1/admin/rule-sets/preview``): any field of
    :class:`RuleSetIn`; what is left out takes a placeholder, the service names a bad value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"base_cents": 500}]})
    version: int | None = Field(default=None, description="ignored")
    effective_from: Day | None = None
    adopted_by: str | None = Field(default=None, max_length=500)
    description_en: str | None = Field(default=None, max_length=4000)
    description_fr: str | None = Field(default=None, max_length=4000)
    currency: str | None = Field(default=None, max_length=3)
    base_cents: int | None = None
    per_km_cents: int | None = None
    per_active_minute_cents: int | None = None
    minimum_fee_cents: int | None = None
    courier_floor_cents_per_hour: int | None = None
    coop_share_bp: int | None = None
    merchant_rebate_bp: int | None = None
    load_surcharges: list[LoadSurchargeIn] | None = Field(default=None, max_length=20)
    time_surcharges: list[TimeSurchargeIn] | None = Field(default=None, max_length=20)
    weather_surcharges: list[WeatherSurchargeIn] | None = Field(default=None, max_length=20)
    pay_courier_on: Literal["estimated", "actual"] | None = None
    rounding_order: list[str] | None = Field(default=None, max_length=3)
