"""Domain events: facts in the past tense, recorded by the domain and handled by services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A delivery's status changed (or a courier arrived at one of its stops)."""

    type: str
    delivery_id: str
    from_status: str
    to_status: str
    courier_id: str | None
    reason: str | None
    at: datetime

    def as_data(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "from_status": self.from_status,
            "status": self.to_status,
            "courier_id": self.courier_id,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }
