"""Hypothesis properties of the fee and its split over wide parameter ranges."""

from __future__ import annotations

import json
from fractions import Fraction

from fee_strategies import rule_sets, trips
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.domain.fee_dicts import (
    rule_set_from_dict,
    rule_set_to_dict,
    trip_from_dict,
    trip_to_dict,
)
from dispatch.domain.fees import (
    DEFAULT_RULE_SET,
    PARTIES,
    FloorNotMet,
    Party,
    RuleSet,
    TripEstimate,
    courier_floor_cents,
    fee_lines,
    quote,
    split_by_largest_remainder,
    split_fee,
)


@given(rule_sets(), trips())
@settings(max_examples=250, deadline=None)
def test_quote_either_pays_the_floor_with_exact_shares_or_refuses(rules: RuleSet,
                                                                  trip: TripEstimate) -> None:
    """Shares sum to the fee, none negative, courier >= floor; otherwise FloorNotMet."""
    floor = courier_floor_cents(rules.courier_floor_cents_per_hour, trip.active_s)
    try:
        q = quote(rules, trip)
    except FloorNotMet as err:
        assert err.needed_cents == floor and err.available_cents < floor
        fee = sum(ln.amount_cents for ln in fee_lines(rules, trip))
        assert split_fee(rules, fee, trip.merchant_is_member).courier_cents == err.available_cents
        return
    assert q.split.total_cents == q.fee_cents == sum(ln.amount_cents for ln in q.lines)
    assert min(q.split.courier_cents, q.split.coop_cents, q.split.merchant_cents) >= 0
    assert q.split.courier_cents >= floor == q.courier_floor_cents
    assert q.fee_cents >= rules.minimum_fee_cents
    if not trip.merchant_is_member:
        assert q.split.merchant_cents == 0


@given(rule_sets(), trips())
def test_quote_is_deterministic(rules: RuleSet, trip: TripEstimate) -> None:
    """The same rules and trip give the same quote (or the same refusal)."""
    def attempt() -> object:
        try:
            return quote(rules, trip)
        except FloorNotMet as err:
            return str(err)
    assert attempt() == attempt()


@given(st.integers(0, 10**12), st.integers(0, 10_000), st.data())
def test_largest_remainder_is_exact_and_within_one_cent_of_the_true_share(
        total_cents: int, courier_bp: int, data: st.DataObject) -> None:
    """Each share is its exact fraction rounded down or up by at most one cent; sum exact."""
    coop_bp = data.draw(st.integers(0, 10_000 - courier_bp))
    weights: dict[Party, int] = {"courier": courier_bp, "coop": coop_bp,
                                 "merchant": 10_000 - courier_bp - coop_bp}
    order = tuple(data.draw(st.permutations(PARTIES)))
    shares = split_by_largest_remainder(total_cents, weights, order)
    assert sum(shares.values()) == total_cents
    for party, cents in shares.items():
        exact = Fraction(total_cents * weights[party], 10_000)
        assert exact - 1 < cents < exact + 1 and cents >= 0


@given(st.integers(0, 10**9), st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_larger_weight_never_gets_fewer_cents(total_cents: int, a_bp: int, b_bp: int) -> None:
    """Largest remainder is monotone here: more basis points never means fewer cents."""
    hi, lo = max(a_bp, b_bp), min(a_bp, b_bp)
    if hi + lo > 10_000:
        hi, lo = hi, 10_000 - hi
    shares = split_by_largest_remainder(
        total_cents, {"courier": hi, "coop": lo, "merchant": 10_000 - hi - lo})
    assert shares["courier"] >= shares["coop"]


@given(trips())
@settings(max_examples=500)
def test_the_default_rule_set_always_pays_the_floor(trip: TripEstimate) -> None:
    """The shipped defaults (0.30 EUR/min, 80 % to couriers) never hit FloorNotMet."""
    q = quote(DEFAULT_RULE_SET, trip)
    assert q.split.courier_cents >= q.courier_floor_cents


@given(rule_sets())
def test_rule_set_dict_round_trips_exactly_through_json(rules: RuleSet) -> None:
    """to_dict -> JSON text -> from_dict gives back an equal rule set."""
    assert rule_set_from_dict(json.loads(json.dumps(rule_set_to_dict(rules)))) == rules


@given(trips())
def test_trip_dict_round_trips_exactly_through_json(trip: TripEstimate) -> None:
    """to_dict -> JSON text -> from_dict gives back an equal trip."""
    assert trip_from_dict(json.loads(json.dumps(trip_to_dict(trip)))) == trip
