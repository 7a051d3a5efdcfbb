"""The dispatch loop plans once per change: a commit of this process kicks a round through the
commit hook, and the same change's frame, coming back through the bus, does not kick a second
one (the round's outbox watermark covers it); a change heard only on the bus still does."""

from __future__ import annotations

import time
from typing import Any

from tests.integration.api_client import create_delivery, delivery_body, login, start_shift

SETTLE_S = 0.6  # the loop is idle when its round count has not moved for this long


def settled_rounds(runner: Any, timeout_s: float = 20.0) -> int:
    deadline = time.monotonic() + timeout_s
    last, since = runner.rounds, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if runner.rounds != last:
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
