"""The webhook sender: an asyncio task per process that fans out new events and posts due
attempts. Several processes may run it: claims hide a row from the others while it is in
flight, and a row whose sender died comes back after ``CLAIM_FOR``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from importlib import metadata

import httpx

from dispatch.services.context import ServiceContext
from dispatch.webhooks import service, signing, targets

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def user_agent() -> str:
    """``coopdispatch/<version>``: receivers can tell our posts (and our version) from others."""
    try:
        version = metadata.version("coopdispatch")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0"
    return f"coopdispatch/{version}"


class WebhookSender:
    def __init__(self, ctx: ServiceContext, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.ctx = ctx
        self.client = httpx.AsyncClient(timeout=TIMEOUT, transport=transport, follow_redirects=False,
                                        headers={"User-Agent": user_agent()})
        self.sent = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # noqa: BLE001 - keep the loop alive, the rows stay due
                log.exception("webhook round failed")
            await asyncio.sleep(self.ctx.settings.webhook_poll_s)

    async def round(self) -> int:
        """One pass: fan out, then post every due attempt concurrently. Returns attempts made."""
        await asyncio.to_thread(service.fan_out, self.ctx)
        due = await asyncio.to_thread(service.claim_due, self.ctx)
        await asyncio.gather(*(self._post(d) for d in due))
        return len(due)

    async def _post(self, due: service.Due) -> None:
        status, error = None, None
        try:
            settings = self.ctx.settings
            # connect to the address just checked (no second lookup a rebinding DNS could answer)
            pinned = await targets.check_async(due.url, settings.webhook_allow_hosts, settings.webhook_allow_ports)
            headers = signing.headers(due.secret, due.event_id, int(time.time()), due.payload)
            r = await self.client.post(pinned.url, content=due.payload, headers={**headers, "Host": pinned.host},
                                       extensions={"sni_hostname": pinned.host})
            status = r.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except targets.RefusedTarget as exc:
            error = exc.detail
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        state = await asyncio.to_thread(service.record_result, self.ctx, due.attempt_id, status, error)
        self.sent += 1
        log.info("webhook %s -> %s: %s", due.event_id, status or error, state)
