"""Dispatcher intents: see couriers and open deliveries, assign or unassign by hand, and
write the plan the dispatch loop computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from dispatch.db.models import Courier, Delivery, PlanRow, Shift, Stop
from dispatch.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from dispatch.domain.lifecycle import Action, Command
from dispatch.domain.presence import QUIET_AFTER
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.delivery_input import load_visible
from dispatch.services.manual import manual_decisions, provisional_etas
from dispatch.services.places import label_empty_addresses, label_of_point
from dispatch.services.transitions import transition
from dispatch.services.views import delivery_view, iso, shift_view

OPEN = ("pending", "assigned", "picked_up")


def require_dispatcher(who: Principal) -> None:
    if who.role not in ("dispatcher", "admin"):
        raise Forbidden("only the co-op's dispatchers may do this", field="Authorization")


def couriers_on_shift(ctx: ServiceContext, who: Principal) -> list[dict[str, Any]]:
    require_dispatcher(who)
    with ctx.sessions() as s:
        rows = s.execute(select(Shift, Courier).join(Courier, Shift.courier_id == Courier.id)
                         .where(Shift.coop_id == who.coop_id, Shift.ended_at.is_(None))).all()
        # the map greys a courier after the planner's own threshold (it gives them nothing new)
        quiet_after_s = int(QUIET_AFTER.total_seconds())
        # where each one is, in words (the nearest door or street of the co-op's map)
        return [shift_view(sh) | {"first_name": c.first_name, "quiet_after_s": quiet_after_s,
                                  "near": label_of_point(ctx, who.coop_id, sh.last_lat, sh.last_lon)}
                for sh, c in rows]


def open_deliveries(ctx: ServiceContext, who: Principal) -> list[dict[str, Any]]:
    require_dispatcher(who)
    with ctx.sessions() as s:
        ds = list(s.scalars(select(Delivery).where(Delivery.coop_id == who.coop_id,
                                                   Delivery.status.in_(OPEN))
                            .order_by(Delivery.created_at)))
        stops = list(s.scalars(select(Stop).where(Stop.delivery_id.in_([d.id for d in ds]))))
        by_delivery: dict[str, list[Stop]] = {}
        for st in stops:
            by_delivery.setdefault(st.delivery_id, []).append(st)
        manual = manual_decisions(s, ds)  # the human decision, shown instead of the plan's
        views = [delivery_view(d, who, by_delivery.get(d.id, [])) | {"manual": manual.get(d.id)} for d in ds]
    label_empty_addresses(ctx, who.coop_id, [p for v in views for p in (v["pickup"], v["dropoff"])])
    return views


def assign(
    ctx: ServiceContext, who: Principal, delivery_id: str, courier_id: str, reason: str,
    version: int | None,
) -> dict[str, Any]:
    """A dispatcher's manual assignment: a pin the dispatch loop keeps."""
    require_dispatcher(who)
    if not reason.strip():
        raise InvalidInput("a manual assignment needs a reason", field="reason")
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        d = load_visible(uow.session, who, delivery_id, for_update=True)
        c = uow.session.get(Courier, courier_id)
        shift = uow.session.scalar(select(Shift).where(Shift.courier_id == courier_id, Shift.ended_at.is_(None)))
        if c is None or c.coop_id != who.coop_id:
            raise NotFound(f"no courier {courier_id}", field="courier_id")
        if shift is None:
            raise Conflict(f"courier {c.first_name} is not on shift", field="courier_id")
        if d.status == "picked_up":
            raise Conflict("the delivery is already on board a bike: it stays with its courier",
                           field="status")
        transition(uow, d, Command(Action.ASSIGN, at=now, courier_id=courier_id, reason=reason),
                   who, version=version)
        d.pinned = True
        provisional_etas(ctx, uow.session, d, shift, now)  # ETAs now, not at the next round
        uow.session.flush()
        uow.emit(d.coop_id, "route.updated", [f"courier:{courier_id}", f"coop:{d.coop_id}"],
                 {"courier_id": courier_id, "stops": _routes_now(uow.session, d.coop_id).get(courier_id, [])})
        stops = list(uow.session.scalars(select(Stop).where(Stop.delivery_id == d.id)))
        return delivery_view(d, who, stops) | {"manual": manual_decisions(uow.session, [d]).get(d.id)}


def unassign(ctx: ServiceContext, who: Principal, delivery_id: str, reason: str, version: int | None) -> dict[str, Any]:
    require_dispatcher(who)
    if not reason.strip():
        raise InvalidInput("unassigning needs a reason", field="reason")
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        d = load_visible(uow.session, who, delivery_id, for_update=True)
        transition(uow, d, Command(Action.UNASSIGN, at=now, reason=reason), who, version=version)
        d.pinned = False
        return delivery_view(d, who)


@dataclass(frozen=True, slots=True)
class PlannedStop:
    delivery_id: str
    kind: str
    eta: datetime


@dataclass(frozen=True, slots=True)
class PlanToWrite:
    """The dispatch loop's result in service terms (ids and times, no matrix indices)."""

    coop_id: str
    policy: str
    routes: dict[str, list[PlannedStop]]  # courier id -> stops in order
    unassigned: dict[str, str]  # delivery id -> reason
    objective: dict[str, Any]
    explanations: dict[str, Any]
    versions: dict[str, int]  # delivery id -> version the plan was computed from


# A stored ETA moves only when the new one differs by this much. Couriers move between rounds,
# so every route's ETAs shift by seconds at every round; writing and announcing those made
# each round an UPDATE per stop and a route.updated frame per courier with work, forty frames
# a round in the realtime benchmark, for changes no one reads. Stored ETAs are what phones
# and maps were told, so they never drift more than this from the plan.
ETA_SLACK = timedelta(seconds=60)


def write_plan(ctx: ServiceContext, plan: PlanToWrite) -> dict[str, int]:
    """Apply assignments that still hold, update stops and ETAs, emit ``route.updated``.

    A delivery whose row changed since the snapshot (a pickup, a manual assignment) is left
    alone: the next round plans it again. A stop already picked up never changes courier.
    Returns counts of what changed.
    """
    now = ctx.clock()
    counts = {"assigned": 0, "unassigned": 0, "routes_changed": 0, "skipped": 0}
    with unit_of_work(ctx) as uow:
        s = uow.session
        ids = list(plan.versions)
        # the quote and receipt (kilobytes of JSON each) are not needed to assign
        deliveries = {d.id: d for d in s.scalars(select(Delivery).where(Delivery.id.in_(ids))
                                                 .options(defer(Delivery.quote), defer(Delivery.receipt)))}
        before = _routes_now(s, plan.coop_id)
        target = {did: cid for cid, stops in plan.routes.items() for did in {p.delivery_id for p in stops}}
        for did, d in deliveries.items():
            if d.version != plan.versions[did] or d.status not in ("pending", "assigned"):
                counts["skipped"] += d.status not in ("picked_up",)
                continue
            courier = target.get(did)
            if d.pinned and d.courier_id and courier != d.courier_id:
                continue
            if courier and courier != d.courier_id:
                transition(uow, d, Command(Action.ASSIGN, at=now, courier_id=courier, reason="plan"), None)
                counts["assigned"] += 1
            elif courier is None and d.status == "assigned" and not d.pinned:
                transition(uow, d, Command(Action.UNASSIGN, at=now, reason=plan.unassigned.get(did, "plan")), None)
                counts["unassigned"] += 1
        s.flush()
        _write_stops(s, plan, deliveries)
        s.add(PlanRow(coop_id=plan.coop_id, policy=plan.policy, objective=plan.objective,
                      explanations=plan.explanations, unassigned=plan.unassigned, created_at=now))
        after = _routes_now(s, plan.coop_id)
        for courier_id in sorted(set(before) | set(after)):
            if before.get(courier_id) != after.get(courier_id):
                counts["routes_changed"] += 1
                uow.emit(plan.coop_id, "route.updated", [f"courier:{courier_id}", f"coop:{plan.coop_id}"],
                         {"courier_id": courier_id, "stops": after.get(courier_id, [])})
        uow.emit(plan.coop_id, "plan.updated", [f"coop:{plan.coop_id}"],
                 {"policy": plan.policy, "objective": plan.objective, "unassigned": plan.unassigned,
                  "explanations": plan.explanations})
    return counts


def _write_stops(s: Any, plan: PlanToWrite, deliveries: dict[str, Delivery]) -> None:
    stops = {(st.delivery_id, st.kind): st for st in s.scalars(
        select(Stop).where(Stop.delivery_id.in_(list(deliveries)), Stop.done_at.is_(None)))}
    for courier_id, planned in plan.routes.items():
        for position, p in enumerate(planned):
            st = stops.get((p.delivery_id, p.kind))
            d = deliveries.get(p.delivery_id)
            if st is None or d is None or d.courier_id != courier_id:
                continue
            if (st.courier_id, st.position) == (courier_id, position) and st.eta_at is not None \
                    and abs(st.eta_at - p.eta) < ETA_SLACK:
                continue  # same place in the same route, ETA within a minute: nothing to tell
            st.courier_id, st.position, st.eta_at = courier_id, position, p.eta


def _routes_now(s: Any, coop_id: str) -> dict[str, list[dict[str, Any]]]:
    # plain columns, not ORM objects: with a busy coop this ran over every open stop twice a round
    rows = s.execute(select(Stop.id, Stop.courier_id, Stop.delivery_id, Stop.kind, Stop.eta_at, Stop.position)
                     .join(Delivery, Stop.delivery_id == Delivery.id)
                     .where(Delivery.coop_id == coop_id, Stop.courier_id.is_not(None), Stop.done_at.is_(None),
                            Delivery.status.in_(("assigned", "picked_up")))).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for st in sorted(rows, key=lambda r: (r.position is None, r.position or 0, r.kind != "pickup")):
        out.setdefault(st.courier_id, []).append(
            {"stop_id": st.id, "delivery_id": st.delivery_id, "kind": st.kind,
             "eta": iso(st.eta_at), "position": st.position})
    return out
