"""Realtime frames and client messages: shapes, and clear errors for bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dispatch.realtime.messages import (
    PAYLOAD_MODELS,
    BadMessage,
    CourierPosition,
    Envelope,
    Frame,
    Ping,
    Position,
    Resume,
    RouteStop,
    RouteUpdated,
    frame_from_payload,
    parse_client_message,
)

AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_a_payload_becomes_a_frame_of_its_type_and_back() -> None:
    """frame_from_payload sets type from the payload, and Frame.payload rebuilds it."""
    route = RouteUpdated(courier_id=4, plan_version=7, stops=[
        RouteStop(delivery_id=1, kind="pickup", lat=45.76, lon=4.83, eta=AT),
        RouteStop(delivery_id=1, kind="dropoff", lat=45.75, lon=4.85, eta=AT),
    ])
    frame = frame_from_payload(route, seq=12)
    assert (frame.seq, frame.type) == (12, "route.updated")
    wire = json.loads(frame.to_text())
    assert set(wire) == {"seq", "type", "data"}
    assert Frame.model_validate_json(frame.to_text()).payload() == route


def test_every_frame_type_has_a_payload_model() -> None:
    """The frame types clients may see are exactly the payload models' types."""
    assert set(PAYLOAD_MODELS) == {
        "delivery.created", "delivery.updated", "route.updated", "courier.position",
        "plan.updated", "resync", "heartbeat", "error"}


def test_a_frame_of_unknown_type_is_refused() -> None:
    """Frame rejects a type that no client knows how to apply."""
    with pytest.raises(ValidationError):
        Frame(seq=1, type="delivery.exploded", data={})  # type: ignore[arg-type]


def test_a_courier_position_outside_the_globe_is_refused() -> None:
    """Latitude beyond 90 degrees is not a position."""
    with pytest.raises(ValidationError, match="lat"):
        CourierPosition(courier_id=1, lat=91, lon=0, at=AT)


def test_an_envelope_needs_at_least_one_topic() -> None:
    """A frame on the bus without topics would reach nobody, so it is refused."""
    with pytest.raises(ValidationError, match="topics"):
        Envelope(topics=[], frame=Frame(seq=0, type="heartbeat", data={}))


@pytest.mark.parametrize(("text", "expected"), [
    ('{"type": "resume", "after": 41}', Resume(type="resume", after=41)),
    ('{"type": "ping"}', Ping(type="ping")),
    ('{"type": "position", "lat": 45.7, "lon": 4.8, "at": "2026-03-01T12:30:00Z"}',
     Position(type="position", lat=45.7, lon=4.8, at=AT)),
])
def test_good_client_messages_parse_to_their_model(text: str, expected: object) -> None:
    """Each of the three client message kinds parses into its own model."""
    assert parse_client_message(text) == expected


@pytest.mark.parametrize(("text", "field", "words"), [
    ("not json", None, "not valid JSON"),
    ("[1, 2]", None, "JSON object"),
    ('{"after": 3}', "type", "one of 'resume', 'position', 'ping'"),
    ('{"type": "dance"}', "type", "one of"),
    ('{"type": "resume"}', "after", "Field required"),
    ('{"type": "resume", "after": -1}', "after", "greater than or equal to 0"),
    ('{"type": "position", "lat": 45, "lon": 200, "at": "2026-03-01T12:30:00Z"}', "lon", "180"),
    ('{"type": "position", "lat": 45, "lon": 4, "at": "yesterday"}', "at", "datetime"),
    ('{"type": "ping", "extra": 1}', "extra", "not permitted"),
])
def test_bad_client_messages_name_the_field_and_the_reason(text: str, field: str | None,
                                                           words: str) -> None:
    """A bad message raises BadMessage naming the field at fault and saying what is wrong."""
    with pytest.raises(BadMessage) as caught:
        parse_client_message(text)
    assert caught.value.field == field
    assert words in caught.value.message


def test_an_oversized_client_message_is_refused_before_parsing() -> None:
    """A message over 4 KiB is refused without being decoded."""
    with pytest.raises(BadMessage, match="longer than"):
        parse_client_message('{"type": "ping", "pad": "' + "x" * 5000 + '"}')


def test_a_bad_message_becomes_an_error_frame() -> None:
    """BadMessage.to_frame is a seq-0 error frame carrying the field and the message."""
    frame = BadMessage("after: Field required", field="after").to_frame()
    assert (frame.seq, frame.type) == (0, "error")
    assert frame.data == {"code": "bad_message", "message": "after: Field required",
                          "field": "after"}
