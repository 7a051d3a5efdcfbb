"""The delivery state machine: the table, its errors, and random action sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dispatch.domain.errors import IllegalTransition, InvalidInput
from dispatch.domain.lifecycle import TERMINAL, TRANSITIONS, Action, Command, DeliveryState, Status, apply

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def pending() -> DeliveryState:
    return DeliveryState(id="d1", status=Status.PENDING)


def test_the_happy_path_goes_from_pending_to_delivered_with_one_event_per_step():
    """assign, pick up, deliver: each step one past-tense event naming both statuses."""
    d = pending()
    d, ev1 = apply(d, Command(Action.ASSIGN, T0, courier_id="c1"))
    d, ev2 = apply(d, Command(Action.PICK_UP, T0))
    d, ev3 = apply(d, Command(Action.DELIVER, T0))
    assert d.status is Status.DELIVERED and d.courier_id == "c1" and d.picked_up
    assert [e.type for e in ev1 + ev2 + ev3] == ["delivery.assigned", "delivery.picked_up", "delivery.delivered"]
    assert (ev3[0].from_status, ev3[0].to_status) == ("picked_up", "delivered")


def test_an_illegal_move_names_the_current_status_and_the_action():
    """Delivering a pending delivery is refused with both names in the message."""
    with pytest.raises(IllegalTransition) as err:
        apply(pending(), Command(Action.DELIVER, T0))
    assert err.value.current_status == "pending" and err.value.action == "deliver"
    assert "pending" in str(err.value) and "deliver" in str(err.value)


def test_failing_needs_a_reason_and_assigning_needs_a_courier():
    """Missing arguments are input errors naming the field, not transitions."""
    assigned, _ = apply(pending(), Command(Action.ASSIGN, T0, courier_id="c1"))
    with pytest.raises(InvalidInput) as err:
        apply(assigned, Command(Action.FAIL, T0, reason="  "))
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput) as err:
        apply(pending(), Command(Action.ASSIGN, T0))
    assert err.value.field == "courier_id"


def test_unassigning_and_cancelling_free_the_courier_but_a_picked_up_delivery_keeps_it():
    """The courier leaves with unassign/cancel; after pickup only deliver or fail remain."""
    assigned, _ = apply(pending(), Command(Action.ASSIGN, T0, courier_id="c1"))
    back, _ = apply(assigned, Command(Action.UNASSIGN, T0))
    assert back.status is Status.PENDING and back.courier_id is None
    picked, _ = apply(assigned, Command(Action.PICK_UP, T0))
    for action in (Action.CANCEL, Action.UNASSIGN, Action.ASSIGN):
        with pytest.raises(IllegalTransition):
            apply(picked, Command(action, T0, courier_id="c2"))


def test_terminal_statuses_have_no_way_out_in_the_table():
    """No row of the table leaves delivered, failed or cancelled."""
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL]


class Lifecycle(RuleBasedStateMachine):
    """Random sequences of actions, legal or not, against the invariants of a delivery's life."""

    def __init__(self) -> None:
        super().__init__()
        self.state = pending()
        self.history: list[Status] = [Status.PENDING]
        self.events = 0
        self.transitions = 0
        self.clock = T0

    @rule(action=st.sampled_from(list(Action)), courier=st.sampled_from(["c1", "c2", None]),
          reason=st.sampled_from(["flat tyre", "", None]))
    def act(self, action: Action, courier: str | None, reason: str | None) -> None:
        self.clock += timedelta(seconds=30)
        before = self.state
        try:
            self.state, events = apply(before, Command(action, self.clock, courier_id=courier, reason=reason))
        except (IllegalTransition, InvalidInput):
            assert self.state == before  # a refused action changes nothing
            return
        assert len(events) == 1 and events[0].from_status == before.status.value
        assert events[0].to_status == self.state.status.value
        self.events += len(events)
        self.transitions += 1
        self.history.append(self.state.status)

    @invariant()
    def no_event_without_a_transition(self) -> None:
        assert self.events == self.transitions

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        for i, status in enumerate(self.history):
            if status in TERMINAL:
                assert all(s is status for s in self.history[i:])

    @invariant()
    def delivered_means_picked_up_first(self) -> None:
        if Status.DELIVERED in self.history:
            assert Status.PICKED_UP in self.history[: self.history.index(Status.DELIVERED)]
            assert self.state.picked_up

    @invariant()
    def an_active_delivery_has_a_courier(self) -> None:
        if self.state.status in (Status.ASSIGNED, Status.PICKED_UP):
            assert self.state.courier_id is not None
        if self.state.status is Status.PENDING:
            assert self.state.courier_id is None


Lifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestLifecycleStateMachine = Lifecycle.TestCase
TestLifecycleStateMachine.__doc__ = "Hypothesis drives random action sequences through apply()."
