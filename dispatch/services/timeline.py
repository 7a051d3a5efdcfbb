"""A delivery's timeline for the dispatcher: each recorded event with its actor and time.

Read from the audit log (one row per transition and per manual override), with the actor's
name in words where we know it (a courier's first name, a person's or a merchant's name).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.db.models import AuditEntry, Courier, Delivery, Merchant, User
from dispatch.domain.errors import NotFound
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.views import iso


def delivery_timeline(ctx: ServiceContext, who: Principal, delivery_id: str) -> list[dict[str, Any]]:
    """The events of ``delivery_id`` (of the caller's co-op), oldest first."""
    with ctx.sessions() as s:
        d = s.get(Delivery, delivery_id)
        if d is None or d.coop_id != who.coop_id:
            raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.delivery_id == delivery_id)
                              .order_by(AuditEntry.happened_at, AuditEntry.id)))
        ids = {r.actor_id for r in rows if r.actor_id}
        names: dict[str, str] = {}
        for model, column in ((Courier, Courier.first_name), (User, User.name), (Merchant, Merchant.name)):
            names |= dict(s.execute(select(model.id, column).where(model.id.in_(ids))).all())  # type: ignore[attr-defined]
        return [{"at": iso(r.happened_at), "action": r.action, "from_status": r.from_status,
                 "to_status": r.to_status, "actor_kind": r.actor_kind,
                 "actor": names.get(r.actor_id or "") or r.actor_kind, "reason": r.reason} for r in rows]
