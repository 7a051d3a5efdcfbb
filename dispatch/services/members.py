"""A co-op's people: invitations, deactivation, password resets, couriers' vehicles, and each
member's own name and data. Every change is audited; every id is checked against the admin's
co-op (another co-op's member is "not found", never "forbidden": its existence is not told).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Courier, Delivery, Merchant, Shift, User
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.domain.lifecycle import Action, Command
from dispatch.domain.vehicles import VEHICLES
from dispatch.services.audit import record
from dispatch.services.auth import Principal, forget_tokens, revoke_all_tokens
from dispatch.services.context import ServiceContext, UnitOfWork, unit_of_work
from dispatch.services.invitations import NO_PASSWORD, new_link, send_link
from dispatch.services.transitions import transition
from dispatch.services.views import iso, shift_view

ROLES = ("admin", "dispatcher", "courier", "merchant")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def checked_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput("not an e-mail address", field=field)
    return email


def checked_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise InvalidInput("a name is 1 to 200 printable characters", field=field)
    return name


def member_view(u: User, courier: Courier | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": u.id, "email": u.email, "name": u.name, "role": u.role, "active": u.active,
                           "merchant_id": u.merchant_id, "invited_only": u.password_hash == NO_PASSWORD,
                           "created_at": iso(u.created_at), "courier": None}
    if courier is not None:
        out["courier"] = {"id": courier.id, "first_name": courier.first_name, "vehicle_kind": courier.vehicle_kind,
                          "capacity_kg": courier.capacity_g / 1000, "capacity_litres": courier.capacity_ml / 1000,
                          "speed_pct": courier.speed_pct}
    return out


def add_member(s: Session, ctx: ServiceContext, who: Principal | None, coop_id: str, email: str, name: str,
               role: str, merchant_id: str | None = None) -> dict[str, Any]:
    """The user row (no usable password yet), a courier row for couriers, and a one-time link."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    email, name = checked_email(email), checked_name(name)
    if role == "merchant" and merchant_id is None:
        raise InvalidInput("merchant staff need their merchant", field="merchant_id")
    if s.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("this e-mail already has an account", field="email")
    now = ctx.clock()
    user = User(coop_id=coop_id, role=role, email=email, name=name, password_hash=NO_PASSWORD,
                merchant_id=merchant_id if role == "merchant" else None)
    s.add(user)
    s.flush()
    if role == "courier":
        v = VEHICLES["cargo_bike"]
        s.add(Courier(coop_id=coop_id, user_id=user.id, first_name=name.split()[0][:100], vehicle_kind=v.name,
                      capacity_g=v.capacity_g, capacity_ml=v.capacity_ml, speed_pct=v.speed_pct))
    url, inv = new_link(s, ctx.settings, user, "invite", who.user_id if who else None, now)
    record(s, who, coop_id, "invite_member", now, {"user_id": user.id, "email": email, "role": role,
                                                   "merchant_id": merchant_id})
    coop = s.get(Coop, coop_id)
    return {"user_id": user.id, "email": email, "role": role, "url": url, "expires_at": iso(inv.expires_at),
            "emailed": send_link(ctx.settings, email, coop.name if coop else "", url, "invite")}


def invite_member(ctx: ServiceContext, admin: Principal, email: str, name: str, role: str,
                  merchant_id: str | None = None) -> dict[str, Any]:
    """Invite a courier, dispatcher, admin or a merchant's staff member by a one-time link."""
    try:
        with ctx.sessions() as s, s.begin():
            if merchant_id is not None:
                _merchant_of(s, admin, merchant_id)
            return add_member(s, ctx, admin, admin.coop_id, email, name, role, merchant_id)
    except IntegrityError as exc:
        raise Conflict("this e-mail already has an account", field="email") from exc


def _merchant_of(s: Session, admin: Principal, merchant_id: str) -> Merchant:
    m = s.get(Merchant, merchant_id)
    if m is None or m.coop_id != admin.coop_id:
        raise NotFound(f"no merchant {merchant_id}", field="merchant_id")
    return m


def _member_of(s: Session, admin: Principal, user_id: str) -> User:
    u = s.get(User, user_id)
    if u is None or u.coop_id != admin.coop_id:
        raise NotFound(f"no member {user_id}", field="user_id")
    return u


def list_members(ctx: ServiceContext, admin: Principal) -> list[dict[str, Any]]:
    with ctx.sessions() as s:
        rows = s.execute(select(User, Courier).outerjoin(Courier, Courier.user_id == User.id)
                         .where(User.coop_id == admin.coop_id).order_by(User.role, User.name)).all()
        return [member_view(u, c) for u, c in rows]


def set_active(ctx: ServiceContext, admin: Principal, user_id: str, active: bool) -> dict[str, Any]:
    """Deactivate (tokens stop at once, an open shift ends, its unpicked deliveries go back to
    the pool) or reactivate a member."""
    if user_id == admin.user_id and not active:
        raise Conflict("you cannot deactivate yourself: ask another admin", field="user_id")
    now, revoked = ctx.clock(), []
    with unit_of_work(ctx) as uow:
        s = uow.session
        user = _member_of(s, admin, user_id)
        if user.active == active:
            return _view(s, user)
        user.active = active
        details: dict[str, Any] = {"user_id": user.id, "active": active}
        if not active:
            revoked = revoke_all_tokens(uow, user.id, "deactivated", now)
            details |= _end_open_shift(uow, admin, user, now)
        record(s, admin, admin.coop_id, "deactivate_member" if not active else "reactivate_member", now, details)
        out = _view(s, user)
    forget_tokens(ctx, revoked)
    return out


def _end_open_shift(uow: UnitOfWork, admin: Principal, user: User, now: Any) -> dict[str, Any]:
    s = uow.session
    courier = s.scalar(select(Courier).where(Courier.user_id == user.id))
    shift = None if courier is None else s.scalar(
        select(Shift).where(Shift.courier_id == courier.id, Shift.ended_at.is_(None)))
    if courier is None or shift is None:
        return {}
    mine = list(s.scalars(select(Delivery).where(Delivery.courier_id == courier.id,
                                                 Delivery.status == "assigned")))
    for d in mine:
        transition(uow, d, Command(Action.UNASSIGN, at=now, reason="courier deactivated"), admin)
    shift.ended_at = now
    uow.emit(courier.coop_id, "shift.ended", [f"coop:{courier.coop_id}", f"courier:{courier.id}"], shift_view(shift))
    on_board = s.scalar(select(Delivery.id).where(Delivery.courier_id == courier.id,
                                                  Delivery.status == "picked_up").limit(1))
    return {"shift_ended": shift.id, "returned_to_pool": [d.id for d in mine], "still_on_board": on_board is not None}


def _view(s: Session, user: User) -> dict[str, Any]:
    return member_view(user, s.scalar(select(Courier).where(Courier.user_id == user.id)))


def reset_password(ctx: ServiceContext, admin: Principal, user_id: str) -> dict[str, Any]:
    """A one-time link to choose a new password (the old one keeps working until it is used)."""
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        user = _member_of(s, admin, user_id)
        url, inv = new_link(s, ctx.settings, user, "reset", admin.user_id, now)
        record(s, admin, admin.coop_id, "reset_password", now, {"user_id": user.id})
        coop = s.get(Coop, admin.coop_id)
        return {"user_id": user.id, "email": user.email, "role": user.role, "url": url,
                "expires_at": iso(inv.expires_at),
                "emailed": send_link(ctx.settings, user.email, coop.name if coop else "", url, "reset")}


def set_vehicle(ctx: ServiceContext, admin: Principal, courier_id: str, kind: str, capacity_kg: float,
                capacity_litres: float, speed_pct: int) -> dict[str, Any]:
    """A courier's vehicle: kind, load in kg and litres, speed against a plain bike (percent).
    It applies from the courier's next shift."""
    if kind not in VEHICLES:
        raise InvalidInput(f"kind must be one of {', '.join(VEHICLES)}", field="kind")
    if not 0 < capacity_kg <= 500:
        raise InvalidInput("capacity_kg must be above 0 and at most 500", field="capacity_kg")
    if not 0 < capacity_litres <= 2000:
        raise InvalidInput("capacity_litres must be above 0 and at most 2000", field="capacity_litres")
    if not 50 <= speed_pct <= 200:
        raise InvalidInput("speed_pct must be between 50 and 200", field="speed_pct")
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        c = s.get(Courier, courier_id)
        if c is None or c.coop_id != admin.coop_id:
            raise NotFound(f"no courier {courier_id}", field="courier_id")
        before = {"kind": c.vehicle_kind, "kg": c.capacity_g / 1000, "litres": c.capacity_ml / 1000,
                  "speed_pct": c.speed_pct}
        c.vehicle_kind, c.capacity_g = kind, round(capacity_kg * 1000)
        c.capacity_ml, c.speed_pct = round(capacity_litres * 1000), speed_pct
        after = {"kind": kind, "kg": capacity_kg, "litres": capacity_litres, "speed_pct": speed_pct}
        record(s, admin, admin.coop_id, "set_vehicle", now, {"courier_id": c.id, "before": before, "after": after})
        user = s.get(User, c.user_id)
        assert user is not None
        return member_view(user, c)


def rename_me(ctx: ServiceContext, who: Principal, name: str) -> dict[str, Any]:
    """A member changes their own name (a courier's first name follows)."""
    if who.user_id is None:
        raise InvalidInput("API keys have no name to change", field="Authorization")
    name, now = checked_name(name), ctx.clock()
    with ctx.sessions() as s, s.begin():
        user = s.get(User, who.user_id)
        assert user is not None
        before, user.name = user.name, name
        courier = s.scalar(select(Courier).where(Courier.user_id == user.id))
        if courier is not None:
            courier.first_name = name.split()[0][:100]
        record(s, who, who.coop_id, "rename_self", now, {"before": before, "after": name})
        return member_view(user, courier)
