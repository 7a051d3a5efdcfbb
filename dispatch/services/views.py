"""How objects look to each kind of reader (the API, the sockets, the receipts).

Personal data rule: a courier sees the recipient's name, phone, address, the notes and the
exact dropoff point only while the delivery is assigned to them and not finished; the public
tracking view shows none of it. Socket frames go to mixed readers: they carry no notes and no
names, and once a delivery is final not even its dropoff point (a courier's socket gets them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.db.models import Delivery, Shift, Stop
from dispatch.services.auth import Principal

ACTIVE = ("assigned", "picked_up")
FINAL = ("delivered", "failed", "cancelled")


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def delivery_topics(d: Delivery, *extra_couriers: str | None) -> list[str]:
    topics = [f"coop:{d.coop_id}", f"merchant:{d.merchant_id}", f"track:{d.tracking_token}"]
    for courier in (d.courier_id, *extra_couriers):
        if courier:
            topics.append(f"courier:{courier}")
    return topics


def may_see_recipient(d: Delivery, viewer: Principal | None) -> bool:
    if viewer is None:
        return False
    if viewer.role == "courier":
        return d.courier_id == viewer.courier_id and d.status in ACTIVE
    return True


def delivery_view(
    d: Delivery, viewer: Principal | None, stops: list[Stop] | None = None
) -> dict[str, Any]:
    """The delivery as ``viewer`` may see it (``None``: a socket frame for mixed readers)."""
    visible = may_see_recipient(d, viewer)
    # the exact dropoff point is personal data too: a courier keeps it only while the job is
    # theirs and open, a frame only while the delivery is open
    point = visible or (viewer is not None and viewer.role != "courier") or (
        viewer is None and d.status not in FINAL)
    out: dict[str, Any] = {
        "id": d.id,
        "status": d.status,
        "version": d.version,
        "merchant_id": d.merchant_id,
        "courier_id": d.courier_id,
        "pinned": d.pinned,
        "pickup": {"lat": d.pickup_lat, "lon": d.pickup_lon, "address": d.pickup_address},
        "dropoff": {"lat": d.dropoff_lat if point else None, "lon": d.dropoff_lon if point else None,
                    "address": d.dropoff_address if visible else None},
        "recipient": {"name": d.recipient_name if visible else None,
                      "phone": d.recipient_phone if visible else None},
        "ready_at": iso(d.ready_at),
        "dropoff_window": {"start": iso(d.window_start_at), "end": iso(d.window_end_at)},
        "load": {"kg": d.load_g / 1000, "litres": d.load_ml / 1000},
        "distance_m": d.distance_m,
        "ride_s": d.ride_s,
        "fee_cents": d.fee_cents,
        "tracking_token": d.tracking_token if viewer is not None and viewer.role != "courier" else None,
        "reason": d.reason,
        "picked_up_at": iso(d.picked_up_at),
        "delivered_at": iso(d.delivered_at),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
    }
    if viewer is not None:  # frames omit the notes (absent: unknown to this reader)
        out["notes"] = d.notes if visible else None
    if stops is not None:
        out["stops"] = [stop_view(s) for s in sorted(stops, key=lambda s: s.kind != "pickup")]
    return out


def stop_view(s: Stop) -> dict[str, Any]:
    return {
        "id": s.id, "kind": s.kind, "courier_id": s.courier_id, "position": s.position,
        "eta": iso(s.eta_at), "arrived_at": iso(s.arrived_at), "done_at": iso(s.done_at),
    }


def frame_delivery(d: Delivery) -> dict[str, Any]:
    """Socket payload: no personal data (couriers fetch details over HTTP)."""
    return delivery_view(d, None)


def shift_view(s: Shift) -> dict[str, Any]:
    return {
        "id": s.id, "courier_id": s.courier_id, "vehicle_kind": s.vehicle_kind,
        "capacity_kg": s.capacity_g / 1000, "capacity_litres": s.capacity_ml / 1000,
        "started_at": iso(s.started_at), "planned_end_at": iso(s.planned_end_at),
        "ended_at": iso(s.ended_at),
        "position": {"lat": s.last_lat, "lon": s.last_lon, "at": iso(s.last_position_at)},
    }
