"""Realtime frames and client messages: shapes, and clear errors for bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import get_args

import pytest
from pydantic import ValidationError

from dispatch.realtime.messages import (
    EPHEMERAL_TYPES,
    OUTBOX_TYPES,
    PAYLOAD_MODELS,
    BadMessage,
    CourierPosition,
    Envelope,
    Frame,
    FrameType,
    Ping,
    Position,
    Resume,
    RouteStop,
    RouteUpdated,
    frame_from_payload,
    parse_client_message,
    tracking_data,
)

AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_a_payload_becomes_a_frame_of_its_type_and_back() -> None:
    """frame_from_payload sets type from the payload, and Frame.payload rebuilds it."""
    route = RouteUpdated(courier_id="c4", stops=[
        RouteStop(stop_id="s1", delivery_id="d1", kind="pickup", eta=AT, position=0),
        RouteStop(stop_id="s2", delivery_id="d1", kind="dropoff", eta=AT, position=1),
    ])
    frame = frame_from_payload(route, seq=12)
    assert (frame.seq, frame.type) == (12, "route.updated")
    wire = json.loads(frame.to_text())
    assert set(wire) == {"seq", "type", "data"}
    assert Frame.model_validate_json(frame.to_text()).payload() == route


def test_every_frame_type_has_a_payload_model() -> None:
    """The frame types clients may see are the contract's outbox and ephemeral types."""
    assert set(PAYLOAD_MODELS) == set(OUTBOX_TYPES) | set(EPHEMERAL_TYPES) == set(get_args(FrameType))
    assert "delivery.assigned" in OUTBOX_TYPES and "courier.position" in EPHEMERAL_TYPES


def test_a_delivery_frame_keeps_the_view_fields_beyond_the_typed_ones() -> None:
    """A delivery.assigned frame validates its key fields and passes the rest of the view."""
    frame = Frame(seq=3, type="delivery.assigned",
                  data={"id": "d1", "status": "assigned", "courier_id": "c1", "ready_at": None})
    payload = frame.payload()
    assert (payload.TYPE, payload.id, payload.model_extra) == ("delivery.assigned", "d1", {"ready_at": None})


def test_tracking_data_keeps_status_and_times_but_no_person_or_courier() -> None:
    """The public link's copy drops recipient, addresses and courier ids."""
    data = {"id": "d1", "status": "picked_up", "courier_id": "c1", "picked_up_at": "t",
            "recipient": {"name": "Matti"}, "dropoff": {"address": "Kaisaniemenkatu 1"},
            "event": {"status": "picked_up", "courier_id": "c1", "reason": "x", "at": "t"}}
    assert tracking_data("delivery.picked_up", data) == {
        "id": "d1", "status": "picked_up", "picked_up_at": "t",
        "event": {"status": "picked_up", "at": "t"}}
    assert tracking_data("courier.position", {"courier_id": "c1", "lat": 1, "lon": 2, "at": "t"}) == {
        "lat": 1, "lon": 2, "at": "t"}


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
    ('{"type": "position", "lat": 45, "lon": 4, "at": "2026-03-01T12:30:00"}', "at", "timezone"),
    ('{"type": "position", "lat": 45, "lon": 4, "at": "0001-01-01T00:00:00+14:00"}', "at", "2000-01-01"),
    ('{"type": "position", "lat": 45, "lon": 4, "at": "9999-12-31T23:59:59-14:00"}', "at", "2099-12-31"),
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
