"""The outbox relay: after each commit (and on a short timer, to catch up) publish outbox rows
not yet published, in seq order, to the hub, and mark them.

Why both a hook and a timer: the commit hook makes frames leave within milliseconds; the timer
publishes rows that another process committed and then died before publishing (a crash
between commit and publish loses nothing), and rows skipped while another relay held the
publishing lock. A crash between publish and mark publishes the rows again: clients ignore
seq they already applied, and so does the hub per connection.

Every process runs one relay; ``outbox_io`` explains how they take turns safely. The relay
also prunes published rows beyond ``settings.outbox_retention`` every ``prune_every_s``.

Test hook: with ``COOPDISPATCH_ENV=test`` and ``COOPDISPATCH_TEST_CRASH_AFTER_COMMIT`` set to
``1`` (any commit) or an event type (``delivery.created``), the process exits at once
(``os._exit``) right after such a commit, before anything is published: the kill -9 test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from dispatch.realtime import outbox_io
from dispatch.realtime.hub import Hub
from dispatch.services.context import ServiceContext

log = logging.getLogger(__name__)
CRASH_ENV = "COOPDISPATCH_TEST_CRASH_AFTER_COMMIT"
BUSY_RETRY_S = 0.01


CATCH_UP_AGE_S = 2.0


class OutboxRelay:
    """Publishes committed outbox rows through the hub; one per process."""

    def __init__(self, ctx: ServiceContext, hub: Hub, *, interval_s: float = 0.5,
                 batch_rows: int = 500, prune_every_s: float = 30.0) -> None:
        self.ctx, self.hub = ctx, hub
        self.interval_s, self.batch_rows, self.prune_every_s = interval_s, batch_rows, prune_every_s
        self.published = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._crash_on = _crash_setting(ctx)

    def on_commit(self, coop_id: str, event_types: frozenset[str], committed_at: float) -> None:
        """Commit hook (any thread): publish now."""
        if self._crash_on and (self._crash_on == "1" or self._crash_on in event_types):
            os._exit(137)  # the test hook: die between commit and publish, like kill -9
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # first in line, so that the crash hook runs before any other hook reacts
        self.ctx.commit_hooks.insert(0, self.on_commit)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.ctx.commit_hooks.remove(self.on_commit)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.drain()  # what committed during shutdown still goes out

    async def drain(self, give_up_s: float = 2.0, min_age_s: float = 0.0) -> int:
        """Publish until nothing is left (retrying while another relay holds the turn)."""
        total, deadline = 0, time.monotonic() + give_up_s
        while True:
            count = await asyncio.to_thread(outbox_io.publish_pending, self.ctx, self._publish,
                                            self.batch_rows, min_age_s)
            if count is None:
                if time.monotonic() > deadline:
                    return total
                await asyncio.sleep(BUSY_RETRY_S)
                continue
            total += count
            if count < self.batch_rows:
                return total

    def _publish(self, rows: list[outbox_io.Row]) -> None:
        """Runs in the relay's worker thread, inside the claiming transaction."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._publish_rows(rows), self._loop)
        future.result(timeout=30)

    async def _publish_rows(self, rows: list[outbox_io.Row]) -> None:
        for row in rows:
            for topics, frame in outbox_io.frames_for(row):
                await self.hub.publish(topics, frame)
        self.published += len(rows)

    async def _run(self) -> None:
        last_prune = time.monotonic()
        while True:
            woken = False
            # not asyncio.wait_for: on 3.11 it swallows a cancel that lands as the wake is set
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    woken = await self._wake.wait()
            self._wake.clear()
            try:
                # A commit in this process publishes at once. The timer only catches up rows
                # older than CATCH_UP_AGE_S (a process that died after commit): a fresh row is
                # left to the process that made it, which matters when the bus is down and
                # frames can only reach that process's own sockets.
                await self.drain(min_age_s=0.0 if woken else CATCH_UP_AGE_S)
                if time.monotonic() - last_prune >= self.prune_every_s:
                    last_prune = time.monotonic()
                    pruned = await asyncio.to_thread(outbox_io.prune, self.ctx,
                                                     self.ctx.settings.outbox_retention)
                    if pruned:
                        log.info("pruned %d published outbox rows", pruned)
            except Exception:  # the database may be briefly away: the timer tries again
                log.exception("outbox relay pass failed")


def _crash_setting(ctx: ServiceContext) -> str | None:
    if ctx.settings.coopdispatch_env != "test":
        return None
    return os.environ.get(CRASH_ENV) or None
