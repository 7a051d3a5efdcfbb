"""A delivery's life: one transition table, one ``apply`` function.

::

    pending --assign--> assigned --pick_up--> picked_up --deliver--> delivered
       |  ^               |  |  \\                 |
       |  +--unassign-----+  |   assign (another courier)
       +--cancel--> cancelled <--cancel--+        +--fail--> failed (reason required)

``arrive`` at the pickup or the dropoff is recorded without changing the status.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from dispatch.domain.errors import IllegalTransition, InvalidInput
from dispatch.domain.events import Event


class Status(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    ARRIVE = "arrive"
    PICK_UP = "pick_up"
    DELIVER = "deliver"
    FAIL = "fail"
    CANCEL = "cancel"


TERMINAL = frozenset({Status.DELIVERED, Status.FAILED, Status.CANCELLED})

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.PENDING, Action.ASSIGN): Status.ASSIGNED,
    (Status.PENDING, Action.CANCEL): Status.CANCELLED,
    (Status.ASSIGNED, Action.ASSIGN): Status.ASSIGNED,
    (Status.ASSIGNED, Action.UNASSIGN): Status.PENDING,
    (Status.ASSIGNED, Action.ARRIVE): Status.ASSIGNED,
    (Status.ASSIGNED, Action.PICK_UP): Status.PICKED_UP,
    (Status.ASSIGNED, Action.FAIL): Status.FAILED,
    (Status.ASSIGNED, Action.CANCEL): Status.CANCELLED,
    (Status.PICKED_UP, Action.ARRIVE): Status.PICKED_UP,
    (Status.PICKED_UP, Action.DELIVER): Status.DELIVERED,
    (Status.PICKED_UP, Action.FAIL): Status.FAILED,
}

EVENT_TYPES: dict[Action, str] = {
    Action.ASSIGN: "delivery.assigned",
    Action.UNASSIGN: "delivery.unassigned",
    Action.ARRIVE: "courier.arrived",
    Action.PICK_UP: "delivery.picked_up",
    Action.DELIVER: "delivery.delivered",
    Action.FAIL: "delivery.failed",
    Action.CANCEL: "delivery.cancelled",
}

NEEDS_REASON = frozenset({Action.FAIL})


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """What the lifecycle needs to know of a delivery."""

    id: str
    status: Status
    courier_id: str | None = None
    picked_up: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    """An action with its arguments: ``courier_id`` for assign, ``reason`` for fail/cancel."""

    action: Action
    at: datetime
    courier_id: str | None = None
    reason: str | None = None


def apply(delivery: DeliveryState, command: Command) -> tuple[DeliveryState, list[Event]]:
    """Apply ``command`` to ``delivery``.

    Returns
    -------
    The new state and the events it produced (exactly one per successful command).

    Raises
    ------
    IllegalTransition
        The current status does not allow the action.
    InvalidInput
        A required argument is missing (a courier to assign, a reason to fail).
    """
    target = TRANSITIONS.get((delivery.status, command.action))
    if target is None:
        raise IllegalTransition(delivery.status.value, command.action.value)
    _check_arguments(delivery, command)
    courier = _next_courier(delivery, command)
    new = replace(
        delivery,
        status=target,
        courier_id=courier,
        picked_up=delivery.picked_up or command.action is Action.PICK_UP,
    )
    event = Event(
        type=EVENT_TYPES[command.action],
        delivery_id=delivery.id,
        from_status=delivery.status.value,
        to_status=target.value,
        courier_id=courier if courier is not None else delivery.courier_id,
        reason=command.reason,
        at=command.at,
    )
    return new, [event]


def _check_arguments(delivery: DeliveryState, command: Command) -> None:
    if command.action is Action.ASSIGN and not command.courier_id:
        raise InvalidInput("assign needs a courier", field="courier_id")
    if command.action in NEEDS_REASON and not (command.reason or "").strip():
        raise InvalidInput(f"{command.action.value} needs a reason", field="reason")


def _next_courier(delivery: DeliveryState, command: Command) -> str | None:
    if command.action is Action.ASSIGN:
        return command.courier_id
    if command.action in (Action.UNASSIGN, Action.CANCEL) and delivery.status is not Status.PICKED_UP:
        return None
    return delivery.courier_id
