"""Start and stop the realtime side of one process: hub, outbox relay, positions.

Called from the app's lifespan with the bus already connected; it also lets the dispatch loop
hear other processes' changes (a delivery created through process B wakes the loop that
process A runs for that coop).
"""

from __future__ import annotations

import asyncio
from typing import Any

from dispatch.realtime import outbox_io
from dispatch.realtime.bus import Bus
from dispatch.realtime.hub import Hub, replay_from_outbox
from dispatch.realtime.positions import PositionService
from dispatch.realtime.relay import OutboxRelay
from dispatch.realtime.sessions import SocketSessions
from dispatch.services.context import ServiceContext


async def start_realtime(app: Any, ctx: ServiceContext, bus: Bus, runner: Any = None) -> None:
    """Sets ``app.state.hub``, ``app.state.relay``, ``app.state.positions`` and
    ``app.state.socket_sessions`` (sockets end with their token)."""
    hub = Hub(bus, on_gap=replay_from_outbox(ctx))
    # a gap before the first frame replays from what was committed at start, not from seq 0
    hub.bus_seq = await asyncio.to_thread(outbox_io.latest_seq, ctx)
    if runner is not None and hasattr(runner, "observe"):
        hub.observers.append(runner.observe)
    sessions = SocketSessions(ctx, hub)
    hub.observers.append(sessions.observe)
    app.state.socket_sessions = sessions
    await hub.start()
    await sessions.start()
    relay = OutboxRelay(ctx, hub)
    positions = PositionService(ctx, hub, bus)
    await relay.start()
    await positions.start()
    app.state.hub, app.state.relay, app.state.positions = hub, relay, positions


async def stop_realtime(app: Any) -> None:
    """Flush positions, publish what is left, close the sockets with 1001."""
    await app.state.positions.stop()
    await app.state.relay.stop()
    await app.state.socket_sessions.stop()
    await app.state.hub.stop()
