"""Per-process fan-out of frames to sockets, by topic.

Each process has one ``Hub``. It listens to one bus channel (``coopdispatch.events``) where
every process publishes ``Envelope(topics, frame)``; each frame goes to the connections
subscribed to any of its topics (``courier:<id>``, ``coop:<id>``, ``merchant:<id>``,
``track:<token>``), at most once per connection.

A connection is anything with ``async send_text(str)`` and ``async close(code, reason)`` (the
``api/ws.py`` endpoint adapts a Starlette WebSocket). The hub gives each one a bounded queue and
its own sender task, so routing a frame never awaits a socket: a slow phone cannot delay the
others. When a queue is full the connection is dropped: its queue is emptied, it gets one final
``resync`` frame (if it takes it within ``final_send_s``) and is closed with 4008.

If the bus is down, ``Hub.publish`` delivers to this process's connections only; when the
subscription comes back after a drop the hub calls ``on_gap`` (default: ``resync`` to everyone,
since other processes' frames were lost meanwhile; the service passes ``replay_from_outbox``:
each connection gets the frames of its topics it missed, from the outbox in the database).

Close codes (WebSocket, application range 4000-4999, mirroring HTTP statuses):

====  ===================================================================================
4400  bad message: the client sent something ``parse_client_message`` rejects, repeatedly
4401  unauthorized: missing, invalid or expired token
4403  forbidden: the token does not grant the requested topic
4008  too slow: the client's queue overflowed; it got ``resync`` and should refetch over
      HTTP, then reconnect and ``resume``
1001  going away: the server is shutting down (``Hub.stop``)
====  ===================================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from dispatch.realtime.bus import Bus, BusUnavailable
from dispatch.realtime.messages import Envelope, Frame, Heartbeat, Resync, frame_from_payload

log = logging.getLogger(__name__)

CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
CLOSE_GOING_AWAY = 1001
EVENTS_CHANNEL = "coopdispatch.events"


class Connection(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class Client:
    """One connection as the hub sees it: its topics, its queue, its sender task."""

    def __init__(self, conn: Connection, queue_size: int, final_send_s: float,
                 on_gone: Callable[[Client], None]) -> None:
        if queue_size < 2:
            raise ValueError("queue_size must be at least 2 (a frame and the final resync)")
        self.conn = conn
        self.topics: set[str] = set()
        self.closing = False
        self.last_seq = 0
        self.first_seq = 0  # first outbox frame sent on this connection (resume checks it)
        self.resuming = False  # a resume is replaying: the connect-time hold must not end it
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)
        self._held: list[Frame] | None = None
        self._final_send_s = final_send_s
        self._on_gone = on_gone
        self._closer: asyncio.Task[None] | None = None
        self._task = asyncio.get_running_loop().create_task(self._run())

    def send_frame(self, frame: Frame) -> bool:
        """Queue a frame for this client (replies, replayed events); False if dropped."""
        return self._offer(frame, frame.to_text())

    @property
    def replaying(self) -> bool:
        return self._held is not None

    def room(self) -> int:
        """Free places in the queue (a long replay waits for room instead of overflowing)."""
        return self._queue.maxsize - self._queue.qsize()

    def begin_replay(self) -> None:
        """Hold live frames while the caller replays from the outbox with ``send_frame``."""
        if self._held is None:
            self._held = []

    def end_replay(self) -> None:
        """Release held live frames, skipping those the replay already covered."""
        held, self._held = self._held or [], None
        for frame in held:
            if frame.seq == 0 or frame.seq > self.last_seq:
                self._offer(frame, frame.to_text())

    def deliver(self, frame: Frame, text: str) -> None:
        """A live frame from the hub (``text`` is its JSON, serialized once for everyone).

        An outbox frame this connection already got (a relay re-publishing after a crash, or
        a frame the replay sent first) is dropped here: per coop, frames arrive in seq order.
        """
        if 0 < frame.seq <= self.last_seq:
            return
        if self._held is None:
            self._offer(frame, text)
        elif len(self._held) < self._queue.maxsize:
            self._held.append(frame)
        else:
            self.drop("too many frames while replaying")

    def _offer(self, frame: Frame, text: str) -> bool:
        if self.closing:
            return False
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.drop("too slow")
            return False
        if frame.seq > 0:
            self.first_seq = self.first_seq or frame.seq
            self.last_seq = max(self.last_seq, frame.seq)
        return True

    def drop(self, reason: str) -> None:
        """Empty the queue, queue a final ``resync`` and close with 4008 (never blocks)."""
        if self.closing:
            return
        self.closing = True
        self._on_gone(self)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(frame_from_payload(Resync(reason=reason)).to_text())
        self._queue.put_nowait(None)
        self._closer = asyncio.get_running_loop().create_task(self._close_after_final(reason))

    async def _close_after_final(self, reason: str) -> None:
        # the sender may be stuck in send_text on a dead phone: give it a moment, then cut
        done, _ = await asyncio.wait({self._task}, timeout=self._final_send_s)
        if not done:
            self._task.cancel()
        with contextlib.suppress(Exception):
            await self.conn.close(CLOSE_TOO_SLOW, reason)

    async def _run(self) -> None:
        try:
            while (text := await self._queue.get()) is not None:
                await self.conn.send_text(text)
        except Exception:  # the socket is gone; stop routing to it
            self.closing = True
            self._on_gone(self)

    async def stop(self, code: int | None = None, reason: str = "") -> None:
        """Stop sending; close the connection with ``code`` if given."""
        self.closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closer
        elif code is not None:
            with contextlib.suppress(Exception):
                await self.conn.close(code, reason)


class Hub:
    """Routes frames from the bus (or local publishes) to subscribed connections."""

    def __init__(self, bus: Bus | None = None, *, channel: str = EVENTS_CHANNEL,
                 queue_size: int = 256, heartbeat_s: float = 30.0, final_send_s: float = 1.0,
                 on_gap: Callable[[Hub], Awaitable[None]] | None = None) -> None:
        self.bus = bus
        self.channel = channel
        self.queue_size = queue_size
        self.heartbeat_s = heartbeat_s
        self.final_send_s = final_send_s
        self.on_gap = on_gap or _resync_everyone
        # highest outbox seq that came through the bus: relays publish in seq order, so after
        # a gap the frames to replay are those above it (``replay_from_outbox``)
        self.bus_seq = 0
        self._by_topic: dict[str, set[Client]] = {}
        self._clients: set[Client] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()
        # callables(topics, frame) told of every frame routed here (cache invalidation, the
        # dispatch loop's cross-process triggers); they must not block
        self.observers: list[Callable[[list[str], Frame], None]] = []

    @property
    def clients(self) -> frozenset[Client]:
        return frozenset(self._clients)

    async def start(self, *, heartbeats: bool = True) -> None:
        """Start listening to the bus (returns once subscribed) and the heartbeat task."""
        loop = asyncio.get_running_loop()
        if self.bus is not None:
            listener = loop.create_task(self._listen(self.bus))
            self._tasks.append(listener)
            ready = loop.create_task(self._listening.wait())
            await asyncio.wait({listener, ready}, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            if listener.done():
                listener.result()  # re-raise why the listener could not start
        if heartbeats:
            self._tasks.append(loop.create_task(self._heartbeats()))

    async def stop(self) -> None:
        """Stop the tasks and close every connection with 1001."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for client in list(self._clients):
            await self.detach(client, CLOSE_GOING_AWAY, "server shutting down")

    def attach(self, conn: Connection, topics: Iterable[str] = ()) -> Client:
        """Register a connection (already authorized for ``topics``)."""
        client = Client(conn, self.queue_size, self.final_send_s, self._forget)
        self._clients.add(client)
        for topic in topics:
            self.subscribe(client, topic)
        return client

    async def detach(self, client: Client, code: int | None = None, reason: str = "") -> None:
        """Forget a connection (call it when the socket ends); close it with ``code`` if given."""
        self._forget(client)
        await client.stop(code, reason)

    def _forget(self, client: Client) -> None:
        for topic in client.topics:
            subscribers = self._by_topic.get(topic, set())
            subscribers.discard(client)
            if not subscribers:
                self._by_topic.pop(topic, None)
        self._clients.discard(client)

    def subscribe(self, client: Client, topic: str) -> None:
        if client.closing:
            return
        client.topics.add(topic)
        self._by_topic.setdefault(topic, set()).add(client)

    def unsubscribe(self, client: Client, topic: str) -> None:
        client.topics.discard(topic)
        self._by_topic.get(topic, set()).discard(client)

    async def publish(self, topics: Iterable[str], frame: Frame) -> None:
        """Send a frame to every process's subscribers; only to ours if the bus is down."""
        envelope = Envelope(topics=list(topics), frame=frame)
        if self.bus is not None:
            try:
                await self.bus.publish(self.channel, envelope.model_dump_json())
                return
            except BusUnavailable:
                log.warning("bus unavailable: delivering %s locally only", frame.type)
        self.deliver_local(envelope.topics, frame)
        await asyncio.sleep(0)  # let the senders drain before the caller's next frame

    def deliver_local(self, topics: Iterable[str], frame: Frame) -> int:
        """Queue a frame for this process's subscribers; returns how many got it. Never awaits."""
        topics = list(topics)
        for observe in self.observers:
            try:
                observe(topics, frame)
            except Exception:  # an observer's bug must not stop the fan-out
                log.exception("hub observer failed on %s", frame.type)
        targets: set[Client] = set()
        for topic in topics:
            targets |= self._by_topic.get(topic, set())
        text = frame.to_text()
        for client in targets:
            client.deliver(frame, text)
        return len(targets)

    def broadcast(self, frame: Frame) -> None:
        """Queue a frame for every connection (heartbeats, resync after a gap)."""
        text = frame.to_text()
        for client in list(self._clients):
            client.deliver(frame, text)

    async def _listen(self, bus: Bus) -> None:
        async with bus.subscribe(self.channel) as sub:
            self._listening.set()
            async for message in sub:
                if message.gap:
                    await self.on_gap(self)
                    continue
                try:
                    envelope = Envelope.model_validate_json(message.data)
                except ValidationError:
                    log.error("dropping malformed envelope on %s", message.channel)
                    continue
                self.bus_seq = max(self.bus_seq, envelope.frame.seq)
                self.deliver_local(envelope.topics, envelope.frame)
                # a burst read from the bus in one go must not overflow fast consumers:
                # give the senders a turn between frames
                await asyncio.sleep(0)

    async def _heartbeats(self) -> None:
        # heartbeats keep proxies from closing idle sockets and make dead phones show up as
        # failed sends; 30 s is under the usual 60 s idle timeout of reverse proxies
        while True:
            await asyncio.sleep(self.heartbeat_s)
            self.broadcast(heartbeat_frame())


def heartbeat_frame() -> Frame:
    return frame_from_payload(Heartbeat(at=datetime.now(UTC)))


async def _resync_everyone(hub: Hub) -> None:
    hub.broadcast(frame_from_payload(Resync(reason="bus reconnected; events may be missing")))


def replay_from_outbox(ctx: Any, limit: int = 5_000) -> Callable[[Hub], Awaitable[None]]:
    """An ``on_gap`` that replays, to every connection, the outbox frames of its topics above
    the last seq the bus brought (each once: a connection skips seq it already got); ``resync``
    to everyone only if the outbox no longer holds them or there are more than ``limit``."""
    from dispatch.realtime import outbox_io

    async def replay(hub: Hub) -> None:
        after = hub.bus_seq
        try:
            rows = await asyncio.to_thread(outbox_io.rows_since, ctx, after, limit)
        except outbox_io.Gap as exc:
            log.warning("bus gap: %s; everyone resyncs", exc)
            await _resync_everyone(hub)
            return
        clients = [c for c in hub.clients if not c.closing]
        for client in clients:
            client.begin_replay()
        try:
            for row in rows:
                hub.bus_seq = max(hub.bus_seq, row.seq)
                for client in clients:
                    for _, frame in outbox_io.frames_for(row, client.topics):
                        if frame.seq > client.last_seq:
                            client.send_frame(frame)
                await asyncio.sleep(0)  # let the senders drain between rows
        finally:
            for client in clients:
                if not client.resuming:
                    client.end_replay()
        log.info("bus gap: replayed %d outbox rows after seq %d", len(rows), after)

    return replay
