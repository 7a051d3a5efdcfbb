"""Personal data: recipients pseudonymised after the retention period; no position off shift."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dispatch.db.models import Delivery, Shift
from dispatch.services.privacy import pseudonymise_due
from tests.conftest import REPO
from tests.integration.api_client import bearer, create_delivery, delivery_body, login, start_shift


def later(ctx: Any, days: float) -> Any:
    """The same service, with the clock ``days`` ahead."""
    now = ctx.clock()
    return dataclasses.replace(ctx, clock=lambda: now + timedelta(days=days), commit_hooks=[])


def cancelled(client: Any, key: str, phone: str) -> str:
    body = delivery_body(recipient={"name": "Anna Asiakas", "phone": phone})
    d = create_delivery(client, key, body).json()
    r = client.post(f"/api/v1/deliveries/{d['id']}/cancel", json={"reason": "test"}, headers=bearer(key))
    assert r.status_code == 200, r.text
    return str(d["id"])


def test_finished_deliveries_past_retention_lose_phone_name_and_address_but_keep_the_fee(client, world, ctx):
    """After the configured days, recipients become stable keyed pseudonyms; open ones stay."""
    first = cancelled(client, world.merchant_key, "+358 40 111 2222")
    second = cancelled(client, world.merchant_key, "+358 40 111 2222")
    still_open = create_delivery(client, world.merchant_key).json()["id"]
    days = ctx.settings.pseudonymise_after_days
    assert pseudonymise_due(later(ctx, days - 1)) == 0
    assert pseudonymise_due(later(ctx, days + 1)) == 2
    with ctx.sessions() as s:
        rows = {d.id: d for d in s.scalars(select(Delivery))}
    a, b, c = rows[first], rows[second], rows[still_open]
    assert a.recipient_phone.startswith("phone_") and "111" not in a.recipient_phone
    assert a.recipient_phone == b.recipient_phone  # same customer, same pseudonym
    assert a.recipient_name.startswith("name_") and a.dropoff_address.startswith("address_")
    assert a.pseudonymised_at is not None and a.status == "cancelled"
    assert c.recipient_phone == "+358 40 123 4567" and c.pseudonymised_at is None
    assert pseudonymise_due(later(ctx, days + 2)) == 0  # done once


def test_the_cli_command_pseudonymises_with_a_days_override(client, world, settings, backend):
    """`coopdispatch pseudonymise --days 0` cleans every finished delivery at once."""
    if backend != "sqlite":
        return  # the schema-per-run PostgreSQL fixture is not reachable by URL alone
    did = cancelled(client, world.merchant_key, "+358 40 333 4444")
    out = subprocess.run([sys.executable, "-m", "dispatch.cli", "pseudonymise", "--days", "0"],
                         env={"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pseudonymised 1 " in out.stdout
    body = client.get(f"/api/v1/deliveries/{did}", headers=bearer(world.merchant_key)).json()
    assert body["recipient"]["phone"].startswith("phone_")


def test_no_position_is_stored_off_shift_before_or_after(client, world, ctx):
    """A courier's position is refused before the shift starts and after it ends; nothing changes."""
    courier = login(client, world.courier_emails[0], world.password)
    r = client.post("/api/v1/courier/position", json={"lat": 60.17, "lon": 24.94}, headers=courier)
    assert r.status_code == 409
    with ctx.sessions() as s:
        assert s.scalar(select(Shift)) is None
    start_shift(client, courier)
    assert client.post("/api/v1/courier/position", json={"lat": 60.1701, "lon": 24.9401},
                       headers=courier).status_code == 200
    assert client.post("/api/v1/courier/shift/end", headers=courier).status_code == 200
    r = client.post("/api/v1/courier/position", json={"lat": 60.1750, "lon": 24.9450}, headers=courier)
    assert r.status_code == 409
    with ctx.sessions() as s:
        shift = s.scalar(select(Shift))
    assert (shift.last_lat, shift.last_lon) == (60.1701, 24.9401)
