"""What a simulated delivery pays its courier: the fair-price receipt under the default rules.

Used by the KPIs (pay statements) and by the simulation itself, which tells the planner who
is short of this hour's floor (``dispatch.sim.state.hour_short``) and what each order pays.
"""

from __future__ import annotations

from dispatch.domain.fees import DEFAULT_RULE_SET, FloorNotMet, TripEstimate, quote
from dispatch.domain.receipts import receipt_from_quote
from dispatch.domain.statements import DeliveryRecord
from dispatch.services.fees import TYPICAL_APPROACH_S
from dispatch.sim.state import SimOrder, at


def earned_cents(o: SimOrder) -> int:
    """What the courier who delivered ``o`` earns for it (0 if the co-op would refuse it)."""
    record = fee_record(o)
    return 0 if record is None else record.earnings_cents


def fee_record(o: SimOrder) -> DeliveryRecord | None:
    """The delivered order's receipt under the default rule set (None if it would underpay).

    Priced as the service prices an order, when it is placed: the typical ride to the kitchen
    (``services.fees.TYPICAL_APPROACH_S``) and the hour it is ready, not the ride or the hour
    of whoever took it, so a courier's pay
    for an order does not depend on the dispatch that gave it (a second order picked up at the
    same kitchen pays what the first does)."""
    trip = TripEstimate(distance_m=o.direct_m, ride_to_pickup_s=TYPICAL_APPROACH_S,
                        pickup_service_s=o.nominal_pickup_s,
                        ride_s=o.direct_s, dropoff_service_s=o.nominal_dropoff_s, load_g=o.spec.load_g,
                        load_ml=o.spec.load_ml,
                        pickup_hour=(o.spec.ready_s // 3600) % 24, merchant_is_member=True)
    try:
        receipt = receipt_from_quote(quote(DEFAULT_RULE_SET, trip))
    except FloorNotMet:  # the co-op refuses to quote it; the simulation still counts the ride
        return None
    return DeliveryRecord(o.id, str(o.done_by), "sim-merchant", at(o.done_s or 0), receipt)
