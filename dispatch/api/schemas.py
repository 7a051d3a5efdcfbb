"""Request bodies (pydantic, at the edge). Coordinates refuse NaN, infinities and out-of-range."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dispatch.api.fields import Instant

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


class ShiftIn(Strict):
    lat: Lat
class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


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

    dropoff: PlaceIn
    pickup: PlaceIn | None = None
    ready_at: Instant | None = None
    load: LoadIn = LoadIn()
