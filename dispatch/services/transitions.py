"""Apply a lifecycle command to a stored delivery: the one path every status change takes.

It checks the version, runs the pure state machine, copies the result onto the row, clears or
moves stops, writes the audit row and the outbox event, all inside the caller's unit of work.
"""

from __future__ import annotations

from sqlalchemy import select

from dispatch.db.models import AuditEntry, Delivery, Stop
from dispatch.domain.errors import StaleVersion
from dispatch.domain.lifecycle import Action, Command, DeliveryState, Status, apply
from dispatch.services.auth import Principal
from dispatch.services.context import UnitOfWork
from dispatch.services.fees import issue_final_receipt
from dispatch.services.views import delivery_topics, frame_delivery


def transition(
    uow: UnitOfWork,
    d: Delivery,
    command: Command,
    who: Principal | None,
    *,
    version: int | None = None,
    stop: Stop | None = None,
) -> None:
    """Apply ``command`` to ``d`` (raises IllegalTransition / StaleVersion / InvalidInput)."""
    if version is not None and version != d.version:
        raise StaleVersion(version, d.version)
    state = DeliveryState(d.id, Status(d.status), d.courier_id, picked_up=d.picked_up_at is not None)
    previous_courier = d.courier_id
    new, events = apply(state, command)
    d.status, d.courier_id = new.status.value, new.courier_id
    d.updated_at = command.at
    _stamp(d, command)
    if command.action is Action.DELIVER:  # before any flush, so the row gets one UPDATE
        issue_final_receipt(uow.session, d, command.at)
    _move_stops(uow, d, previous_courier, stop, command)
    actor_kind = who.role if who else "system"
    for event in events:
        uow.session.add(AuditEntry(
            coop_id=d.coop_id, delivery_id=d.id, action=command.action.value,
            from_status=event.from_status, to_status=event.to_status, actor_kind=actor_kind,
            actor_id=who.actor_id if who else None, reason=command.reason, happened_at=command.at,
        ))
        data = frame_delivery(d) | {"event": event.as_data()}
        uow.emit(d.coop_id, event.type, delivery_topics(d, previous_courier), data)


def _stamp(d: Delivery, command: Command) -> None:
    if command.action is Action.PICK_UP:
        d.picked_up_at = command.at
    elif command.action is Action.DELIVER:
        d.delivered_at = command.at
    if command.action in (Action.FAIL, Action.CANCEL):
        d.reason = command.reason
    if command.action in (Action.ASSIGN, Action.UNASSIGN) and d.status == Status.PENDING.value:
        d.pinned = False


def _move_stops(
    uow: UnitOfWork, d: Delivery, previous: str | None, stop: Stop | None, command: Command
) -> None:
    stops = list(uow.session.scalars(select(Stop).where(Stop.delivery_id == d.id)))
    for s in stops:
        if s.done_at is None and d.courier_id != previous:
            s.courier_id, s.position, s.eta_at = d.courier_id, None, None
        if stop is not None and s.id == stop.id:
            _mark_stop(s, command)


def _mark_stop(s: Stop, command: Command) -> None:
    if command.action is Action.ARRIVE:
        s.arrived_at = s.arrived_at or command.at
    elif command.action in (Action.PICK_UP, Action.DELIVER, Action.FAIL):
        s.arrived_at = s.arrived_at or command.at
        s.done_at = command.at
