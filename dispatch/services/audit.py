"""The audit log of administrative actions: who (role and id), when, what changed.

Delivery transitions write their own rows (``services/transitions.py``); every co-op setup
action (members, merchants, keys, settings, rule sets) writes one here, in the same
transaction as the change, so a change and its record are never apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.views import iso

AUDIT_PAGE = 200


def record(s: Session, who: Principal | None, coop_id: str, action: str, at: datetime,
           details: dict[str, Any] | None = None, reason: str | None = None) -> None:
    """One audit row; ``who`` None is the system (the CLI run by the server's operator)."""
    s.add(AuditEntry(coop_id=coop_id, action=action[:32], actor_kind=who.role if who else "system",
                     actor_id=who.actor_id if who else None, happened_at=at, reason=reason,
                     details=details))


def audit_rows(ctx: ServiceContext, who: Principal, *, action: str | None = None,
               actor_id: str | None = None, delivery_id: str | None = None,
               since: datetime | None = None, until: datetime | None = None,
               limit: int = AUDIT_PAGE) -> list[dict[str, Any]]:
    """The co-op's audit rows, newest first, filtered by action, actor, delivery and time."""
    q = select(AuditEntry).where(AuditEntry.coop_id == who.coop_id)
    if action:
        q = q.where(AuditEntry.action == action)
    if actor_id:
        q = q.where(AuditEntry.actor_id == actor_id)
    if delivery_id:
        q = q.where(AuditEntry.delivery_id == delivery_id)
    if since:
        q = q.where(AuditEntry.happened_at >= since)
    if until:
        q = q.where(AuditEntry.happened_at < until)
    with ctx.sessions() as s:
        rows = s.scalars(q.order_by(AuditEntry.id.desc()).limit(min(max(limit, 1), 1000)))
        return [{"id": r.id, "action": r.action, "actor_kind": r.actor_kind, "actor_id": r.actor_id,
                 "delivery_id": r.delivery_id, "from_status": r.from_status, "to_status": r.to_status,
                 "reason": r.reason, "details": r.details, "happened_at": iso(r.happened_at)}
                for r in rows]
