"""Courier intents: start and end a shift, report what happened at a stop, share a position."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import Courier, Delivery, Merchant, Shift, Stop
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.domain.lifecycle import Action, Command
from dispatch.domain.vehicles import VEHICLES
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.places import label_empty_addresses
from dispatch.services.transitions import transition
from dispatch.services.views import delivery_view, shift_view, stop_view

REPORT_ACTIONS = {
    ("pickup", "arrived"): Action.ARRIVE,
    ("pickup", "picked_up"): Action.PICK_UP,
    ("pickup", "failed"): Action.FAIL,
    ("dropoff", "arrived"): Action.ARRIVE,
    ("dropoff", "delivered"): Action.DELIVER,
    ("dropoff", "failed"): Action.FAIL,
}
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_OFFLINE = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class StopReport:
    action: str  # arrived | picked_up | delivered | failed
    happened_at: datetime
    reason: str | None = None


def open_shift(s: Session, courier_id: str) -> Shift | None:
    return s.scalar(select(Shift).where(Shift.courier_id == courier_id, Shift.ended_at.is_(None)))


def _courier(s: Session, who: Principal) -> Courier:
    c = s.get(Courier, who.courier_id) if who.courier_id else None
    if c is None:
        raise NotFound("this account is not a courier", field="Authorization")
    return c


def start_shift(
    ctx: ServiceContext, who: Principal, *, lat: float, lon: float,
    vehicle_kind: str | None = None, planned_end_at: datetime | None = None,
) -> dict[str, Any]:
    now = ctx.clock()
    end = planned_end_at or now + timedelta(hours=4)
    if not now < end <= now + timedelta(hours=14):
        raise InvalidInput("planned_end_at must be within the next 14 hours", field="planned_end_at")
    with unit_of_work(ctx) as uow:
        c = _courier(uow.session, who)
        kind = VEHICLES.get(vehicle_kind or c.vehicle_kind)
        if kind is None:
            raise InvalidInput(f"vehicle_kind must be one of {sorted(VEHICLES)}", field="vehicle_kind")
        if open_shift(uow.session, c.id) is not None:
            raise Conflict("a shift is already open: end it first", field="shift")
        shift = Shift(
            courier_id=c.id, coop_id=c.coop_id, vehicle_kind=kind.name,
            capacity_g=c.capacity_g if kind.name == c.vehicle_kind else kind.capacity_g,
            capacity_ml=c.capacity_ml if kind.name == c.vehicle_kind else kind.capacity_ml,
            speed_pct=kind.speed_pct, started_at=now, planned_end_at=end,
            last_lat=lat, last_lon=lon, last_position_at=now,
        )
        uow.session.add(shift)
        uow.session.flush()
        uow.emit(c.coop_id, "shift.started", [f"coop:{c.coop_id}", f"courier:{c.id}"], shift_view(shift))
        return shift_view(shift)


def end_shift(ctx: ServiceContext, who: Principal) -> dict[str, Any]:
    """End the shift; deliveries assigned but not picked up go back to the pool."""
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        c = _courier(uow.session, who)
        shift = open_shift(uow.session, c.id)
        if shift is None:
            raise Conflict("no shift is open", field="shift")
        mine = list(uow.session.scalars(select(Delivery).where(Delivery.courier_id == c.id,
                                                               Delivery.status.in_(("assigned", "picked_up")))))
        if any(d.status == "picked_up" for d in mine):
            raise Conflict("deliveries are still on board: drop them (or report them failed) first",
                           field="shift")
        for d in mine:
            transition(uow, d, Command(Action.UNASSIGN, at=now, reason="courier ended shift"), who)
        shift.ended_at = now
        uow.emit(c.coop_id, "shift.ended", [f"coop:{c.coop_id}", f"courier:{c.id}"], shift_view(shift))
        return shift_view(shift)


def my_route(ctx: ServiceContext, who: Principal) -> dict[str, Any]:
    """The courier's open stops in planned order, with the delivery details they may see."""
    with ctx.sessions() as s:
        c = _courier(s, who)
        shift = open_shift(s, c.id)
        rows = s.execute(
            select(Stop, Delivery).join(Delivery, Stop.delivery_id == Delivery.id)
            .where(Stop.courier_id == c.id, Stop.done_at.is_(None),
                   Delivery.status.in_(("assigned", "picked_up")))
        ).all()
        rows.sort(key=lambda r: (r[0].position is None, r[0].position or 0, r[0].kind != "pickup"))
        merchants = {m.id: m for m in s.scalars(select(Merchant).where(
            Merchant.id.in_({d.merchant_id for _, d in rows})))}
        stops = [stop_view(st) | {"delivery": delivery_view(d, who),
                                  "contact": stop_contact(st, d, merchants.get(d.merchant_id))}
                 for st, d in rows]
        label_empty_addresses(ctx, c.coop_id, [p for st in stops for p in (st["delivery"]["pickup"],
                                                                            st["delivery"]["dropoff"])])
        return {"courier_id": c.id, "first_name": c.first_name,
                "shift": shift_view(shift) if shift else None, "stops": stops}


def stop_contact(st: Stop, d: Delivery, merchant: Merchant | None) -> dict[str, Any]:
    """Whom the courier meets at this stop: the merchant at a pickup, the recipient at a dropoff
    (only ever called for the courier's own open stops, where both are theirs to see)."""
    if st.kind == "pickup":
        return {"role": "merchant", "name": merchant.name if merchant else None,
                "phone": (merchant.contact_phone or None) if merchant else None}
    return {"role": "recipient", "name": d.recipient_name, "phone": d.recipient_phone}


def report_stop(
    ctx: ServiceContext, who: Principal, stop_id: str, report: StopReport, key: str, req_hash: str
) -> idempotency.StoredResponse:
    """Record what happened at a stop, at the phone's time, exactly once per Idempotency-Key."""
    scope = f"courier:{who.courier_id}"
    now = ctx.clock()
    if report.happened_at > now + MAX_CLOCK_SKEW or report.happened_at < now - MAX_OFFLINE:
        raise InvalidInput("happened_at is not a plausible time for this report", field="happened_at")
    with ctx.sessions() as s:
        stored = idempotency.replay(s, scope, key, req_hash)
        if stored is not None:
            return stored
    try:
        with unit_of_work(ctx) as uow:
            stop, d = _my_stop(uow.session, who, stop_id)
            action = REPORT_ACTIONS.get((stop.kind, report.action))
            if action is None:
                raise InvalidInput(f"action {report.action!r} does not apply to a {stop.kind} stop",
                                   field="action")
            command = Command(action, at=report.happened_at, reason=report.reason)
            transition(uow, d, command, who, stop=stop)
            body = idempotency.dumps({"stop": stop_view(stop), "delivery": delivery_view(d, who)})
            idempotency.record(uow.session, scope, key, req_hash, 200, body)
    except IntegrityError:
        return idempotency.after_conflict(ctx.sessions, scope, key, req_hash)
    return idempotency.StoredResponse(200, body)


def _my_stop(s: Session, who: Principal, stop_id: str) -> tuple[Stop, Delivery]:
    stop = s.get(Stop, stop_id)
    d = s.get(Delivery, stop.delivery_id) if stop else None
    if stop is None or d is None or d.courier_id != who.courier_id or d.coop_id != who.coop_id:
        raise NotFound(f"no stop {stop_id} on your route", field="stop_id")
    return stop, d


def record_position(ctx: ServiceContext, who: Principal, lat: float, lon: float, at: datetime) -> dict[str, Any]:
    """Keep the latest position of a courier on shift; refused off shift (no tracking then)."""
    newer = Shift.last_position_at < at  # an older position (sent late) changes nothing
    with ctx.sessions() as s, s.begin():
        # one UPDATE ... RETURNING instead of loading the shift and writing it back
        coop_id = s.scalar(
            update(Shift).where(Shift.courier_id == (who.courier_id or ""), Shift.ended_at.is_(None))
            .values(last_lat=case((newer, lat), else_=Shift.last_lat),
                    last_lon=case((newer, lon), else_=Shift.last_lon),
                    last_position_at=case((newer, at), else_=Shift.last_position_at))
            .returning(Shift.coop_id).execution_options(synchronize_session=False))
        if coop_id is None:
            raise Conflict("positions are only taken during a shift", field="shift")
    return {"courier_id": who.courier_id, "lat": lat, "lon": lon,
            "at": at.isoformat().replace("+00:00", "Z"), "coop_id": coop_id}


def record_positions(ctx: ServiceContext, positions: dict[str, tuple[float, float, datetime]]) -> set[str]:
    """Store many couriers' latest positions in one transaction (the socket path batches them);
    returns the couriers that have no open shift (their positions are refused)."""
    with ctx.sessions() as s, s.begin():
        shifts = {sh.courier_id: sh for sh in s.scalars(select(Shift).where(
            Shift.courier_id.in_(list(positions)), Shift.ended_at.is_(None)))}
        for courier_id, (lat, lon, at) in positions.items():
            shift = shifts.get(courier_id)
            if shift is not None and at > shift.last_position_at:
                shift.last_lat, shift.last_lon, shift.last_position_at = lat, lon, at
        return set(positions) - set(shifts)
