"""Shutdown: every background loop stops when it is cancelled, even when it is woken at that
very moment (a commit hook firing as the process stops), so the lifespan never has to give up
on a step (``shutdown step ... did not finish``).

On Python 3.11 ``asyncio.wait_for`` returns the inner result instead of raising when the
awaited event is set in the same loop turn as the cancellation, so a ``while True`` loop that
waits with it can swallow the one cancel it will ever get and run on forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.testclient import TestClient

from dispatch.dispatcher import DispatchRunner
from dispatch.realtime.bus import MemoryBus
from dispatch.realtime.hub import Hub
from dispatch.realtime.relay import OutboxRelay
from tests.integration.api_client import bearer, create_delivery

# Only turns a hang into a failure: a cancelled loop stops within a few loop turns.
HANG_S = 20.0


async def parked() -> None:
    """Let freshly started loops reach their wait."""
    for _ in range(20):
        await asyncio.sleep(0)


async def stops(stop: Callable[[], Awaitable[None]], task: asyncio.Task[Any]) -> None:
    done, _ = await asyncio.wait({asyncio.ensure_future(stop())}, timeout=HANG_S)
    if not done:
        task.cancel()  # free the loop so the test can end
    assert done and task.done(), "the loop swallowed its cancellation and kept running"


def test_the_dispatch_runner_stops_when_woken_in_the_same_turn_as_the_stop(ctx, world):
    """A kick (commit hook) landing as the runner is stopped does not keep it running."""

    async def scenario() -> None:
        runner = DispatchRunner(ctx, MemoryBus())
        await runner.start()
        await parked()
        assert runner._task is not None
        runner._mark(world.coop_id)  # what kick() schedules on the loop after a commit
        await stops(runner.stop, runner._task)

    asyncio.run(scenario())


def test_the_outbox_relay_stops_when_woken_in_the_same_turn_as_the_stop(ctx, world):
    """A commit landing as the relay is stopped does not keep it running."""

    async def scenario() -> None:
        bus = MemoryBus()
        hub = Hub(bus)
        await hub.start(heartbeats=False)
        relay = OutboxRelay(ctx, hub)
        await relay.start()
        await parked()
        assert relay._task is not None
        relay._wake.set()  # what on_commit schedules on the loop
        await stops(relay.stop, relay._task)
        await hub.stop()

    asyncio.run(scenario())


def test_the_app_stops_every_step_after_writes_right_up_to_shutdown(app, world, caplog):
    """Start and stop the whole app a few times with commits just before the stop: no step is
    left behind."""
    caplog.set_level(logging.WARNING, logger="dispatch.app")
    for _ in range(3):
        with TestClient(app) as client:
            d = create_delivery(client, world.merchant_key).json()
            client.post(f"/api/v1/deliveries/{d['id']}/cancel", json={}, headers=bearer(world.merchant_key))
    assert not [r for r in caplog.records if "did not finish" in r.getMessage()]
