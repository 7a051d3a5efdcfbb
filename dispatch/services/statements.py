"""Pay statements from the database: a courier's earnings per hour on shift, the co-op's books.

The sums are :mod:`dispatch.domain.statements`; this module reads issued receipts (delivered
deliveries only) and shifts (an open shift counts until now), checks who may read what, and
turns the result into JSON or CSV.

Periods are ``[from, to)``. A bare date means the coop's local midnight; a ``to`` date is
included whole (``to=2026-06-30`` ends at midnight starting 1 July). Without bounds: from the
first day of the current month to the end of today.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Courier, Delivery, Merchant, Shift
from dispatch.domain.errors import Forbidden, InvalidInput, NotFound
from dispatch.domain.fees import SMIC_2026_CENTS_PER_HOUR
from dispatch.domain.instants import OutOfRange, check_day, check_instant
from dispatch.domain.receipts import receipt_from_dict
from dispatch.domain.statements import (
    CoopStatement,
    CourierStatement,
    DeliveryRecord,
    PartyTotals,
    ShiftSpan,
    coop_statement,
    coop_statement_to_csv,
    courier_statement,
    courier_statement_to_csv,
)
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.fees import local_day, rule_set_in_force
from dispatch.services.views import iso


def _bound(text: str | None, coop: Coop, field: str, default: datetime, whole_day: bool) -> datetime:
    if not text:
        return default
    tz = ZoneInfo(coop.timezone)
    try:
        if len(text) == 10:
            day = check_day(date.fromisoformat(text)) + timedelta(days=1 if whole_day else 0)
            return datetime.combine(day, time(0), tz)
        value = datetime.fromisoformat(text)
    except OutOfRange as exc:
        raise InvalidInput(f"{field} {exc}", field=field) from None
    except ValueError:
        raise InvalidInput(f"{field} must be a date (YYYY-MM-DD) or an ISO datetime with a "
                           f"timezone, got {text!r}", field=field) from None
    try:
        return check_instant(value)
    except OutOfRange as exc:
        raise InvalidInput(f"{field} {exc}", field=field) from None


def period(coop: Coop, now: datetime, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The ``[from, to)`` bounds asked for (see the module docstring)."""
    today = local_day(coop, now)
    tz = ZoneInfo(coop.timezone)
    lo = _bound(start, coop, "from", datetime.combine(today.replace(day=1), time(0), tz), False)
    hi = _bound(end, coop, "to", datetime.combine(today + timedelta(days=1), time(0), tz), True)
    if hi <= lo:
        raise InvalidInput("to must be after from", field="to")
    if hi - lo > timedelta(days=400):
        raise InvalidInput("a statement covers at most 400 days", field="to")
    return lo, hi


def _records(s: Session, coop_id: str, lo: datetime, hi: datetime,
             courier_id: str | None = None) -> list[DeliveryRecord]:
    q = select(Delivery).where(Delivery.coop_id == coop_id, Delivery.status == "delivered",
                               Delivery.receipt.is_not(None), Delivery.delivered_at >= lo,
                               Delivery.delivered_at < hi)
    if courier_id:
        q = q.where(Delivery.courier_id == courier_id)
    return [DeliveryRecord(d.id, d.courier_id or "", d.merchant_id, d.delivered_at,
                           receipt_from_dict(d.receipt or {})) for d in s.scalars(q)]


def _floor(s: Session, coop: Coop, hi: datetime) -> int:
    rules = rule_set_in_force(s, coop.id, local_day(coop, hi - timedelta(microseconds=1)))
    return rules.courier_floor_cents_per_hour if rules else SMIC_2026_CENTS_PER_HOUR


def courier_statement_for(ctx: ServiceContext, who: Principal, courier_id: str,
                          start: str | None, end: str | None) -> tuple[CourierStatement, dict[str, Any]]:
    """That courier, or the coop's dispatchers and admins; anyone else gets a 404."""
    if who.role == "merchant":
        raise Forbidden("statements are for couriers and the coop", field="Authorization")
    now = ctx.clock()
    with ctx.sessions() as s:
        c = s.get(Courier, courier_id)
        allowed = c is not None and c.coop_id == who.coop_id and (
            who.role in ("dispatcher", "admin") or who.courier_id == courier_id)
        if c is None or not allowed:
            raise NotFound(f"no courier {courier_id}", field="courier_id")
        coop = s.get(Coop, c.coop_id)
        assert coop is not None
        lo, hi = period(coop, now, start, end)
        shifts = s.scalars(select(Shift).where(
            Shift.courier_id == c.id, Shift.started_at < hi,
            or_(Shift.ended_at.is_(None), Shift.ended_at > lo)))
        spans = [ShiftSpan(c.id, sh.started_at, min(sh.ended_at or now, hi)) for sh in shifts]
        st = courier_statement(c.id, _records(s, coop.id, lo, hi, c.id), spans, lo, hi,
                               _floor(s, coop, hi))
        return st, {"first_name": c.first_name, "currency": coop.currency}


def courier_statement_to_dict(st: CourierStatement, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "courier_id": st.courier_id, **extra,
        "period": {"from": iso(st.period_start), "to": iso(st.period_end)},
        "floor_cents_per_hour": st.floor_cents_per_hour,
        "deliveries": [{"delivery_id": d.delivery_id, "merchant_id": d.merchant_id,
                        "delivered_at": iso(d.delivered_at), "fee_cents": d.receipt.fee_cents,
                        "rule_set_version": d.receipt.rule_set_version,
                        "earnings_cents": d.earnings_cents} for d in st.deliveries],
        "earnings_cents": st.earnings_cents,
        "on_shift_s": st.on_shift_s,
        "earnings_per_hour_cents": st.earnings_per_hour_cents,
        "floor_cents": st.floor_cents,
        "below_floor": st.below_floor,
        "hours": [{"start": iso(h.start), "on_shift_s": h.on_shift_s,
                   "earnings_cents": h.earnings_cents, "floor_cents": h.floor_cents,
                   "below_floor": h.below_floor} for h in st.hours],
        "hours_below_floor": len(st.hours_below_floor),
    }


def coop_statement_for(ctx: ServiceContext, who: Principal, start: str | None,
                       end: str | None) -> tuple[CoopStatement, dict[str, Any]]:
    """The caller's coop books (the router lets only dispatchers and admins in)."""
    with ctx.sessions() as s:
        coop = s.get(Coop, who.coop_id)
        assert coop is not None
        lo, hi = period(coop, ctx.clock(), start, end)
        st = coop_statement(_records(s, coop.id, lo, hi), lo, hi)
        names = {i: n for i, n in s.execute(select(Merchant.id, Merchant.name)
                                            .where(Merchant.coop_id == coop.id))}
        names |= {i: n for i, n in s.execute(select(Courier.id, Courier.first_name)
                                             .where(Courier.coop_id == coop.id))}
        return st, {"currency": coop.currency, "names": names}


def _totals(t: PartyTotals, names: dict[str, str]) -> dict[str, Any]:
    return {"id": t.party_id, "name": names.get(t.party_id), "deliveries": t.deliveries,
            "fees_cents": t.fees_cents, "courier_cents": t.courier_cents,
            "coop_cents": t.coop_cents, "rebate_cents": t.rebate_cents}


def coop_statement_to_dict(st: CoopStatement, extra: dict[str, Any]) -> dict[str, Any]:
    names = extra["names"]
    return {
        "currency": extra["currency"],
        "period": {"from": iso(st.period_start), "to": iso(st.period_end)},
        "total": _totals(st.total, names),
        "merchants": [_totals(t, names) for t in st.merchants],
        "couriers": [_totals(t, names) for t in st.couriers],
        "topup_from_coop_cents": st.topup_from_coop_cents,
        "shortfall_cents": st.shortfall_cents,
    }


__all__ = ["coop_statement_to_csv", "courier_statement_to_csv"]
