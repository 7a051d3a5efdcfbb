"""Personal data retention: recipients are pseudonymised ``pseudonymise_after_days`` after a
delivery finished.

The recipient's name, phone and street address become keyed pseudonyms (HMAC with the
service's secret key: the same phone gives the same pseudonym, so repeat-customer counts still
work, but it cannot be read back); free-text notes are cleared and the dropoff point is
rounded to about 100 m. Fees, receipts, distances and times are kept: pay statements need them.
Runs hourly in the background-jobs process and on demand (``coopdispatch pseudonymise``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import timedelta

from sqlalchemy import select

from dispatch.db.models import Delivery
from dispatch.services.context import ServiceContext

log = logging.getLogger(__name__)
FINISHED = ("delivered", "failed", "cancelled")
BATCH = 500
EVERY_S = 3600.0


def pseudonym(secret: str, kind: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256)
    return f"{kind}_{digest.hexdigest()[:16]}"


def pseudonymise_due(ctx: ServiceContext, *, days: int | None = None) -> int:
    """Pseudonymise every finished delivery older than the retention period; return how many."""
    keep_days = ctx.settings.pseudonymise_after_days if days is None else days
    cutoff = ctx.clock() - timedelta(days=keep_days)
    secret = ctx.settings.secret_key
    total = 0
    while True:
        with ctx.sessions() as s, s.begin():
            rows = list(s.scalars(
                select(Delivery).where(Delivery.status.in_(FINISHED), Delivery.pseudonymised_at.is_(None),
                                       Delivery.updated_at <= cutoff).limit(BATCH)))
            for d in rows:
                d.recipient_name = pseudonym(secret, "name", d.recipient_name)
                d.recipient_phone = pseudonym(secret, "phone", d.recipient_phone)
                d.dropoff_address = pseudonym(secret, "address", d.dropoff_address)
                d.notes = ""
                d.dropoff_lat, d.dropoff_lon = round(d.dropoff_lat, 3), round(d.dropoff_lon, 3)
                d.pseudonymised_at = ctx.clock()
        total += len(rows)
        if len(rows) < BATCH:
            return total


class PrivacyJob:
    """The hourly run, as an asyncio task."""

    def __init__(self, ctx: ServiceContext, every_s: float = EVERY_S) -> None:
        self.ctx, self.every_s = ctx, every_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="privacy-job")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                n = await asyncio.to_thread(pseudonymise_due, self.ctx)
                if n:
                    log.info("pseudonymised %d finished deliveries", n)
            except Exception:  # noqa: BLE001 - retried at the next run
                log.exception("pseudonymisation failed")
            await asyncio.sleep(self.every_s)
