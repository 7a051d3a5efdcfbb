"""Hypothesis strategies for fee rule sets and trips, over wide parameter ranges."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from dispatch.domain.fees import (
    PARTIES,
    LoadSurcharge,
    RuleSet,
    TimeSurcharge,
    TripEstimate,
    WeatherSurcharge,
)

CONDITIONS = ("rain", "snow", "heat", "wind")


@st.composite
def time_surcharges(draw: st.DrawFn) -> tuple[TimeSurcharge, ...]:
    """Zero to two disjoint hour ranges, the first possibly wrapping midnight."""
    hours = sorted(draw(st.sets(st.integers(0, 23), min_size=4, max_size=4)))
    pct, flat = st.integers(0, 10_000), st.integers(0, 5_000)
    count = draw(st.integers(0, 2))
    if count == 1 and draw(st.booleans()):
        return (TimeSurcharge(hours[3], hours[0], draw(pct), draw(flat)),)  # wraps midnight
    ranges = [(hours[0], hours[1]), (hours[2], hours[3])][:count]
    return tuple(TimeSurcharge(a, b, draw(pct), draw(flat)) for a, b in ranges)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    """Any valid rule set, with amounts from zero to far beyond real prices."""
    coop_bp = draw(st.integers(0, 10_000))
    loads = draw(st.lists(st.builds(LoadSurcharge, st.sampled_from(["weight", "volume"]),
                                    st.integers(0, 200_000), st.integers(0, 5_000)), max_size=3))
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3))
    return RuleSet(
        version=draw(st.integers(1, 10_000)),
        effective_from=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        adopted_by="general assembly of 2026-06-12, 31 for, 4 against",
        description_en="Test rules.",
        description_fr="Règles de test.",
        base_cents=draw(st.integers(0, 100_000)),
        per_km_cents=draw(st.integers(0, 10_000)),
        per_active_minute_cents=draw(st.integers(0, 10_000)),
        load_surcharges=tuple(loads),
        time_surcharges=draw(time_surcharges()),
        weather_surcharges=tuple(WeatherSurcharge(c, draw(st.integers(0, 5_000)), c, c)
                                 for c in conditions),
        minimum_fee_cents=draw(st.integers(0, 1_000_000)),
        courier_floor_cents_per_hour=draw(st.integers(0, 10_000)),
        coop_share_bp=coop_bp,
        merchant_rebate_bp=draw(st.integers(0, 10_000 - coop_bp)),
        pay_courier_on=draw(st.sampled_from(["estimated", "actual"])),
        rounding_order=tuple(draw(st.permutations(PARTIES))),
    )


def trips() -> st.SearchStrategy[TripEstimate]:
    """Any valid trip: up to 500 km, up to ~5.5 h per leg, up to 300 kg and 300 l."""
    seconds = st.integers(0, 20_000)
    return st.builds(
        TripEstimate,
        distance_m=st.integers(0, 500_000),
        ride_to_pickup_s=seconds, pickup_service_s=seconds, ride_s=seconds,
        dropoff_service_s=seconds,
        load_g=st.integers(0, 300_000), load_ml=st.integers(0, 300_000),
        pickup_hour=st.integers(0, 23),
        weather=st.sampled_from([None, *CONDITIONS, "fog"]),
        merchant_is_member=st.booleans(),
    )
