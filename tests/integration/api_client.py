"""Helpers that speak the HTTP API the way merchants, couriers and dispatchers do."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

DROPOFF = {"lat": 60.1740, "lon": 24.9480, "address": "Kaisaniemenkatu 1"}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def login(client: Any, email: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


def delivery_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dropoff": dict(DROPOFF),
        "recipient": {"name": "Matti Meikäläinen", "phone": "+358 40 123 4567"},
        "load": {"kg": 3, "litres": 10},
    }
    body.update(overrides)
    return body


def create_delivery(client: Any, key: str, body: dict[str, Any] | None = None,
                    idempotency_key: str | None = None) -> Any:
    headers = bearer(key) | {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    return client.post("/api/v1/deliveries", json=body or delivery_body(), headers=headers)


def start_shift(client: Any, courier: dict[str, str], lat: float = 60.17162, lon: float = 24.94430) -> Any:
    r = client.post("/api/v1/courier/shift/start", json={"lat": lat, "lon": lon}, headers=courier)
    assert r.status_code == 201, r.text
    return r.json()


def report(client: Any, courier: dict[str, str], stop_id: str, action: str, *,
           key: str | None = None, reason: str | None = None, at: datetime | None = None) -> Any:
    body: dict[str, Any] = {"action": action, "happened_at": (at or datetime.now(UTC)).isoformat()}
    if reason:
        body["reason"] = reason
    return client.post(f"/api/v1/courier/stops/{stop_id}/reports", json=body,
                       headers=courier | {"Idempotency-Key": key or str(uuid.uuid4())})


def wait_for(fn: Any, timeout_s: float = 5.0, interval_s: float = 0.05) -> Any:
    """Poll ``fn`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)


def wait_assigned(client: Any, key: str, delivery_id: str) -> dict[str, Any]:
    def assigned() -> dict[str, Any] | None:
        d = client.get(f"/api/v1/deliveries/{delivery_id}", headers=bearer(key)).json()
        return d if d["status"] == "assigned" else None

    result: dict[str, Any] = wait_for(assigned)
    return result
