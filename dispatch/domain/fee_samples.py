"""Before a co-op adopts a rule set: does it respect the legal floor, and can it pay that floor?

Pure. A rule set whose floor is below the legal minimum, or whose split leaves the courier too
little (a courier share of 0 %, a high co-op share on a low fee), used to be adopted and then
refused every quote of its days. :func:`check_adoptable` finds that at adoption instead, by
pricing ``SAMPLE_TRIPS``: short and long city trips, light and heavy, by day and by night, for
member and non-member merchants, timed as the service times quotes (5 min approach, 2 min at
each end).
"""

from __future__ import annotations

from itertools import product

from dispatch.domain.fee_rules import FeeRuleError, FloorNotMet, RuleSet
from dispatch.domain.fees import TripEstimate, quote

# (distance m, ride s): from round the corner to across a city, at about 15 km/h
_RIDES = ((400, 100), (2_500, 600), (6_000, 1_450), (12_000, 2_900))
_LOADS = ((0, 0), (30_000, 80_000))  # nothing; a full cargo bike
_HOURS = (3, 9, 13, 19, 23)
SAMPLE_TRIPS: tuple[TripEstimate, ...] = tuple(
    TripEstimate(distance_m=d, ride_to_pickup_s=300, pickup_service_s=120, ride_s=r,
                 dropoff_service_s=120, load_g=g, load_ml=ml, pickup_hour=h,
                 merchant_is_member=member)
    for (d, r), (g, ml), h, member in product(_RIDES, _LOADS, _HOURS, (False, True)))


def describe_trip(trip: TripEstimate) -> str:
    """``2.5 km at 13:00, 30 kg, member merchant``: how an admin recognises a sample."""
    load = f", {trip.load_g // 1000} kg" if trip.load_g else ""
    member = ", member merchant" if trip.merchant_is_member else ""
    return f"{trip.distance_m / 1000:g} km at {trip.pickup_hour:02d}:00{load}{member}"


def check_adoptable(rules: RuleSet, legal_floor_cents_per_hour: int) -> RuleSet:
    """``rules`` if its floor is at least the legal one and it pays it on every sample trip.

    Parameters
    ----------
    rules : RuleSet
        Already validated (:func:`dispatch.domain.fees.validate_rule_set`).
    legal_floor_cents_per_hour : int
        The floor no co-op may go below (a setting of the service).

    Raises
    ------
    FeeRuleError
        ``parameter == "courier_floor_cents_per_hour"`` when the floor is below the legal one.
    FloorNotMet
        When a sample trip's courier share is below the floor; the message names the trip.
    """
    if rules.courier_floor_cents_per_hour < legal_floor_cents_per_hour:
        raise FeeRuleError("courier_floor_cents_per_hour",
                           f"must be at least the legal floor of {legal_floor_cents_per_hour} "
                           f"cents per hour, got {rules.courier_floor_cents_per_hour}")
    for trip in SAMPLE_TRIPS:
        try:
            quote(rules, trip)
        except FloorNotMet as exc:
            raise FloorNotMet(exc.needed_cents, exc.available_cents, exc.active_s,
                              exc.floor_cents_per_hour,
                              f"on a sample trip of {describe_trip(trip)}, ") from None
    return rules
