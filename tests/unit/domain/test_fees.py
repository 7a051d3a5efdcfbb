"""Unit tests of the fee formula, the split and rule-set validation, checked by hand."""

from __future__ import annotations

import doctest
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest

from dispatch.domain import fee_dicts, fee_rules, fee_split, fee_text, fees, money, receipts
from dispatch.domain.fee_dicts import quote_to_dict, rule_set_from_dict, rule_set_to_dict
from dispatch.domain.fees import (
    DEFAULT_RULE_SET,
    FeeRuleError,
    FloorNotMet,
    LoadSurcharge,
    RuleSet,
    Split,
    TimeSurcharge,
    TripEstimate,
    TripInputError,
    courier_floor_cents,
    quote,
    rule_set_in_effect,
    split_by_largest_remainder,
    split_fee,
    validate_rule_set,
)


@pytest.fixture
def rainy_night_trip() -> TripEstimate:
    """The trip of the worked example in the fees module docstring."""
    return TripEstimate(distance_m=3200, ride_to_pickup_s=420, pickup_service_s=180, ride_s=780,
                        dropoff_service_s=120, load_g=12_000, load_ml=20_000, pickup_hour=22,
                        weather="rain", merchant_is_member=True)


@pytest.fixture
def plain_rules() -> RuleSet:
    """Base, distance and time only: 2.00 EUR + 1.00 EUR/km + 0.30 EUR/min, 20 % co-op."""
    return RuleSet(version=3, effective_from=date(2026, 6, 13),
                   adopted_by="general assembly of 2026-06-12, 31 for, 4 against",
                   description_en="Plain.", description_fr="Simple.", base_cents=200,
                   per_km_cents=100, per_active_minute_cents=30, coop_share_bp=2000,
                   merchant_rebate_bp=1000)


def test_worked_example_from_the_docstring_gives_the_documented_lines_and_shares(
        rainy_night_trip: TripEstimate) -> None:
    """The documented example: 1559 cents split 1247 / 234 / 78."""
    q = quote(DEFAULT_RULE_SET, rainy_night_trip)
    assert [(ln.code, ln.amount_cents) for ln in q.lines] == [
        ("base", 300), ("distance", 256), ("active_time", 750),
        ("load_weight_above_10000_g", 20), ("time_of_day_22_6_percent", 133),
        ("weather_rain", 100)]
    assert q.fee_cents == 1559
    assert q.split == Split(courier_cents=1247, coop_cents=234, merchant_cents=78)
    assert q.courier_floor_cents == 501
    assert q.rule_set_version == 1 and q.active_s == 1500


def test_each_line_states_quantity_rate_and_divisor(rainy_night_trip: TripEstimate) -> None:
    """Lines carry what a person needs: quantity with unit, rate in cents, and per how much."""
    lines = {ln.code: ln for ln in quote(DEFAULT_RULE_SET, rainy_night_trip).lines}
    assert (lines["distance"].quantity, lines["distance"].quantity_unit,
            lines["distance"].rate_cents, lines["distance"].per) == (3200, "m", 80, 1000)
    assert (lines["active_time"].quantity, lines["active_time"].per) == (1500, 60)
    assert lines["time_of_day_22_6_percent"].quantity == 1326
    assert lines["load_weight_above_10000_g"].label_fr == "Charge au-delà de 10 kg"


def test_minimum_fee_tops_up_a_short_trip(plain_rules: RuleSet) -> None:
    """A tiny trip is raised to the minimum by an explicit top-up line."""
    rules = replace(plain_rules, minimum_fee_cents=700)
    q = quote(rules, TripEstimate(500, 60, 60, 120, 60))
    assert [(ln.code, ln.amount_cents) for ln in q.lines] == [
        ("base", 200), ("distance", 50), ("active_time", 150), ("minimum_fee_topup", 300)]
    assert q.fee_cents == 700


def test_night_range_wraps_midnight_and_excludes_its_end_hour() -> None:
    """22:00-06:00 applies at 23 and 5 but not at 6 or 21."""
    night = TimeSurcharge(22, 6, percent_bp=1000)
    assert [h for h in range(24) if night.applies_at(h)] == [0, 1, 2, 3, 4, 5, 22, 23]


def test_unknown_weather_flag_adds_nothing(rainy_night_trip: TripEstimate) -> None:
    """A weather flag the rule set does not list (fog) adds no line."""
    q = quote(DEFAULT_RULE_SET, replace(rainy_night_trip, weather="fog"))
    assert not any(ln.code.startswith("weather") for ln in q.lines)


def test_non_member_merchant_gets_no_rebate_and_courier_gets_more(plain_rules: RuleSet) -> None:
    """Without membership the rebate goes to nobody: courier 80 %, co-op 20 %."""
    assert split_fee(plain_rules, 1000, merchant_is_member=False) == Split(800, 200, 0)
    assert split_fee(plain_rules, 1000, merchant_is_member=True) == Split(700, 200, 100)


def test_equal_remainders_go_to_the_courier_first_then_the_coop() -> None:
    """Tie-break: 1 cent at 50/50 goes to the courier; 2 cents at thirds-ish follow the order."""
    assert split_by_largest_remainder(1, {"courier": 5000, "coop": 5000, "merchant": 0}) == {
        "courier": 1, "coop": 0, "merchant": 0}
    assert split_by_largest_remainder(
        1, {"courier": 5000, "coop": 5000, "merchant": 0}, ("coop", "courier", "merchant")) == {
        "coop": 1, "courier": 0, "merchant": 0}
    assert split_by_largest_remainder(2, {"courier": 3334, "coop": 3333, "merchant": 3333}) == {
        "courier": 1, "coop": 1, "merchant": 0}


def test_largest_remainder_beats_the_tie_order() -> None:
    """A larger remainder wins a cent even when its party comes last in the tie order."""
    # 19 cents: exact 15.2 / 2.85 / 0.95 -> floors 15 / 2 / 0, the two cents go to .95 and .85
    assert split_by_largest_remainder(19, {"courier": 8000, "coop": 1500, "merchant": 500}) == {
        "courier": 15, "coop": 3, "merchant": 1}


def test_floor_is_rounded_up_to_the_cent() -> None:
    """ceil(1202 * 1500 / 3600) = ceil(500.83) = 501; a whole hour is exactly the rate."""
    assert courier_floor_cents(1202, 1500) == 501
    assert courier_floor_cents(1202, 3600) == 1202
    assert courier_floor_cents(1202, 0) == 0


def test_a_price_that_cannot_pay_the_floor_is_refused_naming_the_rule(
        plain_rules: RuleSet) -> None:
    """Cheap minutes and a long wait: FloorNotMet names the rule, the need and the offer."""
    rules = replace(plain_rules, per_active_minute_cents=10, base_cents=0, per_km_cents=0)
    with pytest.raises(FloorNotMet) as caught:
        quote(rules, TripEstimate(0, 0, 3600, 0, 0))
    err = caught.value
    assert err.parameter == "courier_floor_cents_per_hour"
    assert (err.needed_cents, err.available_cents, err.active_s) == (1202, 480, 3600)
    assert "courier_floor_cents_per_hour" in str(err) and isinstance(err, ValueError)


@pytest.mark.parametrize(("change", "parameter"), [
    ({"coop_share_bp": 10_001}, "coop_share_bp"),
    ({"coop_share_bp": 9_000, "merchant_rebate_bp": 1_001}, "merchant_rebate_bp"),
    ({"base_cents": -1}, "base_cents"),
    ({"version": 0}, "version"),
    ({"currency": "euro"}, "currency"),
    ({"adopted_by": "  "}, "adopted_by"),
    ({"pay_courier_on": "whenever"}, "pay_courier_on"),
    ({"rounding_order": ("courier", "courier", "coop")}, "rounding_order"),
    ({"load_surcharges": (LoadSurcharge("weight", -5, 10),)}, "load_surcharges[0].above"),
    ({"time_surcharges": (TimeSurcharge(22, 6), TimeSurcharge(5, 7))}, "time_surcharges[1]"),
    ({"time_surcharges": (TimeSurcharge(8, 8),)}, "time_surcharges[0].end_hour"),
])
def test_invalid_rule_sets_are_rejected_naming_the_parameter(change: dict[str, object],
                                                             parameter: str) -> None:
    """validate_rule_set raises FeeRuleError whose parameter is the bad one."""
    with pytest.raises(FeeRuleError) as caught:
        validate_rule_set(replace(DEFAULT_RULE_SET, **change))  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


@pytest.mark.parametrize(("change", "parameter"), [
    ({"distance_m": -1}, "trip.distance_m"), ({"pickup_hour": 24}, "trip.pickup_hour"),
    ({"ride_s": 1.5}, "trip.ride_s"), ({"weather": 3}, "trip.weather"),
])
def test_invalid_trips_are_rejected_naming_the_field(rainy_night_trip: TripEstimate,
                                                     change: dict[str, object],
                                                     parameter: str) -> None:
    """quote raises TripInputError naming trip.<field>."""
    with pytest.raises(TripInputError) as caught:
        quote(DEFAULT_RULE_SET, replace(rainy_night_trip, **change))  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


def test_rule_set_in_effect_picks_the_latest_version_already_adopted(
        plain_rules: RuleSet) -> None:
    """History lookup by date; before the first version there is none."""
    history = [DEFAULT_RULE_SET, plain_rules]
    assert rule_set_in_effect(history, date(2026, 6, 12)) is DEFAULT_RULE_SET
    assert rule_set_in_effect(history, date(2026, 6, 13)) is plain_rules
    with pytest.raises(FeeRuleError):
        rule_set_in_effect(history, date(2025, 12, 31))


def test_stored_rule_set_with_a_bad_key_names_it() -> None:
    """rule_set_from_dict names a missing key and a wrongly typed nested one."""
    data = rule_set_to_dict(DEFAULT_RULE_SET)
    del data["coop_share_bp"]
    with pytest.raises(FeeRuleError, match="coop_share_bp: is missing"):
        rule_set_from_dict(data)
    data = rule_set_to_dict(DEFAULT_RULE_SET)
    data["load_surcharges"][1]["above"] = "40 l"
    with pytest.raises(FeeRuleError) as caught:
        rule_set_from_dict(data)
    assert caught.value.parameter == "load_surcharges[1].above"


def test_quote_dict_shows_version_lines_fee_and_split(rainy_night_trip: TripEstimate) -> None:
    """The API body of a quote carries the rule-set version and the three shares."""
    body = quote_to_dict(quote(DEFAULT_RULE_SET, rainy_night_trip))
    assert body["rule_set_version"] == 1 and body["fee_cents"] == 1559
    assert body["split"] == {"courier_cents": 1247, "coop_cents": 234, "merchant_cents": 78}
    assert body["trip"]["active_s"] == 1500 and len(body["lines"]) == 6


@pytest.mark.parametrize("module", [money, fee_rules, fee_split, fees, fee_dicts, fee_text,
                                    receipts], ids=lambda m: m.__name__)
def test_docstring_examples_are_true(module: object) -> None:
    """The examples in the docstrings, including the worked example, run and pass."""
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0


def test_fee_modules_import_no_framework() -> None:
    """The pure fee modules import neither fastapi, sqlalchemy nor redis."""
    code = ("import sys, dispatch.domain.statements, dispatch.domain.fee_text; "
            "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'redis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
