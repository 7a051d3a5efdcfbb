"""Receipts: recomputed by hand from their JSON alone, and frozen against new rule versions."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from fee_strategies import rule_sets, trips
from hypothesis import assume, given, settings

from dispatch.domain.fees import (
    DEFAULT_RULE_SET,
    FloorNotMet,
    RuleSet,
    Split,
    TripEstimate,
    TripInputError,
    quote,
)
from dispatch.domain.receipts import (
    Receipt,
    issue_receipt,
    receipt_from_dict,
    receipt_from_quote,
    receipt_to_dict,
)


@pytest.fixture
def lunch_trip() -> TripEstimate:
    """2.4 km lunch delivery for a member restaurant, 20 min active, 3 kg."""
    return TripEstimate(distance_m=2400, ride_to_pickup_s=300, pickup_service_s=120, ride_s=660,
                        dropoff_service_s=120, load_g=3000, load_ml=6000, pickup_hour=12,
                        merchant_is_member=True)


@pytest.fixture
def pay_on_actual() -> RuleSet:
    """The default rules, but the courier is paid on actual active time."""
    return replace(DEFAULT_RULE_SET, version=2, pay_courier_on="actual")


def as_published(receipt: Receipt) -> dict[str, Any]:
    """What a reader gets: the receipt's JSON text, parsed again."""
    return dict(json.loads(json.dumps(receipt_to_dict(receipt))))


def recompute_by_hand(doc: dict[str, Any]) -> None:
    """Check a receipt JSON with nothing but its own numbers and school arithmetic."""
    rules, trip = doc["rule_set"], doc["inputs"]["trip"]
    assert doc["rule_set_version"] == rules["version"]
    assert doc["inputs"]["estimated_active_s"] == (trip["ride_to_pickup_s"]
        + trip["pickup_service_s"] + trip["ride_s"] + trip["dropoff_service_s"])
    lines = {ln["code"]: ln for ln in doc["lines"]}
    assert (lines["base"]["quantity"], lines["base"]["rate_cents"]) == (1, rules["base_cents"])
    assert (lines["distance"]["quantity"], lines["distance"]["rate_cents"],
            lines["distance"]["per"]) == (trip["distance_m"], rules["per_km_cents"], 1000)
    assert (lines["active_time"]["quantity"], lines["active_time"]["rate_cents"],
            lines["active_time"]["per"]) == (doc["inputs"]["estimated_active_s"],
                                             rules["per_active_minute_cents"], 60)
    for line in doc["lines"]:  # each line: quantity x rate / per, to the nearest cent, half up
        exact = Fraction(line["quantity"] * line["rate_cents"], line["per"])
        half = Fraction(1, 2)
        assert line["amount_cents"] - half <= exact < line["amount_cents"] + half
    fee = doc["fee_cents"]
    assert fee == sum(line["amount_cents"] for line in doc["lines"])
    assert fee >= rules["minimum_fee_cents"]
    weights = doc["split_weights_bp"]
    assert sum(weights.values()) == 10_000
    assert weights["coop"] == rules["coop_share_bp"]
    assert weights["merchant"] == (rules["merchant_rebate_bp"] if trip["merchant_is_member"] else 0)
    exact_shares = {p: Fraction(fee * w, 10_000) for p, w in weights.items()}
    shares = {p: int(x) for p, x in exact_shares.items()}  # round every share down...
    order = doc["rounding"]["rounding_order"]
    leftover = fee - sum(shares.values())
    winners = sorted(weights, key=lambda p: (-(exact_shares[p] - shares[p]), order.index(p)))
    for party in winners[:leftover]:  # ...then one cent each to the largest remainders
        shares[party] += 1
    quoted = doc["quoted_split"]
    assert shares == {"courier": quoted["courier_cents"], "coop": quoted["coop_cents"],
                      "merchant": quoted["merchant_cents"]}
    floor = doc["courier_floor"]
    paid_s = doc["inputs"]["paid_active_s"]
    assert paid_s == (doc["inputs"]["actual_active_s"]
                      if doc["inputs"]["paid_time_basis"] == "actual"
                      else doc["inputs"]["estimated_active_s"])
    floor_cents = -(-rules["courier_floor_cents_per_hour"] * paid_s // 3600)
    assert floor["floor_cents"] == floor_cents
    topup = min(max(0, floor_cents - quoted["courier_cents"]), quoted["coop_cents"])
    assert floor["topup_from_coop_cents"] == topup
    assert floor["shortfall_cents"] == max(0, floor_cents - quoted["courier_cents"]) - topup
    split = doc["split"]
    assert split == {"courier_cents": quoted["courier_cents"] + topup,
                     "coop_cents": quoted["coop_cents"] - topup,
                     "merchant_cents": quoted["merchant_cents"]}
    assert sum(split.values()) == fee and min(split.values()) >= 0


def test_lunch_receipt_reads_like_a_till_slip(lunch_trip: TripEstimate) -> None:
    """The hand-checked numbers: 300 + 192 + 600 = 1092 cents, split 874 / 164 / 54."""
    doc = as_published(issue_receipt(DEFAULT_RULE_SET, lunch_trip, actual_active_s=1500))
    assert [(ln["code"], ln["amount_cents"]) for ln in doc["lines"]] == [
        ("base", 300), ("distance", 192), ("active_time", 600)]
    # 1092 x 0.80 = 873.6, x 0.15 = 163.8, x 0.05 = 54.6: floors 873/163/54, 2 cents to .8 and .6
    assert doc["split"] == {"courier_cents": 874, "coop_cents": 164, "merchant_cents": 54}
    assert doc["inputs"]["paid_time_basis"] == "estimated"
    assert doc["inputs"]["actual_active_s"] == 1500 and doc["courier_floor"]["floor_cents"] == 401
    recompute_by_hand(doc)


def test_worked_example_receipt_recomputes_by_hand() -> None:
    """The module docstring's rainy night trip, rechecked from its JSON."""
    trip = TripEstimate(3200, 420, 180, 780, 120, load_g=12_000, load_ml=20_000, pickup_hour=22,
                        weather="rain", merchant_is_member=True)
    doc = as_published(issue_receipt(DEFAULT_RULE_SET, trip))
    assert doc["fee_cents"] == 1559
    recompute_by_hand(doc)


@given(rule_sets(), trips(), trips())
@settings(max_examples=200, deadline=None)
def test_any_receipt_recomputes_by_hand_from_its_json(rules: RuleSet, trip: TripEstimate,
                                                      actual: TripEstimate) -> None:
    """For any rules, trip and actual time, the JSON alone reproduces every number."""
    try:
        receipt = issue_receipt(rules, trip, actual.active_s)
    except FloorNotMet:
        assume(False)
        return
    recompute_by_hand(as_published(receipt))


@given(rule_sets(), trips(), trips())
@settings(max_examples=100, deadline=None)
def test_receipt_dict_round_trips_exactly(rules: RuleSet, trip: TripEstimate,
                                          actual: TripEstimate) -> None:
    """receipt_from_dict(receipt_to_dict(r)) == r through JSON text."""
    try:
        receipt = issue_receipt(rules, trip, actual.active_s)
    except FloorNotMet:
        assume(False)
        return
    assert receipt_from_dict(as_published(receipt)) == receipt


def test_a_new_rule_version_does_not_change_an_issued_receipt(lunch_trip: TripEstimate) -> None:
    """Receipts embed their rule set; the stored JSON reads back the same after a new version."""
    issued = issue_receipt(DEFAULT_RULE_SET, lunch_trip, 1300)
    stored = json.dumps(receipt_to_dict(issued))
    new_rules = replace(DEFAULT_RULE_SET, version=2, base_cents=900, coop_share_bp=2500)
    assert quote(new_rules, lunch_trip).fee_cents != issued.fee_cents
    again = receipt_from_dict(json.loads(stored))
    assert again == issued and again.rule_set_version == 1


def test_paying_on_actual_time_tops_the_courier_up_from_the_coop_share(
        lunch_trip: TripEstimate, pay_on_actual: RuleSet) -> None:
    """A ride that took 75 min: floor 1503 cents; the co-op's 164 goes to the courier."""
    receipt = issue_receipt(pay_on_actual, lunch_trip, actual_active_s=4500)
    assert receipt.fee_cents == 1092 and receipt.paid_time_basis == "actual"
    assert receipt.courier_floor_cents == 1503
    assert (receipt.topup_from_coop_cents, receipt.shortfall_cents) == (164, 465)
    assert receipt.split == Split(courier_cents=1038, coop_cents=0, merchant_cents=54)
    recompute_by_hand(as_published(receipt))


def test_paying_on_actual_time_never_lowers_the_courier_below_the_quote(
        lunch_trip: TripEstimate, pay_on_actual: RuleSet) -> None:
    """A faster ride keeps the quoted split: the courier keeps 874 cents."""
    receipt = issue_receipt(pay_on_actual, lunch_trip, actual_active_s=600)
    assert receipt.split == receipt.quoted_split == quote(pay_on_actual, lunch_trip).split
    assert receipt.topup_from_coop_cents == 0 == receipt.shortfall_cents


def test_paying_on_actual_time_without_an_actual_time_uses_the_estimate(
        lunch_trip: TripEstimate, pay_on_actual: RuleSet) -> None:
    """No recorded time: the receipt says it paid on the estimate."""
    receipt = receipt_from_quote(quote(pay_on_actual, lunch_trip), None)
    assert (receipt.paid_time_basis, receipt.paid_active_s) == ("estimated", 1200)


def test_a_negative_actual_time_is_rejected(lunch_trip: TripEstimate) -> None:
    """actual_active_s must be a non-negative integer."""
    with pytest.raises(TripInputError, match="actual_active_s"):
        issue_receipt(DEFAULT_RULE_SET, lunch_trip, -1)
