"""The dispatch loop plans once per change: a commit of this process kicks a round through the
commit hook, and the same change's frame, coming back through the bus, does not kick a second
one (the round's outbox watermark covers it); a change heard only on the bus still does."""

from __future__ import annotations

import time
from typing import Any

from tests.integration.api_client import create_delivery, delivery_body, login, start_shift

SETTLE_S = 0.6  # the loop has settled when it has been waiting, no round counted, this long


def settled_rounds(runner: Any, timeout_s: float = 20.0) -> int:
    """The round count once the loop waits for a trigger and has not counted a round for
    ``SETTLE_S``. Not the count alone: a slow round (the process's first one, on a loaded CI
    machine) can run longer than ``SETTLE_S`` and be counted after the measurement began."""
    deadline = time.monotonic() + timeout_s
    last, since = runner.rounds, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if runner.rounds != last or not runner.idle:
            last, since = runner.rounds, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            return last
    raise AssertionError("the dispatch loop never went idle")


def wait_assigned(client: Any, key: dict[str, str], delivery_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = client.get(f"/api/v1/deliveries/{delivery_id}", headers=key).json()
        if got["status"] == "assigned":
            return got
        time.sleep(0.05)
    raise AssertionError(f"{delivery_id} was never assigned")


def test_one_round_per_new_delivery_not_one_per_hook_and_one_per_echo(client, world):
    runner = client.app.state.runner
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    before = settled_rounds(runner)
    merchant = {"Authorization": f"Bearer {world.merchant_key}"}
    for _ in range(3):
        d = create_delivery(client, world.merchant_key, delivery_body()).json()
        wait_assigned(client, merchant, d["id"])
        after = settled_rounds(runner)
        assert after - before == 1, f"{after - before} rounds for one new delivery"
        before = after


def test_a_change_heard_only_on_the_bus_is_planned(client, world, ctx):
    """As when another API process committed it: no commit hook here, only the frame."""
    runner = client.app.state.runner
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    before = settled_rounds(runner)
    hooks = list(ctx.commit_hooks)
    ctx.commit_hooks[:] = [h for h in hooks if h != runner.on_commit]  # the relay still publishes
    try:
        d = create_delivery(client, world.merchant_key, delivery_body()).json()
    finally:
        ctx.commit_hooks[:] = hooks
    got = wait_assigned(client, {"Authorization": f"Bearer {world.merchant_key}"}, d["id"])
    assert got["courier_id"]
    assert settled_rounds(runner) - before == 1


def test_a_route_is_announced_again_only_when_an_eta_moves_by_a_minute(client, world, ctx):
    """Couriers move between rounds, so ETAs shift by seconds each round: such a shift is
    neither stored nor sent; a shift of a minute or more is both."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from dispatch.db.models import Delivery, OutboxEvent, Stop
    from dispatch.services.dispatching import PlannedStop, PlanToWrite, write_plan

    runner = client.app.state.runner
    courier = login(client, world.courier_emails[0], world.password)
    start_shift(client, courier)
    d = create_delivery(client, world.merchant_key, delivery_body()).json()
    wait_assigned(client, {"Authorization": f"Bearer {world.merchant_key}"}, d["id"])
    settled_rounds(runner)

    def state() -> tuple[str, int, dict[str, object], int]:
        with ctx.sessions() as s:
            row = s.get(Delivery, d["id"])
            etas = {st.kind: st.eta_at for st in s.scalars(select(Stop).where(Stop.delivery_id == d["id"]))}
            sent = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "route.updated"))
            return row.courier_id, row.version, etas, int(sent or 0)

    courier_id, version, etas, sent = state()
    assert etas["pickup"] is not None and etas["dropoff"] is not None

    def write(shift_s: int) -> dict[str, int]:
        stops = [PlannedStop(d["id"], kind, etas[kind] + timedelta(seconds=shift_s)) for kind in ("pickup", "dropoff")]
        return write_plan(ctx, PlanToWrite(coop_id=world.coop_id, policy="nearest", routes={courier_id: stops},
                                           unassigned={}, objective={}, explanations={}, versions={d["id"]: version}))

    assert write(45)["routes_changed"] == 0
    assert state()[2:] == (etas, sent), "a 45 s shift is neither stored nor announced"
    assert write(90)["routes_changed"] == 1
    _, _, moved, sent_after = state()
    assert sent_after == sent + 1
    assert moved == {k: v + timedelta(seconds=90) for k, v in etas.items()}
