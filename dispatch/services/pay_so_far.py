"""Each courier's pay so far against the co-op's hourly floor, for the planner's fairness
rules (``routing.planning.fairness``), read as ``dispatch.domain.pay_so_far`` defines it.

What a courier is short of the floor this clock hour: the floor's share of their time on
shift in it, less what they earned for the deliveries completed in it on the shift now open
(their receipts' courier share, plus any floor shortfall owed): the hour their pay statement
will check. Beside it, what they earned per hour over the shift so far, and what each open
delivery pays its courier (its quote's courier share).
The dispatch loop reads both each round (``dispatch.services.live_state.live_rows``); the
planner then prefers them when it costs little (``routing.planning.problem.Weights``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Delivery
from dispatch.domain.fees import SMIC_2026_CENTS_PER_HOUR
from dispatch.domain.pay_so_far import hour_end, pct_of_floor, short_cents, this_hour
from dispatch.domain.receipts import receipt_from_dict
from dispatch.services.fees import local_day, rule_set_in_force


@dataclass(frozen=True, slots=True)
class PaySoFar:
    """One courier's pay against the floor, as the planner reads it."""

    hour_short_cents: int  # what they still need to earn this clock hour to reach its floor
    hour_end_at: datetime  # when this clock hour ends
    earned_pct_of_floor: int | None  # earned per hour over the shift so far, % of the floor


def pay_so_far(s: Session, coop_id: str, shifts: Iterable[tuple[str, datetime, datetime]],
               now: datetime) -> dict[str, PaySoFar]:
    """Courier id -> their pay so far at ``now`` for the couriers of ``shifts`` (courier id,
    shift start, planned end); ``dispatch.domain.pay_so_far``."""
    spans = {c: (start, end) for c, start, end in shifts}
    if not spans:
        return {}
    started = {c: start for c, (start, _end) in spans.items()}
    hour = {c: this_hour(now.timestamp(), start.timestamp(), end.timestamp()) for c, (start, end) in spans.items()}
    coop = s.get(Coop, coop_id)
    rules = rule_set_in_force(s, coop_id, local_day(coop, now)) if coop is not None else None
    floor = rules.courier_floor_cents_per_hour if rules else SMIC_2026_CENTS_PER_HOUR
    earned = dict.fromkeys(started, 0)
    earned_this_hour = dict.fromkeys(started, 0)
    rows = s.execute(select(Delivery.courier_id, Delivery.delivered_at, Delivery.receipt).where(
        Delivery.coop_id == coop_id, Delivery.status == "delivered", Delivery.receipt.is_not(None),
        Delivery.courier_id.in_(list(started)), Delivery.delivered_at >= min(started.values())))
    for courier_id, delivered_at, receipt in rows:
        if delivered_at >= started[courier_id]:
            try:
                r = receipt_from_dict(receipt or {})
            except (KeyError, TypeError, ValueError):  # a receipt unreadable here pays nothing here
                continue
            cents = r.split.courier_cents + r.shortfall_cents
            earned[courier_id] += cents
            if delivered_at.timestamp() >= hour[courier_id][0]:
                earned_this_hour[courier_id] += cents
    ends = datetime.fromtimestamp(hour_end(now.timestamp()), UTC)
    return {c: PaySoFar(short_cents(earned_this_hour[c], hour[c][1], floor), ends,
                        pct_of_floor(cents, (now - started[c]).total_seconds(), floor))
            for c, cents in earned.items()}


def courier_pay_cents() -> Any:
    """A column expression for what a delivery's stored quote (``services.fees.stored_quote``)
    gives its courier, read by the database (NULL when it has none), so a round does not fetch
    every open delivery's whole quote and rule set to read one number."""
    return Delivery.quote[("quote", "split", "courier_cents")].as_integer()
