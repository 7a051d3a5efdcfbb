"""Example bodies for the OpenAPI document (``responses.py``): what a merchant sees, taken
from a real run on the demo co-op. ``test_openapi_contract.py`` checks they validate."""

from __future__ import annotations

from typing import Any

EXAMPLE_ID = "0f3c9a8e5b7d4e21a6c2d9b0e8f1a7c3"
SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_ID, "status": "pending", "version": 1, "merchant_id": "7e910dc796bc4aed99c4d13125cf4118",
    "courier_id": None, "pinned": False,
    "pickup": {"lat": 60.16925, "lon": 24.93962, "address": "Mannerheimintie 10, Helsinki"},
    "dropoff": {"lat": 60.174, "lon": 24.948, "address": "Kaisaniemenkatu 1"},
    "recipient": {"name": "Matti Meikäläinen", "phone": "+358 40 123 4567"},
    "ready_at": "2026-12-05T17:50:49Z", "dropoff_window": {"start": "2026-12-05T17:50:49Z",
                                                          "end": "2026-12-05T18:40:04Z"},
    "load": {"kg": 3.0, "litres": 10.0}, "distance_m": 1185, "ride_s": 255, "fee_cents": 793,
    "tracking_token": "SyXzHvrFF0-wR52VFSUYLQ", "reason": None, "picked_up_at": None, "delivered_at": None,
    "created_at": "2026-12-05T17:50:49Z", "updated_at": "2026-12-05T17:50:49Z"}
STOPS_EXAMPLE: list[dict[str, Any]] = [
    {"id": f"{kind}0c9a8e5b7d4e21a6c2d9b0e8f1a7c3"[:32], "kind": kind, "courier_id": None,
     "position": None, "eta": None, "arrived_at": None, "done_at": None} for kind in ("pickup", "dropoff")]
QUOTE_EXAMPLE: dict[str, Any] = {
        "id": "7482d277865d46f5ad6a3ca00e9bc8d5", "created_at": "2026-12-05T17:50:49Z",
        "expires_at": "2026-12-05T18:05:49Z", "ready_at": "2026-12-05T17:50:49Z", "ready_tolerance_s": 900,
        "rule_set_version": 1, "currency": "EUR",
        "trip": {"distance_m": 1185, "ride_to_pickup_s": 300, "pickup_service_s": 120, "ride_s": 255,
                 "dropoff_service_s": 120, "load_g": 3000, "load_ml": 10000, "pickup_hour": 19,
                 "weather": None, "merchant_is_member": True, "active_s": 795},
        "lines": [{"code": "base", "label_en": "Base fee", "label_fr": "Forfait de base", "quantity": 1,
                   "quantity_unit": "delivery", "rate_cents": 300, "per": 1, "amount_cents": 300},
                  {"code": "distance", "label_en": "Distance", "label_fr": "Distance", "quantity": 1185,
                   "quantity_unit": "m", "rate_cents": 80, "per": 1000, "amount_cents": 95},
                  {"code": "active_time", "label_en": "Active time", "label_fr": "Temps actif",
                   "quantity": 795, "quantity_unit": "s", "rate_cents": 30, "per": 60, "amount_cents": 398}],
        "fee_cents": 793, "courier_floor_cents": 266,
        "split": {"courier_cents": 634, "coop_cents": 119, "merchant_cents": 40},
        "split_weights_bp": {"courier": 8000, "coop": 1500, "merchant": 500},
        "rounding": {"method": "largest_remainder", "rounding_order": ["courier", "coop", "merchant"]},
        "pay_courier_on": "estimated"}
