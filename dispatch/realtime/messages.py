"""What goes over the realtime socket, in both directions (an edge: pydantic lives here).

Server -> client: every frame is ``{"seq": int, "type": str, "data": {...}}``.

- ``seq`` is the outbox sequence number of the event the frame carries. Frames that are not
  outbox events (``heartbeat``, ``resync``, ``error``) carry ``seq: 0``; a client only moves its
  cursor forward on ``seq > 0`` and sends ``{"type": "resume", "after": cursor}`` when it
  reconnects.
- ``type`` names one of the payload models below (``PAYLOAD_MODELS``); ``data`` is its JSON.
  Outbox types (``OUTBOX_TYPES``) carry what ``services/`` wrote; ``track:<token>`` topics get
  ``tracking_data`` only (status and times, no personal data, no courier id).

Client -> server: first ``auth {token}`` (not on the public tracking socket), then
``resume {after}``, ``position {lat, lon, at, heading?}``, ``ping``.
``parse_client_message`` validates one text frame and raises ``BadMessage`` naming the field.

Between processes (through the bus) frames travel inside an ``Envelope`` that also names the
topics (``courier:<id>``, ``coop:<id>``, ``merchant:<id>``, ``track:<token>``) they are for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from dispatch.api.fields import Instant

Id = int | str
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
MAX_CLIENT_MESSAGE_CHARS = 4096


class Payload(BaseModel):
    """Base of the typed ``data`` of a server frame; ``TYPE`` is the frame's ``type``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    TYPE: ClassVar[str]


class OutboxPayload(Payload):
    """Data written by ``services/`` into the outbox: the key fields are typed, the rest of the
    view (addresses without personal data, times, loads) passes through as is."""

    model_config = ConfigDict(extra="allow", frozen=True)


class DeliveryEvent(OutboxPayload):
    """A delivery changed: the delivery view without personal data plus the ``event``."""

    TYPE: ClassVar[str] = "delivery.created"
    id: Id
    status: str
    version: int | None = None
    courier_id: Id | None = None
    event: dict[str, Any] | None = None


def _delivery_event(type_: str) -> type[DeliveryEvent]:
    return type(f"DeliveryEvent_{type_.replace('.', '_')}", (DeliveryEvent,), {
        "__annotations__": {"TYPE": ClassVar[str]}, "TYPE": type_})


class RouteStop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    stop_id: Id
    delivery_id: Id
    kind: Literal["pickup", "dropoff"]
    eta: datetime | None = None
    position: int | None = None


class RouteUpdated(Payload):
    """One courier's open stops in planned order with their estimated arrival times."""

    TYPE: ClassVar[str] = "route.updated"
    courier_id: Id
    stops: list[RouteStop]


class PlanUpdated(OutboxPayload):
    """A new plan for the coop, for the dispatcher's map."""

    TYPE: ClassVar[str] = "plan.updated"
    policy: str
    objective: dict[str, Any]
    unassigned: dict[str, Any]


class ShiftEvent(OutboxPayload):
    TYPE: ClassVar[str] = "shift.started"
    id: Id
    courier_id: Id


class ShiftEnded(ShiftEvent):
    TYPE: ClassVar[str] = "shift.ended"


class AuthRevoked(OutboxPayload):
    """Tokens of a person (logout, password change, deactivation) or a merchant's API keys were
    revoked: every process forgets them and closes the sockets they opened. Topic ``user:<id>``,
    which no socket joins."""

    TYPE: ClassVar[str] = "auth.revoked"
    user_id: Id
    tokens: list[str]  # SHA-256 of each revoked token, never the token
    reason: str
    keys: list[str] = []  # public prefix of each revoked API key, never the key


class CourierPosition(Payload):
    """Ephemeral (seq 0). ``courier_id`` is left out on the public tracking socket."""

    TYPE: ClassVar[str] = "courier.position"
    courier_id: Id | None = None
    lat: Lat
    lon: Lon
    at: datetime
    heading: Annotated[float, Field(ge=0, lt=360)] | None = None


class CourierPositions(Payload):
    """Ephemeral (seq 0), for dispatcher sockets: the latest position of each courier that
    moved since the previous batch (one frame per coop and process every ~0.1 s, instead of
    one frame per position and socket)."""

    TYPE: ClassVar[str] = "courier.positions"
    positions: list[CourierPosition]


class Resync(Payload):
    """The client missed frames it cannot get back over the socket: refetch over HTTP."""

    TYPE: ClassVar[str] = "resync"
    reason: str


class Heartbeat(Payload):
    TYPE: ClassVar[str] = "heartbeat"
    at: datetime | None = None


class Error(Payload):
    TYPE: ClassVar[str] = "error"
    code: str
    message: str
    field: str | None = None


DELIVERY_EVENT_TYPES = ("delivery.created", "delivery.assigned", "delivery.unassigned",
                        "delivery.picked_up", "delivery.delivered", "delivery.failed",
                        "delivery.cancelled", "courier.arrived")
OUTBOX_TYPES = (*DELIVERY_EVENT_TYPES, "route.updated", "plan.updated", "shift.started",
                "shift.ended", "auth.revoked")
EPHEMERAL_TYPES = ("courier.position", "courier.positions", "resync", "heartbeat", "error")
PAYLOAD_MODELS: dict[str, type[Payload]] = {
    **{t: DeliveryEvent if t == DeliveryEvent.TYPE else _delivery_event(t)
       for t in DELIVERY_EVENT_TYPES},
    **{m.TYPE: m for m in (RouteUpdated, PlanUpdated, ShiftEvent, ShiftEnded, AuthRevoked, CourierPosition,
                           CourierPositions, Resync, Heartbeat, Error)},
}
FrameType = Literal[
    "delivery.created", "delivery.assigned", "delivery.unassigned", "delivery.picked_up",
    "delivery.delivered", "delivery.failed", "delivery.cancelled", "courier.arrived",
    "route.updated", "plan.updated", "shift.started", "shift.ended", "auth.revoked",
    "courier.position", "courier.positions", "resync", "heartbeat", "error",
]


# What the public tracking link may show: status and times, never who or where to.
TRACKING_FIELDS = ("id", "status", "ready_at", "dropoff_window", "picked_up_at", "delivered_at",
                   "updated_at")
TRACKING_EVENT_FIELDS = ("from_status", "status", "at")


def tracking_data(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """The part of a frame's data the public tracking socket may carry (no personal data)."""
    if type_ == CourierPosition.TYPE:
        return {k: data[k] for k in ("lat", "lon", "at") if k in data}
    out = {k: data[k] for k in TRACKING_FIELDS if k in data}
    event = data.get("event")
    if isinstance(event, dict):
        out["event"] = {k: event[k] for k in TRACKING_EVENT_FIELDS if k in event}
    return out


class Frame(BaseModel):
    """One server -> client frame."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    seq: Annotated[int, Field(ge=0)]
    type: FrameType
    data: dict[str, Any]

    def to_text(self) -> str:
        return self.model_dump_json()

    def payload(self) -> Payload:
        """The typed payload; raises ``ValidationError`` if ``data`` does not fit ``type``."""
        return PAYLOAD_MODELS[self.type].model_validate(self.data)


def frame_from_payload(payload: Payload, seq: int = 0) -> Frame:
    """Wrap a typed payload into a frame (``seq`` 0 for frames that are not outbox events)."""
    return Frame(seq=seq, type=payload.TYPE, data=payload.model_dump(mode="json"))  # type: ignore[arg-type]


class Envelope(BaseModel):
    """A frame on its way through the bus, with the topics it is for."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topics: list[str] = Field(min_length=1)
    frame: Frame


# -- client -> server -------------------------------------------------------------------------


class _ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resume(_ClientMessage):
    type: Literal["resume"]
    after: Annotated[int, Field(ge=0)]


class Position(_ClientMessage):
    type: Literal["position"]
    lat: Lat
    lon: Lon
    at: Instant  # aware and in range: a naive time is an error frame, not a dropped socket
    heading: Annotated[float, Field(ge=0, lt=360)] | None = None


class Ping(_ClientMessage):
    type: Literal["ping"]


ClientMessage = Annotated[Resume | Position | Ping, Field(discriminator="type")]
_client_adapter: TypeAdapter[Resume | Position | Ping] = TypeAdapter(ClientMessage)


class Auth(_ClientMessage):
    """The first message on a person's or merchant's socket: the token travels in the socket,
    never in the URL (URLs end up in access logs, proxy logs and browser history)."""

    type: Literal["auth"]
    token: Annotated[str, Field(min_length=1, max_length=512)]


_auth_adapter: TypeAdapter[Auth] = TypeAdapter(Auth)


class BadMessage(ValueError):
    """A client message that cannot be accepted; ``field`` names the culprit when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_frame(self) -> Frame:
        return frame_from_payload(Error(code="bad_message", message=self.message,
                                        field=self.field))


def parse_auth_message(text: str | bytes) -> str:
    """The token of a socket's first message ``{"type": "auth", "token": ...}``."""
    if len(text) > MAX_CLIENT_MESSAGE_CHARS:
        raise BadMessage(f"message longer than {MAX_CLIENT_MESSAGE_CHARS} characters")
    try:
        return _auth_adapter.validate_json(text).token
    except ValidationError:
        raise BadMessage('the first message must be {"type": "auth", "token": "<token or API key>"}',
                         field="token") from None


def parse_client_message(text: str | bytes) -> Resume | Position | Ping:
    """Validate one client text frame; raise ``BadMessage`` with a readable reason."""
    if len(text) > MAX_CLIENT_MESSAGE_CHARS:
        raise BadMessage(f"message longer than {MAX_CLIENT_MESSAGE_CHARS} characters")
    try:
        return _client_adapter.validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        # loc starts with the message type (the union's tag); the field is what follows it
        field = ".".join(str(p) for p in first["loc"][1:]) or None
        if first["type"] == "json_invalid":
            raise BadMessage("message is not valid JSON") from None
        if first["type"] == "dict_type":
            raise BadMessage("message must be a JSON object") from None
        if first["type"] in ("union_tag_not_found", "union_tag_invalid"):
            raise BadMessage(
                "type must be one of 'resume', 'position', 'ping'", field="type") from None
        where = f"{field}: " if field else ""
        raise BadMessage(f"{where}{first['msg']}", field=field) from None
