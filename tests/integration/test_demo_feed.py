"""The live demo feed against the real app: orders placed, couriers ride, deliveries delivered."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.app import create_app
from dispatch.db.models import Courier, Shift, User
from dispatch.sim.feeder import FeedConfig, install_demo_feed
from tests.integration.api_client import bearer, wait_for


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_demo_feed_places_orders_and_gets_one_delivered_through_the_api(settings, ctx, world: Any):
    """A fast feed with one rider creates deliveries, rides them and reports one delivered; Lumi is left alone."""
    app = create_app(settings, ctx=ctx)
    fast = FeedConfig(speed=200, order_every_s=20, max_open=3, position_every_s=20, stop_s=10,
                      riders=("aino@demo.coop",), ws_url=None)
    install_demo_feed(app, fast)
    with TestClient(app) as client:
        merchant = bearer(world.merchant_key)

        def delivered() -> list[Any]:
            r = client.get("/api/v1/deliveries", params={"status": "delivered"}, headers=merchant)
            return r.json()["items"]

        done = wait_for(delivered, timeout_s=40, interval_s=0.5)
        feed = app.state.demo_feed
    assert done[0]["courier_id"] and feed.created >= 1
    assert feed.tasks == [] and feed.client.is_closed  # stopped cleanly with the app
    with ctx.sessions() as s:
        lumi = s.scalar(select(Courier).join(User, Courier.user_id == User.id).where(User.email == "lumi@demo.coop"))
        assert s.scalar(select(Shift).where(Shift.courier_id == lumi.id)) is None
