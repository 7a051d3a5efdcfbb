"""The hub: fan-out by topic, slow consumers, replay, heartbeats (in-process, memory bus)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from dispatch.realtime.bus import bus_from_url
from dispatch.realtime.hub import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Client, Hub
from dispatch.realtime.messages import Frame

pytestmark = pytest.mark.anyio


def event(seq: int) -> Frame:
    return Frame(seq=seq, type="delivery.assigned", data={"id": f"d{seq}", "status": "assigned"})


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    """A hub without a bus: everything is delivered locally."""
    the_hub = Hub(queue_size=4, final_send_s=0.05)
    await the_hub.start(heartbeats=False)
    yield the_hub
    await the_hub.stop()


async def test_frames_reach_only_connections_subscribed_to_their_topic(hub: Hub,
                                                                       recording: type) -> None:
    """A frame for courier:1 goes to courier:1's socket and the coop map, not to courier:2."""
    c1, c2, coop = recording(), recording(), recording()
    hub.attach(c1, ["courier:1"])
    hub.attach(c2, ["courier:2"])
    hub.attach(coop, ["coop:9"])
    await hub.publish(["courier:1", "coop:9"], event(1))
    await c1.wait_for(1)
    await coop.wait_for(1)
    await asyncio.sleep(0.01)
    assert c1.frames == coop.frames == [event(1)]
    assert c2.sent == []


async def test_a_connection_on_two_matching_topics_gets_a_frame_once(hub: Hub,
                                                                     recording: type) -> None:
    """Subscribed to both topics of a frame, a connection still receives it a single time."""
    conn = recording()
    hub.attach(conn, ["courier:1", "coop:9"])
    assert hub.deliver_local(["courier:1", "coop:9"], event(1)) == 1
    await conn.wait_for(1)
    await asyncio.sleep(0.01)
    assert conn.frames == [event(1)]


async def test_a_slow_consumer_is_dropped_without_delaying_others(hub: Hub, recording: type,
                                                                  stuck: type) -> None:
    """A socket that stops reading is closed with 4008 while a fast one gets every frame."""
    slow, fast = stuck(), recording()
    hub.attach(slow, ["coop:1"])
    hub.attach(fast, ["coop:1"])
    started = time.monotonic()
    for seq in range(1, 21):
        await hub.publish(["coop:1"], event(seq))
    await fast.wait_for(20)
    assert time.monotonic() - started < 0.5
    assert [f.seq for f in fast.frames] == list(range(1, 21))
    await asyncio.sleep(0.1)  # final_send_s is 0.05: the stuck sender is cut
    assert slow.closed is not None and slow.closed[0] == CLOSE_TOO_SLOW
    assert [c.conn for c in hub.clients] == [fast], "the dropped client is no longer routed to"


async def test_a_dropped_consumer_that_wakes_up_gets_resync_last(hub: Hub, stuck: type) -> None:
    """A consumer dropped for slowness receives a final resync frame, then the 4008 close."""
    slow = stuck()
    hub.attach(slow, ["coop:1"])
    await hub.publish(["coop:1"], event(1))
    await asyncio.sleep(0.01)  # the sender now waits inside send_text with frame 1
    for seq in range(2, 8):
        hub.deliver_local(["coop:1"], event(seq))
    slow.unblock.set()
    await slow.wait_for(2)
    await asyncio.sleep(0.01)
    assert [f.type for f in slow.frames] == ["delivery.assigned", "resync"]
    assert slow.closed == (CLOSE_TOO_SLOW, "too slow")


async def test_replay_holds_live_frames_and_skips_those_already_sent(hub: Hub,
                                                                     recording: type) -> None:
    """Live frames arriving during an outbox replay come after it, without duplicates."""
    conn = recording()
    client: Client = hub.attach(conn, ["courier:1"])
    client.begin_replay()
    hub.deliver_local(["courier:1"], event(3))  # live, also in the replay
    hub.deliver_local(["courier:1"], event(4))  # live, after the replay
    for seq in (2, 3):
        client.send_frame(event(seq))
    client.end_replay()
    await conn.wait_for(3)
    await asyncio.sleep(0.01)
    assert [f.seq for f in conn.frames] == [2, 3, 4]


async def test_heartbeats_go_to_every_connection_each_period(recording: type) -> None:
    """With a 20 ms period every connection receives heartbeat frames with seq 0."""
    the_hub = Hub(heartbeat_s=0.02)
    await the_hub.start()
    a, b = recording(), recording()
    the_hub.attach(a, ["coop:1"])
    the_hub.attach(b, [])
    await a.wait_for(2)
    await b.wait_for(2)
    await the_hub.stop()
    assert {(f.type, f.seq) for f in a.frames + b.frames} == {("heartbeat", 0)}


async def test_stopping_the_hub_closes_connections_as_going_away(recording: type) -> None:
    """Hub.stop closes every connection with 1001."""
    the_hub = Hub()
    await the_hub.start()
    conn = recording()
    the_hub.attach(conn, ["coop:1"])
    await the_hub.stop()
    assert conn.closed is not None and conn.closed[0] == CLOSE_GOING_AWAY
    assert not the_hub.clients


async def test_frames_cross_between_two_hubs_on_one_bus(recording: type) -> None:
    """A frame published by one process's hub reaches a socket held by another's."""
    url = f"memory://{uuid.uuid4().hex}"
    one, two = Hub(bus_from_url(url)), Hub(bus_from_url(url))
    await one.start(heartbeats=False)
    await two.start(heartbeats=False)
    conn = recording()
    two.attach(conn, ["track:abc"])
    await one.publish(["track:abc"], event(5))
    await conn.wait_for(1)
    assert conn.frames == [event(5)]
    await one.stop()
    await two.stop()


async def test_a_malformed_envelope_on_the_bus_is_ignored(recording: type) -> None:
    """Garbage on the events channel is logged and skipped; the next good frame still arrives."""
    bus = bus_from_url(f"memory://{uuid.uuid4().hex}")
    the_hub = Hub(bus)
    await the_hub.start(heartbeats=False)
    conn = recording()
    the_hub.attach(conn, ["coop:1"])
    await bus.publish(the_hub.channel, "{not json")
    await the_hub.publish(["coop:1"], event(1))
    await conn.wait_for(1)
    assert conn.frames == [event(1)]
    await the_hub.stop()


async def test_a_socket_that_fails_to_send_is_no_longer_routed_to(hub: Hub) -> None:
    """When send_text raises (the phone went away) the hub forgets the connection."""

    class Broken:
        async def send_text(self, data: str) -> None:
            raise ConnectionResetError

        async def close(self, code: int = 1000, reason: str = "") -> None:
            pass

    hub.attach(Broken(), ["coop:1"])
    hub.deliver_local(["coop:1"], event(1))
    await asyncio.sleep(0.01)
    assert not hub.clients


async def test_an_outbox_frame_a_connection_already_got_is_not_sent_again(hub: Hub,
                                                                          recording: type) -> None:
    """A relay re-publishing seq 1..2 after a crash does not reach a socket twice."""
    conn = recording()
    hub.attach(conn, ["coop:1"])
    for seq in (1, 2, 1, 2, 3):
        hub.deliver_local(["coop:1"], event(seq))
    await conn.wait_for(3)
    await asyncio.sleep(0.01)
    assert [f.seq for f in conn.frames] == [1, 2, 3]


async def test_observers_see_every_routed_frame_with_its_topics(hub: Hub) -> None:
    """An observer hears frames even when no socket is subscribed to their topics."""
    seen: list[tuple[list[str], int]] = []
    hub.observers.append(lambda topics, frame: seen.append((topics, frame.seq)))
    hub.deliver_local(["coop:7"], event(4))
    assert seen == [(["coop:7"], 4)]
