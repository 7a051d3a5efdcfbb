"""Webhook intents and the delivery-attempt bookkeeping.

Fan-out reads the outbox per coop after a cursor (``job_cursors``: ``webhooks:<coop_id>``).
Within a coop, commit order equals ``seq`` order (the outbox's advisory lock), so a cursor
never skips a late commit. Each (endpoint, event) becomes one ``webhook_attempts`` row, unique,
carrying the exact body and the stable event id ``evt_<seq>``; a sender claims due rows, posts
them and records the answer; failures come back after an exponential, jittered delay until
``webhook_give_up_after_s`` (26 h by default) has passed since the event. The events of one
delivery (``subject_id``) go to an endpoint one at a time, in ``seq`` order: a later one is not
claimed while an earlier one is still pending (see ``events.py``). ``next_attempt_at`` is set
only while an attempt is pending.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dispatch.db.models import JobCursor, Merchant, OutboxEvent, WebhookAttempt, WebhookEndpoint
from dispatch.domain.errors import InvalidInput, NotFound
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.views import iso
from dispatch.webhooks import signing, targets

EVENT_TYPES = ("delivery.created", "delivery.assigned", "delivery.unassigned", "delivery.picked_up",
               "delivery.delivered", "delivery.failed", "delivery.cancelled")
MAX_ENDPOINTS = 10
CLAIM_FOR = timedelta(seconds=90)  # a sender that dies mid-flight hands the row back after this
BATCH = 500


def endpoint_view(e: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    out = {"id": e.id, "url": e.url, "event_types": list(e.event_types), "created_at": iso(e.created_at)}
    if with_secret:
        out["secret"] = e.secret
    return out


def register(ctx: ServiceContext, who: Principal, url: str, event_types: list[str] | None) -> dict[str, Any]:
    """Check the target (public address only), store it with a new signing secret."""
    types = sorted(set(event_types or EVENT_TYPES))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"unknown event types {unknown}; choose from {list(EVENT_TYPES)}",
                           field="event_types")
    targets.check_sync(url, ctx.settings.webhook_allow_hosts, ctx.settings.webhook_allow_ports)
    with ctx.sessions() as s, s.begin():
        merchant = s.get(Merchant, who.merchant_id) if who.merchant_id else None
        if merchant is None:
            raise NotFound("this account has no merchant", field="Authorization")
        count = s.scalar(select(func.count()).select_from(WebhookEndpoint).where(
            WebhookEndpoint.merchant_id == merchant.id, WebhookEndpoint.disabled_at.is_(None)))
        if (count or 0) >= MAX_ENDPOINTS:
            raise InvalidInput(f"at most {MAX_ENDPOINTS} webhooks per merchant", field="url")
        e = WebhookEndpoint(coop_id=merchant.coop_id, merchant_id=merchant.id, url=url,
                            secret=signing.new_secret(), event_types=types, created_at=ctx.clock())
        s.add(e)
        s.flush()
        _start_cursor(s, merchant.coop_id)
        return endpoint_view(e, with_secret=True)


def _start_cursor(s: Session, coop_id: str) -> None:
    """A coop's first endpoint starts the cursor at the present: no replay of old history."""
    name = f"webhooks:{coop_id}"
    if s.get(JobCursor, name) is None:
        top = s.scalar(select(func.max(OutboxEvent.seq)).where(OutboxEvent.coop_id == coop_id)) or 0
        try:
            with s.begin_nested():
                s.add(JobCursor(name=name, position=top))
        except IntegrityError:
            pass  # another registration created it first


def _mine(s: Session, who: Principal, endpoint_id: str) -> WebhookEndpoint:
    e = s.get(WebhookEndpoint, endpoint_id)
    if e is None or e.disabled_at is not None or who.role != "merchant" or e.merchant_id != who.merchant_id:
        raise NotFound(f"no webhook {endpoint_id}", field="webhook_id")
    return e


def list_endpoints(ctx: ServiceContext, who: Principal) -> list[dict[str, Any]]:
    with ctx.sessions() as s:
        rows = s.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.merchant_id == who.merchant_id, WebhookEndpoint.disabled_at.is_(None))
            .order_by(WebhookEndpoint.created_at))
        return [endpoint_view(e) for e in rows]


def get_endpoint(ctx: ServiceContext, who: Principal, endpoint_id: str) -> dict[str, Any]:
    """The endpoint and its 50 latest attempts (what the merchant needs to debug a receiver)."""
    with ctx.sessions() as s:
        e = _mine(s, who, endpoint_id)
        attempts = s.scalars(select(WebhookAttempt).where(WebhookAttempt.endpoint_id == e.id)
                             .order_by(WebhookAttempt.event_seq.desc()).limit(50))
        return endpoint_view(e) | {"attempts": [{
            "event_id": a.event_id, "state": a.state, "attempts": a.attempts,
            "next_attempt_at": iso(a.next_attempt_at), "last_status": a.last_status,
            "last_error": a.last_error, "delivered_at": iso(a.delivered_at)} for a in attempts]}


def delete_endpoint(ctx: ServiceContext, who: Principal, endpoint_id: str) -> None:
    with ctx.sessions() as s, s.begin():
        e = _mine(s, who, endpoint_id)
        e.disabled_at = ctx.clock()


def fan_out(ctx: ServiceContext) -> int:
    """Turn new delivery events of every coop with endpoints into attempt rows."""
    with ctx.sessions() as s:
        coops = list(s.scalars(select(WebhookEndpoint.coop_id).where(
            WebhookEndpoint.disabled_at.is_(None)).distinct()))
    return sum(_fan_out_coop(ctx, coop_id) for coop_id in coops)


def _fan_out_coop(ctx: ServiceContext, coop_id: str) -> int:
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        q = select(JobCursor).where(JobCursor.name == f"webhooks:{coop_id}")
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        cursor = s.scalar(q)
        if cursor is None:
            return 0  # another process is on it (or no endpoint registered yet)
        events = list(s.scalars(select(OutboxEvent).where(
            OutboxEvent.coop_id == coop_id, OutboxEvent.seq > cursor.position)
            .order_by(OutboxEvent.seq).limit(BATCH)))
        endpoints = list(s.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.coop_id == coop_id, WebhookEndpoint.disabled_at.is_(None))))
        made = 0
        for ev in events:
            for e in endpoints:
                if ev.type in e.event_types and f"merchant:{e.merchant_id}" in ev.topics:
                    s.add(_attempt_row(e, ev, now))
                    made += 1
        if events:
            cursor.position = events[-1].seq
        return made


def _attempt_row(e: WebhookEndpoint, ev: OutboxEvent, now: datetime) -> WebhookAttempt:
    event_id = f"evt_{ev.seq}"
    data = {k: v for k, v in ev.data.items()}
    body = {"id": event_id, "type": ev.type, "sequence": ev.seq, "timestamp": iso(ev.created_at), "data": data}
    subject = data.get("id") if isinstance(data.get("id"), str) else None
    return WebhookAttempt(endpoint_id=e.id, event_seq=ev.seq, event_id=event_id, subject_id=subject,
                          payload=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                          state="pending", attempts=0, next_attempt_at=now, created_at=ev.created_at)


@dataclass(frozen=True, slots=True)
class Due:
    attempt_id: str
    url: str
    secret: str
    event_id: str
    payload: bytes


def claim_due(ctx: ServiceContext, limit: int = 20) -> list[Due]:
    """Take up to ``limit`` due attempts for this sender (hidden from others for a while)."""
    now = ctx.clock()
    earlier = aliased(WebhookAttempt)
    waiting = exists().where(  # an earlier event of the same delivery is not through yet
        earlier.endpoint_id == WebhookAttempt.endpoint_id, earlier.subject_id == WebhookAttempt.subject_id,
        earlier.state == "pending", earlier.event_seq < WebhookAttempt.event_seq)
    with ctx.sessions() as s, s.begin():
        q = (select(WebhookAttempt, WebhookEndpoint)
             .join(WebhookEndpoint, WebhookAttempt.endpoint_id == WebhookEndpoint.id)
             .where(WebhookAttempt.state == "pending", WebhookAttempt.next_attempt_at <= now, ~waiting)
             .order_by(WebhookAttempt.next_attempt_at).limit(limit))
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=WebhookAttempt)
        out = []
        for a, e in s.execute(q).all():
            if e.disabled_at is not None:
                a.state, a.last_error, a.next_attempt_at = "failed", "endpoint deleted", None
                continue
            a.next_attempt_at = now + CLAIM_FOR
            out.append(Due(a.id, e.url, e.secret, a.event_id, a.payload.encode()))
        return out


def backoff_s(attempts: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full-range jitter in [50 %, 100 %] of the capped delay."""
    capped = min(max_s, base_s * (2 ** max(0, attempts - 1)))
    return capped * (0.5 + 0.5 * (rng or random).random())


def record_result(ctx: ServiceContext, attempt_id: str, status: int | None, error: str | None) -> str:
    """Store one attempt's answer; return the new state (delivered | pending | failed)."""
    now = ctx.clock()
    settings = ctx.settings
    with ctx.sessions() as s, s.begin():
        a = s.get(WebhookAttempt, attempt_id)
        if a is None or a.state != "pending":
            return a.state if a else "gone"
        a.attempts += 1
        a.last_status, a.last_error = status, (error or "")[:500] or None
        if status is not None and 200 <= status < 300:
            a.state, a.delivered_at, a.next_attempt_at = "delivered", now, None
        elif (now - a.created_at).total_seconds() >= settings.webhook_give_up_after_s:
            a.state, a.next_attempt_at = "failed", None
        else:
            delay = backoff_s(a.attempts, settings.webhook_retry_base_s, settings.webhook_retry_max_s)
            a.next_attempt_at = now + timedelta(seconds=delay)
        return a.state
